/* Concerto plugin API — the host function table.
 *
 * Everything a module can ask of the core goes through `concerto_host`, a
 * table of function pointers that only grows: new functions are appended and
 * announced by a new ABI minor; nothing is ever removed, reordered or changed.
 * A module built for minor N that wants a function added in a later minor
 * tests it with CONCERTO_HOST_HAS(host, field) before calling it. The core
 * exports no symbols for modules to link against.
 *
 * Ownership, the same rule everywhere:
 *  - `const char *` arguments are borrowed for the duration of the call;
 *  - `const` results are borrowed: for a request, until the handler returns;
 *    for a module, for the process lifetime;
 *  - memory from req_alloc/req_strdup/req_printf and query results belong to
 *    the request and are released by the core after the response: never free
 *    them;
 *  - a `json_t *` passed to respond_json is stolen (the core decrefs it);
 *    the `json_t *` from req_json is borrowed (owned by the request).
 * Handles (concerto_request, concerto_registrar, concerto_module,
 * concerto_result) are opaque. */
#ifndef CONCERTO_HOST_H
#define CONCERTO_HOST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "module.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct concerto_request concerto_request;
typedef struct concerto_module concerto_module;
typedef struct concerto_result concerto_result;

typedef enum concerto_log_level {
  CONCERTO_LOG_DEBUG = 10,
  CONCERTO_LOG_INFO = 20,
  CONCERTO_LOG_WARN = 30,
  CONCERTO_LOG_ERROR = 40,
  CONCERTO_LOG_LEVEL_FORCE_32BIT = 0x7fffffff
} concerto_log_level;

typedef enum concerto_config_type {
  CONCERTO_CONFIG_STRING = 1,
  CONCERTO_CONFIG_INT = 2,
  CONCERTO_CONFIG_BOOL = 3,
  CONCERTO_CONFIG_TYPE_FORCE_32BIT = 0x7fffffff
} concerto_config_type;

#ifndef __cplusplus
_Static_assert(sizeof(concerto_log_level) == 4, "enums are 32 bits");
_Static_assert(sizeof(concerto_config_type) == 4, "enums are 32 bits");
#endif

/* A request handler. Respond with one of the respond_* functions and return
 * CONCERTO_OK. Returning an error without responding makes the core answer
 * the matching problem+json (e.g. CONCERTO_ERR_DB_UNAVAILABLE -> 503).
 * The request's database transaction is committed only when the handler
 * returns CONCERTO_OK and the response status is below 400; otherwise it is
 * rolled back, so nothing is half-written. */
typedef concerto_status (*concerto_handler)(concerto_request *req,
                                            void *userdata);

/* An event as a subscriber receives it. Borrowed for the handler call. */
typedef struct concerto_event {
  uint32_t size;         /* sizeof(concerto_event) of the running core */
  const char *id;        /* decimal; the idempotency key */
  const char *name;      /* e.g. "teleconsult.closed" */
  uint32_t version;      /* payload version */
  const char *tenant_id; /* hospital of the event, NULL for regional */
  const json_t *payload; /* borrowed */
} concerto_event;

/* An event subscriber. `ctx` works like a request without HTTP: db_query
 * runs in the delivery's transaction (scoped to the event's hospital) and
 * the effects commit together with the "delivered" mark, so a handler's
 * database effects happen exactly once. Return CONCERTO_OK when handled;
 * any error rolls back and retries later with backoff, until the delivery
 * is declared dead (and an administrator may replay it). */
typedef concerto_status (*concerto_event_handler)(concerto_request *ctx,
                                                  const concerto_event *ev,
                                                  void *userdata);

/* Route flags (bit set; unknown bits are refused at registration). */
#define CONCERTO_ROUTE_FLAGS_NONE 0u
/* ABI 1.6: the body is an upload. The core streams it to the blob store as
 * it arrives (hashing it, never holding it in memory) up to the server's
 * `max_upload_bytes` (413 beyond), instead of the `max_body_bytes` buffer;
 * the handler takes it with req_upload. */
#define CONCERTO_ROUTE_UPLOAD 1u

/* A stored blob (ABI 1.6): content-addressed by SHA-256. */
typedef struct concerto_blob {
  uint32_t size;         /* sizeof(concerto_blob): use CONCERTO_BLOB_INIT_V1 */
  char sha256[65];       /* lower-case hex */
  uint64_t length;       /* bytes */
  char content_type[96]; /* detected from the bytes, never from a name:
                          * application/pdf, image/jpeg, image/png,
                          * application/vnd.openxmlformats-officedocument.
                          * wordprocessingml.document, application/dicom,
                          * else application/octet-stream */
} concerto_blob;
#define CONCERTO_BLOB_INIT_V1                                                  \
  {                                                                            \
    sizeof(concerto_blob), {0}, 0, {                                           \
      0                                                                        \
    }                                                                          \
  }

/* A route: method + path template with {name} segments, e.g.
 * "/api/v1/teleconsult/requests/{id}". Module routes live under
 * /api/v1/<module>/. `required_role` NULL means public; any other value means
 * an authenticated caller holding that role (see docs/plugin-guide.md). */
typedef struct concerto_route_spec {
  uint32_t
      size; /* sizeof(concerto_route_spec): use CONCERTO_ROUTE_SPEC_INIT_V1 */
  const char *method;
  const char *path;
  const char *required_role;
  uint32_t flags;
  concerto_handler handler;
  void *userdata; /* owned by the module, passed back to handler */
} concerto_route_spec;
#define CONCERTO_ROUTE_SPEC_INIT_V1                                            \
  { sizeof(concerto_route_spec), NULL, NULL, NULL, 0u, NULL, NULL }

/* A configuration key of the module, read from the server's configuration at
 * `module_settings.<module>.<key>`. Keys not declared are refused. */
typedef struct concerto_config_spec {
  uint32_t size;   /* use CONCERTO_CONFIG_SPEC_INIT_V1 */
  const char *key; /* [a-z][a-z0-9_]*, without the module prefix */
  concerto_config_type type;
  const char *default_value; /* as text: "42", "true", "hello"; NULL = none */
  long long min, max;        /* bounds for INT keys (inclusive) */
  const char *help;          /* one line, English */
} concerto_config_spec;
#define CONCERTO_CONFIG_SPEC_INIT_V1                                           \
  {                                                                            \
    sizeof(concerto_config_spec), NULL, CONCERTO_CONFIG_STRING, NULL, 0, 0,    \
        NULL                                                                   \
  }

/* A setting each hospital sets for itself (ABI 1.4): the video platform,
 * a consent text, a limit. Hospital administrators edit it in the console;
 * the module reads the value of the request's hospital. */
typedef struct concerto_tenant_setting_spec {
  uint32_t size;   /* use CONCERTO_TENANT_SETTING_SPEC_INIT_V1 */
  const char *key; /* [a-z][a-z0-9_]*, unique within the module */
  concerto_config_type type;
  const char *default_value; /* as text; NULL = none */
  long long min, max;        /* bounds for INT settings (inclusive) */
  const char *label_it;      /* shown in the console, Italian */
  const char *label_en;      /* shown in the console, English */
  const char *help;          /* one line, English */
} concerto_tenant_setting_spec;
#define CONCERTO_TENANT_SETTING_SPEC_INIT_V1                                   \
  {                                                                            \
    sizeof(concerto_tenant_setting_spec), NULL, CONCERTO_CONFIG_STRING, NULL,  \
        0, 0, NULL, NULL, NULL                                                 \
  }

#if defined(__GNUC__)
#define CONCERTO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CONCERTO_PRINTF(f, a)
#endif

struct concerto_host {
  uint32_t size; /* sizeof(concerto_host) of the running core */
  uint16_t abi_major;
  uint16_t abi_minor;
  const char *core_version; /* borrowed, process lifetime */

  /* ---- Registration: only inside the module's init, through `reg`. ---- */

  /* The module's own long-lived handle, for config and logging later. */
  concerto_module *(*module_self)(concerto_registrar *reg);
  concerto_status (*register_route)(concerto_registrar *reg,
                                    const concerto_route_spec *spec);
  concerto_status (*register_config)(concerto_registrar *reg,
                                     const concerto_config_spec *spec);
  /* Numbered SQL files NNNN_description.sql in `dir` (relative to the
   * module's folder), applied in order in the module's own schema. */
  concerto_status (*register_migrations)(concerto_registrar *reg,
                                         const char *dir);
  /* Files under `dir` (relative to the module's folder) served read-only at
   * /modules/<module>/. */
  concerto_status (*register_static)(concerto_registrar *reg, const char *dir);
  /* ABI 1.2 (the places kept in 1.0): subscribes `handler` to events
   * `name` with payload `version` (each version separately). */
  concerto_status (*subscribe)(concerto_registrar *reg, const char *name,
                               uint32_t version, concerto_event_handler handler,
                               void *userdata);
  void (*reserved_events[3])(void);
  /* ABI 1.3 (a place kept in 1.0): calls the Lua rule `rule` of the
   * request's hospital (e.g. "route_teleconsult") with `input`; when the
   * hospital's rules do not define it, the documented default decision is
   * returned and *defaulted set (docs/scripting.md). *decision is a new
   * reference (the caller decrefs). Errors: CONCERTO_ERR_NOT_FOUND (no
   * such rule, no default), CONCERTO_ERR_VALIDATION (the script failed;
   * logged with its line). */
  concerto_status (*rule)(concerto_request *req, const char *rule,
                          const json_t *input, json_t **decision,
                          int *defaulted);
  void (*reserved_lua[3])(void);

  /* ---- Module information and configuration (any time). ---- */

  /* Folder holding the module's sql/ and web/, borrowed. */
  const char *(*module_dir)(const concerto_module *m);
  /* Declared keys only; the value after defaults. Borrowed, process lifetime;
   * NULL if the key was not declared or has no value. */
  const char *(*config_string)(const concerto_module *m, const char *key);
  long long (*config_int)(const concerto_module *m, const char *key);
  int (*config_bool)(const concerto_module *m, const char *key);

  /* One structured log line naming the module. Never log secrets, request
   * bodies or patient data. */
  void (*log)(const concerto_module *m, concerto_log_level level,
              const char *fmt, ...) CONCERTO_PRINTF(3, 4);

  /* ---- The request (only inside a handler). ---- */

  const char *(*req_method)(const concerto_request *req);
  const char *(*req_path)(const concerto_request *req);
  const char *(*req_id)(const concerto_request *req);
  /* Path template parameter ({name}), percent-decoded; NULL if absent. */
  const char *(*req_param)(const concerto_request *req, const char *name);
  /* Query string argument; NULL if absent. */
  const char *(*req_query)(const concerto_request *req, const char *name);
  /* Request header, case-insensitive; NULL if absent. */
  const char *(*req_header)(const concerto_request *req, const char *name);
  /* Raw body (never NULL; *len may be 0). */
  const void *(*req_body)(const concerto_request *req, size_t *len);
  /* Body parsed as JSON (Content-Type must be application/json). On
   * malformed JSON the core has already answered 400 naming the problem and
   * the handler should return the status unchanged. *out is borrowed. */
  concerto_status (*req_json)(concerto_request *req, json_t **out);
  /* Per-request arena: freed by the core after the response. */
  void *(*req_alloc)(concerto_request *req, size_t size);
  char *(*req_strdup)(concerto_request *req, const char *s);
  char *(*req_printf)(concerto_request *req, const char *fmt,
                      ...)CONCERTO_PRINTF(2, 3);

  /* ---- The response (one per request; a second one is refused). ---- */

  concerto_status (*set_header)(concerto_request *req, const char *name,
                                const char *value);
  /* `body` is stolen, also on failure. */
  concerto_status (*respond_json)(concerto_request *req, unsigned http_status,
                                  json_t *body);
  /* `data` is copied. */
  concerto_status (*respond_bytes)(concerto_request *req, unsigned http_status,
                                   const char *content_type, const void *data,
                                   size_t len);
  /* RFC 7807 problem+json with a stable machine `code`. `detail` may be NULL.
   */
  concerto_status (*respond_problem)(concerto_request *req,
                                     unsigned http_status, const char *code,
                                     const char *title, const char *detail);

  /* ---- The database, inside the request's transaction. ---- */

  /* Runs one statement with text parameters ($1..$n; NULL entries are SQL
   * NULL) as a prepared statement cached per connection. The first call of a
   * request opens its transaction. `*out` (may be NULL if not wanted) belongs
   * to the request. Errors: CONCERTO_ERR_DB_UNAVAILABLE,
   * CONCERTO_ERR_DB_CONSTRAINT, CONCERTO_ERR_DB_QUERY. */
  concerto_status (*db_query)(concerto_request *req, const char *sql,
                              int nparams, const char *const *params,
                              concerto_result **out);
  int (*result_rows)(const concerto_result *res);
  int (*result_cols)(const concerto_result *res);
  const char *(*result_name)(const concerto_result *res, int col);
  /* Text value, NULL for SQL NULL or out of range. Borrowed (request). */
  const char *(*result_value)(const concerto_result *res, int row, int col);

  /* ---- ABI 1.1: the caller and the audit trail. ---- */

  /* The authenticated caller of a route that requires a role; all NULL on
   * public routes. Ids are decimal text. Borrowed (request). */
  const char *(*req_user_id)(const concerto_request *req); /* staff */
  const char *(*req_username)(const concerto_request *req);
  const char *(*req_tenant)(const concerto_request *req);    /* hospital code */
  const char *(*req_tenant_id)(const concerto_request *req); /* RLS tenant */
  const char *(*req_patient_id)(const concerto_request *req); /* patient
                                                                 sessions */
  /* Whether the caller holds `role` in the request's hospital (also
   * "authenticated", "regional_admin", "patient", and "guest" from 1.8). */
  int (*req_has_role)(const concerto_request *req, const char *role);
  /* Records an audit row (who/when/where come from the request) written in
   * the request's transaction, or on its own if the request fails, so a
   * refused or failed access is kept too. Every read or write of patient
   * data must be audited. action: [a-z][a-z0-9_.]*, e.g.
   * "teleconsult.document.read"; patient_id may be NULL; outcome "success",
   * "failure" or "denied" (NULL = "success"). */
  concerto_status (*audit)(concerto_request *req, const char *action,
                           const char *resource, const char *patient_id,
                           const char *outcome);

  /* ---- ABI 1.2: events. ---- */

  /* Publishes an event in the request's transaction (it exists only if the
   * request commits): name "module.thing" ([a-z0-9_] words joined by
   * dots), payload version >= 1, payload an object (stolen, also on
   * failure). The hospital is the request's. */
  concerto_status (*publish)(concerto_request *req, const char *name,
                             uint32_t version, json_t *payload);

  /* ---- ABI 1.4: per-hospital settings. ---- */

  /* Declares a per-hospital setting (only inside init). */
  concerto_status (*register_tenant_setting)(
      concerto_registrar *reg, const concerto_tenant_setting_spec *spec);
  /* The value of the module's setting `key` for the request's hospital (its
   * own value, else the declared default; NULL if neither). Borrowed
   * (request). Works in event handlers too (the event's hospital). */
  const char *(*tenant_setting)(concerto_request *req, const concerto_module *m,
                                const char *key);

  /* ---- ABI 1.5: core services. ---- */

  /* Queues an e-mail in the request's transaction (it leaves only if the
   * request commits; retried like any event). `message` (borrowed):
   * {"to": ["a@b.it", ...], "subject": "...", "text": "...",
   *  "attachments": [{"filename": "invito.ics", "content_type":
   *  "text/calendar; method=REQUEST", "content_base64": "..."}]}.
   * CONCERTO_ERR_INVALID for a malformed message (logged, not sent). */
  concerto_status (*send_mail)(concerto_request *req, const json_t *message);

  /* ---- ABI 1.6: documents, live streams, notifications, SMS, video. ---- */

  /* On a CONCERTO_ROUTE_UPLOAD route: takes the uploaded body. The blob is
   * kept in the store (its metadata row is written in the request's
   * transaction); an upload no handler takes is deleted after the response.
   * CONCERTO_ERR_INVALID: empty body or not an upload route. */
  concerto_status (*req_upload)(concerto_request *req, concerto_blob *out);
  /* Stores `len` bytes (copied) as a blob, e.g. a generated PDF. */
  concerto_status (*blob_put)(concerto_request *req, const void *data,
                              size_t len, concerto_blob *out);
  /* Reads a whole blob of at most `max` bytes into request memory (*data
   * belongs to the request). CONCERTO_ERR_NOT_FOUND, CONCERTO_ERR_TOO_LARGE.
   */
  concerto_status (*blob_read)(concerto_request *req, const char *sha256,
                               size_t max, const void **data, size_t *len);
  /* Answers 200 with the blob streamed from the store (never loaded whole).
   * `filename` (may be NULL) goes into Content-Disposition, `attachment`
   * nonzero for a download, zero for display inline. The module checks
   * access and audits before calling. CONCERTO_ERR_NOT_FOUND if absent. */
  concerto_status (*respond_blob)(concerto_request *req, const char *sha256,
                                  const char *content_type,
                                  const char *filename, int attachment);

  /* Live streams. publish_live sends `event` ([a-z][a-z0-9_.]*) with `data`
   * (borrowed JSON object, at most 6000 bytes encoded) to every stream open
   * on `topic` of the calling module, when the request commits (nothing is
   * sent if it rolls back). respond_live turns the response into a
   * Server-Sent Events stream of `topic`: the handler checks that the
   * caller may follow it first. Topics ([a-z0-9_.:-]{1,80}) are private to
   * the module (the core prefixes the module's name). */
  concerto_status (*publish_live)(concerto_request *req, const char *topic,
                                  const char *event, const json_t *data);
  concerto_status (*respond_live)(concerto_request *req, const char *topic);

  /* A personal notification to staff user `user_id` (the console's bell,
   * over SSE), sent when the request commits. Title and body are short
   * texts without patient data (a notification is not audited). */
  concerto_status (*notify_user)(concerto_request *req, const char *user_id,
                                 const char *title, const char *body);

  /* Queues a text message like send_mail: {"to": "+393331234567", "text":
   * "..."} (text at most 640 characters) sent through the region's SMS
   * gateway (docs/sms.md) when the request commits, with the outbox's
   * retries. CONCERTO_ERR_INVALID for a malformed message;
   * CONCERTO_ERR_UNSUPPORTED when no gateway is configured: SMS is
   * optional, a module carries on without it (e-mail, notifications). */
  concerto_status (*send_sms)(concerto_request *req, const json_t *message);

  /* A video room link for one participant from the video provider of the
   * request's hospital (docs/video.md). `spec` (borrowed):
   * {"room": "[A-Za-z0-9_-]{8,64}", "user": {"id": "...", "name": "...",
   *  "email": "..."}, "moderator": true|false, "starts_at": epoch,
   *  "ends_at": epoch}. *out (new reference, the caller decrefs):
   * {"provider": "jitsi", "room": "...", "url": "https://...",
   *  "expires_at": epoch}. CONCERTO_ERR_INVALID for a bad spec;
   * CONCERTO_ERR_UNSUPPORTED when the hospital has no provider set. */
  concerto_status (*video_room)(concerto_request *req, const json_t *spec,
                                json_t **out);

  /* ---- ABI 1.7 ---- */

  /* On an upload route, before req_upload: the content type detected from
   * the upload's first bytes (the same value req_upload would give) and,
   * when `length` is not NULL, its size, so a handler can refuse a type
   * without anything being stored. NULL when there is no upload. Borrowed
   * (request). */
  const char *(*req_upload_type)(concerto_request *req, uint64_t *length);

  /* ---- ABI 1.8 ---- */

  /* On a public route, for a person the module invited without an account
   * (an external specialist, a patient) who came back with the module's own
   * secret link: binds the request to hospital `tenant_id` (decimal id) as
   * guest `name` (1-200 bytes, what the audit trail calls them). The module
   * vouches for the link - keep it unguessable, store only its hash, and
   * look it up in a SECURITY DEFINER function, since RLS shows nothing
   * before this call. Afterwards RLS sees that hospital, tenant_setting,
   * video_room, publish and send_mail act for it, audit rows name actor
   * kind "guest", req_has_role(req, "guest") is true and no hospital role
   * is. CONCERTO_ERR_NOT_FOUND: no such active hospital, or the calling
   * module is not enabled there (answer 404 as for a bad link);
   * CONCERTO_ERR_INVALID: not a public route, a caller already known, or a
   * malformed argument. */
  concerto_status (*req_bind_guest)(concerto_request *req,
                                    const char *tenant_id, const char *name);

  /* ---- ABI 1.9 ---- */

  /* Like audit, for data owned by hospital `tenant_id` (decimal id) other
   * than the caller's: the row goes to that hospital's audit chain, where
   * its privacy officer sees it, and names the hospital the caller acted
   * from, whose privacy officer sees it as well. A teleconsult participant
   * from a SPOKE reading the HUB's session is audited in the HUB's trail.
   * NULL `tenant_id` is the caller's hospital (the same as audit).
   * CONCERTO_ERR_INVALID for a malformed id or outcome. */
  concerto_status (*audit_for)(concerto_request *req, const char *tenant_id,
                               const char *action, const char *resource,
                               const char *patient_id, const char *outcome);
};

/* True when the running core provides `field` (added in some ABI minor). */
#define CONCERTO_HOST_HAS(host, field)                                         \
  ((host)->size >= offsetof(concerto_host, field) + sizeof((host)->field) &&   \
   (host)->field != NULL)

#ifdef __cplusplus
}
#endif
#endif
