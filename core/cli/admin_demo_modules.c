/* Demo data of the clinical modules. A module's demo (groups, a sample
 * session) lives beside it in demo/demo.sql, so the core's demo command
 * needs no knowledge of any clinical domain. The module's tables must exist
 * before its demo rows, so the same migrations the server applies at start
 * are applied here first (the server then finds them done). */
#include "admin_demo_modules.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate.h"
#include "module_registry.h"

#define DEMO_SQL_MAX (1 << 20)

/* The file's text (malloc'ed) or NULL. */
static char *read_text(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open", path);
    return NULL;
  }
  char *text = malloc(DEMO_SQL_MAX + 1);
  size_t n = text ? fread(text, 1, DEMO_SQL_MAX + 1, f) : 0;
  fclose(f);
  if (!text || n > DEMO_SQL_MAX) {
    snprintf(err, errlen, "%s: larger than %d bytes", path, DEMO_SQL_MAX);
    free(text);
    return NULL;
  }
  text[n] = '\0';
  return text;
}

static bool exec_ok(PGconn *pg, const char *sql, const char *what, char *err,
                    size_t errlen) {
  PGresult *r = PQexec(pg, sql);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
            PQresultStatus(r) == PGRES_TUPLES_OK;
  if (!ok)
    snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(r));
  PQclear(r);
  return ok;
}

static bool load_one(PGconn *pg, const char *modules_dir, const char *name,
                     const char *const *tenants, size_t ntenants,
                     demo_enable_fn enable, void *ctx, char *err,
                     size_t errlen) {
  char path[1024], sqldir[1024];
  snprintf(path, sizeof path, "%s/%s/demo/demo.sql", modules_dir, name);
  if (access(path, R_OK) != 0)
    return true; /* no demo for this module */
  snprintf(sqldir, sizeof sqldir, "%s/%s/sql", modules_dir, name);
  migration_set set;
  bool ok = migration_set_load(&set, name, name, sqldir, err, errlen) &&
            migrate_run(pg, &set, 1, err, errlen);
  migration_set_free(&set);
  for (size_t i = 0; ok && i < ntenants; i++)
    ok = enable(ctx, tenants[i], name);
  char *text = ok ? read_text(path, err, errlen) : NULL;
  if (!text)
    return false;
  char *search = NULL;
  ok = asprintf(&search, "SET search_path = \"%s\", concerto", name) > 0 &&
       exec_ok(pg, "BEGIN", path, err, errlen) &&
       exec_ok(pg, search, path, err, errlen) &&
       exec_ok(pg, text, path, err, errlen) &&
       exec_ok(pg, "COMMIT", path, err, errlen);
  if (!ok)
    exec_ok(pg, "ROLLBACK", path, err + strlen(err), 0);
  exec_ok(pg, "RESET search_path", path, err + strlen(err), 0);
  free(search);
  free(text);
  if (ok)
    printf("demo data of module %s loaded\n", name);
  return ok;
}

bool admin_demo_modules(PGconn *pg, const char *modules_dir,
                        const char *const *tenants, size_t ntenants,
                        demo_enable_fn enable, void *ctx, char *err,
                        size_t errlen) {
  if (!modules_dir)
    return true;
  DIR *d = opendir(modules_dir);
  if (!d)
    return true; /* modules not built: a core-only demo */
  bool ok = true;
  struct dirent *e;
  while (ok && (e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 3, ".so") != 0)
      continue;
    char name[64];
    if (n - 3 >= sizeof name)
      continue;
    memcpy(name, e->d_name, n - 3);
    name[n - 3] = '\0';
    if (module_name_valid(name))
      ok = load_one(pg, modules_dir, name, tenants, ntenants, enable, ctx, err,
                    errlen);
  }
  closedir(d);
  return ok;
}
