#include "tenant_cache.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pool.h"
#include "log.h"

typedef struct enablement {
  long long tenant_id;
  char module[40];
} enablement;

struct tenant_cache {
  char *conninfo;
  char *app_role;
  const char *server_key; /* the app's, filled before the first load */
  pthread_rwlock_t lock;
  enablement *rows; /* enabled pairs only */
  size_t nrows;
};

tenant_cache *tenant_cache_new(const char *conninfo, const char *app_role,
                               const char *server_key) {
  tenant_cache *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->conninfo = strdup(conninfo);
  c->app_role = app_role && *app_role ? strdup(app_role) : NULL;
  c->server_key = server_key;
  pthread_rwlock_init(&c->lock, NULL);
  return c;
}

/* Every hospital's enablement, read as the application role in a
 * transaction where the server acts for itself across hospitals. */
static bool load(tenant_cache *c, PGconn *pg) {
  PGresult *b = PQexec(pg, "BEGIN");
  bool began = PQresultStatus(b) == PGRES_COMMAND_OK;
  PQclear(b);
  if (began) {
    b = PQexecParams(pg, "SELECT concerto.context_system($1, NULL, true)", 1,
                     NULL, (const char *[]){c->server_key}, NULL, NULL, 0);
    began = PQresultStatus(b) == PGRES_TUPLES_OK;
    PQclear(b);
  }
  PGresult *r = began ? PQexec(pg, "SELECT tenant_id, module FROM "
                                   "concerto.tenant_modules WHERE enabled")
                      : NULL;
  bool ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(PQexec(pg, "COMMIT"));
  if (!ok) {
    PQclear(r);
    return false;
  }
  size_t n = (size_t)PQntuples(r);
  enablement *rows = calloc(n ? n : 1, sizeof *rows);
  if (!rows) {
    PQclear(r);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    rows[i].tenant_id = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
    snprintf(rows[i].module, sizeof rows[i].module, "%s",
             PQgetvalue(r, (int)i, 1));
  }
  PQclear(r);
  pthread_rwlock_wrlock(&c->lock);
  enablement *old = c->rows;
  c->rows = rows;
  c->nrows = n;
  pthread_rwlock_unlock(&c->lock);
  free(old);
  return true;
}

bool tenant_cache_reload(tenant_cache *c) {
  PGconn *pg =
      db_connect(c->conninfo, c->app_role, "concerto-tenants", NULL, 0);
  bool ok = pg && load(c, pg);
  PQfinish(pg);
  return ok;
}

bool tenant_cache_start(tenant_cache *c) {
  bool loaded = tenant_cache_reload(c);
  if (!loaded)
    log_msg(CONCERTO_LOG_WARN, NULL, NULL,
            "module enablement not loaded yet; loaded when the database "
            "answers");
  return loaded;
}

void tenant_cache_changed(void *c) {
  if (!tenant_cache_reload(c))
    log_msg(CONCERTO_LOG_WARN, NULL, NULL,
            "module enablement: reload failed; the next change or "
            "reconnection retries");
}

void tenant_cache_free(tenant_cache *c) {
  if (!c)
    return;
  pthread_rwlock_destroy(&c->lock);
  free(c->rows);
  free(c->conninfo);
  free(c->app_role);
  free(c);
}

bool tenant_module_enabled(tenant_cache *c, long long tenant_id,
                           const char *module) {
  bool found = false;
  pthread_rwlock_rdlock(&c->lock);
  for (size_t i = 0; i < c->nrows && !found; i++)
    found = c->rows[i].tenant_id == tenant_id &&
            strcmp(c->rows[i].module, module) == 0;
  pthread_rwlock_unlock(&c->lock);
  return found;
}

json_t *tenant_enabled_modules(tenant_cache *c, long long tenant_id) {
  json_t *list = json_array();
  pthread_rwlock_rdlock(&c->lock);
  for (size_t i = 0; i < c->nrows; i++)
    if (c->rows[i].tenant_id == tenant_id)
      json_array_append_new(list, json_string(c->rows[i].module));
  pthread_rwlock_unlock(&c->lock);
  return list;
}
