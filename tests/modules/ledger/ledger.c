/* Test module "ledger": a consumer of the notebook service. One request
 * writes a row of its own and a note through the service in the same
 * transaction; asked to fail afterwards, both are rolled back. Built in
 * two flavours: "ledger" depends on notebook; "jotter" only optionally
 * (and works, with less, when notebook is absent). */
#include <concerto/concerto.h>
#include <concerto/notebook_v1.h>

#include <stdio.h>
#include <string.h>

#ifndef MODULE_NAME
#define MODULE_NAME "ledger"
#endif

static const notebook_v1 *notebook; /* NULL: not there (jotter) */
static size_t notebook_size;

static concerto_status problem_for(concerto_request *req, concerto_status st) {
  if (st == CONCERTO_ERR_MODULE_DISABLED)
    return concerto_reply_problem(req, 404, "module_not_enabled", NULL,
                                  "The notebook is not enabled here.");
  return st;
}

static concerto_status add_entry(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body = NULL;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  const char *text = json_string_value(json_object_get(body, "text"));
  if (!text)
    return concerto_reply_problem(req, 422, "validation_failed", NULL,
                                  "text is required");
  const char *p[1] = {text};
  concerto_result *mine = NULL;
  st = concerto_query_db(req,
                         "INSERT INTO notes (text) VALUES ($1) RETURNING "
                         "current_schema()",
                         1, p, &mine);
  if (st != CONCERTO_OK)
    return st;
  const char *note_id = NULL;
  if (notebook && (st = notebook->add_note(req, text, &note_id)) != CONCERTO_OK)
    return problem_for(req, st);
  /* After the call the request is ledger's again: this lands in ours. */
  concerto_result *after = NULL;
  st = concerto_query_db(req, "SELECT current_schema()", 0, NULL, &after);
  if (st != CONCERTO_OK)
    return st;
  if (json_is_true(json_object_get(body, "fail_after")))
    return concerto_reply_problem(req, 422, "validation_failed", NULL,
                                  "asked to fail after writing");
  return concerto_reply_json(
      req, 201,
      json_pack("{s:s, s:s?, s:s, s:b}", "own_schema",
                concerto_value(mine, 0, 0), "note_id", note_id, "schema_after",
                concerto_value(after, 0, 0), "notebook", notebook != NULL));
}

static concerto_status counts(concerto_request *req, void *ud) {
  (void)ud;
  concerto_result *res = NULL;
  concerto_status st =
      concerto_query_db(req, "SELECT count(*) FROM notes", 0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  long long theirs = -1;
  if (notebook && (st = notebook->count_notes(req, &theirs)) != CONCERTO_OK)
    return problem_for(req, st);
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s, s:I, s:I}", "mine", concerto_value(res, 0, 0), "theirs",
                (json_int_t)theirs, "table_size", (json_int_t)notebook_size));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  concerto_status st =
      host->get_service(reg, NOTEBOOK_SERVICE, NOTEBOOK_V1,
                        (const void **)&notebook, &notebook_size);
  if (st == CONCERTO_ERR_NOT_FOUND && strcmp(MODULE_NAME, "jotter") == 0)
    notebook = NULL; /* optional: go on without it */
  else if (st != CONCERTO_OK || notebook_size < sizeof(notebook_v1))
    return CONCERTO_ERR_UNSUPPORTED;
  static const struct {
    const char *method, *path;
    concerto_handler handler;
  } routes[] = {
      {"POST", "/api/v1/" MODULE_NAME "/entries", add_entry},
      {"GET", "/api/v1/" MODULE_NAME "/counts", counts},
  };
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
    concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
    spec.method = routes[i].method;
    spec.path = routes[i].path;
    spec.required_role = "authenticated";
    spec.handler = routes[i].handler;
    if (host->register_route(reg, &spec) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  }
  return host->register_migrations(reg, "sql");
}

static const char *const needs[] = {"notebook", NULL};

#ifdef OPTIONAL_NOTEBOOK
CONCERTO_MODULE_DEFINE(.name = MODULE_NAME, .version = "1.0.0",
                       .vendor = "Concerto tests",
                       .description = "Uses the notebook when it is there",
                       .optional_depends = needs, .init = init)
#else
CONCERTO_MODULE_DEFINE(.name = MODULE_NAME, .version = "1.0.0",
                       .vendor = "Concerto tests",
                       .description = "Uses the notebook service",
                       .depends = needs, .init = init)
#endif
