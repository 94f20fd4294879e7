-- Demo data of the teleconsult module (idempotent). Run by the admin CLI
-- as the database owner with app.regional = 'on', after the module's
-- migrations and the core's demo region (hospitals and users by code and
-- username, see README.md).

INSERT INTO teleconsult.groups (tenant_id, slug, name, specialty, consultable)
SELECT t.id, v.slug, v.name, v.specialty, true
  FROM (VALUES
    ('AOUP-PA', 'cardiologia', 'Cardiologia', 'cardiologia'),
    ('AOUP-PA', 'cardiologia-utic', 'Cardiologia - UTIC (reperibilità)', 'cardiologia'),
    ('AOUP-PA', 'dermatologia', 'Dermatologia', 'dermatologia'),
    ('AOUP-PA', 'diabetologia', 'Diabetologia', 'diabetologia'),
    ('IRCCS-ME', 'neurologia-urgenze', 'Neurologia - urgenze', 'neurologia'),
    ('IRCCS-ME', 'neuro-stroke', 'Stroke team (reperibilità)', 'neurologia')
  ) AS v (code, slug, name, specialty)
  JOIN concerto.tenants t ON t.code = v.code
ON CONFLICT (tenant_id, slug) DO NOTHING;

INSERT INTO teleconsult.group_members (group_id, user_id, specialty, organizer)
SELECT g.id, u.id, v.specialty, v.organizer
  FROM (VALUES
    ('AOUP-PA', 'cardiologia', 'cardio.pa', 'cardiologia', false),
    ('AOUP-PA', 'cardiologia', 'org.pa', NULL, true),
    ('AOUP-PA', 'cardiologia-utic', 'cardio.pa', 'cardiologia', false),
    ('AOUP-PA', 'cardiologia-utic', 'org.pa', NULL, true),
    ('AOUP-PA', 'dermatologia', 'org.pa', NULL, true),
    ('AOUP-PA', 'diabetologia', 'org.pa', NULL, true),
    ('IRCCS-ME', 'neurologia-urgenze', 'neuro.me', 'neurologia', true),
    ('IRCCS-ME', 'neuro-stroke', 'neuro.me', 'neurologia', true)
  ) AS v (code, slug, username, specialty, organizer)
  JOIN concerto.tenants t ON t.code = v.code
  JOIN teleconsult.groups g ON g.tenant_id = t.id AND g.slug = v.slug
  JOIN concerto.users u ON u.username = v.username
ON CONFLICT (group_id, user_id) DO NOTHING;

-- One planned session being scheduled, so the dashboard is not empty.
DO $$
DECLARE
  hub bigint := (SELECT id FROM concerto.tenants WHERE code = 'AOUP-PA');
  grp bigint;
  org bigint := (SELECT id FROM concerto.users WHERE username = 'org.pa');
  cardio bigint := (SELECT id FROM concerto.users WHERE username = 'cardio.pa');
  patient bigint := (SELECT id FROM concerto.patients WHERE fiscal_code = 'CNTSLV62M50G273L');
  s bigint;
  day date := current_date + 3;
BEGIN
  SELECT id INTO grp FROM teleconsult.groups WHERE tenant_id = hub AND slug = 'cardiologia';
  IF hub IS NULL OR grp IS NULL OR org IS NULL OR cardio IS NULL OR patient IS NULL
     OR EXISTS (SELECT 1 FROM teleconsult.sessions
                WHERE theme = 'Scompenso cardiaco: discussione casi (demo)') THEN
    RETURN;
  END IF;
  INSERT INTO teleconsult.sessions (tenant_id, group_id, theme, kind, organizer_user_id, status)
  VALUES (hub, grp, 'Scompenso cardiaco: discussione casi (demo)', 'planned', org, 'scheduling')
  RETURNING id INTO s;
  INSERT INTO teleconsult.participants (session_id, kind, user_id, organizer, hospital_id)
  VALUES (s, 'staff', org, true, hub), (s, 'staff', cardio, false, hub);
  INSERT INTO teleconsult.session_patients (session_id, patient_id) VALUES (s, patient);
  INSERT INTO teleconsult.slots (session_id, starts_at, ends_at)
  VALUES (s, (day + time '10:00') AT TIME ZONE 'Europe/Rome',
             (day + time '10:45') AT TIME ZONE 'Europe/Rome'),
         (s, (day + 1 + time '15:00') AT TIME ZONE 'Europe/Rome',
             (day + 1 + time '15:45') AT TIME ZONE 'Europe/Rome');
END
$$;
