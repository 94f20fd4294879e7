#include "handler_util.h"

#include <stdlib.h>
#include <string.h>

#include "problem.h"

void verr_init(verrors *v) {
  v->list = json_array();
}

void verr_add(verrors *v, const char *field, const char *message) {
  json_array_append_new(
      v->list, json_pack("{s:s, s:s}", "field", field, "message", message));
}

bool verr_any(const verrors *v) {
  return json_array_size(v->list) > 0;
}

void verr_free(verrors *v) {
  json_decref(v->list);
  v->list = NULL;
}

concerto_status verr_respond(concerto_request *req, verrors *v) {
  return verr_respond_as(req, v, 422, "validation_failed",
                         "Some fields are missing or invalid.");
}

concerto_status verr_respond_as(concerto_request *req, verrors *v,
                                unsigned status, const char *code,
                                const char *detail) {
  json_t *p = problem_json(status, code, NULL, detail);
  json_object_set_new(p, "errors", v->list);
  v->list = NULL;
  char *text = json_dumps(p, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(p);
  if (!text)
    return CONCERTO_ERR_NOMEM;
  concerto_status st =
      req_respond_bytes(req, status, "application/problem+json; charset=utf-8",
                        text, strlen(text));
  free(text);
  return st;
}

json_t *body_object(concerto_request *req, concerto_status *st) {
  json_t *body = NULL;
  *st = req_json(req, &body);
  if (*st != CONCERTO_OK)
    return NULL;
  if (!json_is_object(body)) {
    request_problem(req, 400, "bad_request", NULL,
                    "The body must be a JSON object.");
    *st = CONCERTO_ERR_INVALID;
    return NULL;
  }
  return body;
}

const char *field_str(json_t *obj, const char *name, bool required,
                      size_t maxlen, verrors *v) {
  json_t *f = json_object_get(obj, name);
  if (!f || json_is_null(f)) {
    if (required)
      verr_add_code(v, name, "required", "required");
    return NULL;
  }
  if (!json_is_string(f)) {
    verr_add_code(v, name, "type", "must be a string");
    return NULL;
  }
  const char *s = json_string_value(f);
  /* Spaces alone are no value either (a surname of " "). */
  if (required && s[strspn(s, " \t\r\n")] == '\0') {
    verr_add_code(v, name, "required", "must not be empty");
    return NULL;
  }
  if (strlen(s) > maxlen) {
    verr_add_code(v, name, "length", "too long");
    return NULL;
  }
  return s;
}

/* PostgreSQL type OIDs the JSON conversion knows. */
#define OID_BOOL 16
#define OID_JSON 114
#define OID_JSONB 3802
#define OID_TEXT_ARRAY 1009

static json_t *text_array(const char *text) {
  json_t *a = json_array();
  if (!text || text[0] != '{')
    return a;
  const char *p = text + 1;
  while (*p && *p != '}') {
    const char *end = p + strcspn(p, ",}");
    json_array_append_new(a, json_stringn(p, (size_t)(end - p)));
    p = *end == ',' ? end + 1 : end;
  }
  return a;
}

json_t *row_json(PGresult *r, int row) {
  json_t *o = json_object();
  for (int c = 0; c < PQnfields(r); c++) {
    const char *name = PQfname(r, c);
    if (PQgetisnull(r, row, c)) {
      json_object_set_new(o, name, json_null());
      continue;
    }
    const char *v = PQgetvalue(r, row, c);
    switch (PQftype(r, c)) {
    case OID_BOOL:
      json_object_set_new(o, name, json_boolean(v[0] == 't'));
      break;
    case OID_JSON:
    case OID_JSONB: {
      json_t *parsed = json_loads(v, JSON_DECODE_ANY, NULL);
      json_object_set_new(o, name, parsed ? parsed : json_null());
      break;
    }
    case OID_TEXT_ARRAY:
      json_object_set_new(o, name, text_array(v));
      break;
    default:
      json_object_set_new(o, name, json_string(v));
    }
  }
  return o;
}

json_t *rows_json(PGresult *r) {
  json_t *a = json_array();
  for (int i = 0; i < PQntuples(r); i++)
    json_array_append_new(a, row_json(r, i));
  return a;
}

concerto_status db_regional_scope(concerto_request *req) {
  return request_query(req, "SELECT concerto.context_regional()", 0, NULL,
                       NULL);
}

concerto_status db_system_scope(concerto_request *req, const char *tenant_id) {
  const char *p[2] = {req->app->server_key, tenant_id};
  return request_query(
      req,
      tenant_id ? "SELECT concerto.context_system($1, $2::bigint, false)"
                : "SELECT concerto.context_system($1, NULL, true)",
      tenant_id ? 2 : 1, p, NULL);
}

bool text_is_id(const char *s) {
  return s && *s && s[0] != '0' && strlen(s) <= 18 &&
         strspn(s, "0123456789") == strlen(s);
}

const char *id_param(concerto_request *req, const char *name) {
  const char *v = req_param(req, name);
  return text_is_id(v) ? v : NULL;
}

concerto_status end_by_id(concerto_request *req, const char *sql,
                          const char *action, const char *kind,
                          const char *answer_key, bool patient_in_row) {
  const char *id = id_param(req, "id");
  if (!id)
    return CONCERTO_ERR_NOT_FOUND;
  PGresult *r;
  concerto_status st = request_query(req, sql, 1, (const char *[]){id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  request_audit(req, action, arena_printf(&req->arena, "%s:%s", kind, id),
                patient_in_row ? PQgetvalue(r, 0, 0) : NULL, "success", NULL);
  return req_respond_json(req, 200, json_pack("{s:s}", answer_key, id));
}

void verr_add_code(verrors *v, const char *field, const char *code,
                   const char *message) {
  verr_add_extra(v, field, code, message, NULL);
}

void verr_add_extra(verrors *v, const char *field, const char *code,
                    const char *message, json_t *extra) {
  json_t *e = json_pack("{s:s, s:s, s:s}", "field", field, "code", code,
                        "message", message);
  if (extra)
    json_object_update(e, extra);
  json_decref(extra);
  json_array_append_new(v->list, e);
}

concerto_status respond_rows(concerto_request *req, concerto_status st,
                             PGresult *r, const char *key) {
  if (st != CONCERTO_OK)
    return st;
  return req_respond_json(req, 200, json_pack("{s:o}", key, rows_json(r)));
}

json_t *body_begin(concerto_request *req, concerto_status *st, verrors *v) {
  json_t *body = body_object(req, st);
  if (body)
    verr_init(v);
  return body;
}

bool verr_end(concerto_request *req, verrors *v, concerto_status *st) {
  if (verr_any(v)) {
    *st = verr_respond(req, v);
    return true;
  }
  verr_free(v);
  return false;
}
