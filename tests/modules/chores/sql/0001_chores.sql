-- No primary keys on purpose: a run that happened twice shows as two rows.
CREATE TABLE notes (
    run_id   bigint NOT NULL,
    n        integer NOT NULL,
    node     text NOT NULL,
    attempt  integer NOT NULL,
    tenant   bigint,
    at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE ticks (
    run_id       bigint NOT NULL,
    tenant       bigint,
    scheduled_at bigint NOT NULL,
    node         text NOT NULL
);
CREATE TABLE calls (
    run_id        bigint NOT NULL, -- the job run's, or the event's id
    kind          text NOT NULL DEFAULT 'job',
    refused_in_tx boolean NOT NULL,
    outcome       integer NOT NULL,
    http_status   integer,
    body          text
);
CREATE TABLE switches (name text PRIMARY KEY, fail boolean NOT NULL);
INSERT INTO switches VALUES ('note', false);
