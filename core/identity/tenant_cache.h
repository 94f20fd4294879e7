/* Module enablement per hospital, kept in memory so the router can check it
 * on every request without a query. It is reloaded when any server changes
 * it: updates send NOTIFY concerto_tenants, which every server's
 * notification hub hears (notify.c) and passes to tenant_cache_changed,
 * in order with the live notifications; the changing server also reloads
 * right after its COMMIT, so its very next request sees the change. */
#ifndef CONCERTO_CORE_TENANT_CACHE_H
#define CONCERTO_CORE_TENANT_CACHE_H

#include <stdbool.h>

#include <jansson.h>

typedef struct tenant_cache tenant_cache;

/* conninfo and app_role (the login role; NULL = the conninfo's) are
 * copied; server_key is borrowed and must hold the server's key before the
 * first load (it reads every hospital's row). Owned by the caller. */
tenant_cache *tenant_cache_new(const char *conninfo, const char *app_role,
                               const char *server_key);
/* Loads once. False if it failed (the hub's first connection retries). */
bool tenant_cache_start(tenant_cache *c);
/* Reloads; the notification hub's hook (`c` is the tenant_cache). */
void tenant_cache_changed(void *c);
void tenant_cache_free(tenant_cache *c);
/* Reloads now (after a local change). */
bool tenant_cache_reload(tenant_cache *c);

bool tenant_module_enabled(tenant_cache *c, long long tenant_id,
                           const char *module);
/* A new array of the module names enabled for the hospital. */
json_t *tenant_enabled_modules(tenant_cache *c, long long tenant_id);

#endif
