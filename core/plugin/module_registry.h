/* Loaded modules: discovery, the ABI check, dependency order, the init
 * probe, registration and lifecycle. A module that fails any step is
 * refused with one log line and a reason kept for GET /api/v1/modules; the
 * server runs on without it (and without the modules that depend on it). */
#ifndef CONCERTO_CORE_MODULE_REGISTRY_H
#define CONCERTO_CORE_MODULE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "concerto/host.h"
#include "concerto/module.h"
#include "setting_spec.h"

#include "app.h"

typedef enum module_state {
  MODULE_DISCOVERED = 0,
  MODULE_REFUSED, /* never initialised or init failed: no routes */
  MODULE_READY,   /* initialised and registered, not started yet */
  MODULE_STARTED, /* serving */
  MODULE_FAILED,  /* start failed: its routes answer 503 */
  MODULE_STOPPED,
} module_state;

typedef struct module_route {
  char *method, *path, *required_role;
  uint32_t flags;
  uint32_t auth; /* CONCERTO_AUTH_* (ABI 1.10) */
  char *summary; /* owned; NULL = none */
  concerto_handler handler;
  void *userdata;
} module_route;

typedef struct module_sub {
  char *name;
  uint32_t version;
  concerto_event_handler handler;
  void *userdata;
} module_sub;

typedef struct module_config_key {
  char *key;
  concerto_config_type type;
  char *value; /* after defaults and settings; NULL = unset */
  long long min, max;
} module_config_key;

/* A service the module offers (register_service). */
typedef struct module_service {
  char *name; /* owned */
  uint32_t version;
  const void *vtable; /* the module's, process lifetime */
  size_t vtable_size;
} module_service;

/* One module. Fields are owned by the record. */
struct concerto_module {
  char *path;
  char *name, *version, *vendor, *description;
  uint16_t abi_major, abi_minor;
  char **depends;          /* NULL-terminated */
  char **optional_depends; /* NULL-terminated (ABI 1.10) */
  const concerto_module_descriptor *desc;
  void *handle;        /* lt_dlhandle */
  void *state;         /* the module's own, from init */
  module_state status; /* change it with module_set_status */
  route_owner owner;   /* what its routes and requests name as owner */
  char *reason;        /* why refused or failed */
  char *dir;           /* folder with sql/ and web/ */
  module_route *routes;
  size_t nroutes;
  module_config_key *keys;
  size_t nkeys;
  module_sub *subs;
  size_t nsubs;
  setting_spec *tsettings;
  size_t ntsettings;
  module_service *services;
  size_t nservices;
  struct role_registry *staged_roles; /* declared in init, merged at commit */
  json_t *staged_problems;        /* [{code, status, title, when}], the same */
  json_t *staged_events;          /* [{name, version, schema?, description?}] */
  struct rule_list *staged_rules; /* Lua rules, merged at commit */
  struct lua_fn_list *staged_lua_fns; /* Lua functions, the same */
  struct jobs *staged_jobs;           /* jobs (register_job), the same */
  char *migrations_dir;               /* absolute, or NULL */
  char *static_dir;                   /* absolute, or NULL */
  bool registering;                   /* true only inside init */
};
typedef struct concerto_module module_rec;

struct concerto_registrar {
  app *app;
  module_rec *mod;
  struct module_registry *registry; /* the modules loaded so far */
};

typedef struct module_registry {
  module_rec **mods; /* in dependency order after module_registry_load */
  size_t count;
} module_registry;

/* The host table, one per process, borrowed by every module. */
const concerto_host *host_table(void);

/* Checks a descriptor against this core. Writes a one-line reason. Pure:
 * reads only the descriptor. */
bool abi_check(const concerto_module_descriptor *d, char *err, size_t errlen);
bool module_name_valid(const char *name);

/* Discovers, checks, orders, probes and initialises the modules the
 * configuration names, applies each one's pending migrations through
 * `owner_pg` (a connection as the schema owner, borrowed; NULL: a module
 * with migrations is refused), then adds its routes to a->router. A module
 * whose init or migration fails is refused before any of its routes,
 * subscriptions or declarations are committed, and its dependents with it.
 * Returns NULL only on out-of-memory; refusals are recorded, not fatal. */
module_registry *module_registry_load(app *a, PGconn *owner_pg);
/* Applies m's pending migrations (those of the folder it registered) in
 * its schema, each file in one transaction, so a failing file leaves
 * nothing of itself behind. false with the reason in err. */
bool module_migrate(const module_rec *m, PGconn *owner_pg, char *err,
                    size_t errlen);
/* Calls start on every READY module, in order. */
void module_registry_start(module_registry *r);
/* Calls stop in reverse order and unloads. Frees r. */
void module_registry_free(module_registry *r);
module_rec *module_registry_find(module_registry *r, const char *name);
const char *module_state_name(module_state s);
/* The setting `key` m declared, or NULL. Borrowed from m. */
const setting_spec *module_tenant_setting_find(const module_rec *m,
                                               const char *key);
/* Changes m's state and whether its routes serve (owner.serving). */
void module_set_status(module_rec *m, module_state s);
/* The record that embeds `owner`, or NULL for a core route (NULL owner). */
module_rec *module_of_owner(const route_owner *owner);

/* Orders `mods` so every module follows its dependencies; modules whose
 * dependency is missing or refused, or that sit on a cycle, are refused.
 * Pure (no I/O); exposed for unit tests. */
void module_order_by_dependency(module_rec **mods, size_t n);

#endif
