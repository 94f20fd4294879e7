/* The blob store's files: content-addressed by SHA-256 on the local
 * filesystem, <root>/ab/cd/<sha256>, written to <root>/tmp/ first and
 * renamed into place once complete and on disk, so a reader never sees half
 * a blob. Identical content is stored once. Metadata rows (concerto.blobs)
 * are the caller's business (blob_service.c); docs/blobs.md has the design.
 * Thread-safe: every call works on its own files; two writers of the same
 * content both end with the same (identical) file. */
#ifndef CONCERTO_CORE_BLOB_STORE_H
#define CONCERTO_CORE_BLOB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a finished write stored. */
typedef struct blob_info {
  char sha256[65]; /* lower-case hex */
  uint64_t length;
  const char *content_type; /* static (sniff.h) */
} blob_info;

/* A blob being written: a temp file, its running digest and its first
 * bytes (for the content type). Owned by whoever opened it. */
typedef struct blob_writer blob_writer;

/* Whether `s` is 64 lower-case hex digits (a name the store can hold). */
bool blob_sha256_valid(const char *s);

/* Creates a temp file in <root>/tmp (creating the folders). NULL on failure
 * with errno set. */
blob_writer *blob_writer_open(const char *root);
/* Appends `len` bytes; false on an I/O error (errno set, e.g. ENOSPC). */
bool blob_writer_write(blob_writer *w, const void *data, size_t len);
/* Bytes written so far. */
uint64_t blob_writer_length(const blob_writer *w);
/* The content type of the bytes written so far (their first 4 KiB), as the
 * commit will record it. Static string. */
const char *blob_writer_content_type(const blob_writer *w);
/* Finishes the digest, flushes the file to disk and moves it to its place,
 * or drops it when that content is stored already. Fills *out. Either way
 * the writer holds no file afterwards (free it with blob_writer_free). */
bool blob_writer_commit(blob_writer *w, blob_info *out);
/* Deletes an uncommitted temp file and frees the writer. NULL is ignored. */
void blob_writer_free(blob_writer *w);

/* Opens a stored blob read-only (O_CLOEXEC); -1 with errno: ENOENT when
 * absent, EINVAL for a malformed hash. The caller closes it. */
int blob_store_open(const char *root, const char *sha256);

/* Deletes temp files older than max_age_s: what a crash left behind. Only
 * old ones, since another server may share the folder and be writing.
 * Returns how many were removed. */
int blob_store_sweep_tmp(const char *root, unsigned max_age_s);

#endif
