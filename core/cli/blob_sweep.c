/* The blob store's sweep. A file without a row is what a request left
 * when it rolled back after storing its upload: nothing references the
 * hash. It is deleted only after a grace period, because a request may
 * have just stored (or touched) the same content and not committed its
 * row yet; requests last seconds, the grace is hours. */
#include "blob_sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blob_store.h"

static bool two_hex(const char *s) {
  return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

static bool has_row(PGconn *pg, const char *sha, bool *out, char *err,
                    size_t errlen) {
  const char *p[1] = {sha};
  PGresult *r =
      PQexecParams(pg, "SELECT 1 FROM concerto.blobs WHERE sha256 = $1", 1,
                   NULL, p, NULL, NULL, 0);
  bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  if (ok)
    *out = PQntuples(r) == 1;
  else
    snprintf(err, errlen, "concerto.blobs: %s", PQresultErrorMessage(r));
  PQclear(r);
  return ok;
}

/* One folder <root>/xx/yy. */
static bool sweep_leaf(PGconn *pg, int dfd, const char *prefix,
                       unsigned grace_s, bool dry_run, blob_sweep_report *out,
                       char *err, size_t errlen) {
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return true;
  }
  time_t now = time(NULL);
  bool ok = true;
  struct dirent *e;
  while (ok && (e = readdir(d))) {
    /* Only names the store writes: the folders' prefix and 64 hex. */
    if (!blob_sha256_valid(e->d_name) || strncmp(e->d_name, prefix, 4) != 0)
      continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode))
      continue;
    out->checked++;
    bool referenced = false;
    ok = has_row(pg, e->d_name, &referenced, err, errlen);
    if (!ok || referenced)
      continue;
    if (now - st.st_mtime <= (time_t)grace_s) {
      out->young++;
      continue;
    }
    out->orphans++;
    if (!dry_run && unlinkat(dirfd(d), e->d_name, 0) == 0) {
      out->removed++;
      out->bytes_removed += (unsigned long long)st.st_size;
    }
  }
  closedir(d);
  return ok;
}

static bool sweep_files(PGconn *pg, const char *root, unsigned grace_s,
                        bool dry_run, blob_sweep_report *out, char *err,
                        size_t errlen) {
  DIR *top = opendir(root);
  if (!top) {
    snprintf(err, errlen, "%s: %s", root, strerror(errno));
    return false;
  }
  bool ok = true;
  struct dirent *a;
  while (ok && (a = readdir(top))) {
    if (!two_hex(a->d_name))
      continue; /* tmp/ and anything else */
    int afd = openat(dirfd(top), a->d_name, O_RDONLY | O_DIRECTORY);
    DIR *mid = afd >= 0 ? fdopendir(afd) : NULL;
    if (!mid) {
      if (afd >= 0)
        close(afd);
      continue;
    }
    struct dirent *b;
    while (ok && (b = readdir(mid))) {
      if (!two_hex(b->d_name))
        continue;
      int bfd = openat(dirfd(mid), b->d_name, O_RDONLY | O_DIRECTORY);
      char prefix[5] = {a->d_name[0], a->d_name[1], b->d_name[0], b->d_name[1],
                        '\0'};
      if (bfd >= 0)
        ok = sweep_leaf(pg, bfd, prefix, grace_s, dry_run, out, err, errlen);
    }
    closedir(mid);
  }
  closedir(top);
  return ok;
}

/* Rows whose file is gone: never made by Concerto (the file comes first),
 * so a restore or a disk went wrong; reported, never "repaired". Rows are
 * read one at a time (single-row mode): the table may hold millions. */
static bool count_missing(PGconn *pg, const char *root, blob_sweep_report *out,
                          char *err, size_t errlen) {
  if (!PQsendQuery(pg, "SELECT sha256 FROM concerto.blobs") ||
      !PQsetSingleRowMode(pg)) {
    snprintf(err, errlen, "concerto.blobs: %s", PQerrorMessage(pg));
    return false;
  }
  bool ok = true;
  PGresult *r;
  while ((r = PQgetResult(pg))) {
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_SINGLE_TUPLE) {
      int fd = blob_store_open(root, PQgetvalue(r, 0, 0));
      if (fd >= 0)
        close(fd);
      else
        out->missing++;
    } else if (s != PGRES_TUPLES_OK && ok) {
      snprintf(err, errlen, "concerto.blobs: %s", PQresultErrorMessage(r));
      ok = false;
    }
    PQclear(r);
  }
  return ok;
}

bool blob_sweep(PGconn *pg, const char *root, unsigned grace_s, bool dry_run,
                blob_sweep_report *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  return sweep_files(pg, root, grace_s, dry_run, out, err, errlen) &&
         count_missing(pg, root, out, err, errlen);
}
