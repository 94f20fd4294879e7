/* A module's migrations, applied while it loads (module_registry.h): a
 * failure refuses that module, never the server. */
#include <stdio.h>

#include "migrate.h"
#include "module_registry.h"

bool module_migrate(const module_rec *m, PGconn *owner_pg, char *err,
                    size_t errlen) {
  if (!m->migrations_dir)
    return true;
  if (!owner_pg) {
    snprintf(err, errlen, "no database connection to apply its migrations");
    return false;
  }
  migration_set set = {0};
  bool ok = migration_set_load(&set, m->name, m->name, m->migrations_dir, err,
                               errlen) &&
            migrate_run(owner_pg, &set, 1, err, errlen);
  migration_set_free(&set);
  return ok;
}
