-- The audit trail, second chain format (docs/security.md, "Audit trail").
--
-- 1. Order. Format 1 chose a row's predecessor by the highest id, but ids
--    come from a sequence drawn before the chain lock is taken: two
--    concurrent inserts could both name the same predecessor and the chain
--    forked (verification broke under ordinary load). Each chain now counts
--    its rows itself: seq is taken under the chain's lock, so the chain's
--    order is the lock order and the predecessor is always seq - 1.
-- 2. Whose trail. tenant_id is the hospital whose data was touched (its
--    chain and its privacy officer); actor_tenant_id the hospital the actor
--    acted from, so that hospital's privacy officer sees it too.
-- 3. Who writes. The application role may no longer insert rows: the core
--    writes them through audit_append, proving the server key
--    (0010_context.sql), so SQL run by a request - an injection, a module's
--    query - cannot add rows to any chain or name another actor.
-- Format 1 rows keep their hashes and are verified as they were written.

ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY; -- the owner renumbers below
ALTER TABLE audit_log ADD COLUMN seq bigint;
ALTER TABLE audit_log ADD COLUMN format smallint NOT NULL DEFAULT 1
  CHECK (format IN (1, 2));
ALTER TABLE audit_log ADD COLUMN actor_tenant_id bigint REFERENCES tenants (id);
UPDATE audit_log a SET seq = n.seq
  FROM (SELECT id, row_number() OVER (PARTITION BY chain ORDER BY id) AS seq
          FROM audit_log) n
 WHERE a.id = n.id;
ALTER TABLE audit_log ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX audit_chain_seq ON audit_log (chain, seq);
DROP INDEX audit_chain;
CREATE INDEX audit_actor_tenant ON audit_log (actor_tenant_id, id)
  WHERE actor_tenant_id IS NOT NULL;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

-- The canonical text of a format 2 row. Never edit in place: a change is a
-- format 3 (audit_row_text stays for format 1 rows).
-- (plpgsql: the trigger calls these for every row, and PostgreSQL plans a
-- SQL function's body again at every call.)
CREATE FUNCTION audit_row_text_v2(r audit_log) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  RETURN concat_ws('|', 'v2', r.chain, r.seq, r.id,
                   to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   r.actor_kind, coalesce(r.actor_id::text, ''), coalesce(r.actor_name, ''),
                   coalesce(r.role, ''), coalesce(r.tenant_id::text, ''),
                   coalesce(r.actor_tenant_id::text, ''),
                   coalesce(r.patient_id::text, ''), r.action, coalesce(r.resource, ''),
                   r.outcome, coalesce(host(r.client_addr), ''), coalesce(r.request_id, ''),
                   r.prev_hash);
END
$$;

CREATE FUNCTION audit_row_hash(r audit_log) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  RETURN encode(sha256(convert_to(CASE r.format WHEN 1 THEN audit_row_text(r)
                                                ELSE audit_row_text_v2(r) END, 'UTF8')), 'hex');
END
$$;

-- Chains the new row under the chain's lock, which is held until commit:
-- the next insert of the chain waits, then reads this row (committed) as
-- its predecessor. Statements of a plpgsql function take a fresh snapshot,
-- so the read after the lock sees every row committed before it.
CREATE OR REPLACE FUNCTION audit_chain_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  NEW.chain := coalesce(NEW.tenant_id, 0);
  PERFORM pg_advisory_xact_lock(7243, NEW.chain::integer);
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log
   WHERE chain = NEW.chain ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(last_seq, 0) + 1;
  NEW.format := 2;
  NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
  NEW.hash := audit_row_hash(NEW);
  RETURN NEW;
END
$$;

-- The core's only way to write a row (p_key: the server key).
CREATE FUNCTION audit_append(p_key text, p_actor_kind text, p_actor_id bigint,
                             p_actor_name text, p_role text, p_tenant bigint,
                             p_actor_tenant bigint, p_patient bigint,
                             p_action text, p_resource text, p_outcome text,
                             p_client inet, p_request_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  IF NOT server_key_valid(p_key) THEN
    RAISE EXCEPTION 'not a server key' USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO audit_log (actor_kind, actor_id, actor_name, role, tenant_id,
                         actor_tenant_id, patient_id, action, resource, outcome,
                         client_addr, request_id, chain, prev_hash, hash)
  VALUES (p_actor_kind, p_actor_id, left(p_actor_name, 200), left(p_role, 300),
          p_tenant, p_actor_tenant, p_patient, p_action, left(p_resource, 500),
          p_outcome, p_client, p_request_id, 0, '', '');
END
$$;
GRANT EXECUTE ON FUNCTION audit_append(text, text, bigint, text, text, bigint, bigint,
  bigint, text, text, text, inet, text) TO concerto_app;

REVOKE INSERT ON audit_log FROM concerto_app;
REVOKE USAGE ON SEQUENCE audit_log_id_seq FROM concerto_app;
DROP POLICY audit_append ON audit_log;
CREATE POLICY audit_append ON audit_log FOR INSERT WITH CHECK ((SELECT c.owner FROM concerto.context_now c));

-- Readers: a hospital's own chain and what its staff did elsewhere; every
-- chain for a regional scope; a patient session only the rows about that
-- patient in the chain of the hospital that gave the link.
DROP POLICY audit_read ON audit_log;
CREATE POLICY audit_read ON audit_log FOR SELECT USING (
  CASE WHEN (SELECT c.kind FROM concerto.context_now c) = 'patient'
       THEN patient_id = (SELECT c.patient_id FROM concerto.context_now c) AND tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
       ELSE tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR actor_tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
            OR (SELECT c.regional FROM concerto.context_now c) END);

-- Verifies the chains the caller may see: every chain for a regional scope
-- or the owner (the CLI), else the chain of the context's hospital.
-- Returns the first row that does not match (none when intact). A removed
-- last row cannot be told from a chain that ended there; the count of rows
-- checked is returned so operators can compare it over time.
CREATE OR REPLACE FUNCTION audit_verify(OUT rows_checked bigint, OUT broken_id bigint,
                                        OUT broken_chain bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  r audit_log;
  c record;
  expected_prev text;
  expected_seq bigint;
  last_chain bigint := NULL;
  scope bigint;
  everything boolean;
BEGIN
  SELECT * INTO c FROM context_fields();
  everything := c.regional OR pg_has_role(session_user,
    (SELECT nspowner FROM pg_namespace WHERE nspname = 'concerto'), 'USAGE');
  IF NOT everything THEN
    scope := c.tenant_id;
    IF scope IS NULL THEN
      RAISE EXCEPTION 'no hospital to verify' USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  rows_checked := 0;
  FOR r IN SELECT * FROM audit_log WHERE everything OR chain = scope
            ORDER BY chain, seq LOOP
    IF last_chain IS DISTINCT FROM r.chain THEN
      expected_prev := repeat('0', 64);
      expected_seq := 1;
      last_chain := r.chain;
    END IF;
    IF r.prev_hash <> expected_prev OR r.seq <> expected_seq OR
       r.chain <> coalesce(r.tenant_id, 0) OR r.hash <> audit_row_hash(r) THEN
      broken_id := r.id;
      broken_chain := r.chain;
      RETURN;
    END IF;
    expected_prev := r.hash;
    expected_seq := r.seq + 1;
    rows_checked := rows_checked + 1;
  END LOOP;
END
$$;

-- Patient and guest contexts carry the hospital of their link, but the
-- hospital's credentials are none of their business, whatever SQL runs.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenant_ldap', 'webhooks', 'api_tokens', 'access_links'] LOOP
    EXECUTE format('CREATE POLICY staff_only ON %I AS RESTRICTIVE USING '
                   '((SELECT c.kind FROM concerto.context_now c) NOT IN (''patient'', ''guest''))', t);
  END LOOP;
END
$$;
