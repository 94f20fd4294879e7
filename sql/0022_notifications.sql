-- Stored personal notifications (issue 12 item 7): the console's bell lists
-- them with an unread count, so a notification sent while its user was
-- away (an urgent teleconsult request at 3 a.m.) is there at the next
-- login, not lost with a closed stream. A row is written in the sending
-- request's transaction, like the live message that follows it, so both
-- exist exactly when that request committed.
--
-- Hospital-wide broadcasts (a module switched on, a script activated) stay
-- live-only: they describe the console itself, which reloads anyway.
CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The hospital in whose request it arose (NULL: a regional one).
    tenant_id  bigint REFERENCES tenants (id),
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body       text CHECK (length(body) <= 2000),
    level      text NOT NULL DEFAULT 'info'
               CHECK (level IN ('info', 'warning', 'success')),
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
CREATE INDEX notifications_user ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- A user reads and marks only their own, in any hospital's scope: a
-- notification follows its person, not the hospital they are working in.
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_notifications ON notifications FOR SELECT
  USING (user_id = (SELECT c.user_id FROM concerto.context_now c));
CREATE POLICY mark_own_notifications ON notifications FOR UPDATE
  USING (user_id = (SELECT c.user_id FROM concerto.context_now c))
  WITH CHECK (user_id = (SELECT c.user_id FROM concerto.context_now c));
GRANT SELECT, UPDATE (read_at) ON notifications TO concerto_app;

-- Sending is for someone else (the SPOKE doctor's request notifies the HUB
-- organizers), so it goes through this function rather than an INSERT
-- policy: the row is stamped with the sender's hospital, and only staff
-- accounts receive one. Returns the new id for the live message.
CREATE FUNCTION notification_add(p_user bigint, p_title text, p_body text,
                                 p_level text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  nid bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user AND NOT disabled) THEN
    RETURN NULL;
  END IF;
  INSERT INTO notifications (user_id, tenant_id, title, body, level)
  VALUES (p_user, (SELECT c.tenant_id FROM context_now c), left(p_title, 200),
          left(p_body, 2000), coalesce(p_level, 'info'))
  RETURNING id INTO nid;
  RETURN nid;
END
$$;
REVOKE ALL ON FUNCTION notification_add(bigint, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION notification_add(bigint, text, text, text) TO concerto_app;
