/* hello_vendor: a third-party Concerto module, built out of tree against the
 * installed plugin API through pkg-config, as a vendor would:
 *
 *   cc $(pkg-config --cflags concerto-plugin) -o hello_vendor.so \
 *      hello_vendor.c $(pkg-config --libs concerto-plugin)
 *
 * It serves a greeting read from its own table in its own schema (one
 * prepared-statement read per request: the benchmark's database route) and
 * takes one configuration key. */
#include <concerto/concerto.h>

#include <stdlib.h>

typedef struct vendor_state {
  const concerto_module *self;
} vendor_state;

static concerto_status greeting(concerto_request *req, void *ud) {
  (void)ud;
  const char *params[1] = {concerto_param(req, "lang")};
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req, "SELECT text FROM greetings WHERE lang = $1", 1, params, &res);
  if (st != CONCERTO_OK)
    return st;
  if (concerto_rows(res) == 0)
    return concerto_reply_problem(req, 404, "not_found", "Not Found",
                                  "No greeting in that language.");
  return concerto_reply_json(req, 200,
                             json_pack("{s:s, s:s}", "lang", params[0], "text",
                                       concerto_value(res, 0, 0)));
}

static concerto_status about(concerto_request *req, void *ud) {
  const vendor_state *s = ud;
  const char *signature =
      concerto_module_host->config_string(s->self, "signature");
  return concerto_reply_json(req, 200,
                             json_pack("{s:s, s:s}", "vendor",
                                       "Example Vendor S.r.l.", "signature",
                                       signature));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  vendor_state *s = calloc(1, sizeof *s);
  if (!s)
    return CONCERTO_ERR_NOMEM;
  s->self = host->module_self(reg);
  *state = s;

  concerto_route_spec r1 = CONCERTO_ROUTE_SPEC_INIT_V1;
  r1.method = "GET";
  r1.path = "/api/v1/hello_vendor/greetings/{lang}";
  r1.handler = greeting;
  concerto_route_spec r2 = CONCERTO_ROUTE_SPEC_INIT_V1;
  r2.method = "GET";
  r2.path = "/api/v1/hello_vendor/about";
  r2.handler = about;
  r2.userdata = s;
  concerto_config_spec sig = CONCERTO_CONFIG_SPEC_INIT_V1;
  sig.key = "signature";
  sig.default_value = "made out of tree";
  sig.help = "Text returned by /about";

  concerto_status st;
  if ((st = host->register_route(reg, &r1)) != CONCERTO_OK ||
      (st = host->register_route(reg, &r2)) != CONCERTO_OK ||
      (st = host->register_config(reg, &sig)) != CONCERTO_OK ||
      (st = host->register_migrations(reg, "sql")) != CONCERTO_OK) {
    free(s); /* init failed: the module frees its own state */
    *state = NULL;
    return st;
  }
  return CONCERTO_OK;
}

static void stop(void *state) {
  free(state);
}

CONCERTO_MODULE("hello_vendor", "1.0.0", "Example Vendor S.r.l.",
                "Out-of-tree example plugin", NULL, init, NULL, stop)
