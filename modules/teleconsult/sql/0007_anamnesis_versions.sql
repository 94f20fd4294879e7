-- An anamnesis linked to a session patient is a version, never replaced:
-- "Compila di nuovo" at the HUB adds a second version beside the SPOKE's,
-- both kept and shown. Each version carries the rendered form it was
-- filled with (labels, units, choices, section order), copied from the
-- filling hospital's scripts: participants of other hospitals cannot read
-- those, and the minutes must print labels, not codes.
-- session_patients.anamnesis_* keep the latest version for the lists.

CREATE TABLE anamnesis_entries (
    id                 bigserial PRIMARY KEY,
    session_id         bigint NOT NULL REFERENCES sessions (id),
    session_patient_id bigint NOT NULL REFERENCES session_patients (id),
    submission_id      bigint NOT NULL,
    form_id            text NOT NULL,
    form_version       integer,
    form               jsonb,          -- the rendered form of that version
    hospital           text NOT NULL,  -- the filling hospital's code
    answers            jsonb NOT NULL,
    linked_by          bigint REFERENCES concerto.users (id),
    linked_by_name     text,
    linked_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX anamnesis_entries_patient ON anamnesis_entries (session_patient_id, id);

-- The anamnesis linked so far becomes version 1 (before RLS, which would
-- hide the rows from the migration).
INSERT INTO anamnesis_entries (session_id, session_patient_id, submission_id,
                               form_id, form_version, form, hospital, answers,
                               linked_at)
SELECT sp.session_id, sp.id, sp.anamnesis_submission_id, sp.anamnesis_form_id,
       sp.anamnesis_form_version,
       (SELECT sc.rendered FROM concerto.scripts sc JOIN concerto.tenants t
          ON t.id = sc.tenant_id
        WHERE t.code = sp.anamnesis_hospital AND sc.kind = 'form'
          AND sc.script_id = sp.anamnesis_form_id
          AND sc.version = sp.anamnesis_form_version),
       sp.anamnesis_hospital, sp.anamnesis_answers, coalesce(sp.anamnesis_at, now())
FROM session_patients sp
WHERE sp.anamnesis_submission_id IS NOT NULL AND sp.anamnesis_answers IS NOT NULL;

CREATE FUNCTION anamnesis_entries_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = teleconsult, pg_catalog, pg_temp AS
$$
BEGIN
  RAISE EXCEPTION 'anamnesis versions are never changed or deleted: link a new one'
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER anamnesis_entries_append_only BEFORE UPDATE OR DELETE
  ON anamnesis_entries FOR EACH ROW EXECUTE FUNCTION anamnesis_entries_append_only();

ALTER TABLE anamnesis_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE anamnesis_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY read_via_session ON anamnesis_entries FOR SELECT
  USING (EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id));
CREATE POLICY linker_insert ON anamnesis_entries FOR INSERT
  WITH CHECK ((session_owned(session_id) OR session_participant(session_id))
              AND linked_by = (SELECT c.user_id FROM concerto.context_now c));

GRANT SELECT, INSERT ON anamnesis_entries TO concerto_app;
GRANT USAGE, SELECT ON SEQUENCE anamnesis_entries_id_seq TO concerto_app;
