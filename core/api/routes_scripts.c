/* Hospital IT's Lua: upload (compiled and dry-run, then kept as a draft
 * until someone activates it), preview and dry runs of any version,
 * activation and rollback, the 15-form limit; and for clinicians, form
 * validation and stored submissions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_util.h"
#include "lua_form.h"
#include "lua_functions.h"
#include "lua_rules.h"
#include "rule_registry.h"
#include "routes.h"
#include "scripts.h"

#define SCRIPT_IT "hospital_it,hospital_admin"
#define FORM_USERS "patient_care,hospital_it"
#define FORM_LIMIT 15
#define SCRIPT_MAX_BYTES (256u << 10)

static const char *kind_of(concerto_request *req) {
  const char *path = req->match.template;
  return strstr(path, "/forms")  ? "form"
         : strstr(path, "/libs") ? "lib"
                                 : "rules";
}

static script_kind kind_enum(const char *k) {
  return strcmp(k, "form") == 0    ? SCRIPT_FORM
         : strcmp(k, "rules") == 0 ? SCRIPT_RULES
                                   : SCRIPT_LIB;
}

static bool valid_id(const char *id) {
  if (!id || !(*id >= 'a' && *id <= 'z') || strlen(id) > 64)
    return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return false;
  return true;
}

/* The hospital's active libraries, for require while compiling. */
static script_lib *active_libs(concerto_request *req, size_t *n) {
  PGresult *r = NULL;
  *n = 0;
  if (request_query(req,
                    "SELECT s.script_id, s.source FROM concerto.script_active "
                    "a JOIN concerto.scripts s USING (tenant_id, kind, "
                    "script_id, version) WHERE a.kind = 'lib'",
                    0, NULL, &r) != CONCERTO_OK)
    return NULL;
  script_lib *libs = req_alloc(req, sizeof *libs * ((size_t)PQntuples(r) + 1));
  for (int i = 0; libs && i < PQntuples(r); i++)
    libs[(*n)++] = (script_lib){PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)};
  return libs;
}

static concerto_status script_invalid(concerto_request *req, json_t *errors) {
  json_t *p = json_pack(
      "{s:s, s:s, s:i, s:s, s:s, s:O}", "type",
      "urn:concerto:problem:script_invalid", "title", "Unprocessable Content",
      "status", 422, "code", "script_invalid", "detail",
      "The script was not accepted; nothing changed.", "errors", errors);
  char *text = json_dumps(p, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(p);
  concerto_status st = req_respond_bytes(
      req, 422, "application/problem+json; charset=utf-8", text, strlen(text));
  free(text);
  return st;
}

/* The chunk name messages and error lines refer to. */
static char *chunk_name(concerto_request *req, const char *kind,
                        const char *id) {
  return req_printf(req, "%s/%s%s.lua", req->caller.tenant_code,
                    strcmp(kind, "form") == 0  ? "forms/"
                    : strcmp(kind, "lib") == 0 ? "lib/"
                                               : "",
                    id);
}

/* A Lua error at run time, with its line for the editor. */
static concerto_status script_error(concerto_request *req, const char *err) {
  json_t *p =
      json_pack("{s:s, s:s, s:i, s:s, s:s, s:i}", "type",
                "urn:concerto:problem:script_error", "title",
                "Unprocessable Content", "status", 422, "code", "script_error",
                "detail", err, "line", script_error_line(err));
  char *text = json_dumps(p, JSON_COMPACT);
  json_decref(p);
  concerto_status st = req_respond_bytes(
      req, 422, "application/problem+json; charset=utf-8", text, strlen(text));
  free(text);
  return st;
}

/* Stored version `ver` of the script `kind`/`id`, loaded on its own for
 * hospital IT's preview or dry run (*out; NULL when a problem was sent). */
static concerto_status version_draft(concerto_request *req, const char *kind,
                                     const char *id, const json_t *ver,
                                     script_draft **out) {
  *out = NULL;
  if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
    verrors v;
    verr_init(&v);
    verr_add(&v, "version", "a version number of this script");
    return verr_respond(req, &v);
  }
  if (!req_has_role(req, "hospital_it") && !req_has_role(req, "hospital_admin"))
    return request_problem(req, 403, "forbidden", NULL,
                           "Only hospital IT tries versions that are not "
                           "active.");
  char version[24];
  snprintf(version, sizeof version, "%lld", (long long)json_integer_value(ver));
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT source FROM concerto.scripts WHERE kind = $1 AND script_id = $2 "
      "AND version = $3::integer",
      3, (const char *[]){kind, id, version}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return request_problem(req, 404, "not_found", NULL,
                           "No such version of this script.");
  size_t nlibs;
  script_lib *libs = active_libs(req, &nlibs);
  char err[512] = "";
  *out = script_draft_load(req, kind_enum(kind), chunk_name(req, kind, id),
                           req_strdup(req, PQgetvalue(r, 0, 0)), libs, nlibs,
                           err, sizeof err);
  return *out ? CONCERTO_OK : script_error(req, err);
}

static concerto_status bump_generation(concerto_request *req) {
  return request_query(req,
                       "INSERT INTO concerto.script_sets (tenant_id) VALUES "
                       "(concerto.current_tenant()) ON CONFLICT (tenant_id) DO "
                       "UPDATE SET generation = script_sets.generation + 1",
                       0, NULL, NULL);
}

/* Makes `version` of the script the active one, honouring the form limit. */
static concerto_status activate(concerto_request *req, const char *kind,
                                const char *id, const char *version) {
  PGresult *r = NULL;
  concerto_status st;
  if (strcmp(kind, "form") == 0) {
    if ((st = request_query(req,
                            "SELECT count(*) FROM concerto.script_active WHERE "
                            "kind = 'form' AND script_id <> $1",
                            1, (const char *[]){id}, &r)) != CONCERTO_OK)
      return st;
    if (atoi(PQgetvalue(r, 0, 0)) >= FORM_LIMIT) {
      char detail[200];
      snprintf(detail, sizeof detail,
               "This hospital already has %d active forms, the most allowed. "
               "Deactivate one before adding another.",
               FORM_LIMIT);
      return request_problem(req, 409, "form_limit_reached", NULL, detail);
    }
  }
  const char *p[4] = {kind, id, version, req->caller.user_id};
  if ((st = request_query(
           req,
           "INSERT INTO concerto.script_active (kind, script_id, version, "
           "activated_by) VALUES ($1, $2, $3::integer, $4) ON CONFLICT "
           "(tenant_id, kind, script_id) DO UPDATE SET version = $3::integer, "
           "activated_by = $4, activated_at = now()",
           4, p, NULL)) != CONCERTO_OK ||
      (st = bump_generation(req)) != CONCERTO_OK)
    return st;
  request_audit(req, "script.activate",
                req_printf(req, "%s:%s@%s", kind, id, version), NULL, "success",
                NULL);
  return CONCERTO_OK;
}

static concerto_status upload(concerto_request *req, void *ud) {
  (void)ud;
  const char *kind = kind_of(req);
  const char *id = req_param(req, "id");
  if (!valid_id(id))
    return request_problem(req, 404, "not_found", NULL,
                           "Script names are [a-z][a-z0-9_]*, up to 64.");
  if (strcmp(kind, "rules") == 0 && strcmp(id, "rules") != 0)
    return request_problem(req, 404, "not_found", NULL,
                           "A hospital has one rules script, named \"rules\".");
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *source = field_str(body, "source", true, SCRIPT_MAX_BYTES, &v);
  json_t *samples = json_object_get(body, "samples");
  if (samples && !json_is_object(samples))
    verr_add(&v, "samples", "an object: rule name -> sample input");
  /* A draft by default: doctors keep the active version until hospital IT
   * has seen the preview and activates. Deployment scripts may ask for
   * both in one transaction. */
  json_t *activate_now = json_object_get(body, "activate");
  if (activate_now && !json_is_boolean(activate_now))
    verr_add(&v, "activate", "true or false");
  if (verr_end(req, &v, &st))
    return st;
  size_t nlibs;
  script_lib *libs = active_libs(req, &nlibs);
  char *chunk = chunk_name(req, kind, id);
  script_check c;
  script_compile(req, kind_enum(kind), chunk, source, libs, nlibs, samples, &c);
  if (c.ok && strcmp(kind, "form") == 0 && strcmp(c.form_id, id) != 0) {
    c.ok = false;
    c.errors = json_pack("[{s:s, s:s}]", "field", "source", "message",
                         "the form's id must be the name in the address");
  }
  if (!c.ok) {
    st = script_invalid(req, c.errors);
    script_check_clear(&c);
    request_audit(req, "script.upload", req_printf(req, "%s:%s", kind, id),
                  NULL, "failure", NULL);
    return st;
  }
  char *rendered = c.rendered ? json_dumps(c.rendered, JSON_COMPACT) : NULL;
  const char *p[5] = {kind, id, source, rendered, req->caller.user_id};
  PGresult *r = NULL;
  st = request_query(
      req,
      "INSERT INTO concerto.scripts (kind, script_id, version, source, "
      "rendered, title, created_by) SELECT $1, $2, coalesce(max(version), 0) "
      "+ 1, $3, $4::jsonb, $4::jsonb->>'title', $5 FROM concerto.scripts "
      "WHERE kind = $1 AND script_id = $2 RETURNING version::text, "
      "(version = 1)",
      5, p, &r);
  free(rendered);
  if (st != CONCERTO_OK) {
    script_check_clear(&c);
    return st;
  }
  const char *version = req_strdup(req, PQgetvalue(r, 0, 0));
  bool created = PQgetvalue(r, 0, 1)[0] == 't';
  request_audit(req, "script.upload",
                req_printf(req, "%s:%s@%s", kind, id, version), NULL, "success",
                NULL);
  bool active = json_is_true(activate_now);
  if (active) {
    st = activate(req, kind, id, version);
    if (st != CONCERTO_OK || req->responded) {
      script_check_clear(&c);
      return st; /* the 409 rolls the upload back too */
    }
  }
  json_t *out =
      json_pack("{s:s, s:s, s:i, s:b, s:b}", "kind", kind, "id", id, "version",
                atoi(version), "active", active, "draft", !active);
  if (c.rendered) {
    json_object_set_new(out, "form_id", json_string(id));
    json_object_set(out, "form", c.rendered);
  } else {
    json_object_set_new(out, "rule_id", json_string(id));
  }
  script_check_clear(&c);
  return req_respond_json(req, created ? 201 : 200, out);
}

static concerto_status list_scripts(concerto_request *req, void *ud) {
  (void)ud;
  const char *kind = kind_of(req);
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT s.script_id AS id, max(s.version) AS latest_version, "
      "a.version AS version, (a.version IS NOT NULL) AS active, "
      /* the title doctors see: the active version's */
      "coalesce(max(s.title) FILTER (WHERE s.version = a.version), "
      "(array_agg(s.title ORDER BY s.version DESC))[1]) AS title, "
      "max(s.created_at) AS updated_at FROM concerto.scripts s LEFT JOIN "
      "concerto.script_active a USING (tenant_id, kind, script_id) WHERE "
      "s.kind = $1 GROUP BY s.script_id, a.version ORDER BY s.script_id",
      1, (const char *[]){kind}, &r);
  if (st != CONCERTO_OK)
    return st;
  json_t *list = rows_json(r);
  int active = 0;
  size_t i;
  json_t *row;
  json_array_foreach(list, i, row) {
    active += json_is_true(json_object_get(row, "active"));
    json_object_set(row, strcmp(kind, "form") == 0 ? "form_id" : "rule_id",
                    json_object_get(row, "id"));
  }
  json_t *body = json_pack("{s:o}",
                           strcmp(kind, "form") == 0  ? "forms"
                           : strcmp(kind, "lib") == 0 ? "libs"
                                                      : "rules",
                           list);
  if (strcmp(kind, "form") == 0) {
    json_object_set_new(body, "active_count", json_integer(active));
    json_object_set_new(body, "limit", json_integer(FORM_LIMIT));
  }
  return req_respond_json(req, 200, body);
}

static concerto_status get_script(concerto_request *req, void *ud) {
  (void)ud;
  const char *kind = kind_of(req);
  const char *id = req_param(req, "id");
  const char *version = req_query(req, "version");
  PGresult *r, *v;
  concerto_status st = request_query(
      req,
      "SELECT s.version, s.source, s.rendered FROM concerto.scripts s WHERE "
      "s.kind = $1 AND s.script_id = $2 AND s.version = coalesce($3::integer, "
      "(SELECT version FROM concerto.script_active a WHERE a.kind = $1 AND "
      "a.script_id = $2), (SELECT max(version) FROM concerto.scripts WHERE "
      "kind = $1 AND script_id = $2))",
      3, (const char *[]){kind, id, version}, &r);
  if (st == CONCERTO_ERR_DB_QUERY)
    return CONCERTO_ERR_NOT_FOUND;
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  if ((st = request_query(
           req,
           "SELECT s.version, (a.version = s.version) IS TRUE AS active, "
           "s.created_at FROM concerto.scripts s LEFT JOIN "
           "concerto.script_active a USING (tenant_id, kind, script_id) WHERE "
           "s.kind = $1 AND s.script_id = $2 ORDER BY s.version DESC",
           2, (const char *[]){kind, id}, &v)) != CONCERTO_OK)
    return st;
  json_t *out = row_json(r, 0);
  json_object_set_new(out, "version", json_integer(atoi(PQgetvalue(r, 0, 0))));
  json_object_set_new(out, "id", json_string(id));
  json_object_set_new(out, strcmp(kind, "form") == 0 ? "form_id" : "rule_id",
                      json_string(id));
  json_t *form = json_object_get(out, "rendered");
  if (form)
    json_object_set(out, "form", form);
  json_object_del(out, "rendered");
  json_t *versions = rows_json(v);
  size_t i;
  json_t *row;
  json_int_t active_version = 0, latest_version = 0;
  json_array_foreach(versions, i, row) {
    json_int_t n = atoi(json_string_value(json_object_get(row, "version")));
    json_object_set_new(row, "version", json_integer(n));
    if (json_is_true(json_object_get(row, "active")))
      active_version = n;
    if (n > latest_version)
      latest_version = n;
  }
  json_object_set_new(out, "versions", versions);
  /* The numbers the page shows: the stored versions, never the version a
   * form script declares about itself. */
  json_object_set_new(out, "active_version",
                      active_version ? json_integer(active_version)
                                     : json_null());
  json_object_set_new(out, "latest_version", json_integer(latest_version));
  return req_respond_json(req, 200, out);
}

static concerto_status activate_version(concerto_request *req, void *ud) {
  (void)ud;
  const char *kind = kind_of(req);
  const char *id = req_param(req, "id");
  concerto_status st;
  json_t *body = body_object(req, &st);
  if (!body)
    return st;
  json_t *ver = json_object_get(body, "version");
  if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
    verrors v;
    verr_init(&v);
    verr_add(&v, "version", "a version number of this script");
    return verr_respond(req, &v);
  }
  char version[24];
  snprintf(version, sizeof version, "%lld", (long long)json_integer_value(ver));
  PGresult *r = NULL;
  if ((st = request_query(req,
                          "SELECT 1 FROM concerto.scripts WHERE kind = $1 AND "
                          "script_id = $2 AND version = $3::integer",
                          3, (const char *[]){kind, id, version}, &r)) !=
      CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return request_problem(req, 404, "not_found", NULL,
                           "No such version of this script.");
  if ((st = activate(req, kind, id, version)) != CONCERTO_OK || req->responded)
    return st;
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:s, s:s, s:b}", "kind", kind, "id",
                                    id, "version", version, "active", 1));
}

static concerto_status deactivate(concerto_request *req, void *ud) {
  (void)ud;
  const char *kind = kind_of(req);
  const char *id = req_param(req, "id");
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "DELETE FROM concerto.script_active WHERE kind = $1 AND script_id = $2 "
      "RETURNING version",
      2, (const char *[]){kind, id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  if ((st = bump_generation(req)) != CONCERTO_OK)
    return st;
  request_audit(req, "script.deactivate", req_printf(req, "%s:%s", kind, id),
                NULL, "success", NULL);
  return req_respond_json(
      req, 200,
      json_pack("{s:s, s:s, s:b}", "kind", kind, "id", id, "active", 0));
}

/* Runs a rule of the active rules against sample input: for hospital IT,
 * shows the decision or the error with its line. */
static concerto_status test_rule(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *fn = field_str(body, "function", true, 64, &v);
  json_t *input = json_object_get(body, "input");
  json_t *ver = json_object_get(body, "version");
  json_t *args = json_object_get(body, "args");
  if (!json_is_object(input) &&
      !(json_is_array(args) && json_array_size(args) <= 2))
    verr_add(&v, "input",
             "a JSON object passed to the rule (or \"args\": up to two "
             "arguments)");
  if (verr_end(req, &v, &st))
    return st;
  const json_t *argv[2] = {input, NULL};
  size_t argc = 1;
  if (!input) {
    argc = json_array_size(args);
    argv[0] = json_array_get(args, 0);
    argv[1] = json_array_get(args, 1);
  }
  json_t *decision = NULL;
  bool defaulted = false;
  char err[512] = "";
  /* A version given: that upload (usually the draft in the editor), not
   * the one doctors run. */
  script_draft *draft = NULL;
  if (ver) {
    st = version_draft(req, "rules", "rules", ver, &draft);
    if (!draft)
      return st;
  }
  lua_box *b = draft ? script_draft_box(draft)
                     : scripts_box(req, NULL, NULL, err, sizeof err);
  lua_box_status ls = LUA_BOX_MISSING;
  if (b)
    ls = lua_rules_call(b, fn, argc, argv, &decision, &defaulted, err,
                        sizeof err);
  else if ((decision = lua_rules_default(fn, argv[0])))
    ls = LUA_BOX_OK, defaulted = true;
  script_draft_free(draft);
  if (ls == LUA_BOX_MISSING)
    return request_problem(req, 404, "not_found", NULL,
                           "No such rule and no default for it.");
  if (ls != LUA_BOX_OK)
    return script_error(req, err);
  json_t *out =
      json_pack("{s:o, s:b}", "result", decision ? decision : json_null(),
                "defaulted", defaulted);
  if (ver)
    json_object_set(out, "version", ver);
  return req_respond_json(req, 200, out);
}

/* Validates answers with the active version of a form. On success
 * *normalized holds the answers with computed fields. */
/* Validates `values` with `form` of box `b`; a 422 naming each field. */
static concerto_status run_validation(concerto_request *req, lua_box *b,
                                      const lua_form *form, json_t *values,
                                      json_t **normalized) {
  char err[512] = "";
  json_t *errors =
      lua_form_validate(b, form, values, normalized, err, sizeof err);
  if (!errors)
    return request_problem(req, 500, "script_error", NULL, err);
  if (json_array_size(errors) > 0) {
    json_decref(*normalized);
    *normalized = NULL;
    verrors v = {errors};
    return verr_respond(req, &v);
  }
  json_decref(errors);
  return CONCERTO_OK;
}

static concerto_status check_answers(concerto_request *req, json_t *values,
                                     json_t **normalized, int *version) {
  const char *id = req_param(req, "id");
  const lua_form *form = NULL;
  char err[512] = "";
  lua_box *b = scripts_box(req, id, &form, err, sizeof err);
  if (!b || !form)
    return request_problem(req, 404, "not_found", NULL,
                           "No active form with this name in this hospital.");
  /* Submissions record the stored version (uploads count), read in the
   * same transaction as the state's generation, so they agree. */
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT version FROM concerto.script_active WHERE kind = 'form' AND "
      "script_id = $1",
      1, (const char *[]){id}, &r);
  if (st != CONCERTO_OK)
    return st;
  *version = PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 0;
  return run_validation(req, b, form, values, normalized);
}

/* The request body and its "values" object, or NULL with *st set (a 422
 * naming "values" answered). Both borrowed from the request. */
static json_t *body_values(concerto_request *req, json_t **body,
                           concerto_status *st) {
  *body = body_object(req, st);
  if (!*body)
    return NULL;
  json_t *values = json_object_get(*body, "values");
  if (!json_is_object(values)) {
    verrors v;
    verr_init(&v);
    verr_add(&v, "values", "an object: field id -> answer");
    *st = verr_respond(req, &v);
    return NULL;
  }
  return values;
}

static concerto_status validate_form(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  json_t *body = NULL;
  json_t *values = body_values(req, &body, &st);
  if (!values)
    return st;
  json_t *normalized = NULL;
  int version = 0;
  json_t *ver = json_object_get(body, "version");
  if (ver) { /* hospital IT's preview of a draft */
    script_draft *d = NULL;
    st = version_draft(req, "form", req_param(req, "id"), ver, &d);
    if (!d)
      return st;
    version = (int)json_integer_value(ver);
    st = run_validation(req, script_draft_box(d), script_draft_form(d), values,
                        &normalized);
    script_draft_free(d);
  } else {
    st = check_answers(req, values, &normalized, &version);
  }
  if (st != CONCERTO_OK || req->responded)
    return st;
  return req_respond_json(req, 200,
                          json_pack("{s:b, s:i, s:o}", "valid", 1, "version",
                                    version, "values", normalized));
}

/* The page filling a form asks, debounced as the user types, which fields
 * are visible and what the computed ones are: the same run as validation,
 * so the page hides and requires exactly what the server will. 200 with
 * the errors listed (a partial submission is expected to have some); 500
 * only when the script failed. `version` evaluates hospital IT's draft. */
static concerto_status evaluate_form(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  json_t *body = NULL;
  json_t *values = body_values(req, &body, &st);
  if (!values)
    return st;
  char err[512] = "";
  script_draft *d = NULL;
  lua_box *b = NULL;
  const lua_form *form = NULL;
  json_t *ver = json_object_get(body, "version");
  if (ver) {
    st = version_draft(req, "form", req_param(req, "id"), ver, &d);
    if (!d)
      return st;
    b = script_draft_box(d);
    form = script_draft_form(d);
  } else {
    b = scripts_box(req, req_param(req, "id"), &form, err, sizeof err);
    if (!b || !form)
      return request_problem(req, 404, "not_found", NULL,
                             "No active form with this name in this hospital.");
  }
  json_t *out = lua_form_evaluate(b, form, values, err, sizeof err);
  script_draft_free(d);
  if (!out)
    return request_problem(req, 500, "script_error", NULL, err);
  return req_respond_json(req, 200, out);
}

/* Stores answers with the form version they were filled with. */
static concerto_status submit_form(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  json_t *body = NULL;
  json_t *values = body_values(req, &body, &st);
  if (!values)
    return st;
  const char *patient = json_string_value(json_object_get(body, "patient_id"));
  const char *subject = json_string_value(json_object_get(body, "subject"));
  json_t *normalized = NULL;
  int version = 0;
  st = check_answers(req, values, &normalized, &version);
  if (st != CONCERTO_OK || req->responded)
    return st;
  char *answers = json_dumps(normalized, JSON_COMPACT);
  json_decref(normalized);
  char vtext[16];
  snprintf(vtext, sizeof vtext, "%d", version);
  const char *p[6] = {req_param(req, "id"), vtext, patient, subject, answers,
                      req->caller.user_id};
  PGresult *r = NULL;
  st = request_query(req,
                     "INSERT INTO concerto.form_submissions (form_id, "
                     "form_version, patient_id, subject, answers, created_by) "
                     "VALUES ($1, $2::integer, $3::bigint, $4, $5::jsonb, $6) "
                     "RETURNING id::text",
                     6, p, &r);
  free(answers);
  if (st == CONCERTO_ERR_DB_CONSTRAINT || st == CONCERTO_ERR_DB_QUERY) {
    verrors v;
    verr_init(&v);
    verr_add(&v, "patient_id", "no such patient");
    return verr_respond(req, &v);
  }
  if (st != CONCERTO_OK)
    return st;
  request_audit(req, "form.submission.create",
                req_printf(req, "form_submission:%s", PQgetvalue(r, 0, 0)),
                patient, "success", NULL);
  return req_respond_json(req, 201,
                          json_pack("{s:s, s:s, s:i}", "id",
                                    PQgetvalue(r, 0, 0), "form_id", p[0],
                                    "form_version", version));
}

/* A stored submission with the form as it was when it was filled. */
static concerto_status get_submission(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = id_param(req, "id");
  if (!id)
    return CONCERTO_ERR_NOT_FOUND;
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT f.id::text, f.form_id, f.form_version, f.patient_id::text, "
      "f.subject, f.answers, f.created_at, s.rendered AS form FROM "
      "concerto.form_submissions f JOIN concerto.scripts s ON s.tenant_id = "
      "f.tenant_id AND s.kind = 'form' AND s.script_id = f.form_id AND "
      "s.version = f.form_version WHERE f.id = $1",
      1, (const char *[]){id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  request_audit(
      req, "form.submission.read", req_printf(req, "form_submission:%s", id),
      PQgetisnull(r, 0, 3) ? NULL : PQgetvalue(r, 0, 3), "success", NULL);
  json_t *out = row_json(r, 0);
  json_object_set_new(out, "form_version",
                      json_integer(atoi(PQgetvalue(r, 0, 2))));
  return req_respond_json(req, 200, out);
}

#define T "/api/v1/tenants/{tenant}"
/* The rules and module functions hospital scripts may use, with the
 * samples the editor offers for a dry run. */
static concerto_status catalog(concerto_request *req, void *ud) {
  (void)ud;
  return req_respond_json(req, 200,
                          json_pack("{s:o, s:o}", "rules", rule_registry_json(),
                                    "functions", lua_functions_json()));
}

const route_def routes_scripts[] = {
    {"GET", "/api/v1/scripts/catalog", SCRIPT_IT, catalog},
    {"GET", T "/forms", SCRIPT_IT "," FORM_USERS, list_scripts},
    {"GET", T "/forms/{id}", SCRIPT_IT "," FORM_USERS, get_script},
    {"PUT", T "/forms/{id}", SCRIPT_IT, upload},
    {"DELETE", T "/forms/{id}", SCRIPT_IT, deactivate},
    {"POST", T "/forms/{id}/activate", SCRIPT_IT, activate_version},
    {"POST", T "/forms/{id}/validate", FORM_USERS, validate_form},
    {"POST", T "/forms/{id}/evaluate", FORM_USERS, evaluate_form},
    {"POST", T "/forms/{id}/submissions", FORM_USERS, submit_form},
    {"GET", T "/form-submissions/{id}", FORM_USERS, get_submission},
    {"GET", T "/rules", SCRIPT_IT, list_scripts},
    {"GET", T "/rules/{id}", SCRIPT_IT, get_script},
    {"PUT", T "/rules/{id}", SCRIPT_IT, upload},
    {"POST", T "/rules/{id}/activate", SCRIPT_IT, activate_version},
    {"POST", T "/rules/{id}/test", SCRIPT_IT, test_rule},
    {"GET", T "/libs", SCRIPT_IT, list_scripts},
    {"GET", T "/libs/{id}", SCRIPT_IT, get_script},
    {"PUT", T "/libs/{id}", SCRIPT_IT, upload},
    {"POST", T "/libs/{id}/activate", SCRIPT_IT, activate_version},
    {NULL, NULL, NULL, NULL},
};
