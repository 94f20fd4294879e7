/* The request object handed to handlers, and the core's side of its life:
 * creation on the first libmicrohttpd callback, body accumulation under the
 * size limit, dispatch, transaction end and the response. */
#ifndef CONCERTO_CORE_REQUEST_H
#define CONCERTO_CORE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "app.h"
#include "arena.h"
#include "caller.h"
#include "db_pool.h"
#include "router.h"

/* Where credentials travel: the HTTP layer checks they are present before
 * reading an upload; the identity layer checks what they are worth. */
#define SESSION_COOKIE "concerto_session"
#define CSRF_HEADER "X-CSRF-Token"
#define TENANT_HEADER "X-Concerto-Tenant"

typedef struct resp_header {
  const char *name, *value; /* arena */
  struct resp_header *next;
} resp_header;

/* An audit row waiting for the end of the request's transaction. */
typedef struct audit_entry {
  const char *action, *resource, *patient_id, *outcome, *tenant_id; /* arena */
  struct audit_entry *next;
} audit_entry;

/* A hook waiting for the end of the transaction (host->on_commit). */
typedef struct commit_hook_entry {
  concerto_commit_hook hook;
  void *arg; /* the module's */
  struct commit_hook_entry *next;
} commit_hook_entry;

/* What a background context's runner (an event dispatcher, the job
 * runner) does for tx_commit before the COMMIT: an event delivery turns its
 * row lock into a lease first. False refuses the commit. */
typedef bool (*request_bg_commit_fn)(concerto_request *ctx, void *arg);

struct concerto_result {
  PGresult *pg; /* cleared by the core after the response */
  struct concerto_result *next;
};

/* A response built later by its owner, a layer above HTTP (the events
 * layer's live streams): `make` builds the libmicrohttpd response and takes
 * `state`; `discard` frees a state that never reached a response. */
typedef struct request_stream {
  void *state;
  struct MHD_Response *(*make)(void *state);
  void (*discard)(void *state);
} request_stream;

struct concerto_request {
  app *app;
  struct MHD_Connection *conn;
  arena arena;
  char id[24];
  const char *method; /* owned by libmicrohttpd for the request's life */
  const char *url;
  struct timespec started;

  route_match match;
  route_target *route; /* NULL when unmatched */
  /* The module acting now, NULL for the core: the route's owner in a
   * handler, the subscriber's in an event delivery, the job's in a run, the
   * provider's inside a service call (service_enter). It picks the schema
   * first on the search path, the live-topic prefix, the producer of
   * published events and the module named in logs. */
  const route_owner *owner;

  /* Body: malloc'ed, grows up to cfg.max_body_bytes. */
  char *body;
  size_t body_len, body_cap;
  bool body_too_large;
  json_t *json; /* parsed lazily, owned */

  /* Upload (a CONCERTO_ROUTE_UPLOAD route, found on the first callback):
   * the body streams into a temp file of the blob store, never into
   * `body`, up to cfg.max_upload_bytes. The file is opened by the first
   * byte; request_free deletes it unless req_upload took it. */
  bool is_upload;
  bool upload_failed; /* an I/O error: answered 500 */
  /* Refused before its body (401, 403, a bad parameter) by a client still
   * sending it: the answer is queued once the body has been read and
   * discarded (server.c), so no RST destroys it. */
  bool answer_after_body;
  struct blob_writer *upload;     /* owned; NULL when empty or dropped */
  uint64_t upload_len;            /* bytes received */
  const concerto_blob *upload_as; /* arena; set once req_upload took it */

  /* Response, built by the handler, sent after the transaction ended. */
  bool responded;
  unsigned status;
  const char *content_type; /* arena or static */
  char *resp_body;          /* malloc'ed; handed to libmicrohttpd */
  size_t resp_len;
  int resp_fd;           /* static file, or -1 */
  request_stream stream; /* state NULL: none */
  size_t resp_fd_size;
  resp_header *headers;

  /* Database. */
  db_conn *db;
  bool in_tx;
  /* The schema first on the search path of the open transaction (a module
   * name or "concerto"; NULL: not known): when the owning module changes
   * mid-transaction (a service call), the next statement follows. */
  const char *tx_schema;
  bool db_lent; /* db belongs to an event dispatcher, which ends the tx */
  struct concerto_result *results;
  /* SQLSTATE of the last failed statement ("" = none): a handler that
   * returns the failure unanswered gets 400 for bad data (class 22) and 403
   * for a refused write (42501, row-level security), not a 500. */
  char last_sqlstate[6];
  /* In an event delivery: why the handler failed, in words an operator
   * reads ("SMTP server refused the recipient"), kept as the delivery's
   * last_error instead of the bare status (request memory or static). */
  const char *fail_reason;

  /* Identity, filled by auth_authorize before the handler runs. */
  caller caller;
  char client_addr[64]; /* numeric address of the peer */

  /* Audit rows, written right before COMMIT (or after a ROLLBACK, in a
   * transaction of their own, so failures and denials are kept too). */
  audit_entry *audit_head, **audit_tail;

  /* Called after a successful COMMIT (e.g. refresh a cache). */
  void (*after_commit)(app *a);

  /* A module's on_commit hooks, run in order when the transaction ends
   * (request_bg.c). Arena memory. */
  commit_hook_entry *hooks_head, **hooks_tail;

  /* Event deliveries and job runs (request_bg.c): no HTTP. Their
   * transaction opens on the runner's connection `bg_conn` with the
   * server's own scope for caller.tenant_id (region-wide when
   * bg_regional), and tx_commit and http_request are allowed. */
  bool background;
  bool bg_regional;
  db_conn *bg_conn; /* borrowed from the runner */
  request_bg_commit_fn bg_before_commit;
  void *bg_arg;
};

/* Allocates a request for one HTTP exchange; NULL on out-of-memory. */
concerto_request *request_new(app *a, struct MHD_Connection *conn,
                              const char *method, const char *url);
/* Ends the transaction (if any) and releases everything. */
void request_free(concerto_request *req);

/* On the first callback: answers 414 uri_too_long when the request line,
 * or 431 headers_too_large when the line and headers together, exceed
 * limits.max_header_bytes (core/http/request_head.c). Returns true when it
 * answered. `version` (libmicrohttpd's, may be NULL) is only read. */
bool request_check_head(concerto_request *req, const char *version);

/* On the first callback, before any body byte: routes the request early
 * to learn whether its body is an upload (sets is_upload). Returns true
 * when the request was answered at once: an upload route reached without
 * any credentials (401), so the body is never read. */
bool request_begin_body(concerto_request *req);

/* Appends body bytes (to memory, or to the upload's temp file), or marks
 * the body too large (and drops what came so far). */
void request_append_body(concerto_request *req, const char *data, size_t len);

/* The body limit that applies to this request, in bytes. */
size_t request_body_limit(const concerto_request *req);

/* Answers `status` with the open file `fd` of `size` bytes as the body,
 * streamed by libmicrohttpd. Takes `fd` (closed also on failure). */
concerto_status request_respond_fd(concerto_request *req, unsigned status,
                                   const char *content_type, int fd,
                                   size_t size);

/* Routes, checks and runs the handler, ends the transaction; afterwards the
 * request holds a response. */
void request_dispatch(concerto_request *req);

/* Builds the libmicrohttpd response and queues it. */
enum MHD_Result request_send(concerto_request *req);

/* Ends the transaction: COMMIT if `commit`, else ROLLBACK; returns the
 * connection to the pool. Returns the COMMIT's status. */
concerto_status request_end_tx(concerto_request *req, bool commit);

/* ---- background contexts and commit hooks (request_bg.c) ---- */

/* A context for an event delivery or a job run (`kind` "EVENT" or "JOB",
 * `name` what it handles): no HTTP, owned by `owner` (NULL: the core), for
 * hospital `tenant_id` (copied; NULL or "" = none) or region-wide. Its
 * transaction opens on `conn` (borrowed from the runner, who also ends the
 * transaction with request_bg_end). Free it with request_free. */
concerto_request *request_bg_new(app *a, const char *kind, const char *name,
                                 const route_owner *owner,
                                 const char *tenant_id, bool regional,
                                 db_conn *conn);
/* Opens the context's transaction on its connection with the server's
 * scope (req_db_query does this by itself on the first statement). */
concerto_status request_bg_begin(concerto_request *ctx);
/* Ends the context's transaction, if open: COMMIT (the queued audit rows
 * first) or ROLLBACK; then the on_commit hooks run. The COMMIT's status. */
concerto_status request_bg_end(concerto_request *ctx, bool commit);
/* Whether ctx may call out over the network now: a background context
 * with no transaction open. */
bool request_may_call_out(const concerto_request *ctx);
/* Runs and forgets the hooks registered so far, in order. */
void request_run_commit_hooks(concerto_request *req, bool committed);
/* host->tx_commit and host->on_commit. */
concerto_status req_tx_commit(concerto_request *ctx);
concerto_status req_on_commit(concerto_request *req, concerto_commit_hook hook,
                              void *arg);

/* Records an audit row for this request (strings are copied). `tenant_id`
 * NULL means the caller's hospital. */
void request_audit(concerto_request *req, const char *action,
                   const char *resource, const char *patient_id,
                   const char *outcome, const char *tenant_id);

/* Runs one statement in the request's transaction (opening it). The result
 * belongs to the request. Same contract as req_db_query. */
concerto_status request_query(concerto_request *req, const char *sql,
                              int nparams, const char *const *params,
                              PGresult **out);

/* Responds with a problem+json. `detail` may be NULL. */
concerto_status request_problem(concerto_request *req, unsigned http_status,
                                const char *code, const char *title,
                                const char *detail);

/* Host table entries for requests and responses (request.c, request_db.c). */
const char *req_method(const concerto_request *req);
const char *req_path(const concerto_request *req);
const char *req_id(const concerto_request *req);
const char *req_param(const concerto_request *req, const char *name);
const char *req_query(const concerto_request *req, const char *name);
const char *req_header(const concerto_request *req, const char *name);
const void *req_body(const concerto_request *req, size_t *len);
concerto_status req_json(concerto_request *req, json_t **out);
void *req_alloc(concerto_request *req, size_t size);
char *req_strdup(concerto_request *req, const char *s);
char *req_printf(concerto_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
concerto_status req_set_header(concerto_request *req, const char *name,
                               const char *value);
concerto_status req_respond_json(concerto_request *req, unsigned status,
                                 json_t *body);
concerto_status req_respond_bytes(concerto_request *req, unsigned status,
                                  const char *content_type, const void *data,
                                  size_t len);
concerto_status req_respond_problem(concerto_request *req, unsigned status,
                                    const char *code, const char *title,
                                    const char *detail);
const char *req_user_id(const concerto_request *req);
const char *req_username(const concerto_request *req);
const char *req_tenant(const concerto_request *req);
const char *req_tenant_id(const concerto_request *req);
const char *req_patient_id(const concerto_request *req);
int req_has_role(const concerto_request *req, const char *role);
concerto_status audit_record(concerto_request *req, const char *action,
                             const char *resource, const char *patient_id,
                             const char *outcome);
concerto_status audit_record_for(concerto_request *req, const char *tenant_id,
                                 const char *action, const char *resource,
                                 const char *patient_id, const char *outcome);
concerto_status req_db_query(concerto_request *req, const char *sql,
                             int nparams, const char *const *params,
                             concerto_result **out);
int result_rows(const concerto_result *res);
int result_cols(const concerto_result *res);
const char *result_name(const concerto_result *res, int col);
const char *result_value(const concerto_result *res, int row, int col);
/* Row `row` as a JSON object typed by column type (host.h result_row_json);
 * a new reference, NULL when out of range. */
json_t *result_row_json(const concerto_result *res, int row);
/* A problem+json with errors[] (host.h respond_problem_fields); `errors`
 * is copied. */
concerto_status req_respond_problem_fields(
    concerto_request *req, unsigned status, const char *code, const char *title,
    const char *detail, const concerto_field_error *errors, size_t nerrors);
/* Static files from the folder in userdata, path param "path". */
concerto_status static_files_handler(concerto_request *req, void *userdata);
/* Distribution JavaScript libraries from the folder in userdata. */
concerto_status vendor_files_handler(concerto_request *req, void *userdata);

#endif
