/* Test module "echo": exercises every part of plugin API v1 that the
 * integration tests check - path and query parameters, headers, JSON bodies,
 * the arena, configuration keys, migrations, static assets, transactions
 * (commit and rollback) and database errors. */
#include <concerto/concerto.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const concerto_module *self;

static concerto_status params(concerto_request *req, void *ud) {
  (void)ud;
  const char *q = concerto_query(req, "q");
  const char *h = concerto_header(req, "X-Test");
  char *joined = concerto_module_host->req_printf(
      req, "%s+%s", concerto_param(req, "a"), concerto_param(req, "b"));
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s}", "a",
                concerto_param(req, "a"), "b", concerto_param(req, "b"),
                "joined", joined, "q", q, "x_test", h, "request_id",
                concerto_module_host->req_id(req)));
}

static concerto_status echo_json(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st; /* the core already answered 400/415 */
  return concerto_reply_json(req, 200, json_pack("{s:O}", "received", body));
}

static concerto_status doubled(concerto_request *req, void *ud) {
  (void)ud;
  const char *params[1] = {concerto_param(req, "n")};
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req, "SELECT ($1::int * 2)::text AS doubled", 1, params, &res);
  if (st == CONCERTO_ERR_DB_QUERY)
    return concerto_reply_problem(req, 422, "validation_failed",
                                  "Unprocessable Content",
                                  "n must be an integer");
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s, s:s}", "column",
                concerto_module_host->result_name(res, 0), "doubled",
                concerto_value(res, 0, 0)));
}

/* Inserts, then fails when asked: the insert must be rolled back. */
static concerto_status add_item(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  const char *name = json_string_value(json_object_get(body, "name"));
  if (!name)
    return concerto_reply_problem(req, 422, "validation_failed",
                                  "Unprocessable Content",
                                  "name: a string is required");
  const char *params[1] = {name};
  concerto_result *res;
  st = concerto_query_db(
      req, "INSERT INTO items (name) VALUES ($1) RETURNING id::text", 1, params,
      &res);
  if (st != CONCERTO_OK)
    return st; /* a duplicate name becomes 409 through the core */
  if (json_is_true(json_object_get(body, "fail_after_insert")))
    return concerto_reply_problem(req, 422, "validation_failed",
                                  "Unprocessable Content",
                                  "asked to fail after the insert");
  if (json_is_true(json_object_get(body, "error_after_insert")))
    return CONCERTO_ERR_INTERNAL;
  return concerto_reply_json(
      req, 201, json_pack("{s:s}", "id", concerto_value(res, 0, 0)));
}

static concerto_status count_items(concerto_request *req, void *ud) {
  (void)ud;
  concerto_result *res;
  concerto_status st =
      concerto_query_db(req, "SELECT count(*)::text FROM items", 0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(
      req, 200, json_pack("{s:s}", "count", concerto_value(res, 0, 0)));
}

/* Holds the request for ?ms= milliseconds (graceful-shutdown tests). */
static concerto_status slow(concerto_request *req, void *ud) {
  (void)ud;
  const char *ms = concerto_query(req, "ms");
  long n = ms ? strtol(ms, NULL, 10) : 100;
  if (n < 0 || n > 30000)
    n = 100;
  struct timespec ts = {n / 1000, (n % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  return concerto_reply_json(req, 200, json_pack("{s:i}", "slept_ms", (int)n));
}

static concerto_status config(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s, s:I, s:b}", "greeting",
                h->config_string(self, "greeting"), "max_items",
                (json_int_t)h->config_int(self, "max_items"), "verbose",
                h->config_bool(self, "verbose")));
}

static concerto_status arena(concerto_request *req, void *ud) {
  (void)ud;
  /* Many allocations, never freed by the module: the core releases them. */
  size_t total = 0;
  for (int i = 0; i < 1000; i++) {
    char *p = concerto_alloc(req, 100 + (size_t)i);
    memset(p, 'x', 100 + (size_t)i);
    total += 100 + (size_t)i;
  }
  concerto_module_host->set_header(
      req, "X-Arena-Bytes",
      concerto_module_host->req_printf(req, "%zu", total));
  return concerto_module_host->respond_bytes(req, 200, "text/plain", "ok", 2);
}

static concerto_status no_response(concerto_request *req, void *ud) {
  (void)req;
  (void)ud;
  return CONCERTO_OK; /* a bug the core must turn into a 500 */
}

static concerto_status guarded(concerto_request *req, void *ud) {
  (void)ud;
  return concerto_reply_json(req, 200, json_pack("{s:s}", "secret", "x"));
}

/* ABI 1.10 handler helpers: a problem with errors[], a row as typed JSON,
 * a declared and an undeclared problem code. */
static concerto_status fields(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_field_error errors[] = {
      {"/patient/fiscal_code", "format", "Codice fiscale non valido"},
      {"surname", NULL, "Campo obbligatorio"},
  };
  return concerto_module_host->respond_problem_fields(
      req, 422, "validation_failed", NULL, "Two fields are wrong.", errors, 2);
}

static concerto_status row(concerto_request *req, void *ud) {
  (void)ud;
  concerto_result *res = NULL;
  concerto_status st = concerto_query_db(
      req,
      "SELECT 42::int AS i, 9007199254740993::bigint AS big, 2.5::numeric AS "
      "n, true AS b, '{\"a\":[1,2]}'::jsonb AS j, NULL::text AS z, 'testo' "
      "AS t, 'NaN'::float8 AS nan, now() AS ts",
      0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  json_t *o = concerto_module_host->result_row_json(res, 0);
  if (!o || concerto_module_host->result_row_json(res, 1) != NULL)
    return CONCERTO_ERR_INTERNAL; /* row 1 does not exist */
  return concerto_reply_json(req, 200, o);
}

static concerto_status refused(concerto_request *req, void *ud) {
  (void)ud;
  const char *which = concerto_query(req, "code");
  return concerto_reply_problem(req, 409,
                                which && strcmp(which, "undeclared") == 0
                                    ? "echo_undeclared"
                                    : "echo_refused",
                                NULL, "Refused on purpose.");
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  self = host->module_self(reg);
  static const struct {
    const char *method, *path, *role;
    concerto_handler handler;
  } routes[] = {
      {"GET", "/api/v1/echo/params/{a}/{b}", NULL, params},
      {"POST", "/api/v1/echo/json", NULL, echo_json},
      {"GET", "/api/v1/echo/double/{n}", NULL, doubled},
      {"POST", "/api/v1/echo/items", NULL, add_item},
      {"GET", "/api/v1/echo/items", NULL, count_items},
      {"GET", "/api/v1/echo/slow", NULL, slow},
      {"GET", "/api/v1/echo/config", NULL, config},
      {"GET", "/api/v1/echo/arena", NULL, arena},
      {"GET", "/api/v1/echo/broken", NULL, no_response},
      {"GET", "/api/v1/echo/guarded", "doctor", guarded},
      {"GET", "/api/v1/echo/fields", NULL, fields},
      {"GET", "/api/v1/echo/row", NULL, row},
      {"GET", "/api/v1/echo/refused", NULL, refused},
  };
  /* Since ABI 1.10 a module declares the roles its routes require. */
  static const concerto_role_spec doctor = {
      sizeof doctor,
      "doctor",
      "Medico (test)",
      "Doctor (test)",
      "The echo test module's guarded route.",
      0};
  static const concerto_problem_spec refused_code = {
      sizeof refused_code, "echo_refused", 409, "Refused by echo",
      "GET /api/v1/echo/refused, always"};
  if (host->register_role(reg, &doctor) != CONCERTO_OK ||
      host->register_problem(reg, &refused_code) != CONCERTO_OK ||
      host->register_problem(reg, &refused_code) != CONCERTO_ERR_REG_DUPLICATE)
    return CONCERTO_ERR_REG_INVALID;
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
    concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
    spec.method = routes[i].method;
    spec.path = routes[i].path;
    spec.required_role = routes[i].role;
    spec.handler = routes[i].handler;
    concerto_status st = host->register_route(reg, &spec);
    if (st != CONCERTO_OK)
      return st;
  }
  concerto_config_spec greeting = CONCERTO_CONFIG_SPEC_INIT_V1;
  greeting.key = "greeting";
  greeting.default_value = "ciao";
  greeting.help = "Word the config route returns";
  concerto_config_spec max_items = CONCERTO_CONFIG_SPEC_INIT_V1;
  max_items.key = "max_items";
  max_items.type = CONCERTO_CONFIG_INT;
  max_items.default_value = "10";
  max_items.min = 1;
  max_items.max = 100;
  concerto_config_spec verbose = CONCERTO_CONFIG_SPEC_INIT_V1;
  verbose.key = "verbose";
  verbose.type = CONCERTO_CONFIG_BOOL;
  verbose.default_value = "false";
  if (host->register_config(reg, &greeting) != CONCERTO_OK ||
      host->register_config(reg, &max_items) != CONCERTO_OK ||
      host->register_config(reg, &verbose) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  if (host->register_migrations(reg, "sql") != CONCERTO_OK ||
      host->register_static(reg, "web") != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  return CONCERTO_OK;
}

CONCERTO_MODULE("echo", "1.0.0", "Concerto tests", "Exercises plugin API v1",
                NULL, init, NULL, NULL)
