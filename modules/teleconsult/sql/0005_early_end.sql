-- A session ended before its scheduled start (closed early, or cancelled)
-- keeps the reason the organizer gave: the minutes would otherwise show a
-- close at 14:26 for a consult scheduled at 14:35 with no explanation.
ALTER TABLE sessions ADD COLUMN end_reason text
  CHECK (end_reason IS NULL OR length(end_reason) BETWEEN 1 AND 500);
