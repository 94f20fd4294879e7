-- No primary key on purpose: a duplicate delivery would show as two rows.
CREATE TABLE effects (
    event_id bigint NOT NULL,
    n        integer NOT NULL,
    node     text NOT NULL,
    kind     text NOT NULL,
    version  integer NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE switches (name text PRIMARY KEY, fail boolean NOT NULL);
INSERT INTO switches VALUES ('fragile', false);
