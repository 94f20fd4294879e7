/* The runner threads: claim a due run under a lease (a short transaction
 * of its own), run its handler in a background context of the run's
 * hospital and owner, and record the outcome. The "done" mark goes into
 * the handler's own transaction and applies only while the run still has
 * the attempt number of this claim, so the handler's database effects
 * commit exactly when the run is done: a server killed mid-run commits
 * nothing, and the server that takes the run over once the lease expired
 * is the only one whose work counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "events.h"
#include "jobs_internal.h"
#include "log.h"
#include "request.h"
#include "tenant_cache.h"

#define SCHEDULE_EVERY_S 1

typedef struct job_run {
  char id[24];
  char module[40];
  char job[72];
  char tenant_id[24]; /* "" = regional */
  char *payload;      /* malloc'ed JSON text */
  int attempts;       /* counted at the claim: this attempt's number */
  int max_attempts;
  long long scheduled_at;
} job_run;

static bool exec_cmd(db_conn *c, const char *sql) {
  return db_conn_command(c, sql) == CONCERTO_OK;
}

/* The jobs this server can run, as a text[] literal of "module:job" keys
 * ([a-z0-9_.:] only, so no quoting): runs of modules loaded elsewhere are
 * left to the servers that have them. */
static char *runnable_keys(const jobs *j) {
  size_t cap = 3;
  for (size_t i = 0; i < j->count; i++)
    cap += strlen(j->defs[i].module) + strlen(j->defs[i].name) + 2;
  char *keys = malloc(cap);
  if (!keys)
    return NULL;
  strcpy(keys, "{");
  for (size_t i = 0; i < j->count; i++) {
    /* A module that failed to start runs nothing. */
    if (j->defs[i].owner && !atomic_load(&j->defs[i].owner->serving))
      continue;
    if (keys[1])
      strcat(keys, ",");
    strcat(keys, j->defs[i].module);
    strcat(keys, ":");
    strcat(keys, j->defs[i].name);
  }
  strcat(keys, "}");
  return keys;
}

/* Takes the most overdue pending run, or a running one whose lease
 * expired (its server presumed dead), and commits the lease. */
static bool claim(app *a, db_conn *c, const char *keys, const char *server,
                  job_run *run) {
  if (!events_begin_regional(a, c))
    return false;
  const char *p[2] = {keys, server};
  PGresult *r = NULL;
  concerto_status st = db_conn_exec(
      c,
      "UPDATE concerto.job_runs r SET state = 'running', attempts = "
      "r.attempts + 1, lease_until = now() + make_interval(secs => "
      "r.timeout_s), leased_by = $2 FROM (SELECT id FROM concerto.job_runs "
      "WHERE ((state = 'pending' AND next_attempt_at <= now()) OR (state = "
      "'running' AND lease_until < now())) AND module || ':' || job = ANY "
      "($1::text[]) ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP "
      "LOCKED) due WHERE r.id = due.id RETURNING r.id::text, r.module, "
      "r.job, coalesce(r.tenant_id::text, ''), r.payload::text, r.attempts, "
      "r.max_attempts, extract(epoch FROM r.scheduled_at)::bigint",
      2, p, &r, NULL);
  bool got = st == CONCERTO_OK && PQntuples(r) == 1;
  if (got) {
    snprintf(run->id, sizeof run->id, "%s", PQgetvalue(r, 0, 0));
    snprintf(run->module, sizeof run->module, "%s", PQgetvalue(r, 0, 1));
    snprintf(run->job, sizeof run->job, "%s", PQgetvalue(r, 0, 2));
    snprintf(run->tenant_id, sizeof run->tenant_id, "%s", PQgetvalue(r, 0, 3));
    run->payload = strdup(PQgetvalue(r, 0, 4));
    run->attempts = atoi(PQgetvalue(r, 0, 5));
    run->max_attempts = atoi(PQgetvalue(r, 0, 6));
    run->scheduled_at = atoll(PQgetvalue(r, 0, 7));
  }
  if (r)
    PQclear(r);
  if (!got || !run->payload || !exec_cmd(c, "COMMIT")) {
    exec_cmd(c, "ROLLBACK");
    free(run->payload);
    run->payload = NULL;
    return false;
  }
  return true;
}

/* Records a failed attempt in a short transaction: pending again after the
 * backoff, or dead after the last attempt; only while the run still has
 * this claim's attempt number. */
static void mark_failed(app *a, db_conn *c, const job_run *run,
                        const char *error) {
  char att[16], ms[24];
  snprintf(att, sizeof att, "%d", run->attempts);
  snprintf(ms, sizeof ms, "%llu",
           backoff_ms(a->cfg.event_retry_base_ms, (unsigned)run->attempts));
  bool dead = run->attempts >= run->max_attempts;
  const char *p[4] = {run->id, att, error, ms};
  PGresult *r = NULL;
  if (events_begin_regional(a, c) &&
      db_conn_exec(c,
                   "UPDATE concerto.job_runs SET state = CASE WHEN attempts "
                   ">= max_attempts THEN 'dead' ELSE 'pending' END, "
                   "next_attempt_at = now() + make_interval(secs => "
                   "$4::double precision / 1000), lease_until = NULL, "
                   "last_error = left($3, 500) WHERE id = $1::bigint AND "
                   "state = 'running' AND attempts = $2::integer",
                   4, p, &r, NULL) == CONCERTO_OK)
    exec_cmd(c, "COMMIT");
  else
    exec_cmd(c, "ROLLBACK");
  if (r)
    PQclear(r);
  log_msg(dead ? CONCERTO_LOG_ERROR : CONCERTO_LOG_WARN, "jobs", NULL,
          "job %s:%s run %s failed (attempt %d%s): %s", run->module, run->job,
          run->id, run->attempts, dead ? ", now dead" : "", error);
}

/* The "done" mark in the context's transaction (opening one if the
 * handler left none open), then COMMIT with its audit rows. */
static bool mark_done(concerto_request *ctx, const job_run *run, char *err,
                      size_t errlen) {
  char att[16];
  snprintf(att, sizeof att, "%d", run->attempts);
  const char *p[2] = {run->id, att};
  PGresult *r = NULL;
  concerto_status st = request_query(
      ctx,
      "UPDATE concerto.job_runs SET state = 'done', done_at = now(), "
      "lease_until = NULL, last_error = NULL WHERE id = $1::bigint AND "
      "state = 'running' AND attempts = $2::integer",
      2, p, &r);
  if (st == CONCERTO_OK && strcmp(PQcmdTuples(r), "1") != 0) {
    /* Taken over after the lease: the other server's work counts. */
    request_bg_end(ctx, false);
    log_msg(CONCERTO_LOG_WARN, "jobs", NULL,
            "job %s:%s run %s outlived its lease; its work is undone",
            run->module, run->job, run->id);
    return true;
  }
  if (st == CONCERTO_OK)
    st = request_bg_end(ctx, true);
  else
    request_bg_end(ctx, false);
  if (st != CONCERTO_OK)
    snprintf(err, errlen, "the run could not be committed");
  return st == CONCERTO_OK;
}

static void run_one(app *a, db_conn *c, job_run *run) {
  const job_def *d = jobs_find(a->jobs, run->module, run->job);
  char err[512] = "";
  if (!d) { /* only claimed when known: a registry out of step */
    mark_failed(a, c, run, "job not known on this server");
    return;
  }
  if (run->attempts > run->max_attempts) {
    /* Its last attempt died with its server (or outlived its lease). */
    mark_failed(a, c, run, "the last attempt was lost (lease expired)");
    return;
  }
  const char *tenant = run->tenant_id[0] ? run->tenant_id : NULL;
  if (d->owner && tenant &&
      !tenant_module_enabled(a->tenants, atoll(tenant), d->module)) {
    mark_failed(a, c, run, "the module is not enabled for this hospital");
    return;
  }
  json_t *payload = json_loads(run->payload, 0, NULL);
  concerto_request *ctx =
      request_bg_new(a, "JOB", d->name, d->owner, tenant, !tenant, c);
  if (!payload || !ctx) {
    json_decref(payload);
    request_free(ctx);
    mark_failed(a, c, run, "out of memory");
    return;
  }
  concerto_job job = {sizeof job,       run->id, d->name,
                      tenant,           payload, (uint32_t)run->attempts,
                      run->scheduled_at};
  concerto_status st = d->handler(ctx, &job, d->userdata);
  if (st != CONCERTO_OK)
    snprintf(err, sizeof err, "handler returned status %d", (int)st);
  bool ok = st == CONCERTO_OK && mark_done(ctx, run, err, sizeof err);
  if (!ok) {
    request_bg_end(ctx, false);
    mark_failed(a, c, run, err);
  }
  request_free(ctx);
  json_decref(payload);
}

typedef struct runner_arg {
  app *a;
  bool schedules; /* the first thread also inserts the periodic slots */
} runner_arg;

static void *runner(void *arg) {
  runner_arg ra = *(runner_arg *)arg;
  free(arg);
  app *a = ra.a;
  jobs *j = a->jobs;
  db_conn *c = NULL;
  char *keys = runnable_keys(j);
  char server[64];
  snprintf(server, sizeof server, "pid %ld", (long)getpid());
  time_t scheduled = 0;
  while (keys && !atomic_load(&j->stop)) {
    if (!(c = db_pool_listening(j->pool, c, "concerto_jobs")))
      continue;
    time_t now = time(NULL);
    if (ra.schedules && now - scheduled >= SCHEDULE_EVERY_S) {
      scheduled = now;
      jobs_schedule_periodic(a, c);
    }
    job_run run = {0};
    if (claim(a, c, keys, server, &run)) {
      run_one(a, c, &run);
      free(run.payload);
      continue;
    }
    db_conn_wait_notify(c, a->cfg.event_retry_base_ms < 1000
                               ? a->cfg.event_retry_base_ms
                               : 1000);
  }
  if (c)
    db_pool_release(j->pool, c, false);
  free(keys);
  return NULL;
}

bool jobs_start(app *a) {
  jobs *j = a->jobs;
  unsigned n = a->cfg.job_workers;
  if (!j || n == 0 || j->count == 0)
    return true;
  j->pool = db_pool_new(a->app_conninfo, a->app_user, n,
                        a->cfg.db_acquire_timeout_ms);
  j->threads = calloc(n, sizeof *j->threads);
  if (!j->pool || !j->threads)
    return false;
  for (unsigned i = 0; i < n; i++) {
    runner_arg *ra = malloc(sizeof *ra);
    if (!ra)
      break;
    *ra = (runner_arg){a, i == 0};
    if (pthread_create(&j->threads[j->nthreads], NULL, runner, ra) == 0)
      j->nthreads++;
    else
      free(ra);
  }
  return j->nthreads == n;
}

void jobs_stop(app *a) {
  jobs *j = a->jobs;
  if (!j)
    return;
  atomic_store(&j->stop, true);
  for (unsigned i = 0; i < j->nthreads; i++)
    pthread_join(j->threads[i], NULL);
  j->nthreads = 0;
}
