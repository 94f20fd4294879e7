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
