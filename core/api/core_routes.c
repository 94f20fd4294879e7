#include "core_routes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "concerto/abi.h"
#include "module_registry.h"
#include "problem.h"
#include "request.h"
#include "routes.h"

static concerto_status healthz(concerto_request *req, void *ud) {
  (void)ud;
  return req_respond_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

/* SELECT 1 on a pooled connection, outside the request transaction. */
static bool database_reachable(app *a) {
  concerto_status st;
  db_conn *c = db_pool_acquire(a->pool, &st);
  if (!c)
    return false;
  PGresult *r = NULL;
  st = db_conn_exec(c, "SELECT 1", 0, NULL, &r, NULL);
  if (r)
    PQclear(r);
  db_pool_release(a->pool, c, st != CONCERTO_OK);
  return st == CONCERTO_OK;
}

static json_t *module_json(const module_rec *m) {
  char abi[16];
  snprintf(abi, sizeof abi, "%u.%u", m->abi_major, m->abi_minor);
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", m->name, "version",
                        m->version ? m->version : "", "vendor",
                        m->vendor ? m->vendor : "", "abi", abi, "state",
                        module_state_name(m->status));
  if (o && m->reason)
    json_object_set_new(o, "reason", json_string(m->reason));
  return o;
}

static concerto_status readyz(concerto_request *req, void *ud) {
  app *a = ud;
  bool db = database_reachable(a);
  bool migrations = atomic_load(&a->migrations_ok);
  bool modules_ok = true;
  json_t *mods = json_array();
  for (size_t i = 0; i < a->modules->count; i++) {
    module_rec *m = a->modules->mods[i];
    modules_ok &= m->status != MODULE_FAILED;
    json_array_append_new(mods, module_json(m));
  }
  bool ready =
      db && migrations && modules_ok && !atomic_load(&a->shutting_down);
  json_t *body = json_pack("{s:s, s:{s:s, s:s, s:s}, s:o}", "status",
                           ready ? "ready" : "not_ready", "checks", "database",
                           db ? "ok" : "unreachable", "migrations",
                           migrations ? "ok" : "pending", "modules",
                           modules_ok ? "ok" : "failed", "modules", mods);
  return req_respond_json(req, ready ? 200 : 503, body);
}

static bool is_loopback(const struct sockaddr *sa) {
  if (!sa)
    return false;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
           (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
            in6->sin6_addr.s6_addr[12] == 127);
  }
  return false;
}

static concerto_status metrics_handler(concerto_request *req, void *ud) {
  app *a = ud;
  if (!a->cfg.metrics_remote) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !is_loopback(ci->client_addr))
      return request_problem(req, 403, "forbidden", "Forbidden",
                             "Metrics are served to loopback clients only.");
  }
  size_t len = 0;
  char *text = metrics_render(a->metrics, a->router, a->pool,
                              atomic_load(&a->inflight), &len);
  if (!text)
    return CONCERTO_ERR_NOMEM;
  concerto_status st = req_respond_bytes(
      req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
  free(text);
  return st;
}

static concerto_status modules_handler(concerto_request *req, void *ud) {
  app *a = ud;
  json_t *list = json_array();
  for (size_t i = 0; i < a->modules->count; i++)
    json_array_append_new(list, module_json(a->modules->mods[i]));
  char abi[16];
  snprintf(abi, sizeof abi, "%d.%d", CONCERTO_ABI_MAJOR, CONCERTO_ABI_MINOR);
  return req_respond_json(req, 200,
                          json_pack("{s:o, s:{s:s, s:s}}", "modules", list,
                                    "core", "version", CONCERTO_VERSION, "abi",
                                    abi));
}

/* OpenAPI 3 from the routing table: every path, method and parameter the
 * running server (with its modules) actually serves. */
static concerto_status openapi_handler(concerto_request *req, void *ud) {
  app *a = ud;
  json_t *paths = json_object();
  for (unsigned i = 0; i < router_count(a->router); i++) {
    const char *method, *tmpl;
    void *target;
    router_route_at(a->router, i, &method, &tmpl, &target);
    route_target *t = target;
    json_t *item = json_object_get(paths, tmpl);
    if (!item) {
      item = json_object();
      json_object_set_new(paths, tmpl, item);
    }
    json_t *params = json_array();
    for (const char *p = strchr(tmpl, '{'); p; p = strchr(p + 1, '{')) {
      const char *end = strchr(p, '}');
      if (!end)
        break;
      const char *name = p[1] == '*' ? p + 2 : p + 1;
      json_array_append_new(
          params, json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", name,
                            (size_t)(end - name), "in", "path", "required", 1,
                            "schema", "type", "string"));
    }
    /* Methods are the router's five (GET ... DELETE): at most 6 letters. */
    char lower[8] = "";
    for (size_t k = 0; method[k] && k + 1 < sizeof lower; k++)
      lower[k] = (char)(method[k] >= 'A' && method[k] <= 'Z' ? method[k] + 32
                                                             : method[k]);
    json_t *op = json_pack("{s:o, s:{s:{s:s}, s:{s:s}}}", "parameters", params,
                           "responses", "default", "description",
                           "application/json or application/problem+json",
                           "200", "description", "OK");
    json_object_set_new(
        op, "tags", json_pack("[s]", t && t->owner ? t->owner->name : "core"));
    if (t && t->required_role)
      json_object_set_new(op, "x-required-role", json_string(t->required_role));
    if (t && t->summary)
      json_object_set_new(op, "summary", json_string(t->summary));
    /* Who checks the caller: the module itself (a standard's credential)
     * or only a hospital's API token. */
    if (t && t->auth == CONCERTO_AUTH_MODULE)
      json_object_set_new(op, "x-authentication", json_string("module"));
    else if (t && t->auth == CONCERTO_AUTH_API_TOKEN)
      json_object_set_new(op, "x-authentication", json_string("api-token"));
    if (t && (t->flags & CONCERTO_ROUTE_MOUNT))
      json_object_set_new(op, "x-mount", json_true());
    json_object_set_new(item, lower, op);
  }
  json_t *doc =
      json_pack("{s:s, s:{s:s, s:s}, s:o}", "openapi", "3.0.3", "info", "title",
                "Concerto", "version", CONCERTO_VERSION, "paths", paths);
  return req_respond_json(req, 200, doc);
}

/* Every problem code an answer may carry: the core's and those modules
 * declared. Public, like the OpenAPI document it complements. */
static concerto_status problems_handler(concerto_request *req, void *ud) {
  (void)ud;
  return req_respond_json(req, 200, problem_codes_json());
}

static bool add(app *a, const char *method, const char *path,
                concerto_handler h, void *ud, char *err, size_t errlen) {
  route_target *t = calloc(1, sizeof *t);
  if (!t)
    return false;
  /* The module list is for signed-in staff (API.md); health is public. */
  const char *role =
      strcmp(path, "/api/v1/modules") == 0 ? "authenticated" : NULL;
  *t = (route_target){h, ud, NULL, role, 0, CONCERTO_AUTH_DEFAULT, NULL};
  if (router_add(a->router, method, path, t, err, errlen) != 0) {
    free(t);
    return false;
  }
  return true;
}

static bool add_table(app *a, const route_def *defs, char *err, size_t errlen) {
  for (const route_def *d = defs; d->method; d++) {
    route_target *t = calloc(1, sizeof *t);
    if (!t)
      return false;
    *t = (route_target){
        d->handler, a, NULL, d->required_role, 0, CONCERTO_AUTH_DEFAULT, NULL};
    if (router_add(a->router, d->method, d->path, t, err, errlen) != 0) {
      free(t);
      return false;
    }
  }
  return true;
}

bool core_routes_register(app *a, char *err, size_t errlen) {
  bool ok =
      add_table(a, routes_auth, err, errlen) &&
      add_table(a, routes_admin, err, errlen) &&
      add_table(a, routes_patients, err, errlen) &&
      add_table(a, routes_audit, err, errlen) &&
      add_table(a, routes_events, err, errlen) &&
      add_table(a, routes_jobs, err, errlen) &&
      add_table(a, routes_inbox, err, errlen) &&
      add_table(a, routes_scripts, err, errlen) &&
      add_table(a, routes_settings, err, errlen) &&
      add_table(a, routes_outbound, err, errlen) &&
      add(a, "GET", "/healthz", healthz, a, err, errlen) &&
      add(a, "GET", "/readyz", readyz, a, err, errlen) &&
      add(a, "GET", "/metrics", metrics_handler, a, err, errlen) &&
      add(a, "GET", "/api/v1/modules", modules_handler, a, err, errlen) &&
      add(a, "GET", "/api/v1/openapi.json", openapi_handler, a, err, errlen) &&
      add(a, "GET", "/api/v1/problems", problems_handler, a, err, errlen);
  if (ok && a->cfg.javascript_dir)
    ok = add(a, "GET", "/vendor/{*path}", vendor_files_handler,
             a->cfg.javascript_dir, err, errlen);
  if (ok && a->cfg.web_dir)
    ok =
        add(a, "GET", "/", static_files_handler, a->cfg.web_dir, err, errlen) &&
        add(a, "GET", "/static/{*path}", static_files_handler, a->cfg.web_dir,
            err, errlen);
  return ok;
}

void core_routes_free_targets(app *a) {
  for (unsigned i = 0; i < router_count(a->router); i++) {
    void *target = NULL;
    router_route_at(a->router, i, NULL, NULL, &target);
    free(target);
  }
}
