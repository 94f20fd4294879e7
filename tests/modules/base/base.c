/* Test module "base": a dependency of "dependent"; owns table base.things. */
#include <concerto/concerto.h>

static concerto_status ping(concerto_request *req, void *ud) {
  (void)ud;
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req, "SELECT count(*)::text FROM base.things", 0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(
      req, 200, json_pack("{s:s}", "things", concerto_value(res, 0, 0)));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
  spec.method = "GET";
  spec.path = "/api/v1/base/ping";
  spec.handler = ping;
  if (host->register_route(reg, &spec) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  return host->register_migrations(reg, "sql");
}

CONCERTO_MODULE("base", "1.0.0", "Concerto tests", "Dependency of dependent",
                NULL, init, NULL, NULL)
