-- The external systems the mount module accepts, by the SHA-256 of their
-- bearer token, one hospital each; and what they post.
CREATE TABLE clients (
    token_sha256 text PRIMARY KEY,
    tenant_id    bigint NOT NULL REFERENCES concerto.tenants (id),
    name         text NOT NULL
);
-- No grant to the application role: only check_client below reads it.

CREATE TABLE consents (
    id        bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL DEFAULT concerto.current_tenant()
              REFERENCES concerto.tenants (id),
    subject   text NOT NULL,
    posted_by text NOT NULL
);
SELECT concerto.enable_tenant_rls('consents');
GRANT USAGE ON SEQUENCE consents_id_seq TO concerto_app;

-- The module's credential check: the client's hospital and name when the
-- token is known, after binding the transaction to that hospital as a
-- client (what req_bind_client then verifies).
CREATE FUNCTION check_client(p_token_sha256 text, OUT tenant_id bigint,
                             OUT name text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mount, pg_catalog, pg_temp AS
$$
BEGIN
  SELECT c.tenant_id, c.name INTO tenant_id, name FROM clients c
   WHERE c.token_sha256 = p_token_sha256;
  IF FOUND THEN
    PERFORM concerto.context_client(tenant_id);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION check_client(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION check_client(text) TO concerto_app;
