/* Blobs for modules and core routes (plugin ABI 1.6): uploads taken from
 * the request, content-addressed files recorded in concerto.blobs in the
 * request's transaction, and read back only through a row the caller may
 * see (row-level security on concerto.blobs). */
#ifndef CONCERTO_CORE_BLOB_SERVICE_H
#define CONCERTO_CORE_BLOB_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"

/* The sniffed type and length of the request's upload, or NULL (no upload
 * route, or nothing received). Arena string. */
const char *blob_upload_type(concerto_request *req, uint64_t *length);
/* Moves the upload into the store and records it; *out's strings are the
 * request's. */
concerto_status blob_take_upload(concerto_request *req, concerto_blob *out);
/* Stores `len` bytes of `data` (only read) and records them. */
concerto_status blob_put(concerto_request *req, const void *data, size_t len,
                         concerto_blob *out);
/* Reads a blob the caller may see, up to `max` bytes: *data belongs to the
 * request. CONCERTO_ERR_NOT_FOUND when unknown or not visible. */
concerto_status blob_read(concerto_request *req, const char *sha256, size_t max,
                          const void **data, size_t *len);
/* Answers with the blob's bytes, inline when its type is safe to render,
 * else as an attachment named `filename` (may be NULL). */
concerto_status blob_respond(concerto_request *req, const char *sha256,
                             const char *content_type, const char *filename,
                             int attachment);

#endif
