-- Guests (plugin ABI 1.8): people a module invited without an account (an
-- external specialist, a patient on a teleconsult) act through the module's
-- own invitation link on a public route; their reads and writes are
-- audited under actor kind 'guest' with the name the module knows them by.
-- The row text the hash chain covers is unchanged (audit_row_text).
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check
  CHECK (actor_kind IN ('user', 'patient', 'token', 'system', 'anonymous', 'guest'));
