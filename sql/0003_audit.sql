-- The audit trail (R2.5, IHE ATNA in spirit): every read or write of
-- patient data and every security event. Rows are hash-chained per
-- hospital (chain 0 = regional events): each row's hash covers its content
-- and the previous row's hash, so an edited or deleted row breaks the chain
-- from that point on (concerto admin verify-audit, GET /api/v1/audit/verify).
-- The application role may only INSERT and SELECT (through RLS).

CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    chain         bigint NOT NULL,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_kind    text NOT NULL CHECK (actor_kind IN ('user', 'patient', 'token', 'system', 'anonymous')),
    actor_id      bigint,
    actor_name    text,
    role          text,
    tenant_id     bigint REFERENCES tenants (id),
    patient_id    bigint REFERENCES patients (id),
    action        text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
    resource      text,
    outcome       text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    client_addr   inet,
    request_id    text,
    prev_hash     text NOT NULL,
    hash          text NOT NULL
);
CREATE INDEX audit_chain ON audit_log (chain, id);
CREATE INDEX audit_patient ON audit_log (patient_id, at) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_actor ON audit_log (actor_id, at);

-- The canonical text a row's hash covers. Changing it is a new chain
-- format: never edit this function in place (see docs/security.md).
CREATE FUNCTION audit_row_text(r audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS
$$
  SELECT concat_ws('|', r.id, r.chain,
                   to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   r.actor_kind, coalesce(r.actor_id::text, ''), coalesce(r.actor_name, ''),
                   coalesce(r.role, ''), coalesce(r.tenant_id::text, ''),
                   coalesce(r.patient_id::text, ''), r.action, coalesce(r.resource, ''),
                   r.outcome, coalesce(host(r.client_addr), ''), coalesce(r.request_id, ''),
                   r.prev_hash)
$$;

-- Chains the new row. The per-chain advisory lock serialises inserts of one
-- hospital until commit, so two transactions can never take the same
-- predecessor; the core writes audit rows right before COMMIT to keep that
-- window short.
CREATE FUNCTION audit_chain_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = concerto, pg_catalog AS
$$
DECLARE
  previous text;
  scope text := current_setting('app.regional', true);
BEGIN
  NEW.chain := coalesce(NEW.tenant_id, 0);
  PERFORM pg_advisory_xact_lock(7243, NEW.chain::integer);
  -- The predecessor may be outside the caller's RLS view (a regional row).
  PERFORM set_config('app.regional', 'on', true);
  SELECT hash INTO previous FROM audit_log
   WHERE chain = NEW.chain ORDER BY id DESC LIMIT 1;
  PERFORM set_config('app.regional', coalesce(scope, ''), true);
  NEW.prev_hash := coalesce(previous, repeat('0', 64));
  NEW.hash := encode(sha256(convert_to(audit_row_text(NEW), 'UTF8')), 'hex');
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_chain_row();

-- Verifies every chain; returns the first row that does not match (none
-- when intact).
CREATE FUNCTION audit_verify(OUT rows_checked bigint, OUT broken_id bigint,
                             OUT broken_chain bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog AS
$$
DECLARE
  r audit_log;
  expected_prev text;
  last_chain bigint := NULL;
  scope text := current_setting('app.regional', true);
BEGIN
  -- Verification covers every chain, whatever the caller may read.
  PERFORM set_config('app.regional', 'on', true);
  rows_checked := 0;
  FOR r IN SELECT * FROM audit_log ORDER BY chain, id LOOP
    IF last_chain IS DISTINCT FROM r.chain THEN
      expected_prev := repeat('0', 64);
      last_chain := r.chain;
    END IF;
    IF r.prev_hash <> expected_prev OR
       r.chain <> coalesce(r.tenant_id, 0) OR
       r.hash <> encode(sha256(convert_to(audit_row_text(r), 'UTF8')), 'hex') THEN
      broken_id := r.id;
      broken_chain := r.chain;
      PERFORM set_config('app.regional', coalesce(scope, ''), true);
      RETURN;
    END IF;
    expected_prev := r.hash;
    rows_checked := rows_checked + 1;
  END LOOP;
  PERFORM set_config('app.regional', coalesce(scope, ''), true);
END
$$;

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
-- Reading: the hospital's own rows, or all for a regional transaction; a
-- patient session reads rows about that patient (app.patient_id).
CREATE POLICY audit_read ON audit_log FOR SELECT USING (
  tenant_id = current_tenant() OR is_regional() OR
  patient_id = NULLIF(current_setting('app.patient_id', true), '')::bigint);
CREATE POLICY audit_append ON audit_log FOR INSERT WITH CHECK (true);
GRANT SELECT, INSERT ON audit_log TO concerto_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO concerto_app;
GRANT EXECUTE ON FUNCTION audit_verify() TO concerto_app;
