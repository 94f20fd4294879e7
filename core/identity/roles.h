/* The roles this server knows: the core's and those modules declared at
 * init (host->register_role). Built before the server serves, read-only
 * afterwards (so readers need no lock). Stored in concerto.roles by
 * roles_sync so the database can refuse a grant of an unknown role. */
#ifndef CONCERTO_CORE_ROLES_H
#define CONCERTO_CORE_ROLES_H

#include <stdbool.h>
#include <stddef.h>

#include "concerto/host.h"
#include <libpq-fe.h>

typedef struct role_def {
  char *name, *label_it, *label_en, *description; /* owned */
  char *owners; /* "core", or module names joined by ", "; owned */
  uint32_t flags;
  /* False for a role only the database remembers (granted once, declared
   * by no running module): it keeps its meaning for existing grants but
   * cannot be granted anew. */
  bool registered;
} role_def;

typedef struct role_registry role_registry;

/* Owned by the app. */
role_registry *roles_new(void);
void roles_free(role_registry *r);

/* [a-z][a-z0-9_]{1,39}, and not a pseudo-role of caller_has_role. */
bool role_name_valid(const char *name);

/* Adds the role of `spec` (strings copied) declared by `owner` (a module's
 * name, or NULL for the core). A role already known keeps its labels and
 * gains the owner and the flags. CONCERTO_ERR_REG_INVALID for a malformed
 * spec, CONCERTO_ERR_REG_DUPLICATE when the same owner declares it twice. */
concerto_status roles_add(role_registry *r, const char *owner,
                          const concerto_role_spec *spec);

/* The core's own roles: hospital administration, IT, privacy, help desk. */
bool roles_add_core(role_registry *r);

const role_def *roles_find(const role_registry *r, const char *name);
size_t roles_count(const role_registry *r);
/* In the order they were added; NULL past the end. */
const role_def *roles_at(const role_registry *r, size_t i);

/* Whether `roles` (request strings) holds a role with every bit of `flag`. */
bool roles_any_with(const role_registry *r, const char *const *roles,
                    int nroles, uint32_t flag);

/* Writes every known role to concerto.roles on `owner`, a connection of the
 * schema owner (the application role may only read the table), in one
 * transaction. Roles no running module declares stay (grants may name
 * them) with registered = false, and are added to r as such. Call once,
 * before serving. False with a reason in err. */
bool roles_sync(role_registry *r, PGconn *owner, char *err, size_t errlen);

#endif
