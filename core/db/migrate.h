/* Schema migrations: numbered SQL files, applied in order at start, each in
 * its own transaction, recorded with a SHA-256 checksum in
 * concerto.schema_migrations. Core files come from sql/, a module's from the
 * folder it registers, run with search_path set to the module's own schema.
 * An applied file that was edited afterwards stops the server: released
 * migrations are frozen; a change is a new file. */
#ifndef CONCERTO_CORE_MIGRATE_H
#define CONCERTO_CORE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

typedef struct migration_file {
  long number;
  char *filename; /* "0001_core.sql", owned */
  char *sql;      /* file contents, owned */
  char checksum[65];
} migration_file;

typedef struct migration_set {
  char *module;          /* "core" or the module name, owned */
  char *schema;          /* schema to run in, owned */
  migration_file *files; /* sorted by number */
  size_t count;
} migration_set;

typedef struct applied_migration {
  const char *filename;
  const char *checksum;
} applied_migration;

/* Parses "NNNN_description.sql" (4+ digits, [a-z0-9_] description). */
bool migration_parse_name(const char *filename, long *number);

/* Reads every *.sql of dir into `set`, sorted; refuses malformed names and
 * duplicate numbers. A missing folder is an empty set. */
bool migration_set_load(migration_set *set, const char *module,
                        const char *schema, const char *dir, char *err,
                        size_t errlen);
/* Builds a set from memory (tests): files are copied. */
bool migration_set_add(migration_set *set, const char *filename,
                       const char *sql, char *err, size_t errlen);
void migration_set_free(migration_set *set);

/* Decides what to apply: the indexes of set->files not yet applied, in
 * order. Fails when an applied file's checksum differs from the file's, or a
 * pending file sorts before one already applied. Pure. `pending` has room
 * for set->count entries. */
bool migration_plan(const migration_set *set, const applied_migration *applied,
                    size_t napplied, size_t *pending, size_t *npending,
                    char *err, size_t errlen);

/* Applies the sets in the given order under an advisory lock, so several
 * servers starting together migrate once. */
bool migrate_run(PGconn *pg, migration_set *sets, size_t nsets, char *err,
                 size_t errlen);

#endif
