-- Jobs and timers (plugin ABI 1.10, host->register_job / enqueue_job;
-- core/jobs, docs/jobs.md). One row per run. An enqueued run is inserted in
-- the enqueuing request's transaction, so it exists exactly when the
-- request committed. Periodic runs are inserted by every server's
-- scheduler for the next slot of each job and hospital; the unique slot key
-- makes that idempotent across servers.
--
-- A run is claimed under a lease: state 'running' until lease_until, with
-- attempts counted at the claim. The handler's effects commit together with
-- the "done" mark, which only applies while the run still has the attempt
-- number of its claim; so a server killed mid-run leaves nothing behind,
-- and once its lease expires another server takes the run over, exactly
-- once.

-- Hospitals' own time zone, for daily jobs ("daily 02:30").
CREATE FUNCTION time_zone_valid(p text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$
BEGIN
  RETURN EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = p);
END
$$;
ALTER TABLE tenants ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Rome'
  CHECK (time_zone_valid(time_zone));

CREATE TABLE job_runs (
    id              bigserial PRIMARY KEY,
    module          text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]{0,31}$'),
    job             text NOT NULL CHECK (job ~ '^[a-z][a-z0-9_.]{0,63}$'),
    tenant_id       bigint REFERENCES tenants (id),
    payload         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
    -- Periodic runs: "i<number>" of an interval, or the hospital's local
    -- date of a daily run. NULL for enqueued runs.
    slot            text CHECK (length(slot) <= 40),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'done', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    timeout_s       integer NOT NULL CHECK (timeout_s BETWEEN 1 AND 86400),
    scheduled_at    timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    leased_by       text CHECK (length(leased_by) <= 200),
    last_error      text,
    request_id      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz
);
CREATE UNIQUE INDEX job_runs_slot ON job_runs (module, job, coalesce(tenant_id, 0), slot)
  WHERE slot IS NOT NULL;
CREATE INDEX job_runs_due ON job_runs (next_attempt_at) WHERE state = 'pending';
CREATE INDEX job_runs_leased ON job_runs (lease_until) WHERE state = 'running';
CREATE INDEX job_runs_tenant ON job_runs (tenant_id, id);
ALTER TABLE job_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_runs FORCE ROW LEVEL SECURITY;
-- Like the outbox: a regional run (no hospital) is seen only in a regional
-- scope.
CREATE POLICY tenant_isolation ON job_runs
  USING ((SELECT c.scope FROM concerto.context_now c) IN (tenant_id, -1))
  WITH CHECK (tenant_id IS NOT DISTINCT FROM (SELECT c.tenant_id FROM concerto.context_now c)
              OR (SELECT c.regional FROM concerto.context_now c));
-- Patients, guests and external clients never see the hospital's runs.
CREATE POLICY staff_only ON job_runs AS RESTRICTIVE USING
  ((SELECT c.kind FROM concerto.context_now c) NOT IN ('patient', 'guest', 'client'));
-- DELETE: the core's hourly purge of runs done a week ago (job_purge.c).
GRANT SELECT, INSERT, UPDATE, DELETE ON job_runs TO concerto_app;
GRANT USAGE ON SEQUENCE job_runs_id_seq TO concerto_app;

-- The next daily slot of local time p_at in zone p_tz after p_now: the
-- local date (the slot key, so one run per local day even when the time
-- falls twice on the autumn change) and the instant. PostgreSQL's zone
-- database decides daylight saving: a time skipped in spring (02:30 on the
-- last Sunday of March in Rome) runs at the same offset as before the
-- change, i.e. an hour later on the clock.
CREATE FUNCTION job_next_daily(p_at time, p_tz text, p_now timestamptz,
                               OUT slot text, OUT run_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = concerto, pg_catalog, pg_temp AS
$$
DECLARE
  d date := (p_now AT TIME ZONE p_tz)::date;
BEGIN
  run_at := (d + p_at) AT TIME ZONE p_tz;
  IF run_at <= p_now THEN
    d := d + 1;
    run_at := (d + p_at) AT TIME ZONE p_tz;
  END IF;
  slot := to_char(d, 'YYYY-MM-DD');
END
$$;
GRANT EXECUTE ON FUNCTION job_next_daily(time, text, timestamptz) TO concerto_app;
