-- Per-hospital Lua: anamnesis forms, rules and shared libraries. Every
-- upload is a new version (never edited); script_active says which version
-- of each script runs. At most 15 forms may be active per hospital
-- (enforced by the API with a clear 409, and here by a trigger as the last
-- line). Form submissions keep the version they were filled with, and the
-- rendered form of every version is kept, so an old submission stays
-- readable after the form changes.

CREATE TABLE scripts (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL DEFAULT current_tenant() REFERENCES tenants (id),
    kind        text NOT NULL CHECK (kind IN ('form', 'rules', 'lib')),
    script_id   text NOT NULL CHECK (script_id ~ '^[a-z][a-z0-9_]{0,63}$'),
    version     integer NOT NULL CHECK (version >= 1),
    source      text NOT NULL CHECK (length(source) <= 262144),
    title       text,
    rendered    jsonb,
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, kind, script_id, version)
);
SELECT enable_tenant_rls('scripts');
GRANT USAGE ON SEQUENCE scripts_id_seq TO concerto_app;

CREATE TABLE script_active (
    tenant_id    bigint NOT NULL DEFAULT current_tenant() REFERENCES tenants (id),
    kind         text NOT NULL,
    script_id    text NOT NULL,
    version      integer NOT NULL,
    activated_by bigint REFERENCES users (id),
    activated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, kind, script_id),
    FOREIGN KEY (tenant_id, kind, script_id, version)
      REFERENCES scripts (tenant_id, kind, script_id, version)
);
SELECT enable_tenant_rls('script_active');

CREATE FUNCTION script_form_limit() RETURNS trigger
LANGUAGE plpgsql AS
$$
BEGIN
  IF NEW.kind = 'form' AND (SELECT count(*) FROM script_active a
       WHERE a.tenant_id = NEW.tenant_id AND a.kind = 'form'
         AND a.script_id <> NEW.script_id) >= 15 THEN
    RAISE EXCEPTION 'form_limit_reached' USING ERRCODE = '23P01';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER script_form_limit BEFORE INSERT OR UPDATE ON script_active
  FOR EACH ROW EXECUTE FUNCTION script_form_limit();

-- The hospital's script set changes whenever an activation changes; the
-- generation lets each server's cached Lua states notice.
CREATE TABLE script_sets (
    tenant_id  bigint PRIMARY KEY DEFAULT current_tenant() REFERENCES tenants (id),
    generation bigint NOT NULL DEFAULT 1
);
SELECT enable_tenant_rls('script_sets');

CREATE TABLE form_submissions (
    id           bigserial PRIMARY KEY,
    tenant_id    bigint NOT NULL DEFAULT current_tenant() REFERENCES tenants (id),
    form_kind    text NOT NULL DEFAULT 'form' CHECK (form_kind = 'form'),
    form_id      text NOT NULL,
    form_version integer NOT NULL,
    patient_id   bigint REFERENCES patients (id),
    subject      text CHECK (length(subject) <= 200),
    answers      jsonb NOT NULL,
    created_by   bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, form_kind, form_id, form_version)
      REFERENCES scripts (tenant_id, kind, script_id, version)
);
SELECT enable_tenant_rls('form_submissions');
GRANT USAGE ON SEQUENCE form_submissions_id_seq TO concerto_app;
