-- E-mail delivery states by the sender's tag (plugin ABI 1.11,
-- host->mail_deliveries): a module asks what became of the mails it sent
-- with a tag ("teleconsult:participant:42"), so a page shows "sent" or
-- "failed: <reason>" per recipient. The tag lives in the mail.send event's
-- payload; this index finds a tag's latest mail without scanning the
-- outbox.
CREATE INDEX events_mail_tag ON events ((payload->>'tag'), id DESC)
  WHERE name = 'mail.send';
