/* Events administration: a hospital's outbound webhooks, and the deliveries
 * that failed for good (dead letters), which an administrator can replay
 * once the cause is fixed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "handler_util.h"
#include "outbound_http.h"
#include "outbound_store.h"
#include "routes.h"
#include "tokens.h"
#include "webhook.h"

#define EVENT_ADMIN "regional_admin,hospital_admin,hospital_it"

static concerto_status create_webhook(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *url = field_str(body, "url", true, 500, &v);
  json_t *names = json_object_get(body, "events");
  if (url && strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
    verr_add(&v, "url",
             "must start with https:// (http:// only where the region "
             "allows plaintext for the hospital)");
  if (!json_is_array(names) || json_array_size(names) == 0 ||
      json_array_size(names) > 50)
    verr_add(&v, "events", "a list of 1 to 50 event names");
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) if (!event_name_valid(json_string_value(n))) {
    verr_add(&v, "events", "event names look like \"teleconsult.closed\"");
    break;
  }
  if (verr_end(req, &v, &st))
    return st;
  /* Where it points: the hospital's outbound policy, on every address the
   * host resolves to now (delivery checks again on each connection). */
  outbound_policy policy;
  outbound_verdict verdict;
  if ((st = outbound_policy_load(req, &policy)) != CONCERTO_OK)
    return st;
  if (!outbound_url_check(&policy, url, true, &verdict))
    return outbound_refuse(req, "webhook", "url", &verdict);
  char secret[TOKEN_TEXT_LEN + 1];
  if (!token_new(secret))
    return CONCERTO_ERR_INTERNAL;
  /* A text[] literal: names are validated to [a-z0-9_.] only. */
  char *list = arena_strdup(&req->arena, "{");
  json_array_foreach(names, i, n) list = arena_printf(
      &req->arena, "%s%s%s", list, i ? "," : "", json_string_value(n));
  list = arena_printf(&req->arena, "%s}", list);
  const char *params[5] = {req->caller.tenant_id, url, secret, list,
                           req->caller.user_id};
  PGresult *r = NULL;
  st = request_query(req,
                     "INSERT INTO concerto.webhooks (tenant_id, url, secret, "
                     "events, created_by) VALUES ($1, $2, $3, $4::text[], $5) "
                     "RETURNING id::text, url, events, active, created_at",
                     5, params, &r);
  if (st != CONCERTO_OK)
    return st;
  request_audit(req, "webhook.create",
                arena_printf(&req->arena, "webhook:%s", PQgetvalue(r, 0, 0)),
                NULL, "success", NULL);
  json_t *out = row_json(r, 0);
  /* Shown once: the receiver keeps it to check X-Concerto-Signature. */
  json_object_set_new(out, "secret", json_string(secret));
  return req_respond_json(req, 201, out);
}

static concerto_status list_webhooks(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  concerto_status st =
      request_query(req,
                    "SELECT id::text, url, events, active, created_at FROM "
                    "concerto.webhooks WHERE tenant_id = $1 ORDER BY id",
                    1, (const char *[]){req->caller.tenant_id}, &r);
  return respond_rows(req, st, r, "webhooks");
}

static concerto_status delete_webhook(concerto_request *req, void *ud) {
  (void)ud;
  return end_by_id(req,
                   "UPDATE concerto.webhooks SET active = false WHERE id = $1 "
                   "AND active RETURNING id",
                   "webhook.delete", "webhook", "deleted", false);
}

static concerto_status list_deliveries(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  if (req->caller.regional_admin &&
      (st = db_regional_scope(req)) != CONCERTO_OK)
    return st;
  const char *state = req_query(req, "state");
  if (!state)
    state = "dead";
  if (strcmp(state, "dead") && strcmp(state, "pending") &&
      strcmp(state, "done"))
    return request_problem(req, 400, "bad_request", NULL,
                           "state: dead, pending or done");
  PGresult *r = NULL;
  st = request_query(
      req,
      "SELECT d.event_id::text, d.subscriber, d.state, d.attempts, "
      "d.next_attempt_at, d.last_error, d.done_at, e.name, e.version, "
      "e.created_at, t.code AS tenant FROM concerto.event_deliveries d JOIN "
      "concerto.events e ON e.id = d.event_id LEFT JOIN concerto.tenants t ON "
      "t.id = d.tenant_id WHERE d.state = $1 ORDER BY d.event_id DESC LIMIT "
      "500",
      1, (const char *[]){state}, &r);
  return respond_rows(req, st, r, "deliveries");
}

static concerto_status replay(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *event_id = field_str(body, "event_id", true, 18, &v);
  const char *subscriber = field_str(body, "subscriber", true, 200, &v);
  if (verr_end(req, &v, &st))
    return st;
  if (req->caller.regional_admin &&
      (st = db_regional_scope(req)) != CONCERTO_OK)
    return st;
  PGresult *r = NULL;
  st = request_query(
      req,
      "UPDATE concerto.event_deliveries SET state = 'pending', attempts = 0, "
      "next_attempt_at = now(), last_error = NULL WHERE subscriber = $2 AND "
      "event_id = $1::bigint AND state = 'dead' RETURNING event_id",
      2, (const char *[]){event_id, subscriber}, &r);
  if (st == CONCERTO_ERR_DB_QUERY)
    return CONCERTO_ERR_NOT_FOUND;
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return request_problem(req, 404, "not_found", NULL,
                           "No dead delivery with this event and subscriber.");
  request_query(req, "SELECT pg_notify('concerto_events', '')", 0, NULL, NULL);
  request_audit(req, "event.replay",
                arena_printf(&req->arena, "event:%s:%s", event_id, subscriber),
                NULL, "success", NULL);
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:s, s:s}", "event_id", event_id,
                                    "subscriber", subscriber, "state",
                                    "pending"));
}

/* What events exist, who produces and who listens: for the webhook page,
 * integrators and the documentation. */
static concerto_status catalog(concerto_request *req, void *ud) {
  (void)ud;
  return req_respond_json(req, 200, events_catalog_json(req->app->events));
}

const route_def routes_events[] = {
    {"GET", "/api/v1/events/catalog", "authenticated", catalog},
    {"POST", "/api/v1/tenants/{tenant}/webhooks", EVENT_ADMIN, create_webhook},
    {"GET", "/api/v1/tenants/{tenant}/webhooks", EVENT_ADMIN, list_webhooks},
    {"DELETE", "/api/v1/tenants/{tenant}/webhooks/{id}", EVENT_ADMIN,
     delete_webhook},
    {"GET", "/api/v1/events/deliveries", EVENT_ADMIN, list_deliveries},
    {"POST", "/api/v1/events/replay", EVENT_ADMIN, replay},
    {NULL, NULL, NULL, NULL},
};
