/* Test module "chores": jobs and outbound calls (ABI 1.10). "note" is a
 * job enqueued by a route, recording each run as a row (so a run that
 * happened twice shows twice) and failing while its switch is on; "tick"
 * runs every second in every hospital; "daily" is scheduled at 03:00 of the
 * hospital's time; "caller" calls a URL from a job, first inside its open
 * transaction (refused), then after tx_commit; the "chores.call" event's
 * handler does the same from a delivery. Routes enqueue, publish, register
 * commit hooks and try http_request and tx_commit in a request (refused). */
#include <concerto/concerto.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const concerto_module *self;

static void hook_logged(concerto_request *req, int committed, void *arg) {
  (void)req;
  concerto_module_host->log(self, CONCERTO_LOG_INFO,
                            "chores hook %s committed=%d", (const char *)arg,
                            committed);
}

/* POST /api/v1/chores/enqueue {"job", "n", "sleep_ms", "fail_after",
 * "run_at", "url", "ca"} */
static concerto_status enqueue(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  const char *job = json_string_value(json_object_get(body, "job"));
  json_t *payload = json_deep_copy(body);
  json_object_del(payload, "job");
  json_object_del(payload, "fail_after");
  const char *id = NULL;
  st = h->enqueue_job(
      req, job ? job : "note", payload,
      (long long)json_integer_value(json_object_get(body, "run_at")), &id);
  if (st != CONCERTO_OK)
    return st;
  h->on_commit(req, hook_logged, "request");
  if (json_is_true(json_object_get(body, "fail_after")))
    return concerto_reply_problem(req, 422, "validation_failed",
                                  "Unprocessable Content",
                                  "asked to fail after enqueuing");
  return concerto_reply_json(req, 202, json_pack("{s:s}", "id", id));
}

/* POST /api/v1/chores/call {"url"}: outbound calls and tx_commit are for
 * events and jobs, never a request handler. */
static concerto_status call_in_request(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  concerto_http_call call = CONCERTO_HTTP_CALL_INIT_V1;
  call.url = json_string_value(json_object_get(body, "url"));
  concerto_http_reply reply = CONCERTO_HTTP_REPLY_INIT_V1;
  concerto_status call_st = h->http_request(req, &call, &reply);
  concerto_status commit_st = h->tx_commit(req);
  return concerto_reply_json(req, 200,
                             json_pack("{s:i, s:i}", "http_request",
                                       (int)call_st, "tx_commit",
                                       (int)commit_st));
}

static void pause_ms(json_int_t ms) {
  if (ms > 0 && ms < 60000) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
}

static concerto_status note(concerto_request *ctx, const concerto_job *job,
                            void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  h->on_commit(ctx, hook_logged, "job");
  concerto_result *res = NULL;
  concerto_status st = concerto_query_db(
      ctx, "SELECT fail FROM switches WHERE name = 'note'", 0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  if (strcmp(h->result_value(res, 0, 0), "t") == 0)
    return CONCERTO_ERR_INTERNAL;
  pause_ms(json_integer_value(json_object_get(job->payload, "sleep_ms")));
  char n[24], attempt[16];
  snprintf(n, sizeof n, "%lld",
           (long long)json_integer_value(json_object_get(job->payload, "n")));
  snprintf(attempt, sizeof attempt, "%u", job->attempt);
  const char *p[5] = {job->id, n, h->config_string(self, "node"), attempt,
                      job->tenant_id};
  return concerto_query_db(ctx,
                           "INSERT INTO notes (run_id, n, node, attempt, "
                           "tenant) VALUES ($1::bigint, $2::integer, $3, "
                           "$4::integer, $5::bigint)",
                           5, p, NULL);
}

static concerto_status tick(concerto_request *ctx, const concerto_job *job,
                            void *ud) {
  (void)ud;
  char at[24];
  snprintf(at, sizeof at, "%lld", job->scheduled_at);
  const char *p[4] = {job->id, job->tenant_id, at,
                      concerto_module_host->config_string(self, "node")};
  return concerto_query_db(ctx,
                           "INSERT INTO ticks (run_id, tenant, scheduled_at, "
                           "node) VALUES ($1::bigint, $2::bigint, "
                           "$3::bigint, $4)",
                           4, p, NULL);
}

static concerto_status daily(concerto_request *ctx, const concerto_job *job,
                             void *ud) {
  (void)ctx;
  (void)job;
  (void)ud;
  return CONCERTO_OK;
}

/* Calls `url` from a job or an event: first with the context's
 * transaction open (refused), then after tx_commit; records the outcome
 * under `id` and `kind` in a new transaction. */
static concerto_status call_out(concerto_request *ctx, const json_t *payload,
                                const char *id, const char *kind) {
  const concerto_host *h = concerto_module_host;
  concerto_http_call call = CONCERTO_HTTP_CALL_INIT_V1;
  call.method = "POST";
  call.url = json_string_value(json_object_get(payload, "url"));
  call.ca_pem = json_string_value(json_object_get(payload, "ca"));
  call.body = "{\"hello\":1}";
  call.body_len = strlen("{\"hello\":1}");
  call.timeout_ms = 5000;
  concerto_http_reply reply = CONCERTO_HTTP_REPLY_INIT_V1;
  /* A statement opens the context's transaction (an event delivery's is
   * open from the start): no call while it is open. */
  concerto_status st = concerto_query_db(ctx, "SELECT 1", 0, NULL, NULL);
  if (st != CONCERTO_OK)
    return st;
  bool refused = h->http_request(ctx, &call, &reply) == CONCERTO_ERR_CONTEXT;
  st = h->tx_commit(ctx);
  if (st != CONCERTO_OK)
    return st;
  concerto_status out = h->http_request(ctx, &call, &reply);
  char outcome[16], status[16];
  snprintf(outcome, sizeof outcome, "%d", (int)out);
  snprintf(status, sizeof status, "%u", reply.status);
  const char *p[6] = {id,
                      refused ? "true" : "false",
                      outcome,
                      out == CONCERTO_OK ? status : NULL,
                      out == CONCERTO_OK ? (const char *)reply.body : NULL,
                      kind};
  return concerto_query_db(ctx,
                           "INSERT INTO calls (run_id, refused_in_tx, "
                           "outcome, http_status, body, kind) VALUES "
                           "($1::bigint, $2::boolean, $3::integer, "
                           "$4::integer, $5, $6)",
                           6, p, NULL);
}

static concerto_status caller(concerto_request *ctx, const concerto_job *job,
                              void *ud) {
  (void)ud;
  return call_out(ctx, job->payload, job->id, "job");
}

static concerto_status on_call(concerto_request *ctx, const concerto_event *ev,
                               void *ud) {
  (void)ud;
  return call_out(ctx, ev->payload, ev->id, "event");
}

/* POST /api/v1/chores/publish {"url"}: an event whose handler calls out. */
static concerto_status publish_call(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  st = concerto_module_host->publish(req, "chores.call", 1,
                                     json_deep_copy(body));
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 202, json_pack("{s:b}", "published", 1));
}

static concerto_status add_route(const concerto_host *host,
                                 concerto_registrar *reg, const char *path,
                                 concerto_handler handler) {
  concerto_route_spec r = CONCERTO_ROUTE_SPEC_INIT_V1;
  r.method = "POST";
  r.path = path;
  r.required_role = "authenticated,regional_admin";
  r.handler = handler;
  return host->register_route(reg, &r);
}

static concerto_status add_job(const concerto_host *host,
                               concerto_registrar *reg, const char *name,
                               concerto_job_handler handler, const char *every,
                               uint32_t timeout_s) {
  concerto_job_spec j = CONCERTO_JOB_SPEC_INIT_V1;
  j.name = name;
  j.handler = handler;
  j.every = every;
  j.timeout_s = timeout_s;
  return host->register_job(reg, &j);
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  self = host->module_self(reg);
  if (!CONCERTO_HOST_HAS(host, register_job) ||
      !CONCERTO_HOST_HAS(host, tx_commit))
    return CONCERTO_ERR_UNSUPPORTED;
  concerto_config_spec node = CONCERTO_CONFIG_SPEC_INIT_V1;
  node.key = "node";
  node.default_value = "a";
  /* A short lease, so a run whose server was killed is taken over soon. */
  if (host->register_config(reg, &node) != CONCERTO_OK ||
      add_route(host, reg, "/api/v1/chores/enqueue", enqueue) != CONCERTO_OK ||
      add_route(host, reg, "/api/v1/chores/call", call_in_request) !=
          CONCERTO_OK ||
      add_route(host, reg, "/api/v1/chores/publish", publish_call) !=
          CONCERTO_OK ||
      add_job(host, reg, "note", note, NULL, 3) != CONCERTO_OK ||
      add_job(host, reg, "tick", tick, "1s", 0) != CONCERTO_OK ||
      add_job(host, reg, "daily", daily, "daily 03:00", 0) != CONCERTO_OK ||
      add_job(host, reg, "caller", caller, NULL, 0) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  concerto_event_spec ev = CONCERTO_EVENT_SPEC_INIT_V1;
  ev.name = "chores.call";
  ev.version = 1;
  ev.description = "Asks the handler to call a URL";
  if (host->register_event(reg, &ev) != CONCERTO_OK ||
      host->subscribe(reg, "chores.call", 1, on_call, NULL) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  /* Refused: a malformed interval. */
  if (add_job(host, reg, "broken", daily, "every tuesday", 0) !=
      CONCERTO_ERR_REG_INVALID)
    return CONCERTO_ERR_INTERNAL;
  return host->register_migrations(reg, "sql");
}

CONCERTO_MODULE("chores", "1.0.0", "Concerto tests",
                "Jobs, timers and outbound calls", NULL, init, NULL, NULL)
