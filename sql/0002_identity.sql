-- Identity and tenancy: hospitals (tenants) and their sites, module
-- enablement, staff accounts and their roles per hospital, patients,
-- sessions, API tokens, patient one-time links, login throttling.
--
-- Isolation: the server works as role concerto_app, which owns nothing and
-- is subject to row-level security. Every hospital-owned table carries
-- tenant_id and a policy restricting rows to the hospital set for the
-- transaction (app.tenant_id), or to every hospital when the transaction is
-- a regional administrator's (app.regional = 'on'). A query that forgets its
-- WHERE clause therefore still sees one hospital only.

-- Roles belong to the cluster, not to one database: two databases of one
-- cluster migrating at once may both try to create it (the migration lock
-- is per database), and the loser finds it made.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'concerto_app') THEN
    CREATE ROLE concerto_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;
GRANT USAGE ON SCHEMA concerto TO concerto_app;

-- The hospital of the current transaction, NULL when none is set.
CREATE FUNCTION current_tenant() RETURNS bigint
LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint $$;

CREATE FUNCTION is_regional() RETURNS boolean
LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('app.regional', true), '') = 'on' $$;

-- Modules call this from their migrations for each hospital-owned table:
-- it forces RLS (also for the owner) with the standard tenant policy and
-- grants the application role its DML.
CREATE FUNCTION enable_tenant_rls(tbl regclass) RETURNS void
LANGUAGE plpgsql AS
$$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING '
                 '(tenant_id = concerto.current_tenant() OR concerto.is_regional()) '
                 'WITH CHECK (tenant_id = concerto.current_tenant() OR concerto.is_regional())', tbl);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO concerto_app', tbl);
END
$$;

CREATE TABLE tenants (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('ASL', 'AO', 'AOU', 'IRCCS')),
    hub         boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- Hospitals are regional reference data: every user may read the list.
GRANT SELECT, INSERT, UPDATE ON tenants TO concerto_app;
GRANT USAGE ON SEQUENCE tenants_id_seq TO concerto_app;

CREATE TABLE sites (
    id         bigserial PRIMARY KEY,
    tenant_id  bigint NOT NULL REFERENCES tenants (id),
    code       text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    city       text,
    UNIQUE (tenant_id, code)
);
SELECT enable_tenant_rls('sites');
GRANT USAGE ON SEQUENCE sites_id_seq TO concerto_app;

CREATE TABLE tenant_modules (
    tenant_id  bigint NOT NULL REFERENCES tenants (id),
    module     text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]{0,31}$'),
    enabled    boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by bigint,
    PRIMARY KEY (tenant_id, module)
);
SELECT enable_tenant_rls('tenant_modules');

-- Staff accounts are regional identities: one doctor may work for two
-- hospitals with different roles (user_roles).
CREATE TABLE users (
    id               bigserial PRIMARY KEY,
    username         text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    display_name     text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    email            text CHECK (email IS NULL OR length(email) <= 254),
    fiscal_code      text UNIQUE,
    password_hash    text,
    auth_source      text NOT NULL DEFAULT 'local' CHECK (auth_source IN ('local', 'ldap')),
    regional_admin   boolean NOT NULL DEFAULT false,
    language         text NOT NULL DEFAULT 'it' CHECK (language IN ('it', 'en')),
    disabled         boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON users TO concerto_app;
GRANT USAGE ON SEQUENCE users_id_seq TO concerto_app;

CREATE TABLE user_roles (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id  bigint NOT NULL REFERENCES tenants (id),
    role       text NOT NULL CHECK (role IN (
                 'hospital_admin', 'hospital_it', 'organizer', 'specialist',
                 'requesting_doctor', 'radiologist', 'radiographer', 'helpdesk',
                 'bi_viewer', 'privacy_officer')),
    PRIMARY KEY (user_id, tenant_id, role)
);
SELECT enable_tenant_rls('user_roles');

-- Patients are a regional identity too (the ARA registry's shape).
CREATE TABLE patients (
    id            bigserial PRIMARY KEY,
    fiscal_code   text NOT NULL UNIQUE CHECK (fiscal_code ~ '^[A-Z0-9]{16}$'),
    surname       text NOT NULL CHECK (length(surname) BETWEEN 1 AND 100),
    given_name    text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
    birth_date    date NOT NULL,
    birth_place   text CHECK (length(birth_place) <= 100),
    sex           text NOT NULL CHECK (sex IN ('M', 'F')),
    email         text CHECK (email IS NULL OR length(email) <= 254),
    phone         text CHECK (phone IS NULL OR phone ~ '^\+?[0-9 ]{6,20}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    bigint
);
CREATE INDEX patients_names ON patients (lower(surname), lower(given_name));
GRANT SELECT, INSERT, UPDATE ON patients TO concerto_app;
GRANT USAGE ON SEQUENCE patients_id_seq TO concerto_app;

-- Server-side sessions. Only a SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    id                bigserial PRIMARY KEY,
    token_hash        text NOT NULL UNIQUE,
    kind              text NOT NULL CHECK (kind IN ('staff', 'patient')),
    user_id           bigint REFERENCES users (id) ON DELETE CASCADE,
    patient_id        bigint REFERENCES patients (id),
    scope_tenant_id   bigint REFERENCES tenants (id),
    scope_kind        text,
    scope_ref         text,
    current_tenant_id bigint REFERENCES tenants (id),
    csrf_token        text NOT NULL,
    client_addr       inet,
    user_agent        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_seen_at      timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    revoked_at        timestamptz,
    CHECK ((kind = 'staff' AND user_id IS NOT NULL) OR
           (kind = 'patient' AND patient_id IS NOT NULL))
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;
GRANT SELECT, INSERT, UPDATE ON sessions TO concerto_app;
GRANT USAGE ON SEQUENCE sessions_id_seq TO concerto_app;

-- System-to-system callers: a hashed bearer token scoped to one hospital
-- and one role.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role        text NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at  timestamptz
);
SELECT enable_tenant_rls('api_tokens');
GRANT USAGE ON SEQUENCE api_tokens_id_seq TO concerto_app;

-- Patient one-time access links: single use, short expiry, one scope.
CREATE TABLE access_links (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    patient_id  bigint NOT NULL REFERENCES patients (id),
    token_hash  text NOT NULL UNIQUE,
    scope_kind  text NOT NULL CHECK (scope_kind IN ('appointment', 'documents')),
    scope_ref   text NOT NULL CHECK (length(scope_ref) BETWEEN 1 AND 100),
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
SELECT enable_tenant_rls('access_links');
GRANT USAGE ON SEQUENCE access_links_id_seq TO concerto_app;

-- Failed attempts per key ('user:<name>', 'addr:<ip>', 'link:<ip>'), for
-- backoff. Keyed by the name typed, not the account, so throttling looks
-- the same whether or not the account exists.
CREATE TABLE login_throttle (
    key           text PRIMARY KEY CHECK (length(key) <= 300),
    failures      integer NOT NULL DEFAULT 0,
    last_failure  timestamptz NOT NULL DEFAULT now(),
    blocked_until timestamptz
);
GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO concerto_app;

-- A hospital's directory (LDAP / Active Directory). The bind password is
-- write-only through the API.
CREATE TABLE tenant_ldap (
    tenant_id     bigint PRIMARY KEY REFERENCES tenants (id),
    url           text NOT NULL CHECK (url ~ '^ldaps?://'),
    bind_dn       text,
    bind_password text,
    user_base     text NOT NULL,
    user_filter   text NOT NULL DEFAULT '(uid=%s)',
    group_base    text,
    group_filter  text DEFAULT '(&(objectClass=groupOfNames)(member=%s))',
    group_roles   jsonb NOT NULL DEFAULT '{}'::jsonb,
    start_tls     boolean NOT NULL DEFAULT false,
    timeout_ms    integer NOT NULL DEFAULT 3000 CHECK (timeout_ms BETWEEN 100 AND 30000),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_rls('tenant_ldap');
