/* Guests (plugin ABI 1.8): a person a module invited without an account -
 * an external specialist, a patient on a teleconsult - who comes back with
 * the module's own secret link on a public route. Only the module can tell
 * that link is good (it holds the hash), so the module vouches; the core
 * then lets the request act for the invitation's hospital, and for nothing
 * more: RLS context, per-hospital settings, video links, events, and the
 * audit trail under actor kind "guest" (sql/0009_guest_actor.sql). */
#include <stdlib.h>
#include <string.h>

#include "module_registry.h"
#include "request.h"
#include "tenant_cache.h"

#define GUEST_NAME_MAX 200

static bool is_decimal_id(const char *s) {
  if (!s || !*s || strlen(s) > 18)
    return false;
  return strspn(s, "0123456789") == strlen(s) && s[0] != '0';
}

concerto_status host_req_bind_guest(concerto_request *req,
                                    const char *tenant_id, const char *name) {
  if (!req || !req->route || req->route->required_role ||
      req->caller.kind != CALLER_ANONYMOUS)
    return CONCERTO_ERR_INVALID; /* public routes only, once */
  if (!is_decimal_id(tenant_id) || !name || !*name ||
      strlen(name) > GUEST_NAME_MAX)
    return CONCERTO_ERR_INVALID;
  /* The hospital must run the module whose link this is: a module disabled
   * for a hospital answers nothing there, invitations included. */
  const module_rec *owner = req->route->owner;
  if (!owner ||
      !tenant_module_enabled(req->app->tenants, strtoll(tenant_id, NULL, 10),
                             owner->name))
    return CONCERTO_ERR_NOT_FOUND;
  PGresult *r = NULL;
  /* set_config runs only for the row the WHERE keeps: an inactive or
   * unknown hospital leaves the transaction without a hospital. */
  concerto_status st = request_query(
      req,
      "SELECT code, set_config('app.tenant_id', id::text, true) FROM "
      "concerto.tenants WHERE id = $1::bigint AND active",
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
