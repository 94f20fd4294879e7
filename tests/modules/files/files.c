/* Test module "files": the blob store services of plugin ABI 1.6 -
 * a streamed upload route, a download, a blob written from bytes and a
 * blob read back into request memory. */
#include <concerto/concerto.h>

#include <stdlib.h>
#include <string.h>

/* Records that the caller's hospital stored the blob (its reference). */
static concerto_status remember(concerto_request *req, const concerto_blob *b) {
  concerto_result *res;
  return concerto_query_db(req, "INSERT INTO stored (sha256) VALUES ($1)", 1,
                           (const char *[]){b->sha256}, &res);
}

static json_t *blob_json(const concerto_blob *b) {
  return json_pack("{s:s, s:I, s:s}", "sha256", b->sha256, "length",
                   (json_int_t)b->length, "content_type", b->content_type);
}

/* ?refuse=1 answers 422 without taking the upload (the core deletes it);
 * ?expect=TYPE answers 415 naming the detected type and length when the
 * upload is of another type, also without taking it (ABI 1.7). */
static concerto_status upload(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  const char *refuse = concerto_query(req, "refuse");
  if (refuse && strcmp(refuse, "1") == 0)
    return concerto_reply_problem(req, 422, "refused", "Unprocessable Content",
                                  "refused on request");
  const char *expect = concerto_query(req, "expect");
  uint64_t length = 0;
  const char *type = h->req_upload_type(req, &length);
  if (expect && (!type || strcmp(type, expect) != 0))
    return concerto_reply_problem(
        req, 415, "unexpected_type", "Unsupported Media Type",
        h->req_printf(req, "%s, %llu bytes", type ? type : "none",
                      (unsigned long long)length));
  concerto_blob blob = CONCERTO_BLOB_INIT_V1;
  concerto_status st = h->req_upload(req, &blob);
  if (st == CONCERTO_OK)
    st = remember(req, &blob);
  if (st != CONCERTO_OK)
    return st;
  h->audit(req, "files.upload", blob.sha256, NULL, NULL);
  return concerto_reply_json(req, 201, blob_json(&blob));
}

/* ?name= for Content-Disposition, ?inline=1 to display. */
static concerto_status download(concerto_request *req, void *ud) {
  (void)ud;
  const char *in = concerto_query(req, "inline");
  int attachment = !(in && strcmp(in, "1") == 0);
  return concerto_module_host->respond_blob(req, concerto_param(req, "sha"),
                                            NULL, concerto_query(req, "name"),
                                            attachment);
}

static concerto_status put(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  const char *text = json_string_value(json_object_get(body, "text"));
  if (!text)
    return concerto_reply_problem(req, 422, "validation_failed",
                                  "Unprocessable Content", "text: required");
  concerto_blob blob = CONCERTO_BLOB_INIT_V1;
  st = concerto_module_host->blob_put(req, text, strlen(text), &blob);
  if (st == CONCERTO_OK)
    st = remember(req, &blob);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 201, blob_json(&blob));
}

/* Reads at most ?max= bytes (default 1 MiB); answers the length and the
 * first bytes as text. */
static concerto_status head(concerto_request *req, void *ud) {
  (void)ud;
  const char *max_s = concerto_query(req, "max");
  size_t max = max_s ? (size_t)strtoull(max_s, NULL, 10) : 1u << 20;
  const void *data;
  size_t len;
  concerto_status st = concerto_module_host->blob_read(
      req, concerto_param(req, "sha"), max, &data, &len);
  if (st != CONCERTO_OK)
    return st;
  char first[17] = "";
  size_t n = len < 16 ? len : 16;
  memcpy(first, data, n);
  first[n] = '\0';
  for (size_t i = 0; i < n; i++)
    if (first[i] < 0x20 || first[i] > 0x7e)
      first[i] = '.';
  return concerto_reply_json(
      req, 200,
      json_pack("{s:I, s:s}", "length", (json_int_t)len, "first", first));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  if (!CONCERTO_HOST_HAS(host, respond_blob))
    return CONCERTO_ERR_UNSUPPORTED; /* needs ABI 1.6 */
  static const struct {
    const char *method, *path;
    uint32_t flags;
    concerto_handler handler;
  } routes[] = {
      {"POST", "/api/v1/files/upload", CONCERTO_ROUTE_UPLOAD, upload},
      {"POST", "/api/v1/files/put", CONCERTO_ROUTE_FLAGS_NONE, put},
      {"GET", "/api/v1/files/{sha}", CONCERTO_ROUTE_FLAGS_NONE, download},
      {"GET", "/api/v1/files/{sha}/head", CONCERTO_ROUTE_FLAGS_NONE, head},
  };
  if (host->register_migrations(reg, "sql") != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
    concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
    spec.method = routes[i].method;
    spec.path = routes[i].path;
    spec.required_role = "authenticated";
    spec.flags = routes[i].flags;
    spec.handler = routes[i].handler;
    if (host->register_route(reg, &spec) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  }
  return CONCERTO_OK;
}

CONCERTO_MODULE("files", "1.0.0", "Concerto tests",
                "Uploads and the blob store (ABI 1.6)", NULL, init, NULL, NULL)
