#include "request.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "blob_store.h"
#include "utf8.h"
#include "log.h"
#include "problem.h"

static concerto_status respond_json_typed(concerto_request *req,
                                          unsigned status, json_t *body,
                                          const char *type);

/* ---- ids ---- */

static atomic_ullong request_counter;
static unsigned request_id_prefix;

static void make_request_id(concerto_request *req) {
  const char *given =
      req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                              "X-Request-Id")
                : NULL;
  /* Accept a caller's id only if it cannot smuggle anything into a log. */
  if (given) {
    size_t n = strlen(given);
    bool ok = n > 0 && n < sizeof req->id;
    for (size_t i = 0; ok && i < n; i++) {
      char c = given[i];
      ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
    if (ok) {
      memcpy(req->id, given, n + 1);
      return;
    }
  }
  if (request_id_prefix == 0) {
    unsigned r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
      r = (unsigned)getpid();
    request_id_prefix = r | 1u;
  }
  unsigned long long n = atomic_fetch_add(&request_counter, 1) + 1;
  snprintf(req->id, sizeof req->id, "%08x-%010llx", request_id_prefix, n);
}

concerto_request *request_new(app *a, struct MHD_Connection *conn,
                              const char *method, const char *url) {
  concerto_request *req = calloc(1, sizeof *req);
  if (!req)
    return NULL;
  req->app = a;
  req->conn = conn;
  req->method = method;
  req->url = url;
  req->resp_fd = -1;
  arena_init(&req->arena);
  clock_gettime(CLOCK_MONOTONIC, &req->started);
  make_request_id(req);
  req->audit_tail = &req->audit_head;
  req->hooks_tail = &req->hooks_head;
  const union MHD_ConnectionInfo *ci =
      conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)
           : NULL;
  const struct sockaddr *sa = ci ? ci->client_addr : NULL;
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
              req->client_addr, sizeof req->client_addr);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
              req->client_addr, sizeof req->client_addr);
  return req;
}

void request_free(concerto_request *req) {
  if (!req)
    return;
  if (req->db && !req->db_lent)
    request_end_tx(req, false);
  /* Hooks of a transaction nobody ended (a runner's failure path). */
  request_run_commit_hooks(req, false);
  for (struct concerto_result *r = req->results; r; r = r->next)
    PQclear(r->pg);
  free(req->body);
  /* An upload the handler did not take (refused, failed, never reached):
   * its temp file goes now. One it took is already in the store. */
  blob_writer_free(req->upload);
  json_decref(req->json);
  free(req->resp_body);
  if (req->resp_fd >= 0)
    close(req->resp_fd);
  if (req->stream.state && req->stream.discard)
    req->stream.discard(req->stream.state);
  arena_free(&req->arena);
  free(req);
}

/* ---- parameters at the edge ---- */

#define QUERY_ARGS_MAX 64

typedef struct arg_check {
  const char *bad; /* the first offending argument's name, or a summary */
  unsigned count;
} arg_check;

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value) {
  (void)kind;
  arg_check *c = cls;
  if (++c->count > QUERY_ARGS_MAX) {
    c->bad = "(too many query parameters)";
    return MHD_NO;
  }
  size_t klen = key ? strlen(key) : 0, vlen = value ? strlen(value) : 0;
  if (!key || klen > 100 || !utf8_clean(key, klen)) {
    c->bad = "(a query parameter name)";
    return MHD_NO;
  }
  /* Each value is bounded by the request line's own limit (431/414). */
  if (value && !utf8_clean(value, vlen)) {
    c->bad = key;
    return MHD_NO;
  }
  return MHD_YES;
}

/* What the client sent as path parameters, query arguments and the
 * hospital header must be text PostgreSQL can take: valid UTF-8 without
 * control characters, bounded. Checked once here for every route, so no
 * handler turns a stray byte into a failed statement (a 500). On failure
 * the request is answered 400 naming the parameter and false returned. */
static bool params_clean(concerto_request *req, const route_match *m) {
  const char *bad = NULL, *where = NULL;
  for (int i = 0; !bad && i < m->nparams; i++)
    if (!utf8_clean(m->values[i], strlen(m->values[i])))
      bad = m->names[i], where = "path";
  arg_check q = {NULL, 0};
  if (!bad && req->conn) {
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_arg, &q);
    if (q.bad)
      bad = q.bad, where = "query";
  }
  const char *tenant =
      req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                              TENANT_HEADER)
                : NULL;
  if (!bad && tenant &&
      (strlen(tenant) > 32 || !utf8_clean(tenant, strlen(tenant))))
    bad = TENANT_HEADER, where = "header";
  if (!bad)
    return true;
  json_t *p = problem_json(
      400, "invalid_parameter", NULL,
      arena_printf(&req->arena,
                   "The %s parameter \"%.100s\" is not valid text: UTF-8 "
                   "without control characters.",
                   where, bad));
  json_object_set_new(p, "errors",
                      json_pack("[{s:s, s:s, s:s}]", "field", bad, "code",
                                "encoding", "message", "not valid UTF-8 text"));
  respond_json_typed(req, 400, p, "application/problem+json; charset=utf-8");
  return false;
}

/* ---- body ---- */

size_t request_body_limit(const concerto_request *req) {
  return req->is_upload ? req->app->cfg.max_upload_bytes
                        : req->app->cfg.max_body_bytes;
}

/* Whether the request carries no credentials at all: no Authorization
 * header and no session cookie. Such a request to a route that requires a
 * role can only end in 401, whatever its body. */
static bool lacks_credentials(const concerto_request *req) {
  return !MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                      "Authorization") &&
         !MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND,
                                      SESSION_COOKIE);
}

bool request_begin_body(concerto_request *req) {
  /* The router is read-only and matching is cheap; dispatch matches again,
   * so this copy only serves to read the route's flags. */
  char *path = arena_strdup(&req->arena, req->url);
  if (!path || !req->conn)
    return false;
  path[strcspn(path, "?")] = '\0';
  route_match m;
  char allow[96];
  if (router_match(req->app->router, req->method, path, &m, allow,
                   sizeof allow) != ROUTER_MATCH)
    return false;
  const route_target *t = m.target;
  if (!(t->flags & CONCERTO_ROUTE_UPLOAD))
    return false;
  req->is_upload = true;
  /* Nothing reaches the disk before the request's parameters are valid
   * and its caller is known and allowed: the body of a refused upload is
   * read and discarded, or not sent at all by a client that asked Expect:
   * 100-continue (server.c). */
  req->match = m;
  if (!params_clean(req, &m))
    return true;
  if (t->required_role && lacks_credentials(req)) {
    request_problem(req, 401, "unauthenticated", NULL,
                    "Log in first: this resource requires an authenticated "
                    "user, and the session is missing, expired or ended.");
    return true;
  }
  if (t->required_role) {
    /* In a short transaction of its own: an upload may take minutes and
     * must not hold a database connection meanwhile. Dispatch checks the
     * caller again, in the request's own transaction. */
    req->route = (route_target *)t;
    req->owner = t->owner;
    bool allowed = req->app->hooks.authorize(req, t);
    request_end_tx(req, allowed);
    if (!allowed)
      return true;
  }
  return false;
}

/* Streams upload bytes to the temp file (opened by the first byte), which
 * is dropped at once when the body crosses max_upload_bytes: the rest of
 * the body is read and discarded, and dispatch answers 413. */
static void append_upload(concerto_request *req, const char *data, size_t len) {
  if (req->body_too_large || req->upload_failed)
    return;
  size_t max = req->app->cfg.max_upload_bytes;
  if (len > max || req->upload_len > max - len) {
    req->body_too_large = true;
    blob_writer_free(req->upload);
    req->upload = NULL;
    return;
  }
  if (!req->upload) {
    req->upload = blob_writer_open(req->app->cfg.blob_dir);
    if (!req->upload) {
      log_msg(CONCERTO_LOG_ERROR, NULL, req->id,
              "upload: cannot create a temp file in %s/tmp: %s",
              req->app->cfg.blob_dir, strerror(errno));
      req->upload_failed = true;
      return;
    }
  }
  if (!blob_writer_write(req->upload, data, len)) {
    log_msg(CONCERTO_LOG_ERROR, NULL, req->id, "upload: write failed: %s",
            strerror(errno));
    req->upload_failed = true;
    blob_writer_free(req->upload);
    req->upload = NULL;
    return;
  }
  req->upload_len += len;
}

void request_append_body(concerto_request *req, const char *data, size_t len) {
  if (req->is_upload) {
    append_upload(req, data, len);
    return;
  }
  if (req->body_too_large)
    return;
  size_t max = req->app->cfg.max_body_bytes;
  if (len > max || req->body_len > max - len) {
    req->body_too_large = true;
    free(req->body);
    req->body = NULL;
    req->body_len = req->body_cap = 0;
    return;
  }
  if (req->body_len + len + 1 > req->body_cap) {
    size_t cap = req->body_cap ? req->body_cap : 1024;
    while (cap < req->body_len + len + 1)
      cap *= 2;
    if (cap > max + 1)
      cap = max + 1;
    char *grown = realloc(req->body, cap);
    if (!grown) {
      req->body_too_large = true; /* treated as over the limit */
      return;
    }
    req->body = grown;
    req->body_cap = cap;
  }
  memcpy(req->body + req->body_len, data, len);
  req->body_len += len;
  req->body[req->body_len] = '\0';
}

/* ---- accessors ---- */

const char *req_method(const concerto_request *req) {
  return req->method;
}
const char *req_path(const concerto_request *req) {
  return req->url;
}
const char *req_id(const concerto_request *req) {
  return req->id;
}

const char *req_param(const concerto_request *req, const char *name) {
  for (int i = 0; name && i < req->match.nparams; i++)
    if (strcmp(req->match.names[i], name) == 0)
      return req->match.values[i];
  return NULL;
}

const char *req_query(const concerto_request *req, const char *name) {
  return name && req->conn ? MHD_lookup_connection_value(
                                 req->conn, MHD_GET_ARGUMENT_KIND, name)
                           : NULL;
}

const char *req_header(const concerto_request *req, const char *name) {
  return name && req->conn
             ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name)
             : NULL;
}

const void *req_body(const concerto_request *req, size_t *len) {
  if (len)
    *len = req->body_len;
  return req->body ? req->body : "";
}

static bool is_json_type(const char *ct) {
  if (!ct)
    return false;
  while (*ct == ' ')
    ct++;
  size_t n = strlen("application/json");
  return strncasecmp(ct, "application/json", n) == 0 &&
         (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

concerto_status req_json(concerto_request *req, json_t **out) {
  *out = NULL;
  if (req->json) {
    *out = req->json;
    return CONCERTO_OK;
  }
  if (!is_json_type(req_header(req, "Content-Type"))) {
    request_problem(req, 415, "unsupported_media_type",
                    "Unsupported Media Type",
                    "The body must be sent as application/json.");
    return CONCERTO_ERR_MEDIA_TYPE;
  }
  if (req->body_len == 0) {
    request_problem(req, 400, "malformed_json", "Bad Request",
                    "The request body is empty; a JSON document was expected.");
    return CONCERTO_ERR_INVALID;
  }
  json_error_t err;
  req->json =
      json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
  if (!req->json) {
    char detail[256];
    snprintf(detail, sizeof detail, "Malformed JSON at line %d, column %d: %s",
             err.line, err.column, err.text);
    request_problem(req, 400, "malformed_json", "Bad Request", detail);
    return CONCERTO_ERR_INVALID;
  }
  *out = req->json;
  return CONCERTO_OK;
}

void *req_alloc(concerto_request *req, size_t size) {
  return arena_alloc(&req->arena, size);
}

char *req_strdup(concerto_request *req, const char *s) {
  return arena_strdup(&req->arena, s);
}

char *req_printf(concerto_request *req, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = arena_vprintf(&req->arena, fmt, ap);
  va_end(ap);
  return s;
}

/* ---- responses ---- */

static bool header_name_ok(const char *s) {
  if (!s || !*s)
    return false;
  for (; *s; s++)
    if (*s <= ' ' || *s == ':' || *s >= 127)
      return false;
  return true;
}

static bool header_value_ok(const char *s) {
  for (; s && *s; s++)
    if (*s == '\r' || *s == '\n')
      return false;
  return s != NULL;
}

concerto_status req_set_header(concerto_request *req, const char *name,
                               const char *value) {
  if (!header_name_ok(name) || !header_value_ok(value))
    return CONCERTO_ERR_INVALID;
  resp_header *h = arena_alloc(&req->arena, sizeof *h);
  if (!h)
    return CONCERTO_ERR_NOMEM;
  h->name = arena_strdup(&req->arena, name);
  h->value = arena_strdup(&req->arena, value);
  h->next = req->headers;
  req->headers = h;
  return CONCERTO_OK;
}

static concerto_status set_response(concerto_request *req, unsigned status,
                                    const char *content_type, char *body,
                                    size_t len) {
  if (req->responded || status < 100 || status > 599) {
    free(body);
    return CONCERTO_ERR_INVALID;
  }
  req->responded = true;
  req->status = status;
  req->content_type = content_type;
  req->resp_body = body;
  req->resp_len = len;
  return CONCERTO_OK;
}

static concerto_status respond_json_typed(concerto_request *req,
                                          unsigned status, json_t *body,
                                          const char *type) {
  if (!body)
    return CONCERTO_ERR_INVALID;
  /* 15 significant digits: 23.7, not 23.699999999999999. */
  char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII |
                                    JSON_REAL_PRECISION(15));
  json_decref(body);
  if (!text)
    return CONCERTO_ERR_NOMEM;
  return set_response(req, status, type, text, strlen(text));
}

concerto_status req_respond_json(concerto_request *req, unsigned status,
                                 json_t *body) {
  return respond_json_typed(req, status, body,
                            "application/json; charset=utf-8");
}

concerto_status req_respond_bytes(concerto_request *req, unsigned status,
                                  const char *content_type, const void *data,
                                  size_t len) {
  if (!header_value_ok(content_type))
    return CONCERTO_ERR_INVALID;
  char *copy = malloc(len ? len : 1);
  if (!copy)
    return CONCERTO_ERR_NOMEM;
  if (len)
    memcpy(copy, data, len);
  return set_response(req, status, arena_strdup(&req->arena, content_type),
                      copy, len);
}

concerto_status request_problem(concerto_request *req, unsigned status,
                                const char *code, const char *title,
                                const char *detail) {
  json_t *body = problem_json(status, code, title, detail);
  return respond_json_typed(req, status, body,
                            "application/problem+json; charset=utf-8");
}

/* errors[] entries of one problem: a form has tens of fields, not
 * thousands. */
#define PROBLEM_FIELDS_MAX 100

/* A module answering a code nobody declared is told once per code: the
 * answer still goes out (the caller is not at fault), but the code is
 * missing from GET /api/v1/problems and the module's documentation. */
static void warn_undeclared(const concerto_request *req, const char *code) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static char warned[32][65];
  static size_t nwarned;
  if (problem_code_known(code))
    return;
  pthread_mutex_lock(&lock);
  bool seen = false;
  for (size_t i = 0; i < nwarned && !seen; i++)
    seen = strcmp(warned[i], code) == 0;
  if (!seen && nwarned < sizeof warned / sizeof warned[0])
    snprintf(warned[nwarned++], sizeof warned[0], "%s", code);
  pthread_mutex_unlock(&lock);
  if (!seen)
    log_msg(CONCERTO_LOG_WARN, req->owner ? req->owner->name : NULL, req->id,
            "problem code %.64s is not declared (register_problem)", code);
}

static bool problem_args_ok(unsigned status, const char *code) {
  return status >= 400 && status <= 599 && problem_code_valid(code);
}

concerto_status req_respond_problem(concerto_request *req, unsigned status,
                                    const char *code, const char *title,
                                    const char *detail) {
  if (!problem_args_ok(status, code))
    return CONCERTO_ERR_INVALID;
  warn_undeclared(req, code);
  return request_problem(req, status, code, title, detail);
}

concerto_status req_respond_problem_fields(
    concerto_request *req, unsigned status, const char *code, const char *title,
    const char *detail, const concerto_field_error *errors, size_t nerrors) {
  if (!problem_args_ok(status, code) || (nerrors && !errors) ||
      nerrors > PROBLEM_FIELDS_MAX)
    return CONCERTO_ERR_INVALID;
  json_t *list = json_array();
  for (size_t i = 0; i < nerrors; i++) {
    const concerto_field_error *e = &errors[i];
    if (!e->field || !e->message || !utf8_clean(e->field, strlen(e->field)) ||
        !utf8_clean(e->message, strlen(e->message)) ||
        (e->code && !problem_code_valid(e->code))) {
      json_decref(list);
      return CONCERTO_ERR_INVALID;
    }
    json_t *o =
        json_pack("{s:s, s:s}", "field", e->field, "message", e->message);
    if (e->code)
      json_object_set_new(o, "code", json_string(e->code));
    json_array_append_new(list, o);
  }
  warn_undeclared(req, code);
  json_t *body = problem_json(status, code, title, detail);
  json_object_set_new(body, "errors", list);
  return respond_json_typed(req, status, body,
                            "application/problem+json; charset=utf-8");
}

concerto_status request_respond_fd(concerto_request *req, unsigned status,
                                   const char *content_type, int fd,
                                   size_t size) {
  if (fd < 0)
    return CONCERTO_ERR_INVALID;
  concerto_status st = set_response(req, status, content_type, NULL, 0);
  if (st != CONCERTO_OK) {
    close(fd);
    return st;
  }
  req->resp_fd = fd;
  req->resp_fd_size = size;
  return CONCERTO_OK;
}

/* Drops a response so the core can answer differently (commit failed). */
static void reset_response(concerto_request *req) {
  free(req->resp_body);
  req->resp_body = NULL;
  req->resp_len = 0;
  if (req->resp_fd >= 0)
    close(req->resp_fd);
  req->resp_fd = -1;
  req->responded = false;
}

/* ---- dispatch ---- */

static void answer_status(concerto_request *req, concerto_status st) {
  problem_kind k = problem_from_status(st);
  const char *detail = NULL;
  if (st == CONCERTO_ERR_DB_UNAVAILABLE)
    detail = "The database is not reachable right now; retry shortly.";
  /* A statement the database refused because of what the client sent is
   * the client's error: a value of the wrong type or range (class 22), or
   * a change row-level security does not allow (42501). */
  if (st == CONCERTO_ERR_DB_QUERY &&
      strncmp(req->last_sqlstate, "22", 2) == 0) {
    k = (problem_kind){400, "invalid_input", "Bad Request"};
    detail = "A value in the request has the wrong type, format or range.";
  } else if (st == CONCERTO_ERR_DB_QUERY &&
             strcmp(req->last_sqlstate, "42501") == 0) {
    k = (problem_kind){403, "forbidden", "Forbidden"};
    detail = "This change is not allowed for your hospital.";
  }
  request_problem(req, k.http_status, k.code, k.title, detail);
}

void request_dispatch(concerto_request *req) {
  app *a = req->app;
  if (req->body_too_large) {
    char detail[128];
    snprintf(detail, sizeof detail,
             "The request body exceeds the limit of %zu bytes.",
             request_body_limit(req));
    request_problem(req, 413, "body_too_large", "Content Too Large", detail);
    return;
  }
  if (req->upload_failed) {
    answer_status(req, CONCERTO_ERR_INTERNAL);
    return;
  }
  char *path = arena_strdup(&req->arena, req->url);
  const char *q = path ? strchr(path, '?') : NULL;
  if (q)
    path[q - path] = '\0';
  char allow[96];
  router_status rs = path ? router_match(a->router, req->method, path,
                                         &req->match, allow, sizeof allow)
                          : ROUTER_NOT_FOUND;
  if (strcmp(req->method, "OPTIONS") == 0 && rs != ROUTER_NOT_FOUND) {
    req_set_header(req, "Allow", allow);
    set_response(req, 204, NULL, NULL, 0);
    return;
  }
  if (rs == ROUTER_NOT_FOUND) {
    request_problem(req, 404, "not_found", "Not Found",
                    "No resource at this path.");
    return;
  }
  if (rs == ROUTER_METHOD_NOT_ALLOWED) {
    req_set_header(req, "Allow", allow);
    char detail[160];
    snprintf(detail, sizeof detail, "Allowed methods: %s.", allow);
    request_problem(req, 405, "method_not_allowed", "Method Not Allowed",
                    detail);
    return;
  }
  route_target *t = req->match.target;
  req->route = t;
  req->owner = t->owner;
  if (!params_clean(req, &req->match))
    return;
  if (t->owner && !atomic_load(&t->owner->serving)) {
    request_problem(req, 503, "module_unavailable", "Service Unavailable",
                    "The module serving this path is not running.");
    return;
  }
  concerto_status st = CONCERTO_OK;
  bool allowed = !t->required_role || req->app->hooks.authorize(req, t);
  if (allowed)
    st = t->handler(req, t->userdata);
  bool ok = allowed && st == CONCERTO_OK && req->responded && req->status < 400;
  concerto_status cst = request_end_tx(req, ok);
  if (ok && cst != CONCERTO_OK) {
    reset_response(req);
    answer_status(req, cst);
    return;
  }
  if (!req->responded) {
    if (st == CONCERTO_OK) {
      log_msg(CONCERTO_LOG_ERROR, t->owner ? t->owner->name : NULL, req->id,
              "handler for %s returned without a response",
              req->match.template);
      st = CONCERTO_ERR_INTERNAL;
    }
    answer_status(req, st);
  }
}

/* ---- sending ---- */

static void add_security_headers(struct MHD_Response *r) {
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(
      r, "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
      "data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
      "form-action 'self'; frame-ancestors 'none'");
}

enum MHD_Result request_send(concerto_request *req) {
  struct MHD_Response *r;
  if (req->stream.state) {
    r = req->stream.make(req->stream.state);
    if (r)
      req->stream.state = NULL; /* the response owns it now */
  } else if (req->resp_fd >= 0) {
    r = MHD_create_response_from_fd(req->resp_fd_size, req->resp_fd);
    if (r)
      req->resp_fd = -1; /* libmicrohttpd closes it */
  } else {
    r = MHD_create_response_from_buffer_with_free_callback(
        req->resp_len, req->resp_body, free);
    if (r)
      req->resp_body = NULL; /* libmicrohttpd frees it */
  }
  if (!r)
    return MHD_NO;
  if (req->content_type)
    MHD_add_response_header(r, "Content-Type", req->content_type);
  MHD_add_response_header(r, "X-Request-Id", req->id);
  add_security_headers(r);
  bool has_cache = false;
  for (resp_header *h = req->headers; h; h = h->next) {
    MHD_add_response_header(r, h->name, h->value);
    has_cache |= strcasecmp(h->name, "Cache-Control") == 0;
  }
  if (!has_cache)
    MHD_add_response_header(r, "Cache-Control", "no-store");
  if (atomic_load(&req->app->shutting_down))
    MHD_add_response_header(r, "Connection", "close");
  enum MHD_Result ret = MHD_queue_response(req->conn, req->status, r);
  MHD_destroy_response(r);

  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double secs = (double)(now.tv_sec - req->started.tv_sec) +
                (double)(now.tv_nsec - req->started.tv_nsec) / 1e9;
  metrics_record(req->app->metrics, req->route ? req->match.index : 0,
                 req->status, secs);
  if (req->app->cfg.access_log)
    log_access(req->id, req->method, req->route ? req->match.template : "-",
               req->status, secs * 1000.0);
  return ret;
}
