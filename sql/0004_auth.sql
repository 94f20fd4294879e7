-- Resolving a caller. These functions run as the schema owner so they can
-- read sessions and roles before a hospital is chosen; each sets the
-- transaction's identity context that RLS policies and modules read:
-- app.user_id, app.tenant_id, app.patient_id (never app.regional, which
-- only core administration handlers switch on explicitly).

CREATE TYPE caller AS (
    session_id      bigint,
    kind            text,     -- 'staff', 'patient' or 'token'
    user_id         bigint,
    username        text,
    display_name    text,
    regional_admin  boolean,
    language        text,
    patient_id      bigint,
    scope_kind      text,
    scope_ref       text,
    tenant_id       bigint,
    tenant_code     text,
    roles           text[],
    csrf_token      text
);

-- The staff or patient session whose cookie hashes to p_token_hash, with
-- the hospital p_tenant_code (or the session's current one) when the user
-- holds a role there or is a regional administrator. No row: no session.
CREATE FUNCTION auth_session(p_token_hash text, p_tenant_code text,
                             p_idle_seconds integer)
RETURNS SETOF caller
LANGUAGE plpgsql SECURITY DEFINER SET search_path = concerto, pg_catalog AS
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
    PERFORM set_config('app.patient_id', s.patient_id::text, true);
    PERFORM set_config('app.tenant_id', s.scope_tenant_id::text, true);
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
    PERFORM set_config('app.tenant_id', t.id::text, true);
    SELECT array_agg(role ORDER BY role) INTO r FROM user_roles
     WHERE user_id = u.id AND tenant_id = t.id;
    IF r IS NULL AND NOT u.regional_admin THEN
      PERFORM set_config('app.tenant_id', '', true);
    ELSE
      c.tenant_id := t.id;
      c.tenant_code := t.code;
    END IF;
  END IF;
  c.roles := coalesce(r, ARRAY[]::text[]);
  PERFORM set_config('app.user_id', u.id::text, true);
  RETURN NEXT c;
END
$$;

-- The API token hashing to p_token_hash: its hospital and its one role.
CREATE FUNCTION auth_token(p_token_hash text)
RETURNS SETOF caller
LANGUAGE plpgsql SECURITY DEFINER SET search_path = concerto, pg_catalog AS
$$
DECLARE
  k api_tokens;
  c caller;
  found_token boolean;
  scope text := current_setting('app.regional', true);
BEGIN
  PERFORM set_config('app.regional', 'on', true);
  SELECT * INTO k FROM api_tokens WHERE token_hash = p_token_hash AND revoked_at IS NULL;
  found_token := FOUND; -- PERFORM below resets FOUND
  PERFORM set_config('app.regional', coalesce(scope, ''), true);
  IF NOT found_token THEN
    RETURN;
  END IF;
  PERFORM set_config('app.tenant_id', k.tenant_id::text, true);
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
  RETURN NEXT c;
END
$$;

GRANT EXECUTE ON FUNCTION auth_session(text, text, integer) TO concerto_app;
GRANT EXECUTE ON FUNCTION auth_token(text) TO concerto_app;
GRANT USAGE ON TYPE caller TO concerto_app;

-- Login throttling. throttle_fail records one failure for p_key and returns
-- how many seconds the key is now blocked: none for the first p_free
-- failures within 15 minutes, then 15 s doubling up to p_cap_seconds.
CREATE FUNCTION throttle_fail(p_key text, p_free integer, p_cap_seconds integer)
RETURNS integer
LANGUAGE plpgsql AS
$$
DECLARE
  f integer;
  wait integer := 0;
BEGIN
  INSERT INTO login_throttle AS t (key, failures, last_failure)
  VALUES (p_key, 1, now())
  ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN t.last_failure < now() - interval '15 minutes'
                    THEN 1 ELSE t.failures + 1 END,
    last_failure = now()
  RETURNING failures INTO f;
  IF f > p_free THEN
    wait := least(p_cap_seconds, 15 * (2 ^ least(f - p_free - 1, 16))::integer);
    UPDATE login_throttle SET blocked_until = now() + make_interval(secs => wait)
     WHERE key = p_key;
  END IF;
  RETURN wait;
END
$$;

-- Seconds any of p_keys is still blocked (0 = free to try).
CREATE FUNCTION throttle_wait(p_keys text[]) RETURNS integer
LANGUAGE sql STABLE AS
$$
  SELECT coalesce(ceil(max(extract(epoch FROM blocked_until - now())))::integer, 0)
    FROM login_throttle WHERE key = ANY (p_keys) AND blocked_until > now()
$$;

GRANT EXECUTE ON FUNCTION throttle_fail(text, integer, integer) TO concerto_app;
GRANT EXECUTE ON FUNCTION throttle_wait(text[]) TO concerto_app;
