/* The core's own periodic job: finished runs are kept a week for the
 * console, then deleted, so that a job running every minute does not grow
 * the table without end. Dead runs stay until replayed or purged by hand. */
#include "jobs.h"
#include "request.h"

#define JOB_KEEP_DONE "7 days"

static concerto_status purge_done(concerto_request *ctx,
                                  const concerto_job *job, void *ud) {
  (void)job;
  (void)ud;
  return request_query(ctx,
                       "DELETE FROM concerto.job_runs WHERE state = 'done' "
                       "AND done_at < now() - interval '" JOB_KEEP_DONE "'",
                       0, NULL, NULL);
}

bool jobs_add_core(jobs *j) {
  concerto_job_spec purge = CONCERTO_JOB_SPEC_INIT_V1;
  purge.name = "jobs.purge";
  purge.handler = purge_done;
  purge.every = "1h";
  purge.scope = CONCERTO_JOB_REGIONAL;
  return jobs_add(j, NULL, &purge) == CONCERTO_OK;
}
