/* The blob store's sweep: files without a metadata row (docs/blobs.md). */
#ifndef CONCERTO_CORE_BLOB_SWEEP_H
#define CONCERTO_CORE_BLOB_SWEEP_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct blob_sweep_report {
  unsigned long checked; /* files under their hash */
  unsigned long orphans; /* without a row and older than the grace */
  unsigned long removed; /* orphans deleted (0 on a dry run) */
  unsigned long young;   /* without a row but inside the grace: kept */
  unsigned long missing; /* rows whose file is absent: data loss */
  unsigned long long bytes_removed;
} blob_sweep_report;

/* Walks <root>/xx/yy/<sha256>: a file whose hash has no row in
 * concerto.blobs and that is older than `grace_s` (by mtime, which the
 * store refreshes whenever the same content is stored again) is deleted,
 * or only counted when `dry_run`. Then counts rows whose file is absent.
 * `pg` is borrowed (any role that may read concerto.blobs). False with a
 * message in `err` when the store or the database cannot be read. */
bool blob_sweep(PGconn *pg, const char *root, unsigned grace_s, bool dry_run,
                blob_sweep_report *out, char *err, size_t errlen);

#endif
