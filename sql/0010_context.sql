-- The transaction's identity context, unforgeable by the application role
-- (docs/security.md, "Hospital isolation in PostgreSQL").
--
-- Before: auth_session and friends wrote app.tenant_id, app.user_id,
-- app.patient_id with set_config, and regional administrators' handlers set
-- app.regional = 'on'. Custom settings are writable by every role, so any
-- SQL the application role ran - an injection, a module - could read every
-- hospital by setting them itself.
--
-- Now the context is one setting, app.context, signed with a key that only
-- the schema owner can read (context_key). It is bound to the backend and to
-- the transaction's start time, so a value copied from another transaction
-- or backend is refused. Only functions owned by the schema owner may sign
-- one (context_set: no EXECUTE for anyone else); the application role gets
-- a context through
--   auth_session / auth_token  - the caller's session or API token,
--   context_regional()         - a regional administrator's session only,
--   context_system(key, ...)   - the server itself, proving a key it
--                                registered at start (server_keys),
--   a module's SECURITY DEFINER function that checked its own secret (a
--                                guest's invitation link, ABI 1.8).
-- The accessors (current_tenant, current_user_id, current_patient,
-- is_regional) verify the signature. A forged or stale value raises
-- insufficient_privilege rather than silently meaning "nobody".
--
-- Functions owned by the schema owner run as that owner: inside them (and
-- for the owner's own connections: migrations, the CLI) is_regional() is
-- true, because the owner could disable row-level security anyway.

-- The application role logs in by itself: a connection that logged in as
-- the owner and SET ROLE to it could RESET ROLE back. Without the right to
-- change roles the migration leaves it to the DBA (docs/administration.md).
DO $$
BEGIN
  ALTER ROLE concerto_app LOGIN;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'cannot ALTER ROLE concerto_app LOGIN as %: a DBA must give '
               'it LOGIN (and a password for database_app_url)', current_user;
END
$$;
-- Temporary tables are searched before the schema path for relation names:
-- a temp table named like a core table could stand in for it inside a
-- function. Every function below lists pg_temp last; the application role
-- needs no temporary tables at all.
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'cannot revoke TEMPORARY on this database as %', current_user;
END
$$;

CREATE TABLE context_key (
    id     integer PRIMARY KEY CHECK (id = 1),
    secret text NOT NULL
);
-- 366 random bits (three version-4 UUIDs from pg_strong_random), hashed.
INSERT INTO context_key
VALUES (1, encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                    || gen_random_uuid()::text, 'UTF8')), 'hex'));
REVOKE ALL ON context_key FROM PUBLIC;

-- Keys of the running servers (only their SHA-256): the server proves one to
-- act for itself (event deliveries, logins, its own audit rows). Written by
-- the server's migration connection (the owner) at start, removed at stop.
CREATE TABLE server_keys (
    key_hash     text PRIMARY KEY CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    server       text CHECK (length(server) <= 200),
    started_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON server_keys FROM PUBLIC;

-- Whether the current role owns the core schema (or is a superuser).
CREATE FUNCTION is_owner() RETURNS boolean
LANGUAGE sql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ SELECT pg_has_role(current_user,
                      (SELECT nspowner FROM pg_catalog.pg_namespace
                        WHERE nspname = 'concerto'), 'USAGE') $$;

-- The transaction's stamp: backend and start time, in microseconds.
CREATE FUNCTION context_stamp() RETURNS text
LANGUAGE sql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ SELECT pg_backend_pid() || ':' || (extract(epoch FROM now()) * 1000000)::bigint $$;

CREATE FUNCTION context_sign(p_payload text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$ SELECT encode(sha256(convert_to(k.secret || ':' || p_payload || ':' || k.secret, 'UTF8')), 'hex')
     FROM context_key k $$;
REVOKE ALL ON FUNCTION context_sign(text) FROM PUBLIC;

-- Signs and sets the context for the rest of the transaction. Owner only.
-- kind: staff, patient, token, guest, system.
CREATE FUNCTION context_set(p_kind text, p_tenant bigint, p_user bigint,
                            p_patient bigint, p_regional boolean) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  payload text;
BEGIN
  IF p_kind NOT IN ('staff', 'patient', 'token', 'guest', 'system') THEN
    RAISE EXCEPTION 'unknown context kind %', p_kind;
  END IF;
  payload := 'v1:' || context_stamp() || ':' || p_kind || ':' ||
             coalesce(p_tenant::text, '') || ':' || coalesce(p_user::text, '') || ':' ||
             coalesce(p_patient::text, '') || ':' || CASE WHEN p_regional THEN '1' ELSE '0' END;
  PERFORM set_config('app.context', payload || ':' || context_sign(payload), true);
END
$$;
REVOKE ALL ON FUNCTION context_set(text, bigint, bigint, bigint, boolean) FROM PUBLIC;

-- The verified context; kind 'none' when the transaction has none.
CREATE FUNCTION context_fields(OUT kind text, OUT tenant_id bigint,
                               OUT user_id bigint, OUT patient_id bigint,
                               OUT regional boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  raw text := current_setting('app.context', true);
  parts text[];
BEGIN
  regional := false;
  IF raw IS NULL OR raw = '' THEN
    kind := 'none';
    RETURN;
  END IF;
  parts := string_to_array(raw, ':');
  IF cardinality(parts) <> 9 OR parts[1] <> 'v1' OR
     parts[2] || ':' || parts[3] <> context_stamp() OR
     parts[9] <> context_sign(array_to_string(parts[1:8], ':')) THEN
    RAISE EXCEPTION 'the transaction context is not valid'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  kind := parts[4];
  tenant_id := NULLIF(parts[5], '')::bigint;
  user_id := NULLIF(parts[6], '')::bigint;
  patient_id := NULLIF(parts[7], '')::bigint;
  regional := parts[8] = '1';
END
$$;
GRANT EXECUTE ON FUNCTION context_fields() TO concerto_app;

-- The accessors policies and modules use. Policies call them as
-- (SELECT concerto.current_tenant()) so PostgreSQL evaluates them once per
-- statement (an InitPlan), not once per row.
CREATE OR REPLACE FUNCTION current_tenant() RETURNS bigint
LANGUAGE sql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ SELECT tenant_id FROM context_fields() $$;

CREATE FUNCTION current_user_id() RETURNS bigint
LANGUAGE sql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ SELECT user_id FROM context_fields() $$;

CREATE FUNCTION current_patient() RETURNS bigint
LANGUAGE sql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ SELECT patient_id FROM context_fields() $$;

CREATE FUNCTION current_context_kind() RETURNS text
LANGUAGE sql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ SELECT kind FROM context_fields() $$;

CREATE OR REPLACE FUNCTION is_regional() RETURNS boolean
LANGUAGE sql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ SELECT is_owner() OR (SELECT regional FROM context_fields()) $$;

GRANT EXECUTE ON FUNCTION current_tenant(), current_user_id(), current_patient(),
  current_context_kind(), is_regional(), is_owner() TO concerto_app;

-- A regional administrator's session widens its own context to every
-- hospital (core administration handlers call it, never modules).
CREATE FUNCTION context_regional() RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  c record;
BEGIN
  SELECT * INTO c FROM context_fields();
  IF c.kind IS DISTINCT FROM 'staff' OR NOT EXISTS
       (SELECT 1 FROM users u WHERE u.id = c.user_id AND u.regional_admin AND NOT u.disabled) THEN
    RAISE EXCEPTION 'the regional scope is for regional administrators'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM context_set('staff', c.tenant_id, c.user_id, NULL, true);
END
$$;
GRANT EXECUTE ON FUNCTION context_regional() TO concerto_app;

-- Whether p_key is a running server's key (last use kept hourly, so stale
-- keys of servers that died can be removed).
CREATE FUNCTION server_key_valid(p_key text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  h text;
  used timestamptz;
BEGIN
  IF p_key IS NULL OR length(p_key) NOT BETWEEN 40 AND 128 THEN
    RETURN false;
  END IF;
  h := encode(sha256(convert_to(p_key, 'UTF8')), 'hex');
  SELECT last_used_at INTO used FROM server_keys WHERE key_hash = h;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF used < now() - interval '1 hour' THEN
    UPDATE server_keys SET last_used_at = now() WHERE key_hash = h;
  END IF;
  RETURN true;
END
$$;
REVOKE ALL ON FUNCTION server_key_valid(text) FROM PUBLIC;

-- The server acting for itself: for one hospital (p_tenant) or, with
-- p_regional, for all of them.
CREATE FUNCTION context_system(p_key text, p_tenant bigint, p_regional boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  IF NOT server_key_valid(p_key) THEN
    RAISE EXCEPTION 'not a server key' USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM context_set('system', p_tenant, NULL, NULL, coalesce(p_regional, false));
END
$$;
GRANT EXECUTE ON FUNCTION context_system(text, bigint, boolean) TO concerto_app;

CREATE FUNCTION server_key_retire(p_key text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$ DELETE FROM server_keys WHERE key_hash = encode(sha256(convert_to(p_key, 'UTF8')), 'hex') $$;
GRANT EXECUTE ON FUNCTION server_key_retire(text) TO concerto_app;

-- A module's SECURITY DEFINER function that checked its own invitation
-- secret binds the transaction to the invitation's hospital as a guest
-- (ABI 1.8 req_bind_guest then checks this context). Owner only: the
-- application role cannot call it directly.
CREATE FUNCTION context_guest(p_tenant bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = p_tenant AND active) THEN
    RAISE EXCEPTION 'no active hospital %', p_tenant;
  END IF;
  PERFORM context_set('guest', p_tenant, NULL, NULL, false);
END
$$;
REVOKE ALL ON FUNCTION context_guest(bigint) FROM PUBLIC;

-- ---- the callers' resolution, now signing the context ----

CREATE OR REPLACE FUNCTION auth_session(p_token_hash text, p_tenant_code text,
                                        p_idle_seconds integer)
RETURNS SETOF caller
LANGUAGE plpgsql SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  s sessions;
  u users;
  t tenants;
  r text[];
  c caller;
BEGIN
  SELECT * INTO s FROM sessions
   WHERE token_hash = p_token_hash AND revoked_at IS NULL
     AND expires_at > now()
     AND last_seen_at > now() - make_interval(secs => p_idle_seconds);
  IF NOT FOUND THEN
    RETURN;
  END IF;
  -- Sliding idle timeout, written at most every 30 s to spare the disk.
  IF s.last_seen_at < now() - interval '30 seconds' THEN
    UPDATE sessions SET last_seen_at = now() WHERE id = s.id;
  END IF;
  c.session_id := s.id;
  c.kind := s.kind;
  c.csrf_token := s.csrf_token;
  IF s.kind = 'patient' THEN
    SELECT id, code INTO c.tenant_id, c.tenant_code FROM tenants WHERE id = s.scope_tenant_id;
    c.patient_id := s.patient_id;
    c.scope_kind := s.scope_kind;
    c.scope_ref := s.scope_ref;
    c.roles := ARRAY['patient'];
    c.regional_admin := false;
    SELECT given_name || ' ' || surname INTO c.display_name FROM patients WHERE id = s.patient_id;
    PERFORM context_set('patient', s.scope_tenant_id, NULL, s.patient_id, false);
    RETURN NEXT c;
    RETURN;
  END IF;
  SELECT * INTO u FROM users WHERE id = s.user_id AND NOT disabled;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  c.user_id := u.id;
  c.username := u.username;
  c.display_name := u.display_name;
  c.regional_admin := u.regional_admin;
  c.language := u.language;
  IF p_tenant_code IS NOT NULL THEN
    SELECT * INTO t FROM tenants WHERE code = p_tenant_code AND active;
  ELSIF s.current_tenant_id IS NOT NULL THEN
    SELECT * INTO t FROM tenants WHERE id = s.current_tenant_id AND active;
  END IF;
  IF t.id IS NOT NULL THEN
    SELECT array_agg(role ORDER BY role) INTO r FROM user_roles
     WHERE user_id = u.id AND tenant_id = t.id;
    IF r IS NOT NULL OR u.regional_admin THEN
      c.tenant_id := t.id;
      c.tenant_code := t.code;
    END IF;
  END IF;
  c.roles := coalesce(r, ARRAY[]::text[]);
  PERFORM context_set('staff', c.tenant_id, u.id, NULL, false);
  RETURN NEXT c;
END
$$;

CREATE OR REPLACE FUNCTION auth_token(p_token_hash text)
RETURNS SETOF caller
LANGUAGE plpgsql SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  k api_tokens;
  c caller;
BEGIN
  SELECT * INTO k FROM api_tokens WHERE token_hash = p_token_hash AND revoked_at IS NULL;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds' THEN
    UPDATE api_tokens SET last_used_at = now() WHERE id = k.id;
  END IF;
  c.kind := 'token';
  c.user_id := NULL;
  c.username := 'token:' || k.name;
  c.display_name := k.name;
  c.regional_admin := false;
  c.tenant_id := k.tenant_id;
  SELECT code INTO c.tenant_code FROM tenants WHERE id = k.tenant_id;
  c.roles := ARRAY[k.role];
  c.session_id := k.id;
  PERFORM context_set('token', k.tenant_id, NULL, NULL, false);
  RETURN NEXT c;
END
$$;

-- ---- policies: the same rules, evaluated once per statement ----

CREATE OR REPLACE FUNCTION enable_tenant_rls(tbl regclass) RETURNS void
LANGUAGE plpgsql SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING '
                 '(tenant_id = (SELECT concerto.current_tenant()) OR (SELECT concerto.is_regional())) '
                 'WITH CHECK (tenant_id = (SELECT concerto.current_tenant()) '
                 'OR (SELECT concerto.is_regional()))', tbl);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO concerto_app', tbl);
END
$$;

-- Every table that has the standard policy gets the new form (module
-- tables included: they called enable_tenant_rls in their migrations).
DO $$
DECLARE
  p record;
BEGIN
  FOR p IN SELECT c.oid::regclass AS tbl
             FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
            WHERE pol.polname = 'tenant_isolation'
              AND c.oid NOT IN ('concerto.events'::regclass,
                                'concerto.event_deliveries'::regclass) LOOP
    PERFORM enable_tenant_rls(p.tbl);
  END LOOP;
END
$$;

DROP POLICY tenant_isolation ON events;
CREATE POLICY tenant_isolation ON events
  USING (tenant_id = (SELECT current_tenant()) OR (SELECT is_regional()))
  WITH CHECK (tenant_id IS NOT DISTINCT FROM (SELECT current_tenant()) OR (SELECT is_regional()));
DROP POLICY tenant_isolation ON event_deliveries;
CREATE POLICY tenant_isolation ON event_deliveries
  USING (tenant_id = (SELECT current_tenant()) OR (SELECT is_regional()))
  WITH CHECK (tenant_id IS NOT DISTINCT FROM (SELECT current_tenant()) OR (SELECT is_regional()));

-- Staff read their own roles in every hospital (the profile lists them),
-- without a regional scope.
CREATE POLICY own_roles ON user_roles FOR SELECT
  USING (user_id = (SELECT current_user_id()));

-- The audit trail's reader: a patient session reads the rows about that
-- patient kept by the hospital that gave the link (0011 refines the rest).
DROP POLICY audit_read ON audit_log;
CREATE POLICY audit_read ON audit_log FOR SELECT USING (
  tenant_id = (SELECT current_tenant()) OR (SELECT is_regional()) OR
  (patient_id = (SELECT current_patient()) AND tenant_id = (SELECT current_tenant())));

-- The chain trigger and verification run as the owner, which sees every
-- chain: no regional switch inside any more.
CREATE OR REPLACE FUNCTION audit_chain_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  previous text;
BEGIN
  NEW.chain := coalesce(NEW.tenant_id, 0);
  PERFORM pg_advisory_xact_lock(7243, NEW.chain::integer);
  SELECT hash INTO previous FROM audit_log
   WHERE chain = NEW.chain ORDER BY id DESC LIMIT 1;
  NEW.prev_hash := coalesce(previous, repeat('0', 64));
  NEW.hash := encode(sha256(convert_to(audit_row_text(NEW), 'UTF8')), 'hex');
  RETURN NEW;
END
$$;

-- Every function of the core schema names its search_path, with pg_temp
-- last: a function must mean the same whoever calls it and whatever that
-- caller's search_path (a database user not named "concerto" found none of
-- the core's tables through "$user" before).
DO $$
DECLARE
  f record;
BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
            WHERE p.pronamespace = 'concerto'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c
                               WHERE c LIKE 'search_path=%' AND c LIKE '%pg_temp%') LOOP
    EXECUTE format('ALTER FUNCTION %s SET search_path = concerto, pg_catalog, pg_temp', f.sig);
  END LOOP;
END
$$;
