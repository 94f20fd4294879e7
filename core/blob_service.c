/* Uploads and the blob store as core services (plugin ABI 1.6).
 * STUB: being implemented. */
#include "request.h"

concerto_status host_req_upload(concerto_request *req, concerto_blob *out) {
  (void)req;
  (void)out;
  return CONCERTO_ERR_UNSUPPORTED;
}

concerto_status host_blob_put(concerto_request *req, const void *data,
                              size_t len, concerto_blob *out) {
  (void)req;
  (void)data;
  (void)len;
  (void)out;
  return CONCERTO_ERR_UNSUPPORTED;
}

concerto_status host_blob_read(concerto_request *req, const char *sha256,
                               size_t max, const void **data, size_t *len) {
  (void)req;
  (void)sha256;
  (void)max;
  (void)data;
  (void)len;
  return CONCERTO_ERR_UNSUPPORTED;
}

concerto_status host_respond_blob(concerto_request *req, const char *sha256,
                                  const char *content_type,
                                  const char *filename, int attachment) {
  (void)req;
  (void)sha256;
  (void)content_type;
  (void)filename;
  (void)attachment;
  return CONCERTO_ERR_UNSUPPORTED;
}
