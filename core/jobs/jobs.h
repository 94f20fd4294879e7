/* Jobs and timers (docs/jobs.md, sql/0021_jobs.sql): the jobs the core and
 * the modules declare, runs enqueued in a request's transaction, periodic
 * runs scheduled once per slot across servers, and the runner threads that
 * claim due runs under a lease, run them in a context of the run's
 * hospital and owner, and record done, retry with backoff, or dead. */
#ifndef CONCERTO_CORE_JOBS_H
#define CONCERTO_CORE_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "concerto/host.h"
#include "job_schedule.h"

typedef struct jobs jobs;

/* A declared job. Strings owned by the registry. */
typedef struct job_def {
  char *module; /* the owner's name, "concerto" for the core's own */
  char *name;
  concerto_job_handler handler;
  void *userdata;
  const route_owner *owner; /* NULL for the core */
  job_every every;
  uint32_t scope;        /* CONCERTO_JOB_PER_HOSPITAL or _REGIONAL */
  uint32_t max_attempts; /* 0 = the server's event_max_attempts */
  uint32_t timeout_s;    /* the lease of a run */
} job_def;

/* Owned by the app. */
jobs *jobs_new(void);
void jobs_free(jobs *j);

/* Checks a spec (any size from the V1 size up). False with a one-line
 * reason in err. */
bool jobs_spec_check(const concerto_job_spec *spec, char *err, size_t errlen);
/* Declares the job of `owner` (NULL: the core), strings copied, before
 * jobs_start. CONCERTO_ERR_REG_DUPLICATE for a second job of that name. */
concerto_status jobs_add(jobs *j, const route_owner *owner,
                         const concerto_job_spec *spec);
/* Declares the core's own jobs (job_purge.c). */
bool jobs_add_core(jobs *j);
/* Moves the jobs of `src` (a module's, declared during its init) into
 * `dst`; false with a reason when one is there already (nothing moved). */
bool jobs_merge(jobs *dst, jobs *src, char *err, size_t errlen);
/* The job `name` of `module`, or NULL. Borrowed from j. */
const job_def *jobs_find(const jobs *j, const char *module, const char *name);

/* Starts the runner threads (cfg.job_workers; none with 0) and stops them
 * (waiting for the runs in progress). */
bool jobs_start(app *a);
void jobs_stop(app *a);

/* host->enqueue_job: a run of the acting module's job `name` for the
 * request's hospital, in the request's transaction. `payload` is stolen. */
concerto_status jobs_enqueue(concerto_request *req, const char *name,
                             json_t *payload, long long run_at,
                             const char **job_id);

/* The same for the core's own job `name` on behalf of no module, for
 * hospital tenant_id (NULL: the request's). */
concerto_status jobs_enqueue_as(concerto_request *req, const route_owner *owner,
                                const char *tenant_id, const char *name,
                                json_t *payload, long long run_at,
                                const char **job_id);

/* The slots of the periodic jobs due next, inserted unless present (every
 * server does this each second; the unique slot key keeps one row). On
 * connection c with no transaction open. Exposed for tests. */
bool jobs_schedule_periodic(app *a, db_conn *c);

#endif
