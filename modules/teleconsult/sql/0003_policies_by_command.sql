-- Row-level security by command (docs/modules/teleconsult-api.md,
-- "Isolation"). Until now every child table of a session had one policy for
-- all commands - "visible when its session is" - so a participant from
-- another hospital could, at the database level, add or delete
-- participants, slots, patients, documents and comments of the HUB's
-- session. Each command now has the rights the module's handlers give:
--
--   table             read            insert / update / delete
--   participants      session seen    the owning HUB
--   slots             session seen    the owning HUB
--   availability      slot seen       one's own participant row (insert,
--                                     update); nobody deletes (cascades do)
--   session_patients  session seen    HUB adds and removes; HUB or a staff
--                                     participant updates the anamnesis link
--                                     and the decision only (trigger)
--   documents         session seen    HUB or staff participant, as uploader;
--                                     never changed or deleted
--   comments          session seen    HUB or staff participant, as author;
--                                     never changed or deleted
--   requests          HUB or SPOKE    SPOKE inserts for a consultable group;
--                                     HUB or SPOKE updates; nobody deletes
--   session_access    own rows, HUB   the HUB (the participants trigger)
--
-- Policies read the core's context (core migration 0010) once per
-- statement, from the view concerto.context_now: (SELECT c.tenant_id FROM
-- concerto.context_now c) and friends.

-- The staff user of the transaction, from the core's context (the
-- app.user_id setting this read before could be set by any SQL).
CREATE OR REPLACE FUNCTION current_user_id() RETURNS bigint
LANGUAGE sql STABLE SET search_path = teleconsult, pg_catalog, pg_temp AS
$$ SELECT user_id FROM concerto.context_now $$;

-- Whether the caller belongs to the hospital owning session `sid`.
CREATE FUNCTION session_owned(sid bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path = teleconsult, pg_catalog, pg_temp AS
$$ SELECT EXISTS (SELECT 1 FROM sessions s WHERE s.id = sid
                  AND (s.tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
                       OR (SELECT c.regional FROM concerto.context_now c))) $$;

-- Whether the caller is a staff participant of session `sid`.
CREATE FUNCTION session_participant(sid bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path = teleconsult, pg_catalog, pg_temp AS
$$ SELECT EXISTS (SELECT 1 FROM session_access a WHERE a.session_id = sid
                  AND a.user_id = (SELECT c.user_id FROM concerto.context_now c)) $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['participants', 'slots', 'session_patients',
                           'documents', 'comments'] LOOP
    EXECUTE format('DROP POLICY via_session ON %I', t);
    EXECUTE format('CREATE POLICY read_via_session ON %I FOR SELECT '
                   'USING (EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id))', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['participants', 'slots'] LOOP
    EXECUTE format('CREATE POLICY hub_insert ON %I FOR INSERT '
                   'WITH CHECK (session_owned(session_id))', t);
    EXECUTE format('CREATE POLICY hub_update ON %I FOR UPDATE '
                   'USING (session_owned(session_id)) WITH CHECK (session_owned(session_id))', t);
    EXECUTE format('CREATE POLICY hub_delete ON %I FOR DELETE '
                   'USING (session_owned(session_id))', t);
  END LOOP;
END
$$;

CREATE POLICY hub_insert ON session_patients FOR INSERT
  WITH CHECK (session_owned(session_id));
CREATE POLICY hub_delete ON session_patients FOR DELETE
  USING (session_owned(session_id));
CREATE POLICY hub_or_participant_update ON session_patients FOR UPDATE
  USING (session_owned(session_id) OR session_participant(session_id))
  WITH CHECK (session_owned(session_id) OR session_participant(session_id));

-- A participant of another hospital changes only what the handlers let
-- participants change: the anamnesis link and the decision.
CREATE FUNCTION session_patients_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = teleconsult, pg_catalog, pg_temp AS
$$
BEGIN
  IF NOT session_owned(OLD.session_id) AND
     (NEW.id, NEW.session_id, NEW.patient_id, NEW.minutes_sha256, NEW.minutes_at)
       IS DISTINCT FROM
     (OLD.id, OLD.session_id, OLD.patient_id, OLD.minutes_sha256, OLD.minutes_at) THEN
    RAISE EXCEPTION 'only the owning hospital changes who a session patient is or their minutes'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER session_patients_guard BEFORE UPDATE ON session_patients
  FOR EACH ROW EXECUTE FUNCTION session_patients_guard();

CREATE POLICY author_insert ON documents FOR INSERT
  WITH CHECK ((session_owned(session_id) OR session_participant(session_id))
              AND uploaded_by = (SELECT c.user_id FROM concerto.context_now c));
CREATE POLICY author_insert ON comments FOR INSERT
  WITH CHECK ((session_owned(session_id) OR session_participant(session_id))
              AND author_user_id = (SELECT c.user_id FROM concerto.context_now c));

DROP POLICY via_slot ON availability;
CREATE POLICY read_via_slot ON availability FOR SELECT
  USING (EXISTS (SELECT 1 FROM slots s WHERE s.id = slot_id));
CREATE POLICY own_answer_insert ON availability FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM slots s WHERE s.id = slot_id)
              AND EXISTS (SELECT 1 FROM participants p WHERE p.id = participant_id
                          AND p.user_id = (SELECT c.user_id FROM concerto.context_now c)));
CREATE POLICY own_answer_update ON availability FOR UPDATE
  USING (EXISTS (SELECT 1 FROM participants p WHERE p.id = participant_id
                 AND p.user_id = (SELECT c.user_id FROM concerto.context_now c)))
  WITH CHECK (EXISTS (SELECT 1 FROM participants p WHERE p.id = participant_id
                      AND p.user_id = (SELECT c.user_id FROM concerto.context_now c)));

-- Requests: both sides read; the SPOKE files one for a consultable group
-- of the HUB it names; either side changes its state; nobody deletes.
DROP POLICY requests_sides ON requests;
CREATE POLICY sides_read ON requests FOR SELECT
  USING (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
         OR requester_tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
         OR (SELECT c.regional FROM concerto.context_now c));
CREATE POLICY spoke_insert ON requests FOR INSERT
  WITH CHECK ((SELECT c.regional FROM concerto.context_now c)
              OR (requester_tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
                  AND EXISTS (SELECT 1 FROM groups g
                              WHERE g.id = requests.group_id
                                AND g.tenant_id = requests.tenant_id
                                AND g.consultable)));
CREATE POLICY sides_update ON requests FOR UPDATE
  USING (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
         OR requester_tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
         OR (SELECT c.regional FROM concerto.context_now c))
  WITH CHECK (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
              OR requester_tenant_id = (SELECT c.tenant_id FROM concerto.context_now c)
              OR (SELECT c.regional FROM concerto.context_now c));

DROP POLICY access_rows ON session_access;
CREATE POLICY access_read ON session_access FOR SELECT
  USING (user_id = (SELECT c.user_id FROM concerto.context_now c)
         OR tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c));
CREATE POLICY access_hub_insert ON session_access FOR INSERT
  WITH CHECK (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c));
CREATE POLICY access_hub_delete ON session_access FOR DELETE
  USING (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c));

-- The remaining policies, once per statement as well.
DROP POLICY sessions_read ON sessions;
CREATE POLICY sessions_read ON sessions FOR SELECT USING
  (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c)
   OR EXISTS (SELECT 1 FROM session_access a
              WHERE a.session_id = id AND a.user_id = (SELECT c.user_id FROM concerto.context_now c)));
DROP POLICY sessions_insert ON sessions;
CREATE POLICY sessions_insert ON sessions FOR INSERT WITH CHECK
  (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c));
DROP POLICY sessions_update ON sessions;
CREATE POLICY sessions_update ON sessions FOR UPDATE
  USING (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c))
  WITH CHECK (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c));
DROP POLICY sessions_delete ON sessions;
CREATE POLICY sessions_delete ON sessions FOR DELETE USING
  (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c));

DROP POLICY groups_read ON groups;
CREATE POLICY groups_read ON groups FOR SELECT USING
  (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR consultable OR (SELECT c.regional FROM concerto.context_now c));
DROP POLICY groups_insert ON groups;
CREATE POLICY groups_insert ON groups FOR INSERT WITH CHECK
  (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c));
DROP POLICY groups_update ON groups;
CREATE POLICY groups_update ON groups FOR UPDATE
  USING (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c))
  WITH CHECK (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c));
DROP POLICY groups_delete ON groups;
CREATE POLICY groups_delete ON groups FOR DELETE USING
  (tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c));

DROP POLICY members_write ON group_members;
CREATE POLICY members_insert ON group_members FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM groups g WHERE g.id = group_id AND
              (g.tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c))));
CREATE POLICY members_update ON group_members FOR UPDATE
  USING (EXISTS (SELECT 1 FROM groups g WHERE g.id = group_id AND
         (g.tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c))))
  WITH CHECK (EXISTS (SELECT 1 FROM groups g WHERE g.id = group_id AND
              (g.tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c))));
CREATE POLICY members_delete ON group_members FOR DELETE
  USING (EXISTS (SELECT 1 FROM groups g WHERE g.id = group_id AND
         (g.tenant_id = (SELECT c.tenant_id FROM concerto.context_now c) OR (SELECT c.regional FROM concerto.context_now c))));

-- A guest's link, found before any hospital is known. On a match the
-- function itself binds the transaction to the session's hospital as a
-- guest (concerto.context_guest, which only the schema owner's functions
-- may call); the module's C code then asks the core to take the guest on
-- (req_bind_guest), which checks this context.
CREATE OR REPLACE FUNCTION guest_invitation(p_join_hash text)
RETURNS TABLE (participant_id text, kind text, name text, email text,
               patient_id text, organizer boolean, session_id text,
               tenant_id text, status text, theme text, room text,
               starts_epoch bigint, ends_epoch bigint, starts_at text,
               ends_at text, hospital text, organizer_name text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = teleconsult, pg_catalog, pg_temp AS
$$
#variable_conflict use_column
DECLARE
  hospital_id bigint;
BEGIN
  IF p_join_hash IS NULL OR p_join_hash !~ '^[0-9a-f]{64}$' THEN
    RETURN;
  END IF;
  RETURN QUERY
    SELECT p.id::text, p.kind,
           coalesce(u.display_name, p.name, pt.given_name || ' ' || pt.surname),
           coalesce(p.email, u.email, pt.email), p.patient_id::text,
           p.organizer, s.id::text, s.tenant_id::text, s.status, s.theme,
           s.room, extract(epoch FROM s.starts_at)::bigint,
           extract(epoch FROM s.ends_at)::bigint,
           to_json(s.starts_at) #>> '{}', to_json(s.ends_at) #>> '{}',
           t.name, o.display_name
      FROM participants p
      JOIN sessions s ON s.id = p.session_id
      JOIN concerto.tenants t ON t.id = s.tenant_id
      JOIN concerto.users o ON o.id = s.organizer_user_id
      LEFT JOIN concerto.users u ON u.id = p.user_id
      LEFT JOIN concerto.patients pt ON pt.id = p.patient_id
     WHERE p.join_hash = p_join_hash;
  SELECT s.tenant_id INTO hospital_id
    FROM participants p JOIN sessions s ON s.id = p.session_id
    JOIN concerto.tenants t ON t.id = s.tenant_id AND t.active
   WHERE p.join_hash = p_join_hash;
  IF hospital_id IS NOT NULL THEN
    PERFORM concerto.context_guest(hospital_id);
  END IF;
END
$$;

-- Every function of the module names its search_path (the core's
-- migrator also checks it for every module from now on).
ALTER FUNCTION try_timestamptz(text) SET search_path = teleconsult, pg_catalog, pg_temp;
ALTER FUNCTION participants_access() SET search_path = teleconsult, pg_catalog, pg_temp;

-- What makes a stored file readable and a patient "related" to a hospital
-- (core migration 0012): the rows of this module that point at them, seen
-- under the caller's row-level security.
SELECT concerto.declare_reference('blob', 'documents', 'sha256');
SELECT concerto.declare_reference('blob', 'session_patients', 'minutes_sha256');
SELECT concerto.declare_reference('patient', 'requests', 'patient_id');
SELECT concerto.declare_reference('patient', 'session_patients', 'patient_id');
SELECT concerto.declare_reference('patient', 'participants', 'patient_id');
