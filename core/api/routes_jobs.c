/* Jobs administration: the runs of the hospital's jobs (the region's: all)
 * with their state, attempts, last error and next attempt, and the replay
 * of a dead run. Hospital administrators and IT see their own hospital's
 * runs through row-level security; regional runs only a regional
 * administrator. */
#include <stdio.h>
#include <string.h>

#include "handler_util.h"
#include "routes.h"

#define JOB_ADMIN "regional_admin,hospital_admin,hospital_it"

static concerto_status list_jobs(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  if (req->caller.regional_admin &&
      (st = db_regional_scope(req)) != CONCERTO_OK)
    return st;
  const char *state = req_query(req, "state");
  if (state && strcmp(state, "dead") && strcmp(state, "pending") &&
      strcmp(state, "running") && strcmp(state, "done"))
    return request_problem(req, 400, "bad_request", NULL,
                           "state: pending, running, done or dead");
  PGresult *r = NULL;
  /* Pending runs due in the future, periodic ones included, are the "next
   * run" of their job. */
  st = request_query(
      req,
      "SELECT j.id::text, j.module, j.job, j.state, j.attempts, "
      "j.max_attempts, j.scheduled_at, j.next_attempt_at, j.lease_until, "
      "j.last_error, j.done_at, j.created_at, j.slot IS NOT NULL AS "
      "periodic, t.code AS tenant FROM concerto.job_runs j LEFT JOIN "
      "concerto.tenants t ON t.id = j.tenant_id WHERE $1::text IS NULL OR "
      "j.state = $1 ORDER BY j.id DESC LIMIT 500",
      1, (const char *[]){state}, &r);
  return respond_rows(req, st, r, "jobs");
}

static concerto_status replay_job(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = id_param(req, "id");
  if (!id)
    return CONCERTO_ERR_NOT_FOUND;
  concerto_status st;
  if (req->caller.regional_admin &&
      (st = db_regional_scope(req)) != CONCERTO_OK)
    return st;
  PGresult *r = NULL;
  st = request_query(
      req,
      "UPDATE concerto.job_runs SET state = 'pending', attempts = 0, "
      "next_attempt_at = now(), lease_until = NULL, last_error = NULL WHERE "
      "id = $1::bigint AND state = 'dead' RETURNING module || ':' || job, "
      "pg_notify('concerto_jobs', '')",
      1, (const char *[]){id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return request_problem(req, 404, "not_found", NULL,
                           "No dead run with this id.");
  request_audit(req, "job.replay",
                arena_printf(&req->arena, "job:%s:%s", id, PQgetvalue(r, 0, 0)),
                NULL, "success", NULL);
  return req_respond_json(
      req, 200, json_pack("{s:s, s:s}", "id", id, "state", "pending"));
}

const route_def routes_jobs[] = {
    {"GET", "/api/v1/jobs", JOB_ADMIN, list_jobs},
    {"POST", "/api/v1/jobs/{id}/replay", JOB_ADMIN, replay_job},
    {NULL, NULL, NULL, NULL},
};
