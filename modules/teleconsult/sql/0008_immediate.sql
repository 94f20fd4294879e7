-- "Consult now" (R6.4, the ER neurology teleconsult): an urgent request
-- becomes a session that is running at once, with the group the routing
-- rule chose (the on-call one at night), everybody invited with their link
-- in the same transaction. No organizer at the HUB is waiting to schedule
-- it: the stroke window does not wait for propose -> confirm.
ALTER TABLE sessions DROP CONSTRAINT sessions_kind_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_kind_check
  CHECK (kind IN ('planned', 'urgent', 'immediate'));

-- The requesting doctor works in the SPOKE's context, and RLS rightly lets
-- a SPOKE write no session of the HUB. This function is the one narrow
-- door: it runs as the schema owner, but only for the caller's own open,
-- non-routine request (the context is read from concerto.context_now, which
-- the caller cannot forge), and does exactly what an organizer would have
-- done: a session in the request's group, organized by the group's first
-- organizer, with every member of the group and the requester as
-- participants and the request's patient on the list.
-- Returns the new session's id, or the word the handler maps to a problem
-- (not_found, not_open, routine, no_organizer): nothing is written then.
CREATE FUNCTION start_immediate(p_request bigint, p_room text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = teleconsult, pg_catalog, pg_temp AS
$$
DECLARE
  me_tenant bigint := (SELECT c.tenant_id FROM concerto.context_now c);
  me_user bigint := (SELECT c.user_id FROM concerto.context_now c);
  me_kind text := (SELECT c.kind FROM concerto.context_now c);
  r requests%ROWTYPE;
  org bigint;
  sid bigint;
BEGIN
  IF me_kind IS DISTINCT FROM 'staff' OR me_user IS NULL OR p_room !~ '^tc-[a-z2-7]{24}$' THEN
    RETURN 'not_found';
  END IF;
  SELECT * INTO r FROM requests
   WHERE id = p_request AND requester_tenant_id = me_tenant
     AND requester_user_id = me_user
   FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 'not_found';
  END IF;
  IF r.status <> 'open' THEN
    RETURN 'not_open';
  END IF;
  IF r.urgency = 'routine' THEN
    RETURN 'routine';
  END IF;
  SELECT m.user_id INTO org FROM group_members m
    JOIN concerto.users u ON u.id = m.user_id
   WHERE m.group_id = r.group_id AND m.organizer AND NOT u.disabled
   ORDER BY m.id LIMIT 1;
  IF org IS NULL THEN
    RETURN 'no_organizer';
  END IF;
  INSERT INTO sessions (tenant_id, group_id, request_id, theme, kind,
                        organizer_user_id, status, starts_at, ends_at, room,
                        confirmed_at, started_at, request_summary)
  SELECT r.tenant_id, r.group_id, r.id,
         left('Teleconsulto immediato ' || r.specialty ||
              coalesce(' - ' || r.reason, ''), 300),
         'immediate', org, 'in_progress', now(), now() + interval '1 hour',
         p_room, now(), now(),
         -- the fields of TC_REQUEST_SUMMARY_JSON (src/sql.h), plus immediate
         json_build_object('id', r.id::text, 'specialty', r.specialty,
           'urgency', r.urgency, 'reason', r.reason, 'question', r.question,
           'priority', r.priority, 'due_at', r.due_at,
           'created_at', r.created_at,
           'requester', (SELECT u.display_name FROM concerto.users u
                          WHERE u.id = r.requester_user_id),
           'requester_hospital', (SELECT t.code FROM concerto.tenants t
                                   WHERE t.id = r.requester_tenant_id),
           'requester_hospital_name', (SELECT t.name FROM concerto.tenants t
                                        WHERE t.id = r.requester_tenant_id),
           'immediate', true)::jsonb
  RETURNING id INTO sid;
  INSERT INTO participants (session_id, kind, user_id, organizer, hospital_id)
  SELECT sid, 'staff', m.user_id, m.user_id = org, r.tenant_id
    FROM group_members m JOIN concerto.users u ON u.id = m.user_id
   WHERE m.group_id = r.group_id AND NOT u.disabled
  ON CONFLICT DO NOTHING;
  INSERT INTO participants (session_id, kind, user_id, hospital_id)
  VALUES (sid, 'staff', r.requester_user_id, r.requester_tenant_id)
  ON CONFLICT DO NOTHING;
  IF r.patient_id IS NOT NULL THEN
    INSERT INTO session_patients (session_id, patient_id)
    VALUES (sid, r.patient_id) ON CONFLICT DO NOTHING;
  END IF;
  UPDATE requests SET status = 'scheduled', scheduled_at = now(),
                      session_id = sid
   WHERE id = r.id;
  RETURN sid::text;
END
$$;
REVOKE ALL ON FUNCTION start_immediate(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION start_immediate(bigint, text) TO concerto_app;
