/* The privacy officer's view of the audit trail, and its verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_util.h"
#include "routes.h"

#define AUDIT_PAGE_MAX 500

static bool digits(const char *s) {
  if (!s || !*s || strlen(s) > 18)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static concerto_status list_audit(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  if (req->caller.regional_admin &&
      (st = db_regional_scope(req)) != CONCERTO_OK)
    return st;
  const char *patient = req_query(req, "patient");
  const char *user = req_query(req, "user");
  const char *from = req_query(req, "from");
  const char *to = req_query(req, "to");
  const char *action = req_query(req, "action");
  const char *limit = req_query(req, "limit");
  const char *cursor = req_query(req, "cursor");
  verrors v;
  verr_init(&v);
  if (patient && !digits(patient))
    verr_add(&v, "patient", "a patient id");
  if (cursor && !digits(cursor))
    verr_add(&v, "cursor", "the next_cursor of a previous page");
  long n = limit ? strtol(limit, NULL, 10) : 100;
  if (limit && (!digits(limit) || n < 1 || n > AUDIT_PAGE_MAX))
    verr_add(&v, "limit", "from 1 to 500");
  if (verr_end(req, &v, &st))
    return st;
  char nbuf[16];
  snprintf(nbuf, sizeof nbuf, "%ld", n);
  const char *params[7] = {patient, user, from, to, action, cursor, nbuf};
  PGresult *r = NULL;
  st = request_query(
      req,
      "SELECT a.id::text, a.at, a.actor_kind, a.actor_id::text, a.actor_name, "
      "a.role, t.code AS tenant, a.patient_id::text, a.action, a.resource, "
      "a.outcome, host(a.client_addr) AS client_addr, a.request_id, a.hash "
      "FROM concerto.audit_log a LEFT JOIN concerto.tenants t ON t.id = "
      "a.tenant_id WHERE ($1::bigint IS NULL OR a.patient_id = $1::bigint) "
      "AND ($2::text IS NULL OR a.actor_name = $2) AND ($3::timestamptz IS "
      "NULL OR a.at >= $3::timestamptz) AND ($4::timestamptz IS NULL OR a.at "
      "< $4::timestamptz) AND ($5::text IS NULL OR a.action LIKE $5 || '%') "
      "AND ($6::bigint IS NULL OR a.id < $6::bigint) ORDER BY a.id DESC "
      "LIMIT $7::integer",
      7, params, &r);
  if (st == CONCERTO_ERR_DB_QUERY) {
    verr_init(&v);
    verr_add(&v, "from", "from and to are RFC 3339 times");
    return verr_respond(req, &v);
  }
  if (st != CONCERTO_OK)
    return st;
  int rows = PQntuples(r);
  json_t *body = json_pack("{s:o}", "events", rows_json(r));
  json_object_set_new(body, "next_cursor",
                      rows == n ? json_string(PQgetvalue(r, rows - 1, 0))
                                : json_null());
  request_audit(req, "audit.read", patient ? "audit:patient" : "audit", patient,
                "success", NULL);
  return req_respond_json(req, 200, body);
}

static concerto_status verify_audit(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  concerto_status st;
  /* Every chain for a regional administrator; a privacy officer's own
   * hospital's otherwise (audit_verify reads the scope from the context). */
  if (req->caller.regional_admin &&
      (st = db_regional_scope(req)) != CONCERTO_OK)
    return st;
  st = request_query(req,
                     "SELECT rows_checked, broken_id, broken_chain FROM "
                     "concerto.audit_verify()",
                     0, NULL, &r);
  if (st != CONCERTO_OK)
    return st;
  bool intact = PQgetisnull(r, 0, 1);
  json_t *body = json_pack("{s:b, s:s}", "intact", intact, "rows_checked",
                           PQgetvalue(r, 0, 0));
  if (!intact) {
    json_object_set_new(body, "broken_id", json_string(PQgetvalue(r, 0, 1)));
    json_object_set_new(body, "broken_chain", json_string(PQgetvalue(r, 0, 2)));
  }
  request_audit(req, "audit.verify", intact ? "intact" : "broken", NULL,
                "success", NULL);
  return req_respond_json(req, 200, body);
}

const route_def routes_audit[] = {
    {"GET", "/api/v1/audit", "privacy_officer,regional_admin", list_audit},
    {"GET", "/api/v1/audit/verify", "privacy_officer,regional_admin",
     verify_audit},
    {NULL, NULL, NULL, NULL},
};
