/* Guests (plugin ABI 1.8): a person a module invited without an account -
 * an external specialist, a patient on a teleconsult - who comes back with
 * the module's own secret link on a public route. Only the module can tell
 * that link is good (it holds the hash), so the module vouches; the core
 * then lets the request act for the invitation's hospital, and for nothing
 * more: RLS context, per-hospital settings, video links, events, and the
 * audit trail under actor kind "guest" (sql/0009_guest_actor.sql). */
#include <stdlib.h>
#include <string.h>

#include "handler_util.h"
#include "guest.h"
#include "request.h"
#include "tenant_cache.h"

#define GUEST_NAME_MAX 200

concerto_status guest_bind(concerto_request *req, const char *tenant_id,
                           const char *name) {
  if (!req || !req->route || req->route->required_role ||
      req->caller.kind != CALLER_ANONYMOUS)
    return CONCERTO_ERR_INVALID; /* public routes only, once */
  if (!text_is_id(tenant_id) || !name || !*name ||
      strlen(name) > GUEST_NAME_MAX)
    return CONCERTO_ERR_INVALID;
  /* The hospital must run the module whose link this is: a module disabled
   * for a hospital answers nothing there, invitations included. */
  const route_owner *owner = req->owner;
  if (!owner ||
      !tenant_module_enabled(req->app->tenants, strtoll(tenant_id, NULL, 10),
                             owner->name))
    return CONCERTO_ERR_NOT_FOUND;
  PGresult *r = NULL;
  /* The module's own SECURITY DEFINER function that matched the link has
   * bound the transaction to the invitation's hospital already
   * (concerto.context_guest): the application role cannot do that itself,
   * so a request that never presented a good link has no such context.
   * Here the core checks the two agree. */
  concerto_status st = request_query(
      req,
      "SELECT t.code FROM concerto.tenants t WHERE t.id = $1::bigint AND "
      "t.active AND concerto.current_context_kind() = 'guest' AND "
      "concerto.current_tenant() = t.id",
      1, (const char *[]){tenant_id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  caller *c = &req->caller;
  c->kind = CALLER_GUEST;
  c->tenant_id = arena_strdup(&req->arena, tenant_id);
  c->tenant_code = arena_strdup(&req->arena, PQgetvalue(r, 0, 0));
  c->display_name = arena_strdup(&req->arena, name);
  if (!c->tenant_id || !c->tenant_code || !c->display_name)
    return CONCERTO_ERR_NOMEM;
  return CONCERTO_OK;
}
