/* The module of tests/bench/auth_read.sh: one authenticated JSON read, a
 * primary-key lookup in a hospital-owned table under row-level security.
 * Built out of tree with pkg-config concerto-plugin, like a vendor's. */
#include <concerto/concerto.h>

static concerto_status note(concerto_request *req, void *ud) {
  (void)ud;
  const char *params[1] = {concerto_param(req, "id")};
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req, "SELECT text FROM notes WHERE id = $1::bigint", 1, params, &res);
  if (st != CONCERTO_OK)
    return st;
  if (concerto_rows(res) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  return concerto_reply_json(req, 200,
                             json_pack("{s:s, s:s}", "id", params[0], "text",
                                       concerto_value(res, 0, 0)));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  concerto_route_spec r = CONCERTO_ROUTE_SPEC_INIT_V1;
  r.method = "GET";
  r.path = "/api/v1/bench_notes/notes/{id}";
  r.required_role = "authenticated";
  r.handler = note;
  concerto_status st = host->register_route(reg, &r);
  return st != CONCERTO_OK ? st : host->register_migrations(reg, "sql");
}

CONCERTO_MODULE("bench_notes", "1.0.0", "Concerto benchmarks",
                "An authenticated read under row-level security", NULL, init,
                NULL, NULL)
