-- What was asked travels with the session: a specialist invited from a
-- third hospital cannot read the request itself (RLS: HUB and SPOKE only)
-- but must see the clinical question, its urgency and who asked, on the
-- session page and in the minutes. A copy taken when the session is
-- created from the request; the live request is shown where it is
-- readable, so later wording matches.
ALTER TABLE sessions ADD COLUMN request_summary jsonb;
