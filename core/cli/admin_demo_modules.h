/* Demo data of the clinical modules, for `concerto admin demo`. */
#ifndef CONCERTO_CORE_ADMIN_DEMO_MODULES_H
#define CONCERTO_CORE_ADMIN_DEMO_MODULES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* Called once per (hospital, module) to enable the module there. */
typedef bool (*demo_enable_fn)(void *ctx, const char *tenant,
                               const char *module);

/* For every module NAME.so in `modules_dir` whose folder NAME/ has
 * demo/demo.sql: applies the module's migrations (NAME/sql, schema NAME,
 * exactly as the server would at start), enables the module for each of the
 * `ntenants` hospital codes through `enable`, then runs demo.sql (as the
 * connection's role, with search_path NAME, concerto). Files are read, not
 * kept. False with a message in `err` on the first failure. */
bool admin_demo_modules(PGconn *pg, const char *modules_dir,
                        const char *const *tenants, size_t ntenants,
                        demo_enable_fn enable, void *ctx, char *err,
                        size_t errlen);

#endif
