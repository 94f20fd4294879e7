/* A hospital's outbound allow-list (sql/0014_outbound.sql): which private
 * ranges the server may connect to on its behalf and whether plaintext is
 * allowed. Only regional administrators change it; the hospital's
 * administrators and IT read it, so that a refused webhook or directory URL
 * makes sense to them. Every change is audited. */
#include <stdio.h>
#include <string.h>

#include "handler_util.h"
#include "outbound_policy.h"
#include "routes.h"

/* One hospital's policy as the API shows it; the default when it has no
 * row. */
#define OUTBOUND_SELECT                                                        \
  "SELECT t.code AS tenant, coalesce(o.allow_cidrs::text[], '{}') AS "         \
  "allow_cidrs, coalesce(o.allow_plaintext, false) AS allow_plaintext, "       \
  "o.updated_at, u.username AS updated_by FROM concerto.tenants t LEFT JOIN "  \
  "concerto.tenant_outbound o ON o.tenant_id = t.id LEFT JOIN concerto.users " \
  "u ON u.id = o.updated_by "

static concerto_status get_outbound(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  concerto_status st =
      request_query(req, OUTBOUND_SELECT "WHERE t.id = $1", 1,
                    (const char *[]){req->caller.tenant_id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  return req_respond_json(req, 200, row_json(r, 0));
}

/* Every hospital's policy at once, for the regional Hospitals page. */
static concerto_status list_outbound(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st = db_regional_scope(req);
  PGresult *r = NULL;
  if (st == CONCERTO_OK)
    st = request_query(req, OUTBOUND_SELECT "ORDER BY t.code", 0, NULL, &r);
  return respond_rows(req, st, r, "outbound");
}

/* The canonical ranges of `cidrs` as a cidr[] literal (arena), adding an
 * error per unusable entry. */
static const char *cidr_literal(concerto_request *req, json_t *cidrs,
                                verrors *v) {
  if (!json_is_array(cidrs)) {
    verr_add_code(v, "allow_cidrs", cidrs ? "type" : "required",
                  "a list of address ranges such as [\"10.20.0.0/16\"]");
    return NULL;
  }
  if (json_array_size(cidrs) > OUTBOUND_MAX_CIDRS) {
    verr_add_code(v, "allow_cidrs", "length", "at most 32 ranges");
    return NULL;
  }
  const char *list = "{";
  size_t i;
  json_t *item;
  json_array_foreach(cidrs, i, item) {
    outbound_cidr c;
    char why[200], text[OUTBOUND_CIDR_TEXT];
    if (!json_is_string(item)) {
      verr_add_code(v, "allow_cidrs", "type",
                    "each range is a string such as \"10.20.0.0/16\"");
    } else if (!outbound_cidr_parse(json_string_value(item), &c, why,
                                    sizeof why)) {
      /* The entry and, for host bits, the range it would be: the console
       * words the message itself. */
      json_t *extra = json_pack("{s:s}", "value", json_string_value(item));
      if (c.family) {
        outbound_cidr_format(&c, text, sizeof text);
        json_object_set_new(extra, "suggestion", json_string(text));
      }
      verr_add_extra(v, "allow_cidrs", "cidr", why, extra);
    } else {
      /* Canonical text only: no quoting is needed in the literal. */
      outbound_cidr_format(&c, text, sizeof text);
      list = arena_printf(&req->arena, "%s%s%s", list, i ? "," : "", text);
    }
  }
  return arena_printf(&req->arena, "%s}", list);
}

static concerto_status put_outbound(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *list =
      cidr_literal(req, json_object_get(body, "allow_cidrs"), &v);
  json_t *plain = json_object_get(body, "allow_plaintext");
  if (!json_is_boolean(plain))
    verr_add_code(&v, "allow_plaintext", plain ? "type" : "required",
                  "must be true or false");
  if (verr_end(req, &v, &st))
    return st;
  const char *params[4] = {req->caller.tenant_id, list,
                           json_is_true(plain) ? "true" : "false",
                           req->caller.user_id};
  /* PostgreSQL takes the change only in a regional scope (the table's
   * policies): a hospital's own context cannot widen its allow-list. */
  if ((st = db_regional_scope(req)) != CONCERTO_OK)
    return st;
  st = request_query(
      req,
      "INSERT INTO concerto.tenant_outbound (tenant_id, allow_cidrs, "
      "allow_plaintext, updated_by) VALUES ($1, ARRAY(SELECT DISTINCT "
      "unnest($2::cidr[]) ORDER BY 1), $3::boolean, $4) ON CONFLICT "
      "(tenant_id) DO UPDATE SET allow_cidrs = EXCLUDED.allow_cidrs, "
      "allow_plaintext = EXCLUDED.allow_plaintext, updated_by = "
      "EXCLUDED.updated_by, updated_at = now()",
      4, params, NULL);
  if (st != CONCERTO_OK)
    return st;
  /* The resource names the new policy, so the trail shows what the region
   * opened and when. */
  request_audit(
      req, "tenant.outbound.update",
      arena_printf(&req->arena, "outbound:%s;plaintext=%s", list, params[2]),
      NULL, "success", NULL);
  return get_outbound(req, NULL);
}

#define OUTBOUND_READERS "regional_admin,hospital_admin,hospital_it"

const route_def routes_outbound[] = {
    {"GET", "/api/v1/outbound", "regional_admin", list_outbound},
    {"GET", "/api/v1/tenants/{tenant}/outbound", OUTBOUND_READERS,
     get_outbound},
    {"PUT", "/api/v1/tenants/{tenant}/outbound", "regional_admin",
     put_outbound},
    {NULL, NULL, NULL, NULL},
};
