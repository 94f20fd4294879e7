-- Whose account is it (docs/security.md, "Accounts and hospitals").
--
-- Staff accounts are regional (one doctor may work for two hospitals), but
-- each belongs to one hospital: the one that created it (home_tenant_id),
-- or, for an account a hospital's directory created, that directory
-- (directory_tenant_id, with the directory entry it stands for). Before,
-- a directory login matched accounts by username only, so hospital A could
-- point its directory at a server it controls and log in as B's directory
-- user with B's roles.
--
--   - A directory account is only ever that directory's: it is found by
--     (hospital, entry) - the entry's entryUUID / objectGUID, else its DN -
--     never by name. The same login name in another hospital's directory is
--     another account (named "<login>.<hospital code>" when the plain name
--     is taken).
--   - A hospital administrator grants roles in their hospital only to
--     accounts the hospital owns or that the owning hospital shared with it
--     (user_shares); regional administrators anywhere. PostgreSQL enforces
--     it on user_roles as well.

ALTER TABLE users ADD COLUMN home_tenant_id bigint REFERENCES tenants (id);
ALTER TABLE users ADD COLUMN directory_tenant_id bigint REFERENCES tenants (id);
ALTER TABLE users ADD COLUMN directory_login text CHECK (length(directory_login) <= 256);
ALTER TABLE users ADD COLUMN directory_entry text CHECK (length(directory_entry) <= 1024);
CREATE UNIQUE INDEX users_directory_entry ON users (directory_tenant_id, directory_entry)
  WHERE directory_entry IS NOT NULL;

-- Shares: hospital tenant_id may give roles to the account of another
-- hospital. Granted by the owning hospital (or the region).
CREATE TABLE user_shares (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id  bigint NOT NULL REFERENCES tenants (id),
    granted_by bigint REFERENCES users (id),
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, tenant_id)
);
ALTER TABLE user_shares ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_shares FORCE ROW LEVEL SECURITY;
-- The receiving hospital and the owning one see a share; the owner (or the
-- region) makes and ends it.
CREATE POLICY shares_read ON user_shares FOR SELECT USING (
  tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c) OR
  EXISTS (SELECT 1 FROM users u WHERE u.id = user_id
          AND u.home_tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)));
CREATE POLICY shares_owner_insert ON user_shares FOR INSERT WITH CHECK (
  (SELECT c.regional FROM concerto.context_now c) OR
  EXISTS (SELECT 1 FROM users u WHERE u.id = user_id
          AND u.home_tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)));
CREATE POLICY shares_owner_delete ON user_shares FOR DELETE USING (
  (SELECT c.regional FROM concerto.context_now c) OR
  EXISTS (SELECT 1 FROM users u WHERE u.id = user_id
          AND u.home_tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)));
GRANT SELECT, INSERT, DELETE ON user_shares TO concerto_app;

-- Existing accounts: the hospital where they hold roles is their home
-- (the lowest id when several, the others become shares); a directory
-- account is bound to that hospital's directory by its login name, and
-- gets its entry at its next login.
UPDATE users u SET home_tenant_id = r.tenant_id
  FROM (SELECT user_id, min(tenant_id) AS tenant_id FROM user_roles GROUP BY user_id) r
 WHERE r.user_id = u.id AND NOT u.regional_admin;
INSERT INTO user_shares (user_id, tenant_id)
  SELECT DISTINCT r.user_id, r.tenant_id FROM user_roles r JOIN users u ON u.id = r.user_id
   WHERE r.tenant_id <> u.home_tenant_id
ON CONFLICT DO NOTHING;
UPDATE users SET directory_tenant_id = home_tenant_id, directory_login = lower(username)
 WHERE auth_source = 'ldap';

-- Roles go only to accounts the hospital owns or was given.
CREATE POLICY owned_or_shared ON user_roles AS RESTRICTIVE FOR INSERT WITH CHECK (
  (SELECT c.regional FROM concerto.context_now c) OR
  EXISTS (SELECT 1 FROM users u WHERE u.id = user_id AND u.home_tenant_id = tenant_id) OR
  EXISTS (SELECT 1 FROM user_shares s WHERE s.user_id = user_roles.user_id
          AND s.tenant_id = user_roles.tenant_id));

-- A directory login, after the directory accepted the password: the
-- account bound to (p_tenant, p_entry), else a not-yet-bound account of
-- that directory with this login name (bound now), else a new account
-- named after the login (or "<login>.<hospital code>" when that is taken).
-- Never an account of another directory or a local one. Returns the user
-- id, or NULL when no name is free (the caller answers 409). Runs in the
-- server's system context (login), as the owner.
CREATE FUNCTION directory_account(p_tenant bigint, p_entry text, p_login text,
                                  p_display text, p_email text, p_fiscal text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  uid bigint;
  login text := lower(p_login);
  name text;
BEGIN
  IF (SELECT c.kind FROM concerto.context_now c) IS DISTINCT FROM 'system' THEN
    RAISE EXCEPTION 'directory accounts are the server''s to resolve'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT id INTO uid FROM users
   WHERE directory_tenant_id = p_tenant AND directory_entry = p_entry;
  IF uid IS NULL THEN
    UPDATE users SET directory_entry = p_entry
     WHERE id = (SELECT id FROM users WHERE directory_tenant_id = p_tenant
                    AND directory_entry IS NULL AND directory_login = login
                  ORDER BY id LIMIT 1)
    RETURNING id INTO uid;
  END IF;
  IF uid IS NULL THEN
    FOREACH name IN ARRAY ARRAY[login, login || '.' ||
                                lower((SELECT code FROM tenants WHERE id = p_tenant))] LOOP
      IF name ~ '^[a-z0-9][a-z0-9._-]{1,63}$' THEN
        INSERT INTO users (username, display_name, email, fiscal_code, auth_source,
                           home_tenant_id, directory_tenant_id, directory_login,
                           directory_entry)
        VALUES (name, coalesce(p_display, name), p_email,
                -- one person, one codice fiscale: only the first account
                CASE WHEN NOT EXISTS (SELECT 1 FROM users WHERE fiscal_code = p_fiscal)
                     THEN p_fiscal END,
                'ldap', p_tenant, p_tenant, login, p_entry)
        ON CONFLICT DO NOTHING
        RETURNING id INTO uid;
      END IF;
      EXIT WHEN uid IS NOT NULL;
      -- The same entry's first login in a concurrent transaction?
      SELECT id INTO uid FROM users
       WHERE directory_tenant_id = p_tenant AND directory_entry = p_entry;
      EXIT WHEN uid IS NOT NULL;
    END LOOP;
    IF uid IS NULL THEN
      RETURN NULL;
    END IF;
  END IF;
  UPDATE users SET display_name = coalesce(p_display, display_name), email = p_email,
                   directory_login = login
   WHERE id = uid;
  RETURN uid;
END
$$;
GRANT EXECUTE ON FUNCTION directory_account(bigint, text, text, text, text, text)
  TO concerto_app;

-- Ending a share takes back the roles given through it. Only the owning
-- hospital (or the region) may; the roles live in the other hospital's
-- rows, out of the owner's view, hence a function of the schema owner's.
CREATE FUNCTION user_unshare(p_user bigint, p_tenant bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  c record;
BEGIN
  SELECT * INTO c FROM context_fields();
  IF NOT (c.regional OR EXISTS (SELECT 1 FROM users u WHERE u.id = p_user
                                AND u.home_tenant_id = c.tenant_id)) THEN
    RAISE EXCEPTION 'only the hospital owning the account ends its shares'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM user_roles WHERE user_id = p_user AND tenant_id = p_tenant;
  DELETE FROM user_shares WHERE user_id = p_user AND tenant_id = p_tenant;
  RETURN FOUND;
END
$$;
GRANT EXECUTE ON FUNCTION user_unshare(bigint, bigint) TO concerto_app;
