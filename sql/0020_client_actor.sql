-- External systems a module authenticates on its mounts (plugin ABI 1.10,
-- host->req_bind_client): a context kind and an audit actor kind of their
-- own. Like guests they act for one hospital and are none of its
-- credentials' business; only a module's definer function that checked
-- the system's credential can set the context (concerto.context_client).
ALTER TABLE context_live DROP CONSTRAINT context_live_kind_check;
ALTER TABLE context_live ADD CONSTRAINT context_live_kind_check
  CHECK (kind IN ('staff', 'patient', 'token', 'guest', 'client', 'system'));

ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check
  CHECK (actor_kind IN ('user', 'patient', 'token', 'system', 'anonymous',
                        'guest', 'client'));

CREATE FUNCTION context_client(p_tenant bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = p_tenant AND active) THEN
    RAISE EXCEPTION 'no active hospital %', p_tenant;
  END IF;
  PERFORM context_set('client', p_tenant, NULL, NULL, false);
END
$$;
REVOKE ALL ON FUNCTION context_client(bigint) FROM PUBLIC;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenant_ldap', 'webhooks', 'api_tokens', 'access_links'] LOOP
    EXECUTE format('DROP POLICY staff_only ON %I', t);
    EXECUTE format('CREATE POLICY staff_only ON %I AS RESTRICTIVE USING '
                   '((SELECT c.kind FROM concerto.context_now c) NOT IN '
                   '(''patient'', ''guest'', ''client''))', t);
  END LOOP;
END
$$;
