-- Teleconsult: HUB groups, SPOKE requests, sessions with participants of
-- several hospitals. Isolation is enforced here with row-level security
-- (docs/modules/teleconsult-api.md) and checked again in C; FORCE makes the
-- policies apply to the table owner too.

-- The staff user of the transaction (set by the core with app.tenant_id).
CREATE FUNCTION current_user_id() RETURNS bigint
LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.user_id', true), '')::bigint $$;

CREATE TABLE groups (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL DEFAULT concerto.current_tenant()
                REFERENCES concerto.tenants (id),
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9-]{2,40}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    specialty   text NOT NULL CHECK (length(specialty) BETWEEN 1 AND 100),
    consultable boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, slug)
);
ALTER TABLE groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE groups FORCE ROW LEVEL SECURITY;
-- Consultable groups are the HUBs' shop window: every hospital reads them.
CREATE POLICY groups_read ON groups FOR SELECT USING
  (tenant_id = concerto.current_tenant() OR consultable OR concerto.is_regional());
CREATE POLICY groups_insert ON groups FOR INSERT WITH CHECK
  (tenant_id = concerto.current_tenant() OR concerto.is_regional());
CREATE POLICY groups_update ON groups FOR UPDATE
  USING (tenant_id = concerto.current_tenant() OR concerto.is_regional())
  WITH CHECK (tenant_id = concerto.current_tenant() OR concerto.is_regional());
CREATE POLICY groups_delete ON groups FOR DELETE USING
  (tenant_id = concerto.current_tenant() OR concerto.is_regional());

CREATE TABLE group_members (
    id         bigserial PRIMARY KEY,
    group_id   bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES concerto.users (id),
    specialty  text CHECK (length(specialty) <= 100),
    organizer  boolean NOT NULL DEFAULT false,
    UNIQUE (group_id, user_id)
);
ALTER TABLE group_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE group_members FORCE ROW LEVEL SECURITY;
CREATE POLICY members_read ON group_members FOR SELECT USING
  (EXISTS (SELECT 1 FROM groups g WHERE g.id = group_id));
CREATE POLICY members_write ON group_members FOR ALL
  USING (EXISTS (SELECT 1 FROM groups g WHERE g.id = group_id AND
         (g.tenant_id = concerto.current_tenant() OR concerto.is_regional())))
  WITH CHECK (EXISTS (SELECT 1 FROM groups g WHERE g.id = group_id AND
         (g.tenant_id = concerto.current_tenant() OR concerto.is_regional())));

-- A request belongs to the HUB that must answer it (tenant_id) and is seen
-- by the SPOKE that asked (requester_tenant_id). The SPOKE inserts it, so
-- WITH CHECK accepts either side being the caller's hospital.
CREATE TABLE requests (
    id                  bigserial PRIMARY KEY,
    tenant_id           bigint NOT NULL REFERENCES concerto.tenants (id),
    requester_tenant_id bigint NOT NULL DEFAULT concerto.current_tenant()
                        REFERENCES concerto.tenants (id),
    requester_user_id   bigint NOT NULL REFERENCES concerto.users (id),
    group_id            bigint NOT NULL REFERENCES groups (id),
    patient_id          bigint REFERENCES concerto.patients (id),
    specialty           text NOT NULL CHECK (length(specialty) BETWEEN 1 AND 100),
    urgency             text NOT NULL CHECK (urgency IN ('routine', 'urgent', 'emergency')),
    reason              text CHECK (length(reason) <= 200),
    question            text CHECK (length(question) <= 4000),
    priority            text,
    sla_hours           double precision,
    due_at              timestamptz,
    rule_decision       jsonb,
    rule_defaulted      boolean NOT NULL DEFAULT false,
    status              text NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'scheduled', 'closed', 'cancelled')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    scheduled_at        timestamptz,
    session_id          bigint
);
CREATE INDEX requests_hub ON requests (tenant_id, status);
CREATE INDEX requests_spoke ON requests (requester_tenant_id, status);
ALTER TABLE requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE requests FORCE ROW LEVEL SECURITY;
-- Writes: the HUB on its own rows; the SPOKE only rows it requested,
-- addressed to the hospital owning a consultable group.
CREATE POLICY requests_sides ON requests
  USING (tenant_id = concerto.current_tenant()
         OR requester_tenant_id = concerto.current_tenant()
         OR concerto.is_regional())
  WITH CHECK (tenant_id = concerto.current_tenant()
         OR concerto.is_regional()
         OR (requester_tenant_id = concerto.current_tenant()
             AND EXISTS (SELECT 1 FROM groups g
                         WHERE g.id = requests.group_id
                           AND g.tenant_id = requests.tenant_id
                           AND g.consultable)));

CREATE TABLE sessions (
    id                bigserial PRIMARY KEY,
    tenant_id         bigint NOT NULL DEFAULT concerto.current_tenant()
                      REFERENCES concerto.tenants (id),
    group_id          bigint NOT NULL REFERENCES groups (id),
    request_id        bigint REFERENCES requests (id),
    theme             text NOT NULL CHECK (length(theme) BETWEEN 1 AND 300),
    kind              text NOT NULL DEFAULT 'planned' CHECK (kind IN ('planned', 'urgent')),
    organizer_user_id bigint NOT NULL REFERENCES concerto.users (id),
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN
                      ('draft', 'scheduling', 'scheduled', 'in_progress', 'closed', 'cancelled')),
    starts_at         timestamptz,
    ends_at           timestamptz,
    room              text,
    outcome           text CHECK (length(outcome) <= 8000),
    created_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    started_at        timestamptz,
    closed_at         timestamptz
);
ALTER TABLE requests ADD FOREIGN KEY (session_id) REFERENCES sessions (id);

-- Who may see a session from another hospital: one row per staff
-- participant, kept by a trigger on participants. A separate table because
-- a sessions policy reading participants, whose own policy reads sessions,
-- would recurse.
CREATE TABLE session_access (
    session_id bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES concerto.users (id),
    tenant_id  bigint NOT NULL REFERENCES concerto.tenants (id),
    PRIMARY KEY (session_id, user_id)
);
ALTER TABLE session_access ENABLE ROW LEVEL SECURITY;
ALTER TABLE session_access FORCE ROW LEVEL SECURITY;
CREATE POLICY access_rows ON session_access
  USING (user_id = current_user_id() OR tenant_id = concerto.current_tenant()
         OR concerto.is_regional())
  WITH CHECK (tenant_id = concerto.current_tenant() OR concerto.is_regional());

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_read ON sessions FOR SELECT USING
  (tenant_id = concerto.current_tenant() OR concerto.is_regional()
   OR EXISTS (SELECT 1 FROM session_access a
              WHERE a.session_id = id AND a.user_id = current_user_id()));
-- Only the owning HUB changes a session (participants act on child rows).
CREATE POLICY sessions_insert ON sessions FOR INSERT WITH CHECK
  (tenant_id = concerto.current_tenant() OR concerto.is_regional());
CREATE POLICY sessions_update ON sessions FOR UPDATE
  USING (tenant_id = concerto.current_tenant() OR concerto.is_regional())
  WITH CHECK (tenant_id = concerto.current_tenant() OR concerto.is_regional());
CREATE POLICY sessions_delete ON sessions FOR DELETE USING
  (tenant_id = concerto.current_tenant() OR concerto.is_regional());

CREATE TABLE participants (
    id          bigserial PRIMARY KEY,
    session_id  bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('staff', 'external', 'patient')),
    user_id     bigint REFERENCES concerto.users (id),
    patient_id  bigint REFERENCES concerto.patients (id),
    name        text CHECK (length(name) <= 200),
    email       text CHECK (length(email) <= 254),
    phone       text CHECK (phone IS NULL OR phone ~ '^\+?[0-9 ]{6,20}$'),
    organizer   boolean NOT NULL DEFAULT false,
    invited_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'staff' AND user_id IS NOT NULL) OR
           (kind = 'patient' AND patient_id IS NOT NULL) OR
           (kind = 'external' AND name IS NOT NULL AND email IS NOT NULL)),
    UNIQUE (session_id, user_id),
    UNIQUE (session_id, patient_id)
);

CREATE TABLE slots (
    id         bigserial PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    chosen     boolean NOT NULL DEFAULT false,
    CHECK (ends_at > starts_at)
);

CREATE TABLE availability (
    slot_id        bigint NOT NULL REFERENCES slots (id) ON DELETE CASCADE,
    participant_id bigint NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    answer         text NOT NULL CHECK (answer IN ('yes', 'no', 'maybe')),
    answered_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (slot_id, participant_id)
);

CREATE TABLE session_patients (
    id                      bigserial PRIMARY KEY,
    session_id              bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    patient_id              bigint NOT NULL REFERENCES concerto.patients (id),
    anamnesis_form_id       text,
    anamnesis_submission_id bigint,
    -- A copy of the linked answers: the submission itself stays under its
    -- hospital's RLS (a SPOKE doctor's form is not readable at the HUB), the
    -- session's participants share this copy by explicit participation.
    anamnesis_form_version  integer,
    anamnesis_hospital      text,
    anamnesis_answers       jsonb,
    anamnesis_at            timestamptz,
    decision                text CHECK (length(decision) <= 8000),
    decided_by              bigint REFERENCES concerto.users (id),
    decided_at              timestamptz,
    minutes_sha256          text,
    minutes_at              timestamptz,
    UNIQUE (session_id, patient_id)
);

CREATE TABLE documents (
    id                 bigserial PRIMARY KEY,
    session_id         bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    session_patient_id bigint REFERENCES session_patients (id) ON DELETE SET NULL,
    sha256             text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    filename           text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    content_type       text NOT NULL,
    length             bigint NOT NULL,
    uploaded_by        bigint REFERENCES concerto.users (id),
    uploaded_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE comments (
    id             bigserial PRIMARY KEY,
    session_id     bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    author_user_id bigint NOT NULL REFERENCES concerto.users (id),
    body           text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Child rows are visible (and writable) exactly when their session is.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['participants', 'slots', 'session_patients',
                           'documents', 'comments'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY via_session ON %I '
                   'USING (EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id)) '
                   'WITH CHECK (EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id))', t);
  END LOOP;
END
$$;
ALTER TABLE availability ENABLE ROW LEVEL SECURITY;
ALTER TABLE availability FORCE ROW LEVEL SECURITY;
CREATE POLICY via_slot ON availability
  USING (EXISTS (SELECT 1 FROM slots s WHERE s.id = slot_id))
  WITH CHECK (EXISTS (SELECT 1 FROM slots s WHERE s.id = slot_id));

-- Keeps session_access in step with the staff participants.
CREATE FUNCTION participants_access() RETURNS trigger
LANGUAGE plpgsql AS
$$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.user_id IS NOT NULL THEN
    INSERT INTO teleconsult.session_access (session_id, user_id, tenant_id)
    SELECT NEW.session_id, NEW.user_id, s.tenant_id
      FROM teleconsult.sessions s WHERE s.id = NEW.session_id
    ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' AND OLD.user_id IS NOT NULL THEN
    DELETE FROM teleconsult.session_access
     WHERE session_id = OLD.session_id AND user_id = OLD.user_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER participants_access AFTER INSERT OR DELETE ON participants
  FOR EACH ROW EXECUTE FUNCTION participants_access();

CREATE INDEX participants_session ON participants (session_id);
CREATE INDEX slots_session ON slots (session_id);
CREATE INDEX session_patients_session ON session_patients (session_id);
CREATE INDEX documents_session ON documents (session_id);
CREATE INDEX comments_session ON comments (session_id, created_at);

-- R3.12: one row per request and per session without a request, with the
-- times the region measures. security_invoker: the caller's RLS applies.
CREATE VIEW indicators WITH (security_invoker = true) AS
SELECT r.id::text AS request_id, s.id::text AS session_id,
       coalesce(r.tenant_id, s.tenant_id) AS hub_tenant_id,
       hub.code AS hub_hospital, spoke.code AS requester_hospital,
       coalesce(r.specialty, g.specialty) AS specialty,
       coalesce(r.urgency, CASE s.kind WHEN 'urgent' THEN 'urgent' ELSE 'routine' END) AS urgency,
       r.priority, r.sla_hours,
       coalesce(r.created_at, s.created_at) AS requested_at,
       r.due_at, s.confirmed_at, s.starts_at, s.started_at, s.closed_at,
       coalesce(s.status, r.status) AS status, s.outcome,
       round((extract(epoch FROM (coalesce(s.starts_at, s.confirmed_at) - r.created_at)) / 3600.0)::numeric, 2)
         AS hours_to_session,
       round((extract(epoch FROM (s.closed_at - coalesce(r.created_at, s.created_at))) / 3600.0)::numeric, 2)
         AS hours_to_close,
       CASE WHEN r.due_at IS NULL OR s.starts_at IS NULL THEN NULL
            ELSE s.starts_at <= r.due_at END AS sla_met,
       (SELECT count(*) FROM session_patients sp WHERE sp.session_id = s.id) AS patients
  FROM requests r
  FULL JOIN sessions s ON s.id = r.session_id
  LEFT JOIN groups g ON g.id = coalesce(s.group_id, r.group_id)
  LEFT JOIN concerto.tenants hub ON hub.id = coalesce(r.tenant_id, s.tenant_id)
  LEFT JOIN concerto.tenants spoke ON spoke.id = r.requester_tenant_id;
GRANT SELECT ON indicators TO concerto_app;

-- ISO 8601 text to timestamptz, NULL when malformed (a clean 422 instead of
-- a failed statement).
CREATE FUNCTION try_timestamptz(t text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS
$$
BEGIN
  IF t IS NULL OR t !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}' THEN
    RETURN NULL;
  END IF;
  RETURN t::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

-- Where a staff participant works, recorded when known (a session's
-- participants come from several hospitals and user_roles is per hospital).
ALTER TABLE participants ADD COLUMN hospital_id bigint REFERENCES concerto.tenants (id);

-- What enable_tenant_rls grants, for every table of the module (the core
-- grants the same after each migration; explicit here for readers).
GRANT USAGE ON SCHEMA teleconsult TO concerto_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA teleconsult TO concerto_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA teleconsult TO concerto_app;
