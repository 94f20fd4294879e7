/* Test module "dependent": depends on "base"; its migration references
 * base.things, so it can only succeed when base migrated first. */
#include <concerto/concerto.h>

static concerto_status ping(concerto_request *req, void *ud) {
  (void)ud;
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req, "SELECT count(*)::text FROM dependent.notes", 0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(
      req, 200, json_pack("{s:s}", "notes", concerto_value(res, 0, 0)));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
  spec.method = "GET";
  spec.path = "/api/v1/dependent/ping";
  spec.handler = ping;
  if (host->register_route(reg, &spec) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  return host->register_migrations(reg, "sql");
}

static const char *const deps[] = {"base", NULL};
CONCERTO_MODULE("dependent", "1.0.0", "Concerto tests", "Depends on base", deps,
                init, NULL, NULL)
