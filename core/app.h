/* The process-wide state of one Concerto server, shared by the subsystems.
 * Built in main before the HTTP daemon starts; afterwards only the atomics
 * and the subsystems' own locked parts change. */
#ifndef CONCERTO_CORE_APP_H
#define CONCERTO_CORE_APP_H

#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "db_pool.h"
#include "metrics.h"
#include "module_registry.h"
#include "router.h"
#include "tenant_cache.h"
#include "tokens.h"

typedef struct app {
  concerto_config cfg;
  db_pool *pool;
  router *router;
  module_registry *modules;
  metrics *metrics;
  tenant_cache *tenants;     /* module enablement per hospital */
  struct events *events;     /* subscribers and dispatchers */
  db_pool *event_pool;       /* the dispatchers' connections */
  struct notify_hub *notify; /* live notifications (SSE) */
  /* The key this server proves to act for itself in the database
   * (server_key.h); set once before the first request, never logged. */
  char server_key[TOKEN_TEXT_LEN + 1];
  /* How requests, events and caches reach the database as the
   * application role (config: database_app_url, else database_url with
   * db_app_role); borrowed from cfg. */
  const char *app_conninfo, *app_user;
  atomic_bool migrations_ok;
  atomic_bool shutting_down;
  atomic_int inflight;
} app;

/* What a route in the router points to. */
typedef struct route_target {
  concerto_handler handler;
  void *userdata;
  module_rec *owner;         /* NULL for core routes */
  const char *required_role; /* owned by the registry; NULL = public */
  uint32_t flags;
} route_target;

#endif
