-- Personal join links (docs/modules/teleconsult-api.md, "Join links"): every
-- invitation carries a link of its own, so an external specialist or the
-- patient, who have no account, reach the video room too, and a link sent a
-- week ahead still works on the day (a video token cannot be valid that
-- long). Only the SHA-256 of the link's secret is kept; a new confirmation
-- replaces it, removing the participant deletes it.
ALTER TABLE participants ADD COLUMN join_hash text UNIQUE
  CHECK (join_hash ~ '^[0-9a-f]{64}$');

-- The one lookup made before the hospital is known: the link's owner comes
-- without a session, so RLS would show nothing. It answers only for the
-- exact hash and only what the join page needs; the caller then binds the
-- request to the session's hospital (host->req_bind_guest).
CREATE FUNCTION guest_invitation(p_join_hash text)
RETURNS TABLE (participant_id text, kind text, name text, email text,
               patient_id text, organizer boolean, session_id text,
               tenant_id text, status text, theme text, room text,
               starts_epoch bigint, ends_epoch bigint, starts_at text,
               ends_at text, hospital text, organizer_name text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = teleconsult, pg_catalog AS
$$
#variable_conflict use_column
DECLARE
  scope text := current_setting('app.regional', true);
BEGIN
  IF p_join_hash IS NULL OR p_join_hash !~ '^[0-9a-f]{64}$' THEN
    RETURN;
  END IF;
  PERFORM set_config('app.regional', 'on', true);
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
  PERFORM set_config('app.regional', coalesce(scope, ''), true);
END
$$;
REVOKE ALL ON FUNCTION guest_invitation(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION guest_invitation(text) TO concerto_app;
