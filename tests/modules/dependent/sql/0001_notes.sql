-- References a table of module "base": proves base migrated first.
CREATE TABLE notes (
    id       serial PRIMARY KEY,
    thing_id int NOT NULL REFERENCES base.things (id)
);
INSERT INTO notes (thing_id) SELECT id FROM base.things;
