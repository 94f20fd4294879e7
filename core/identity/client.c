#include "client.h"

#include <stdlib.h>
#include <string.h>

#include "handler_util.h"
#include "roles.h"
#include "tenant_cache.h"

#define CLIENT_NAME_MAX 200

static bool roles_ok(const concerto_request *req, const char *const *roles) {
  int n = 0;
  for (const char *const *r = roles; r && *r; r++, n++) {
    const role_def *d = roles_find(req->app->roles, *r);
    if (!d || !d->registered || n >= CALLER_MAX_ROLES)
      return false;
  }
  return true;
}

concerto_status client_bind(concerto_request *req, const char *tenant_id,
                            const char *name, const char *const *roles) {
  if (!req || !req->route || req->route->required_role ||
      (req->route->auth != CONCERTO_AUTH_MODULE &&
       req->route->auth != CONCERTO_AUTH_PUBLIC) ||
      req->caller.kind != CALLER_ANONYMOUS)
    return CONCERTO_ERR_INVALID; /* the module's own callers, once */
  if (!text_is_id(tenant_id) || !name || !*name ||
      strlen(name) > CLIENT_NAME_MAX || !roles_ok(req, roles))
    return CONCERTO_ERR_INVALID;
  const route_owner *owner = req->owner;
  if (!owner ||
      !tenant_module_enabled(req->app->tenants, strtoll(tenant_id, NULL, 10),
                             owner->name))
    return CONCERTO_ERR_NOT_FOUND;
  /* As for guests: only the module's definer function could set this
   * context, after checking the credential; the core checks they agree. */
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT t.code FROM concerto.tenants t WHERE t.id = $1::bigint AND "
      "t.active AND concerto.current_context_kind() = 'client' AND "
      "concerto.current_tenant() = t.id",
      1, (const char *[]){tenant_id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  caller *c = &req->caller;
  c->kind = CALLER_CLIENT;
  c->tenant_id = arena_strdup(&req->arena, tenant_id);
  c->tenant_code = arena_strdup(&req->arena, PQgetvalue(r, 0, 0));
  c->display_name = arena_strdup(&req->arena, name);
  c->username = c->display_name;
  c->nroles = 0;
  for (const char *const *p = roles; p && *p; p++)
    c->roles[c->nroles++] = arena_strdup(&req->arena, *p);
  c->patient_care = roles_any_with(req->app->roles, c->roles, c->nroles,
                                   CONCERTO_ROLE_PATIENT_CARE);
  if (!c->tenant_id || !c->tenant_code || !c->display_name)
    return CONCERTO_ERR_NOMEM;
  return CONCERTO_OK;
}
