/* Uploads and the blob store as core services (plugin ABI 1.6): the host
 * table's side. The files are blob_store.c's; here each stored blob also
 * gets its concerto.blobs row in the request's transaction, so a row never
 * exists without its file (the file is in place before the row can
 * commit). The reverse - a file whose request rolled back - is harmless
 * garbage for a future sweep (docs/blobs.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob_service.h"
#include "blob_store.h"
#include "log.h"
#include "request.h"
#include "struct_compat.h"

static bool blob_out_ok(const concerto_blob *out) {
  return out && out->size >= BLOB_V1_SIZE;
}

static void fill_blob(concerto_blob *out, const blob_info *info) {
  memcpy(out->sha256, info->sha256, sizeof out->sha256);
  out->length = info->length;
  snprintf(out->content_type, sizeof out->content_type, "%s",
           info->content_type);
}

/* The metadata row; the first writer of a content wins, later ones (the
 * same bytes, so the same type) change nothing. */
static concerto_status insert_row(concerto_request *req,
                                  const blob_info *info) {
  char length[24];
  snprintf(length, sizeof length, "%" PRIu64, info->length);
  const char *params[3] = {info->sha256, length, info->content_type};
  return request_query(req, "SELECT concerto.blob_record($1, $2::bigint, $3)",
                       3, params, NULL);
}

/* Moves a finished writer's file into the store and records it. */
static concerto_status store(concerto_request *req, blob_writer *w,
                             blob_info *info) {
  if (!blob_writer_commit(w, info)) {
    log_msg(CONCERTO_LOG_ERROR, NULL, req->id,
            "blob store: cannot store a blob in %s: %s", req->app->cfg.blob_dir,
            strerror(errno));
    return CONCERTO_ERR_INTERNAL;
  }
  return insert_row(req, info);
}

/* Copies what the caller's struct has room for, never `size`: the
 * caller's struct may be older or newer than the core's. */
static void copy_blob(concerto_blob *out, const concerto_blob *from) {
  struct_export(out, from, sizeof *from);
}

const char *blob_upload_type(concerto_request *req, uint64_t *length) {
  if (!req || !req->is_upload)
    return NULL;
  if (req->upload_as) { /* taken already */
    if (length)
      *length = req->upload_as->length;
    return req->upload_as->content_type;
  }
  if (!req->upload || req->upload_len == 0)
    return NULL;
  if (length)
    *length = req->upload_len;
  return blob_writer_content_type(req->upload);
}

concerto_status blob_take_upload(concerto_request *req, concerto_blob *out) {
  if (!req || !blob_out_ok(out) || !req->is_upload)
    return CONCERTO_ERR_INVALID;
  if (req->upload_as) { /* taken already: the same answer again */
    copy_blob(out, req->upload_as);
    return CONCERTO_OK;
  }
  if (!req->upload || req->upload_len == 0)
    return CONCERTO_ERR_INVALID;
  concerto_blob *kept = arena_alloc(&req->arena, sizeof *kept);
  if (!kept)
    return CONCERTO_ERR_NOMEM;
  blob_info info;
  concerto_status st = store(req, req->upload, &info);
  if (st != CONCERTO_OK)
    return st; /* a temp file still there goes in request_free */
  blob_writer_free(req->upload);
  req->upload = NULL;
  *kept = (concerto_blob)CONCERTO_BLOB_INIT_V1;
  fill_blob(kept, &info);
  req->upload_as = kept;
  copy_blob(out, kept);
  return CONCERTO_OK;
}

concerto_status blob_put(concerto_request *req, const void *data, size_t len,
                         concerto_blob *out) {
  if (!req || !blob_out_ok(out) || (!data && len > 0))
    return CONCERTO_ERR_INVALID;
  blob_writer *w = blob_writer_open(req->app->cfg.blob_dir);
  if (!w) {
    log_msg(CONCERTO_LOG_ERROR, NULL, req->id,
            "blob store: cannot create a temp file in %s/tmp: %s",
            req->app->cfg.blob_dir, strerror(errno));
    return CONCERTO_ERR_INTERNAL;
  }
  blob_info info;
  concerto_status st = CONCERTO_OK;
  if (!blob_writer_write(w, len ? data : "", len)) {
    log_msg(CONCERTO_LOG_ERROR, NULL, req->id, "blob store: write failed: %s",
            strerror(errno));
    st = CONCERTO_ERR_INTERNAL;
  } else {
    st = store(req, w, &info);
  }
  blob_writer_free(w);
  if (st == CONCERTO_OK) {
    concerto_blob full = CONCERTO_BLOB_INIT_V1;
    fill_blob(&full, &info);
    copy_blob(out, &full);
  }
  return st;
}

/* Opens a stored blob; NOT_FOUND for an absent or malformed hash, and for
 * one that no row the caller may see points at (the blobs table's policy,
 * sql/0012_references.sql): knowing a hash is not enough to read a file. */
static concerto_status open_blob(concerto_request *req, const char *sha256,
                                 int *fd, size_t *size) {
  *fd = -1;
  PGresult *seen = NULL;
  concerto_status visible =
      request_query(req, "SELECT 1 FROM concerto.blobs WHERE sha256 = $1", 1,
                    (const char *[]){sha256}, &seen);
  if (visible != CONCERTO_OK)
    return visible;
  if (PQntuples(seen) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  *fd = blob_store_open(req->app->cfg.blob_dir, sha256);
  if (*fd < 0) {
    if (errno != ENOENT && errno != EINVAL)
      log_msg(CONCERTO_LOG_ERROR, NULL, req->id, "blob store: open: %s",
              strerror(errno));
    return errno == ENOENT || errno == EINVAL ? CONCERTO_ERR_NOT_FOUND
                                              : CONCERTO_ERR_INTERNAL;
  }
  struct stat st;
  if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(*fd);
    *fd = -1;
    return CONCERTO_ERR_INTERNAL;
  }
  *size = (size_t)st.st_size;
  return CONCERTO_OK;
}

concerto_status blob_read(concerto_request *req, const char *sha256, size_t max,
                          const void **data, size_t *len) {
  if (!req || !data || !len)
    return CONCERTO_ERR_INVALID;
  *data = NULL;
  *len = 0;
  int fd;
  size_t size;
  concerto_status st = open_blob(req, sha256, &fd, &size);
  if (st != CONCERTO_OK)
    return st;
  if (size > max) {
    close(fd);
    return CONCERTO_ERR_TOO_LARGE;
  }
  char *buf = arena_alloc(&req->arena, size + 1);
  if (!buf) {
    close(fd);
    return CONCERTO_ERR_NOMEM;
  }
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, buf + got, size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  close(fd);
  if (got != size)
    return CONCERTO_ERR_INTERNAL;
  buf[size] = '\0'; /* convenient for text, not counted */
  *data = buf;
  *len = size;
  return CONCERTO_OK;
}

/* The type recorded when the blob was stored, for callers passing NULL. */
static const char *recorded_type(concerto_request *req, const char *sha256) {
  PGresult *res = NULL;
  const char *params[1] = {sha256};
  if (request_query(req,
                    "SELECT content_type FROM concerto.blobs WHERE sha256 = $1",
                    1, params, &res) != CONCERTO_OK ||
      PQntuples(res) != 1)
    return NULL;
  return arena_strdup(&req->arena, PQgetvalue(res, 0, 0));
}

/* Only what the sniffer recognises as a document or an image is shown
 * inline; anything else (HTML a module mislabelled, say) is downloaded. */
static bool inline_safe(const char *type) {
  static const char *const ok[] = {"application/pdf", "image/png",
                                   "image/jpeg"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    if (strcasecmp(type, ok[i]) == 0)
      return true;
  return false;
}

static bool attr_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c);
}

/* Content-Disposition (RFC 6266): the name without any folder part or
 * control character, as an ASCII fallback (quotes, backslashes and
 * non-ASCII bytes become '_') and as RFC 8187 UTF-8 (percent-encoded).
 * Arena string. */
static const char *disposition(concerto_request *req, const char *filename,
                               bool attachment) {
  const char *kind = attachment ? "attachment" : "inline";
  if (!filename)
    return kind;
  const char *base = filename;
  for (const char *p = filename; *p; p++)
    if (*p == '/' || *p == '\\')
      base = p + 1;
  char ascii[201], utf8[601];
  size_t na = 0, nu = 0;
  for (const unsigned char *p = (const unsigned char *)base;
       *p && na < sizeof ascii - 1 && nu < sizeof utf8 - 3; p++) {
    if (*p < 0x20 || *p == 0x7f)
      continue; /* CR, LF, tabs and the like: dropped */
    ascii[na++] = (*p >= 0x80 || *p == '"' || *p == '\\') ? '_' : (char)*p;
    if (attr_char(*p)) {
      utf8[nu++] = (char)*p;
    } else {
      static const char hex[] = "0123456789ABCDEF";
      utf8[nu++] = '%';
      utf8[nu++] = hex[*p >> 4];
      utf8[nu++] = hex[*p & 15];
    }
  }
  ascii[na] = '\0';
  utf8[nu] = '\0';
  if (na == 0 || strspn(ascii, ".") == na)
    return kind; /* nothing usable left ("", ".", "..") */
  return arena_printf(&req->arena, "%s; filename=\"%s\"; filename*=UTF-8''%s",
                      kind, ascii, utf8);
}

concerto_status blob_respond(concerto_request *req, const char *sha256,
                             const char *content_type, const char *filename,
                             int attachment) {
  if (!req || req->responded)
    return CONCERTO_ERR_INVALID;
  if (content_type && (strchr(content_type, '\r') ||
                       strchr(content_type, '\n') || !*content_type))
    return CONCERTO_ERR_INVALID;
  int fd;
  size_t size;
  concerto_status st = open_blob(req, sha256, &fd, &size);
  if (st != CONCERTO_OK)
    return st;
  const char *type = content_type ? content_type : recorded_type(req, sha256);
  if (!type)
    type = "application/octet-stream";
  type = arena_strdup(&req->arena, type);
  const char *cd = disposition(req, filename, attachment || !inline_safe(type));
  if (!type || !cd ||
      req_set_header(req, "Content-Disposition", cd) != CONCERTO_OK) {
    close(fd);
    return CONCERTO_ERR_NOMEM;
  }
  return request_respond_fd(req, 200, type, fd, size);
}
