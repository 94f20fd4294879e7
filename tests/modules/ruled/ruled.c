/* Test module "ruled": declares Lua rules the way the ticketing and
 * signature modules will (route_ticket, signature_policy: their defaults,
 * samples and checks live here, not in the core) and offers hospital
 * scripts two read-only lookups, concerto.ruled.count_patients() and
 * concerto.ruled.try_write() (which must find the database read-only). */
#include <concerto/concerto.h>

#include "ruled_rules.h"

#include <stdio.h>
#include <string.h>

static concerto_status count_patients(concerto_request *req, const json_t *args,
                                      json_t **result, void *ud) {
  (void)args;
  (void)ud;
  concerto_result *res = NULL;
  concerto_status st = concerto_query_db(
      req, "SELECT count(*)::int AS n FROM concerto.patients", 0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  *result = concerto_module_host->result_row_json(res, 0);
  return CONCERTO_OK;
}

/* Tries to write: inside a module function the database is read-only, so
 * this reports the refusal instead of a row. */
static concerto_status try_write(concerto_request *req, const json_t *args,
                                 json_t **result, void *ud) {
  (void)args;
  (void)ud;
  concerto_status st = concerto_query_db(
      req, "INSERT INTO notes (text) VALUES ('written by a script')", 0, NULL,
      NULL);
  *result =
      json_pack("{s:b, s:i}", "written", st == CONCERTO_OK, "status", (int)st);
  return CONCERTO_OK;
}

static concerto_status notes(concerto_request *req, void *ud) {
  (void)ud;
  concerto_result *res = NULL;
  concerto_status st = concerto_query_db(
      req, "SELECT count(*)::int AS n FROM notes", 0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 200,
                             concerto_module_host->result_row_json(res, 0));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  static const concerto_lua_function_spec fns[] = {
      {sizeof(concerto_lua_function_spec), "count_patients", count_patients,
       NULL, "How many patients the request's hospital sees"},
      {sizeof(concerto_lua_function_spec), "try_write", try_write, NULL,
       "Tries to write a note (and cannot)"},
  };
  for (size_t i = 0; i < RULED_RULES; i++)
    if (host->register_rule(reg, &ruled_rules[i]) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
    if (host->register_lua_function(reg, &fns[i]) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  /* The same name twice is refused at once. */
  if (host->register_rule(reg, &ruled_rules[0]) != CONCERTO_ERR_REG_DUPLICATE)
    return CONCERTO_ERR_REG_INVALID;
  concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
  spec.method = "GET";
  spec.path = "/api/v1/ruled/notes";
  spec.handler = notes;
  if (host->register_route(reg, &spec) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  return host->register_migrations(reg, "sql");
}

CONCERTO_MODULE_DEFINE(.name = "ruled", .version = "1.0.0",
                       .vendor = "Concerto tests",
                       .description = "Rules and Lua functions of a module",
                       .init = init)
