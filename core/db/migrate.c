#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sha256.h"

#define MIGRATION_MAX_BYTES (16u << 20)
/* Any constant shared by every Concerto server: "CONCERTO" in ASCII. */
#define MIGRATION_LOCK_KEY 0x434f4e4345525430LL

bool migration_parse_name(const char *name, long *number) {
  const char *p = name;
  long n = 0;
  int digits = 0;
  while (*p >= '0' && *p <= '9') {
    if (digits++ > 9)
      return false;
    n = n * 10 + (*p++ - '0');
  }
  if (digits < 4 || *p++ != '_')
    return false;
  const char *desc = p;
  while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
    p++;
  if (p == desc || strcmp(p, ".sql") != 0)
    return false;
  *number = n;
  return true;
}

static int cmp_files(const void *a, const void *b) {
  long x = ((const migration_file *)a)->number;
  long y = ((const migration_file *)b)->number;
  return (x > y) - (x < y);
}

bool migration_set_add(migration_set *set, const char *filename,
                       const char *sql, char *err, size_t errlen) {
  long number;
  if (!migration_parse_name(filename, &number)) {
    snprintf(err, errlen,
             "%s migration %s: name must be NNNN_description.sql (lowercase)",
             set->module, filename);
    return false;
  }
  for (size_t i = 0; i < set->count; i++)
    if (set->files[i].number == number) {
      snprintf(err, errlen, "%s migrations %s and %s share number %ld",
               set->module, set->files[i].filename, filename, number);
      return false;
    }
  migration_file *grown =
      realloc(set->files, (set->count + 1) * sizeof *set->files);
  if (!grown) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  set->files = grown;
  migration_file *f = &set->files[set->count];
  f->number = number;
  f->filename = strdup(filename);
  f->sql = strdup(sql);
  if (!f->filename || !f->sql || !sha256_hex(sql, strlen(sql), f->checksum)) {
    free(f->filename);
    free(f->sql);
    snprintf(err, errlen, "out of memory");
    return false;
  }
  set->count++;
  qsort(set->files, set->count, sizeof *set->files, cmp_files);
  return true;
}

static char *read_file(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return NULL;
  }
  char *buf = malloc(MIGRATION_MAX_BYTES + 1);
  size_t n = buf ? fread(buf, 1, MIGRATION_MAX_BYTES + 1, f) : 0;
  fclose(f);
  if (!buf || n > MIGRATION_MAX_BYTES) {
    snprintf(err, errlen, "%s: larger than %u bytes", path,
             MIGRATION_MAX_BYTES);
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  if (strlen(buf) != n) {
    snprintf(err, errlen, "%s: contains a NUL byte", path);
    free(buf);
    return NULL;
  }
  return buf;
}

bool migration_set_load(migration_set *set, const char *module,
                        const char *schema, const char *dir, char *err,
                        size_t errlen) {
  memset(set, 0, sizeof *set);
  set->module = strdup(module);
  set->schema = strdup(schema);
  if (!dir)
    return true;
  DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT)
      return true;
    snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    return false;
  }
  struct dirent *e;
  bool ok = true;
  while (ok && (e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".sql"))
      continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char *sql = read_file(path, err, errlen);
    ok = sql && migration_set_add(set, e->d_name, sql, err, errlen);
    free(sql);
  }
  closedir(d);
  return ok;
}

void migration_set_free(migration_set *set) {
  for (size_t i = 0; i < set->count; i++) {
    free(set->files[i].filename);
    free(set->files[i].sql);
  }
  free(set->files);
  free(set->module);
  free(set->schema);
  memset(set, 0, sizeof *set);
}

bool migration_plan(const migration_set *set, const applied_migration *applied,
                    size_t napplied, size_t *pending, size_t *npending,
                    char *err, size_t errlen) {
  *npending = 0;
  long max_applied = -1;
  for (size_t a = 0; a < napplied; a++) {
    long num;
    if (migration_parse_name(applied[a].filename, &num) && num > max_applied)
      max_applied = num;
  }
  for (size_t i = 0; i < set->count; i++) {
    const migration_file *f = &set->files[i];
    const applied_migration *done = NULL;
    for (size_t a = 0; a < napplied && !done; a++)
      if (strcmp(applied[a].filename, f->filename) == 0)
        done = &applied[a];
    if (done) {
      if (strcmp(done->checksum, f->checksum) != 0) {
        snprintf(err, errlen,
                 "%s migration %s was edited after it was applied (recorded "
                 "sha256 %.12s..., file now %.12s...): released migrations "
                 "are frozen, add a new file instead",
                 set->module, f->filename, done->checksum, f->checksum);
        return false;
      }
      continue;
    }
    if (f->number < max_applied) {
      snprintf(err, errlen,
               "%s migration %s sorts before migrations already applied: "
               "number it after them",
               set->module, f->filename);
      return false;
    }
    pending[(*npending)++] = i;
  }
  return true;
}

static bool exec_ok(PGconn *pg, const char *sql, char *err, size_t errlen) {
  PGresult *r = PQexec(pg, sql);
  ExecStatusType st = PQresultStatus(r);
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok) {
    snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    err[strcspn(err, "\n")] = '\0';
  }
  PQclear(r);
  return ok;
}

/* Every function of the schema gets a fixed search_path (its schema, the
 * core's, the catalog, and pg_temp last), so it means the same whoever
 * calls it: PostgreSQL otherwise resolves names through the caller's path
 * (a database user not named "concerto" then found none of the core's
 * tables) and searches temporary tables first. Functions that name their
 * own path, with pg_temp, are left alone. `schema` is a plain identifier
 * (module names are [a-z][a-z0-9_]*). */
static bool pin_search_paths(PGconn *pg, const char *schema, char *err,
                             size_t errlen) {
  char path[160];
  if (strcmp(schema, "concerto") == 0)
    snprintf(path, sizeof path, "concerto, pg_catalog, pg_temp");
  else
    snprintf(path, sizeof path, "%s, concerto, pg_catalog, pg_temp", schema);
  char sql[1024];
  snprintf(sql, sizeof sql,
           "DO $pin$ DECLARE f record; BEGIN FOR f IN SELECT "
           "p.oid::regprocedure AS sig FROM pg_proc p WHERE p.pronamespace = "
           "'%s'::regnamespace AND p.prokind = 'f' AND NOT EXISTS (SELECT 1 "
           "FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE "
           "'search_path=%%pg_temp%%') LOOP EXECUTE format('ALTER FUNCTION "
           "%%s SET search_path = %s', f.sig); END LOOP; END $pin$",
           schema, path);
  return exec_ok(pg, sql, err, errlen);
}

static bool apply_one(PGconn *pg, const migration_set *set,
                      const migration_file *f, char *err, size_t errlen) {
  char msg[512];
  if (!exec_ok(pg, "BEGIN", err, errlen))
    return false;
  char *schema = PQescapeIdentifier(pg, set->schema, strlen(set->schema));
  char setup[256];
  snprintf(setup, sizeof setup,
           "CREATE SCHEMA IF NOT EXISTS %s; SET LOCAL search_path TO %s, "
           "concerto, public",
           schema, schema);
  PQfreemem(schema);
  const char *params[3] = {set->module, f->filename, f->checksum};
  bool ok = exec_ok(pg, setup, msg, sizeof msg) &&
            exec_ok(pg, f->sql, msg, sizeof msg) &&
            pin_search_paths(pg, set->schema, msg, sizeof msg);
  if (ok && strcmp(set->schema, "concerto") != 0) {
    /* A module's tables are for the application role to use (row-level
     * security, where the module enabled it, still applies); the core's
     * own grants are explicit in its migrations. */
    char *s = PQescapeIdentifier(pg, set->schema, strlen(set->schema));
    char grants[512];
    snprintf(
        grants, sizeof grants,
        "GRANT USAGE ON SCHEMA %s TO concerto_app; "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s "
        "TO concerto_app; "
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %s TO concerto_app",
        s, s, s);
    PQfreemem(s);
    ok = exec_ok(pg, grants, msg, sizeof msg);
  }
  if (ok) {
    PGresult *r = PQexecParams(
        pg,
        "INSERT INTO concerto.schema_migrations (module, filename, checksum) "
        "VALUES ($1, $2, $3)",
        3, NULL, params, NULL, NULL, 0);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
      snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
    PQclear(r);
  }
  if (ok && exec_ok(pg, "COMMIT", msg, sizeof msg)) {
    log_msg(CONCERTO_LOG_INFO, NULL, NULL, "applied %s migration %s",
            set->module, f->filename);
    return true;
  }
  exec_ok(pg, "ROLLBACK", err, errlen);
  snprintf(err, errlen, "%s migration %s failed: %s", set->module, f->filename,
           msg);
  return false;
}

static bool migrate_set(PGconn *pg, const migration_set *set, char *err,
                        size_t errlen) {
  const char *params[1] = {set->module};
  PGresult *r = PQexecParams(pg,
                             "SELECT filename, checksum FROM "
                             "concerto.schema_migrations WHERE module = $1",
                             1, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    snprintf(err, errlen, "reading applied migrations: %s",
             PQresultErrorMessage(r));
    PQclear(r);
    return false;
  }
  int n = PQntuples(r);
  applied_migration *applied = calloc((size_t)n + 1, sizeof *applied);
  size_t *pending = calloc(set->count + 1, sizeof *pending);
  bool ok = applied && pending;
  for (int i = 0; ok && i < n; i++)
    applied[i] = (applied_migration){PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)};
  size_t npending = 0;
  ok = ok &&
       migration_plan(set, applied, (size_t)n, pending, &npending, err, errlen);
  for (size_t i = 0; ok && i < npending; i++)
    ok = apply_one(pg, set, &set->files[pending[i]], err, errlen);
  free(applied);
  free(pending);
  PQclear(r);
  return ok;
}

bool migrate_run(PGconn *pg, migration_set *sets, size_t nsets, char *err,
                 size_t errlen) {
  char lock[96];
  snprintf(lock, sizeof lock, "SELECT pg_advisory_lock(%lld)",
           (long long)MIGRATION_LOCK_KEY);
  if (!exec_ok(pg, lock, err, errlen))
    return false;
  bool ok = exec_ok(pg,
                    "SET client_min_messages TO warning;"
                    "CREATE SCHEMA IF NOT EXISTS concerto;"
                    "CREATE TABLE IF NOT EXISTS concerto.schema_migrations ("
                    " module text NOT NULL,"
                    " filename text NOT NULL,"
                    " checksum text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now(),"
                    " PRIMARY KEY (module, filename))",
                    err, errlen);
  for (size_t i = 0; ok && i < nsets; i++)
    ok = migrate_set(pg, &sets[i], err, errlen);
  char unlock[96];
  snprintf(unlock, sizeof unlock, "SELECT pg_advisory_unlock(%lld)",
           (long long)MIGRATION_LOCK_KEY);
  char ignored[64];
  exec_ok(pg, unlock, ignored, sizeof ignored);
  return ok;
}
