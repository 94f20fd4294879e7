/* Periodic jobs: each second one runner thread of every server inserts
 * the next slot of every periodic job, for every hospital where the
 * module is enabled (the core: every active hospital) or once for the
 * region. The slot key is unique per job and hospital, so servers doing
 * this at the same moment insert one row between them; a slot missed
 * while no server ran is skipped, not caught up. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "jobs_internal.h"
#include "log.h"

/* $1 module, $2 job, $3 max attempts, $4 timeout; then per kind. */
#define INSERT_RUNS                                                            \
  "INSERT INTO concerto.job_runs (module, job, tenant_id, slot, "              \
  "max_attempts, timeout_s, scheduled_at, next_attempt_at) "
/* Which hospitals: the module's enabled ones, or all active for the
 * core. */
#define HOSPITALS                                                              \
  " FROM concerto.tenants t WHERE t.active AND ($1 = 'concerto' OR EXISTS "    \
  "(SELECT 1 FROM concerto.tenant_modules m WHERE m.tenant_id = t.id AND "     \
  "m.module = $1 AND m.enabled))"

static const char *const interval_sql[2] = {
    /* per hospital: $5 slot key, $6 run at (epoch) */
    INSERT_RUNS "SELECT $1, $2, t.id, $5, $3::integer, $4::integer, "
                "to_timestamp($6::bigint), to_timestamp($6::bigint)" HOSPITALS
                " ON CONFLICT DO NOTHING",
    /* regional */
    INSERT_RUNS "VALUES ($1, $2, NULL, $5, $3::integer, $4::integer, "
                "to_timestamp($6::bigint), to_timestamp($6::bigint)) ON "
                "CONFLICT DO NOTHING",
};

static const char *const daily_sql[2] = {
    /* per hospital, in its zone: $5 local time */
    INSERT_RUNS "SELECT $1, $2, t.id, n.slot, $3::integer, $4::integer, "
                "n.run_at, n.run_at FROM concerto.tenants t, LATERAL "
                "concerto.job_next_daily($5::time, t.time_zone, now()) n "
                "WHERE t.active AND ($1 = 'concerto' OR EXISTS (SELECT 1 FROM "
                "concerto.tenant_modules m WHERE m.tenant_id = t.id AND "
                "m.module = $1 AND m.enabled)) ON CONFLICT DO NOTHING",
    /* regional, in the region's zone */
    INSERT_RUNS "SELECT $1, $2, NULL, n.slot, $3::integer, $4::integer, "
                "n.run_at, n.run_at FROM concerto.job_next_daily($5::time, "
                "'" JOB_REGION_TIME_ZONE "', now()) n ON CONFLICT DO NOTHING",
};

static bool schedule_one(app *a, db_conn *c, const job_def *d) {
  char max[16], timeout[16], slot[48] = "", at[24] = "", local[8];
  snprintf(max, sizeof max, "%u", job_max_attempts(a, d));
  snprintf(timeout, sizeof timeout, "%u", d->timeout_s);
  bool regional = d->scope == CONCERTO_JOB_REGIONAL;
  const char *sql;
  int n;
  const char *p[6] = {d->module, d->name, max, timeout, NULL, NULL};
  if (d->every.kind == JOB_INTERVAL) {
    long long run_at;
    long long k =
        job_interval_slot(d->every.seconds, (long long)time(NULL), &run_at);
    job_interval_key(d->every.seconds, k, slot, sizeof slot);
    snprintf(at, sizeof at, "%lld", run_at);
    p[4] = slot;
    p[5] = at;
    sql = interval_sql[regional];
    n = 6;
  } else {
    snprintf(local, sizeof local, "%02u:%02u", d->every.hour, d->every.minute);
    p[4] = local;
    sql = daily_sql[regional];
    n = 5;
  }
  PGresult *r = NULL;
  concerto_status st = db_conn_exec(c, sql, n, p, &r, NULL);
  if (r)
    PQclear(r);
  return st == CONCERTO_OK;
}

bool jobs_schedule_periodic(app *a, db_conn *c) {
  const jobs *j = a->jobs;
  bool ok = true;
  for (size_t i = 0; ok && i < j->count; i++) {
    const job_def *d = &j->defs[i];
    if (d->every.kind == JOB_ON_DEMAND ||
        (d->owner && !atomic_load(&d->owner->serving)))
      continue;
    /* One transaction per job: a failing one does not hold back others. */
    ok = events_begin_regional(a, c);
    if (ok && schedule_one(a, c, d)) {
      ok = db_conn_command(c, "COMMIT") == CONCERTO_OK;
    } else if (ok) {
      db_conn_command(c, "ROLLBACK");
      log_msg(CONCERTO_LOG_WARN, "jobs", NULL,
              "cannot schedule the next run of %s:%s", d->module, d->name);
    }
  }
  return ok;
}
