-- The decision about a patient is a medico-legal record: one participant
-- must never silently replace another's. Each decision is an entry with
-- its author and time; a correction is a new entry naming the one it
-- corrects. Entries are never changed or deleted - not by the handlers
-- (no UPDATE/DELETE policy) and not by anyone else (a trigger refuses
-- it, the table owner included). session_patients.decision keeps the
-- latest entry's text for the lists that show "the" decision.

CREATE TABLE decision_entries (
    id                 bigserial PRIMARY KEY,
    session_id         bigint NOT NULL REFERENCES sessions (id),
    session_patient_id bigint NOT NULL REFERENCES session_patients (id),
    body               text NOT NULL CHECK (length(body) BETWEEN 1 AND 8000),
    author_user_id     bigint NOT NULL REFERENCES concerto.users (id),
    -- the name as it was when written (the record does not follow renames,
    -- and participants of other hospitals read it without the directory)
    author_name        text NOT NULL CHECK (length(author_name) BETWEEN 1 AND 200),
    corrects           bigint REFERENCES decision_entries (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (corrects IS NULL OR corrects < id)
);
CREATE INDEX decision_entries_patient ON decision_entries (session_patient_id, id);

-- The single decision written so far becomes the first entry (before RLS,
-- which would hide the rows from the migration).
INSERT INTO decision_entries (session_id, session_patient_id, body,
                              author_user_id, author_name, created_at)
SELECT sp.session_id, sp.id, sp.decision, sp.decided_by,
       left(coalesce(nullif(u.display_name, ''), u.username), 200),
       coalesce(sp.decided_at, now())
FROM session_patients sp JOIN concerto.users u ON u.id = sp.decided_by
WHERE sp.decision IS NOT NULL AND length(sp.decision) >= 1;

CREATE FUNCTION decision_entries_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = teleconsult, pg_catalog, pg_temp AS
$$
BEGIN
  RAISE EXCEPTION 'decision entries are never changed or deleted: add a correction'
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER decision_entries_append_only BEFORE UPDATE OR DELETE
  ON decision_entries FOR EACH ROW EXECUTE FUNCTION decision_entries_append_only();
CREATE TRIGGER decision_entries_no_truncate BEFORE TRUNCATE
  ON decision_entries FOR EACH STATEMENT EXECUTE FUNCTION decision_entries_append_only();

ALTER TABLE decision_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE decision_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY read_via_session ON decision_entries FOR SELECT
  USING (EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id));
CREATE POLICY author_insert ON decision_entries FOR INSERT
  WITH CHECK ((session_owned(session_id) OR session_participant(session_id))
              AND author_user_id = (SELECT c.user_id FROM concerto.context_now c));

GRANT SELECT, INSERT ON decision_entries TO concerto_app;
GRANT USAGE, SELECT ON SEQUENCE decision_entries_id_seq TO concerto_app;
