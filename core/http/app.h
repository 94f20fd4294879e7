/* The process-wide state of one Concerto server, shared by the subsystems.
 * Built in main before the HTTP daemon starts; afterwards only the atomics
 * and the subsystems' own locked parts change.
 *
 * This header belongs to the HTTP layer but carries the higher layers'
 * state as opaque pointers (they are declared, not included), and the
 * hooks through which those layers plug into every request: the HTTP layer
 * never calls up by name (docs/architecture.md, "Layers"). */
#ifndef CONCERTO_CORE_APP_H
#define CONCERTO_CORE_APP_H

#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "db_pool.h"
#include "metrics.h"
#include "router.h"
#include "tokens.h"

typedef struct app app;
struct module_registry; /* plugin layer */
struct tenant_cache;    /* identity layer */
struct events;          /* events layer */
struct notify_hub;      /* events layer */
struct role_registry;   /* identity layer */
struct jobs;            /* jobs layer */

/* Who answers a route: a module, or the core (no owner). The plugin layer
 * embeds one in each module record and keeps `serving` true only while the
 * module runs; the HTTP layer reads nothing else of a module. */
typedef struct route_owner {
  const char *name;    /* the module's name, owned by its record */
  atomic_bool serving; /* started and not stopped or failed */
  /* The plugin ABI minor it was built for: from 1.10 on, what it requires
   * and publishes must be declared (roles, events). */
  uint16_t abi_minor;
} route_owner;

/* What a route in the router points to. */
typedef struct route_target {
  concerto_handler handler;
  void *userdata;
  const route_owner *owner;  /* NULL for core routes */
  const char *required_role; /* owned by the registry; NULL = public */
  uint32_t flags;
  uint32_t auth;       /* CONCERTO_AUTH_* (0: by required_role) */
  const char *summary; /* for the OpenAPI document; NULL = none */
} route_target;

/* Set by main from the layers above HTTP before the first request. */
typedef struct app_hooks {
  /* Before a handler of a route that requires a role: true when it may run,
   * otherwise a problem has been answered (identity layer). */
  bool (*authorize)(concerto_request *req, const route_target *t);
  /* Writes the request's queued audit rows on connection c (the request's
   * own before COMMIT, or a fresh one after a ROLLBACK when `failed`).
   * Audit layer. */
  concerto_status (*flush_audit)(concerto_request *req, db_conn *c,
                                 bool failed);
  /* Ends open event streams so the daemon can stop (events layer). */
  void (*close_streams)(app *a);
} app_hooks;

struct app {
  concerto_config cfg;
  db_pool *pool;
  router *router;
  struct module_registry *modules;
  metrics *metrics;
  struct tenant_cache *tenants; /* module enablement per hospital */
  struct events *events;        /* subscribers and dispatchers */
  db_pool *event_pool;          /* the dispatchers' connections */
  struct notify_hub *notify;    /* live notifications (SSE) */
  struct role_registry *roles;  /* the core's and the modules' roles */
  struct jobs *jobs;            /* declared jobs and their runners */
  app_hooks hooks;
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
};

#endif
