#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs_internal.h"
#include "log.h"
#include "request.h"

#define JOB_PAYLOAD_MAX (256u << 10)
#define JOB_TIMEOUT_MAX_S 86400u

jobs *jobs_new(void) {
  return calloc(1, sizeof(jobs));
}

void jobs_free(jobs *j) {
  if (!j)
    return;
  for (size_t i = 0; i < j->count; i++) {
    free(j->defs[i].module);
    free(j->defs[i].name);
  }
  free(j->defs);
  free(j->threads);
  db_pool_free(j->pool);
  free(j);
}

bool jobs_spec_check(const concerto_job_spec *spec, char *err, size_t errlen) {
  job_every every;
  if (!spec || spec->size < sizeof(concerto_job_spec)) {
    snprintf(err, errlen, "not a concerto_job_spec (size)");
    return false;
  }
  if (!job_name_valid(spec->name) || !spec->handler) {
    snprintf(err, errlen,
             "a job needs a name [a-z][a-z0-9_.]{0,63} and a "
             "handler");
    return false;
  }
  if (!job_every_parse(spec->every, &every, err, errlen))
    return false;
  if (spec->scope > CONCERTO_JOB_REGIONAL || spec->max_attempts > 100 ||
      spec->timeout_s > JOB_TIMEOUT_MAX_S) {
    snprintf(err, errlen,
             "scope, max_attempts (<= 100) or timeout_s "
             "(<= 86400) out of range");
    return false;
  }
  return true;
}

const job_def *jobs_find(const jobs *j, const char *module, const char *name) {
  for (size_t i = 0; j && i < j->count; i++)
    if (strcmp(j->defs[i].module, module) == 0 &&
        strcmp(j->defs[i].name, name) == 0)
      return &j->defs[i];
  return NULL;
}

concerto_status jobs_add(jobs *j, const route_owner *owner,
                         const concerto_job_spec *spec) {
  char err[200];
  if (!jobs_spec_check(spec, err, sizeof err))
    return CONCERTO_ERR_REG_INVALID;
  const char *module = owner ? owner->name : "concerto";
  if (jobs_find(j, module, spec->name))
    return CONCERTO_ERR_REG_DUPLICATE;
  job_def *grown = realloc(j->defs, (j->count + 1) * sizeof *grown);
  if (!grown)
    return CONCERTO_ERR_NOMEM;
  j->defs = grown;
  job_def *d = &j->defs[j->count];
  *d = (job_def){strdup(module),
                 strdup(spec->name),
                 spec->handler,
                 spec->userdata,
                 owner,
                 {0},
                 spec->scope,
                 spec->max_attempts,
                 spec->timeout_s ? spec->timeout_s : JOB_TIMEOUT_DEFAULT_S};
  job_every_parse(spec->every, &d->every, err, sizeof err);
  if (!d->module || !d->name) {
    free(d->module);
    free(d->name);
    return CONCERTO_ERR_NOMEM;
  }
  j->count++;
  return CONCERTO_OK;
}

bool jobs_merge(jobs *dst, jobs *src, char *err, size_t errlen) {
  for (size_t i = 0; src && i < src->count; i++)
    if (jobs_find(dst, src->defs[i].module, src->defs[i].name)) {
      snprintf(err, errlen, "job %s declared twice", src->defs[i].name);
      return false;
    }
  if (!src || src->count == 0)
    return true;
  job_def *grown =
      realloc(dst->defs, (dst->count + src->count) * sizeof *grown);
  if (!grown) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  dst->defs = grown;
  memcpy(dst->defs + dst->count, src->defs, src->count * sizeof *grown);
  dst->count += src->count;
  src->count = 0;
  return true;
}

unsigned job_max_attempts(const app *a, const job_def *d) {
  return d->max_attempts ? d->max_attempts : a->cfg.event_max_attempts;
}

concerto_status jobs_enqueue_as(concerto_request *req, const route_owner *owner,
                                const char *tenant_id, const char *name,
                                json_t *payload, long long run_at,
                                const char **job_id) {
  concerto_status st = CONCERTO_OK;
  char *text = NULL;
  if (job_id)
    *job_id = NULL;
  const job_def *d =
      name ? jobs_find(req->app->jobs, owner ? owner->name : "concerto", name)
           : NULL;
  if (!payload)
    payload = json_object();
  if (!d || !json_is_object(payload) || run_at < 0) {
    st = d || !name ? CONCERTO_ERR_INVALID : CONCERTO_ERR_NOT_FOUND;
    goto out;
  }
  text = json_dumps(payload, JSON_COMPACT);
  if (!text || strlen(text) > JOB_PAYLOAD_MAX) {
    st = text ? CONCERTO_ERR_TOO_LARGE : CONCERTO_ERR_NOMEM;
    goto out;
  }
  char at[24], max[16], timeout[16];
  snprintf(at, sizeof at, "%lld", run_at);
  snprintf(max, sizeof max, "%u", job_max_attempts(req->app, d));
  snprintf(timeout, sizeof timeout, "%u", d->timeout_s);
  const char *tenant = tenant_id ? tenant_id : req->caller.tenant_id;
  const char *p[8] = {d->module, d->name, tenant,  text,
                      at,        max,     timeout, req->id};
  PGresult *r = NULL;
  /* The hospital is the request's own unless the core names one; RLS
   * checks either. NOTIFY is delivered at COMMIT, so runners wake only
   * for runs that exist. */
  st = request_query(
      req,
      "WITH ins AS (INSERT INTO concerto.job_runs (module, job, tenant_id, "
      "payload, max_attempts, timeout_s, scheduled_at, next_attempt_at, "
      "request_id) SELECT $1, $2, $3::bigint, $4::jsonb, $6::integer, "
      "$7::integer, t, t, $8 FROM (SELECT CASE WHEN $5::bigint = 0 THEN "
      "now() ELSE to_timestamp($5::bigint) END AS t) w RETURNING id) SELECT "
      "id::text, pg_notify('concerto_jobs', '') FROM ins",
      8, p, &r);
  if (st == CONCERTO_OK && PQntuples(r) == 1 && job_id)
    *job_id = arena_strdup(&req->arena, PQgetvalue(r, 0, 0));
out:
  free(text);
  json_decref(payload);
  return st;
}

concerto_status jobs_enqueue(concerto_request *req, const char *name,
                             json_t *payload, long long run_at,
                             const char **job_id) {
  if (!req) {
    json_decref(payload);
    return CONCERTO_ERR_INVALID;
  }
  return jobs_enqueue_as(req, req->owner, NULL, name, payload, run_at, job_id);
}
