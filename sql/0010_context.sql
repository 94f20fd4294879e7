-- The transaction's identity context, unforgeable by the application role
-- (docs/security.md, "Hospital isolation in PostgreSQL").
--
-- Before: auth_session and friends wrote app.tenant_id, app.user_id,
-- app.patient_id with set_config, and regional administrators' handlers set
-- app.regional = 'on'. Custom settings are writable by every role, so any
-- SQL the application role ran - an injection, a module - could read every
-- hospital by setting them itself.
--
-- Now the context is a row of context_live, an unlogged table only the
-- schema owner writes: one row per backend, valid for the transaction that
-- wrote it (its transaction id is part of the row, and ids are never
-- reused), so it ends with the transaction and a pooled connection carries
-- nothing to the next request.
-- The application role reads its own backend's row through the view
-- context_now, which also says "regional" for the schema owner itself
-- (migrations, the CLI, and every SECURITY DEFINER function of the owner:
-- it could disable row-level security anyway). Only functions owned by the
-- schema owner write a context (context_set: no EXECUTE for anyone else);
-- the application role gets one through
--   auth_session / auth_token  - the caller's session or API token,
--   context_regional()         - a regional administrator's session only,
--   context_system(key, ...)   - the server itself, proving a key it
--                                registered at start (server_keys),
--   a module's SECURITY DEFINER function that checked its own secret (a
--                                guest's invitation link, ABI 1.8).
-- Policies read the context as (SELECT c.scope FROM concerto.context_now c):
-- an InitPlan, once per statement and a few microseconds, where a function
-- call per policy cost ten times as much.

-- The application role logs in by itself: a connection that logged in as
-- the owner and SET ROLE to it could RESET ROLE back. Without the right to
-- change roles the migration leaves it to the DBA (docs/administration.md).
-- The role is the cluster's: another database of the cluster migrating at
-- the same moment may be changing it too ("tuple concurrently updated"),
-- which is fine when the role ends up able to log in.
DO $$
BEGIN
  IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'concerto_app') THEN
    ALTER ROLE concerto_app LOGIN;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'cannot ALTER ROLE concerto_app LOGIN as %: a DBA must give '
                 'it LOGIN (and a password for database_app_url)', current_user;
  WHEN OTHERS THEN
    IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'concerto_app') THEN
      RAISE;
    END IF;
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

-- One row per backend: the context of the transaction that wrote it.
CREATE UNLOGGED TABLE context_live (
    pid        integer PRIMARY KEY,
    xid        xid8 NOT NULL,  -- the transaction that wrote it
    kind       text NOT NULL CHECK (kind IN ('staff', 'patient', 'token', 'guest', 'system')),
    tenant_id  bigint,
    user_id    bigint,
    patient_id bigint,
    regional   boolean NOT NULL
);
REVOKE ALL ON context_live FROM PUBLIC;

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

-- This backend's context for this transaction, always one row: kind
-- 'none' without one. `owner` is true for the schema owner (or a
-- superuser), for whom `regional` is true as well; `scope` is -1 for a
-- regional scope, else the hospital, for policies: (SELECT c.scope FROM
-- concerto.context_now c) IN (tenant_id, -1). current_user is the role the
-- statement runs as (inside the owner's functions: the owner). The owner's
-- oid is fixed when the view is made (ALTER SCHEMA ... OWNER needs a new
-- migration).
DO $$
BEGIN
  EXECUTE format($v$
    CREATE VIEW context_now AS
    SELECT coalesce(c.kind, 'none') AS kind, c.tenant_id, c.user_id, c.patient_id,
           o.owner, o.owner OR coalesce(c.regional, false) AS regional,
           CASE WHEN o.owner OR coalesce(c.regional, false) THEN -1
                ELSE c.tenant_id END AS scope
      FROM (SELECT pg_catalog.pg_has_role(current_user, %s::oid, 'USAGE') AS owner) o
      LEFT JOIN concerto.context_live c
        ON c.pid = pg_catalog.pg_backend_pid()
       AND c.xid = pg_catalog.pg_current_xact_id_if_assigned()
  $v$, (SELECT nspowner FROM pg_namespace WHERE nspname = 'concerto'));
END
$$;
GRANT SELECT ON context_now TO concerto_app;

CREATE FUNCTION is_owner() RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ BEGIN RETURN (SELECT c.owner FROM concerto.context_now c); END $$;

-- Writes the context for the rest of the transaction. Owner only.
-- kind: staff, patient, token, guest, system.
-- (plpgsql, not SQL, here and for the accessors below: PostgreSQL keeps a
-- plpgsql function's plans for the session, and plans a SQL function's
-- body again at every call that is not inlined.)
CREATE FUNCTION context_set(p_kind text, p_tenant bigint, p_user bigint,
                            p_patient bigint, p_regional boolean) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  INSERT INTO context_live (pid, xid, kind, tenant_id, user_id, patient_id, regional)
  VALUES (pg_backend_pid(), pg_current_xact_id(), p_kind, p_tenant, p_user, p_patient,
          coalesce(p_regional, false))
  ON CONFLICT (pid) DO UPDATE SET xid = EXCLUDED.xid, kind = EXCLUDED.kind,
    tenant_id = EXCLUDED.tenant_id, user_id = EXCLUDED.user_id,
    patient_id = EXCLUDED.patient_id, regional = EXCLUDED.regional;
END
$$;
REVOKE ALL ON FUNCTION context_set(text, bigint, bigint, bigint, boolean) FROM PUBLIC;

-- The context the caller was given, as a record, for the owner's functions
-- that decide on it: what the row says, without the owner's own regional
-- view (inside such a function current_user is always the owner).
CREATE FUNCTION context_fields(OUT kind text, OUT tenant_id bigint,
                               OUT user_id bigint, OUT patient_id bigint,
                               OUT regional boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  SELECT c.kind, c.tenant_id, c.user_id, c.patient_id, c.regional
    INTO kind, tenant_id, user_id, patient_id, regional
    FROM context_live c
   WHERE c.pid = pg_backend_pid() AND c.xid = pg_current_xact_id_if_assigned();
  kind := coalesce(kind, 'none');
  regional := coalesce(regional, false);
END
$$;
GRANT EXECUTE ON FUNCTION context_fields() TO concerto_app;

-- The accessors C code and modules use. Policies read the view itself (see
-- above): a function call in a policy costs more.
CREATE OR REPLACE FUNCTION current_tenant() RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ BEGIN RETURN (SELECT c.tenant_id FROM concerto.context_now c); END $$;

CREATE FUNCTION current_user_id() RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ BEGIN RETURN (SELECT c.user_id FROM concerto.context_now c); END $$;

CREATE FUNCTION current_patient() RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ BEGIN RETURN (SELECT c.patient_id FROM concerto.context_now c); END $$;

CREATE FUNCTION current_context_kind() RETURNS text
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ BEGIN RETURN (SELECT c.kind FROM concerto.context_now c); END $$;

CREATE OR REPLACE FUNCTION is_regional() RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$ BEGIN RETURN (SELECT c.regional FROM concerto.context_now c); END $$;

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
                 '(tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c)) '
                 'WITH CHECK (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) '
                 'OR (SELECT c.regional FROM concerto.context_now c))', tbl);
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
  USING ((SELECT c.scope FROM concerto.context_now c) IN (tenant_id, -1))
  WITH CHECK (tenant_id IS NOT DISTINCT FROM (SELECT c.tenant_id FROM concerto.context_now c)
              OR (SELECT c.regional FROM concerto.context_now c));
DROP POLICY tenant_isolation ON event_deliveries;
CREATE POLICY tenant_isolation ON event_deliveries
  USING ((SELECT c.scope FROM concerto.context_now c) IN (tenant_id, -1))
  WITH CHECK (tenant_id IS NOT DISTINCT FROM (SELECT c.tenant_id FROM concerto.context_now c)
              OR (SELECT c.regional FROM concerto.context_now c));

-- Staff read their own roles in every hospital (the profile lists them),
-- without a regional scope.
CREATE POLICY own_roles ON user_roles FOR SELECT
  USING (user_id = (SELECT c.user_id FROM concerto.context_now c));

-- The audit trail's reader: a patient session reads the rows about that
-- patient kept by the hospital that gave the link (0011 refines the rest).
DROP POLICY audit_read ON audit_log;
CREATE POLICY audit_read ON audit_log FOR SELECT USING (
  tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c) OR
  (patient_id = (SELECT c.patient_id FROM concerto.context_now c) AND tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)));

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
