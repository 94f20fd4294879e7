-- Roles are declared by the core and by modules (host->register_role, issue
-- 11) instead of a CHECK listing them: the server writes what it knows at
-- start (core/identity/roles.c, as the schema owner), a grant must name a
-- known role (the foreign key), and the application role only reads.
-- Rows stay when no running module declares a role any more (registered
-- false), so existing grants keep their meaning until an administrator
-- removes them.
CREATE TABLE roles (
    name          text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{1,38}$'),
    label_it      text NOT NULL CHECK (length(label_it) BETWEEN 1 AND 80),
    label_en      text NOT NULL CHECK (length(label_en) BETWEEN 1 AND 80),
    description   text NOT NULL DEFAULT '' CHECK (length(description) <= 300),
    owners        text NOT NULL,
    patient_care  boolean NOT NULL DEFAULT false,
    registered    boolean NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON roles TO concerto_app;

-- The roles the CHECK allowed, so that existing grants satisfy the key; the
-- first start after this migration rewrites their owners and labels, and
-- marks those no module declares (radiology, BI until their modules land).
INSERT INTO roles (name, label_it, label_en, owners, patient_care, registered) VALUES
    ('hospital_admin', 'Amministratore dell''ospedale', 'Hospital administrator', 'core', false, false),
    ('hospital_it', 'Sistemi informativi', 'Hospital IT', 'core', false, false),
    ('organizer', 'Organizzatore', 'Organizer', 'teleconsult', true, false),
    ('specialist', 'Specialista', 'Specialist', 'teleconsult', true, false),
    ('requesting_doctor', 'Medico richiedente', 'Requesting doctor', 'teleconsult', true, false),
    ('radiologist', 'Radiologo', 'Radiologist', 'ris', true, false),
    ('radiographer', 'Tecnico di radiologia (TSRM)', 'Radiographer', 'ris', true, false),
    ('helpdesk', 'Help desk', 'Help desk', 'core', true, false),
    ('bi_viewer', 'Consultazione BI', 'BI viewer', 'bi', false, false),
    ('privacy_officer', 'Referente privacy', 'Privacy officer', 'core', false, false);

ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_fkey
    FOREIGN KEY (role) REFERENCES roles (name);
