-- Core schema, first step. Runs in schema "concerto" (search_path is set by
-- the migrator). Released migrations are frozen: change things in a new file.

-- Region-wide settings the core and the operators keep in the database
-- (per-hospital settings arrive with the tenants).
CREATE TABLE settings (
    key        text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]{0,127}$'),
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE settings IS 'Region-wide settings of the Concerto core';
