/* The host table's per-hospital settings (ABI 1.4): what a module declared
 * at init, and the value a hospital chose, read in the request's
 * transaction. */
#include <stdlib.h>
#include <string.h>

#include "host_adapters.h"
#include "module_registry.h"
#include "request.h"

const setting_spec *module_tenant_setting_find(const module_rec *m,
                                               const char *key) {
  for (size_t i = 0; m && key && i < m->ntsettings; i++)
    if (strcmp(m->tsettings[i].key, key) == 0)
      return &m->tsettings[i];
  return NULL;
}

const char *host_tenant_setting(concerto_request *req, const concerto_module *m,
                                const char *key) {
  const setting_spec *s = module_tenant_setting_find(m, key);
  if (!s)
    return NULL;
  if (!req->caller.tenant_id)
    return s->default_value;
  PGresult *r = NULL;
  if (request_query(req,
                    "SELECT value FROM concerto.tenant_settings WHERE "
                    "tenant_id = $1 AND module = $2 AND key = $3",
                    3, (const char *[]){req->caller.tenant_id, m->name, key},
                    &r) != CONCERTO_OK ||
      PQntuples(r) != 1)
    return s->default_value;
  return PQgetvalue(r, 0, 0); /* the result lives as long as the request */
}
