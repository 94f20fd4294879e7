/* The size limit on a request's line and headers, checked by Concerto so
 * that an oversized request gets a problem+json answer rather than
 * libmicrohttpd's HTML page. libmicrohttpd is given twice the limit as
 * connection memory (server.c), so it can hold most requests over the
 * limit long enough for this check to see them; what it cannot hold it
 * still refuses itself (docs/architecture.md, "Limits and hostile input"). */
#include <stdio.h>
#include <string.h>

#include "request.h"

typedef struct head_count {
  size_t total;
  size_t separators; /* bytes around each field: ": " and CRLF, '=' and '&' */
} head_count;

static enum MHD_Result count_field(void *cls, enum MHD_ValueKind kind,
                                   const char *key, size_t key_size,
                                   const char *value, size_t value_size) {
  (void)kind;
  (void)key;
  (void)value;
  head_count *c = cls;
  c->total += key_size + value_size + c->separators;
  return MHD_YES;
}

/* The request line and the headers as libmicrohttpd parsed them. The path
 * and the query arguments are counted after percent-decoding, so a request
 * is never measured above its real size. */
static size_t request_line_size(struct MHD_Connection *conn, const char *method,
                                const char *url, const char *version) {
  head_count c = {strlen(method) + strlen(url) + strlen(version) + 4, 2};
  MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, count_field, &c);
  return c.total;
}

static size_t headers_size(struct MHD_Connection *conn) {
  head_count c = {2, 4}; /* the empty line that ends them */
  MHD_get_connection_values_n(conn, MHD_HEADER_KIND, count_field, &c);
  return c.total;
}

bool request_check_head(concerto_request *req, const char *version) {
  if (!req->conn)
    return false;
  size_t max = req->app->cfg.max_header_bytes;
  size_t line = request_line_size(req->conn, req->method, req->url,
                                  version ? version : "");
  char detail[160];
  if (line > max) {
    snprintf(detail, sizeof detail,
             "The request line exceeds the limit of %zu bytes.", max);
    request_problem(req, 414, "uri_too_long", NULL, detail);
    return true;
  }
  if (line + headers_size(req->conn) > max) {
    snprintf(detail, sizeof detail,
             "The request line and headers exceed the limit of %zu bytes.",
             max);
    request_problem(req, 431, "headers_too_large", NULL, detail);
    return true;
  }
  return false;
}
