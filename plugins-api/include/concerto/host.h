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
/* ABI 1.10: a compatibility mount. `path` is a fixed path a standard or an
 * external caller dictates (the 003 consent API's /TokenIssueService/...,
 * a SOAP endpoint, a SAML ACS, DICOMweb), outside /api/v1/<module>/. Two
 * modules mounting the same method and path, or a mount on a core path, are
 * refused at start (the second module is refused, the server runs on). A
 * mount has the same limits, metrics, audit and per-hospital enablement as
 * any route of the module; choose how callers authenticate with `auth`. */
#define CONCERTO_ROUTE_MOUNT 2u

/* How a route's caller is authenticated (concerto_route_spec.auth, ABI
 * 1.10). */
/* required_role decides, as before 1.10: NULL = public, else a session
 * (with the CSRF token for writes) or an API token holding that role. */
#define CONCERTO_AUTH_DEFAULT 0u
/* Nobody is authenticated by the core; the handler may bind the request to
 * a hospital itself (req_bind_guest, req_bind_client). required_role must
 * be NULL. */
#define CONCERTO_AUTH_PUBLIC 1u
/* Only a hospital's API token (Authorization: Bearer), holding
 * required_role; session cookies are ignored, so no CSRF token applies. */
#define CONCERTO_AUTH_API_TOKEN 2u
/* The module verifies the caller's own credential (a bearer JWT of a
 * standard, a signed SAML response) and binds the request with
 * req_bind_client; required_role must be NULL. Like PUBLIC for the core,
 * but documented as authenticated in the OpenAPI document. */
#define CONCERTO_AUTH_MODULE 3u

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
  /* ---- ABI 1.10 ---- */
  uint32_t auth;       /* CONCERTO_AUTH_*; 0 = CONCERTO_AUTH_DEFAULT */
  const char *summary; /* one line for the OpenAPI document, or NULL */
} concerto_route_spec;
#define CONCERTO_ROUTE_SPEC_INIT_V1                                            \
  { sizeof(concerto_route_spec), NULL, NULL, NULL, 0u, NULL, NULL, 0u, NULL }

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

/* ---- ABI 1.10 types ---- */

/* Every size-prefixed struct is read by its `size` (ABI 1.10): the core
 * accepts any size from the struct's first version up, reads the fields
 * the size covers and takes zero - the old behaviour - for the rest, so a
 * module built against an older header keeps working when a struct grows.
 * Fields are only ever appended, and zero always means "as before". */

/* A service one module offers others (services between modules). The
 * interface is a table of functions in the provider's versioned header,
 * modules/<m>/include/concerto/<m>_v<version>.h; every function takes the
 * caller's concerto_request * first and so runs in the caller's
 * transaction, hospital and audit identity. An incompatible change is a new
 * version beside the old one; a compatible one appends functions to the
 * table (consumers check the size they got). */
typedef struct concerto_service_spec {
  uint32_t size;      /* CONCERTO_SERVICE_SPEC_INIT_V1 */
  const char *name;   /* [a-z][a-z0-9_]{0,39}, usually the module's name */
  uint32_t version;   /* the interface's version, >= 1 */
  const void *vtable; /* the provider's static table, process lifetime */
  size_t vtable_size; /* sizeof the table the provider was built with */
} concerto_service_spec;
#define CONCERTO_SERVICE_SPEC_INIT_V1                                          \
  { sizeof(concerto_service_spec), NULL, 0u, NULL, 0u }

/* What service_enter saves and service_leave restores. Opaque. */
typedef struct concerto_service_frame {
  uint32_t size; /* CONCERTO_SERVICE_FRAME_INIT */
  void *saved[6];
} concerto_service_frame;
#define CONCERTO_SERVICE_FRAME_INIT                                            \
  {                                                                            \
    sizeof(concerto_service_frame), {                                          \
      0                                                                        \
    }                                                                          \
  }

/* A role a module grants meaning to (e.g. "specialist", "signer"). Roles are
 * platform-wide names, granted per hospital by its administrator. Several
 * modules may declare the same role (televisit and teleconsult both need
 * "specialist"): it is one role, shown with the first declaration's labels,
 * and its flags are the union of all declarations. */
typedef struct concerto_role_spec {
  uint32_t size;           /* CONCERTO_ROLE_SPEC_INIT_V1 */
  const char *name;        /* [a-z][a-z0-9_]{1,39} */
  const char *label_it;    /* shown in the console, Italian */
  const char *label_en;    /* shown in the console, English */
  const char *description; /* one line, English */
  uint32_t flags;          /* CONCERTO_ROLE_* */
} concerto_role_spec;
#define CONCERTO_ROLE_SPEC_INIT_V1                                             \
  { sizeof(concerto_role_spec), NULL, NULL, NULL, NULL, 0u }
/* The role works with patients (clinicians, the help desk): it may search
 * the regional patient index and open patient links. Routes require all
 * such roles at once with the pseudo-role "patient_care". */
#define CONCERTO_ROLE_PATIENT_CARE 1u

/* The shape check of a rule's decision: CONCERTO_OK, or
 * CONCERTO_ERR_VALIDATION with a one-line reason (English) in err. */
typedef concerto_status (*concerto_rule_check)(const json_t *decision,
                                               char *err, size_t errlen);

/* The default decision for `input` (borrowed) when the hospital does not
 * define the rule: a new reference, or NULL to fall back on
 * default_decision. For defaults that depend on the input (teleconsult
 * routes to the requested specialty). */
typedef json_t *(*concerto_rule_default)(const json_t *input);

/* A Lua rule a hospital may define in its scripts (the Lua function of that
 * name), called by the module with host->rule. The console's script editor
 * lists the rules of the loaded modules with their samples; an upload of
 * rules is dry-run against every rule's sample. */
typedef struct concerto_rule_spec {
  uint32_t size;                     /* CONCERTO_RULE_SPEC_INIT_V1 */
  const char *name;                  /* [a-z][a-z0-9_]{0,63}, unique */
  const char *default_decision;      /* JSON object text, used when the
                                      * hospital does not define the rule */
  const char *sample_input;          /* JSON text for the dry run: the one
                                      * argument, or an array of up to two
                                      * arguments */
  concerto_rule_check check;         /* NULL: any JSON object is a decision */
  const char *description;           /* one line, English */
  concerto_rule_default default_for; /* NULL: default_decision as is */
} concerto_rule_spec;
#define CONCERTO_RULE_SPEC_INIT_V1                                             \
  { sizeof(concerto_rule_spec), NULL, NULL, NULL, NULL, NULL, NULL }

/* A read-only lookup offered to hospital scripts as
 * concerto.<module>.<name>(args): runs in the script's request (its
 * transaction, hospital and time budget). It must not write: the core runs
 * it in a read-only subtransaction. *result is a new reference (NULL =
 * nil). */
typedef concerto_status (*concerto_lua_function)(concerto_request *req,
                                                 const json_t *args,
                                                 json_t **result,
                                                 void *userdata);
typedef struct concerto_lua_function_spec {
  uint32_t size;    /* CONCERTO_LUA_FUNCTION_SPEC_INIT_V1 */
  const char *name; /* [a-z][a-z0-9_]{0,39} */
  concerto_lua_function fn;
  void *userdata;
  const char *description; /* one line, English */
} concerto_lua_function_spec;
#define CONCERTO_LUA_FUNCTION_SPEC_INIT_V1                                     \
  { sizeof(concerto_lua_function_spec), NULL, NULL, NULL, NULL }

/* An event a module publishes: publishing an undeclared name and version is
 * refused, and GET /api/v1/events/catalog lists it with its producer and
 * subscribers. */
typedef struct concerto_event_spec {
  uint32_t size;           /* CONCERTO_EVENT_SPEC_INIT_V1 */
  const char *name;        /* "module.thing", the module's own prefix */
  uint32_t version;        /* payload version, >= 1 */
  const char *schema;      /* JSON Schema of the payload (JSON text): type,
                            * properties, required, enum, items, format are
                            * checked at publish; NULL = any object */
  const char *description; /* one line, English */
} concerto_event_spec;
#define CONCERTO_EVENT_SPEC_INIT_V1                                            \
  { sizeof(concerto_event_spec), NULL, 0u, NULL, NULL }

/* A problem code a module answers with (respond_problem): platform-wide,
 * listed in GET /api/v1/problems and the module's README. */
typedef struct concerto_problem_spec {
  uint32_t size;        /* CONCERTO_PROBLEM_SPEC_INIT_V1 */
  const char *code;     /* [a-z][a-z0-9_]{1,63} */
  unsigned http_status; /* 400-599 */
  const char *title;    /* short, English, the problem's title */
  const char *when;     /* one line, English: when it is answered */
} concerto_problem_spec;
#define CONCERTO_PROBLEM_SPEC_INIT_V1                                          \
  { sizeof(concerto_problem_spec), NULL, 0u, NULL, NULL }

/* One entry of a problem's errors[] list. Strings borrowed for the call. */
typedef struct concerto_field_error {
  const char *field;   /* JSON pointer or parameter name: "/patient/cf" */
  const char *code;    /* machine-readable, e.g. "required", "format" */
  const char *message; /* for people, in the caller's language if known */
} concerto_field_error;

/* A job run as its handler sees it. Borrowed for the call. */
typedef struct concerto_job {
  uint32_t size;          /* sizeof(concerto_job) of the running core */
  const char *id;         /* decimal; the idempotency key of the run */
  const char *name;       /* the job's name */
  const char *tenant_id;  /* the hospital it runs for, NULL for regional */
  const json_t *payload;  /* borrowed; {} for periodic runs */
  uint32_t attempt;       /* 1 for the first try */
  long long scheduled_at; /* when the run was due, epoch seconds */
} concerto_job;

/* A job handler. `ctx` works like an event handler's: no HTTP, the job's
 * hospital in RLS; db_query opens a transaction that commits together with
 * the run's "done" mark, so database effects happen once. http_request is
 * allowed before the first db_query or after tx_commit. Return CONCERTO_OK
 * when done; an error rolls back and retries with backoff until the run is
 * dead (visible and replayable in the console). */
typedef concerto_status (*concerto_job_handler)(concerto_request *ctx,
                                                const concerto_job *job,
                                                void *userdata);

/* Periodic jobs: once per hospital where the module is enabled, or once for
 * the region. */
#define CONCERTO_JOB_PER_HOSPITAL 0u
#define CONCERTO_JOB_REGIONAL 1u

typedef struct concerto_job_spec {
  uint32_t size;    /* CONCERTO_JOB_SPEC_INIT_V1 */
  const char *name; /* [a-z][a-z0-9_.]{0,63}, unique within the module */
  concerto_job_handler handler;
  void *userdata;
  /* NULL: runs only when enqueued. Otherwise periodic: an interval "45s",
   * "15m", "6h", or a daily time "daily 02:30" in the hospital's time zone
   * (Europe/Rome unless the hospital sets another). */
  const char *every;
  uint32_t scope;        /* periodic jobs: CONCERTO_JOB_PER_HOSPITAL or
                          * CONCERTO_JOB_REGIONAL */
  uint32_t max_attempts; /* 0 = the server's event_max_attempts */
  uint32_t timeout_s;    /* a run longer than this is presumed lost and
                          * retried; 0 = 300 */
} concerto_job_spec;
#define CONCERTO_JOB_SPEC_INIT_V1                                              \
  { sizeof(concerto_job_spec), NULL, NULL, NULL, NULL, 0u, 0u, 0u }

/* An outbound HTTP call (http_request). */
typedef struct concerto_http_call {
  uint32_t size;              /* CONCERTO_HTTP_CALL_INIT_V1 */
  const char *method;         /* "GET", "POST", "PUT", "DELETE", ... */
  const char *url;            /* https://; http:// only where the
                               * hospital's outbound list allows it */
  const char *const *headers; /* "Name: value", NULL-terminated, or NULL */
  const void *body;           /* copied; NULL for none */
  size_t body_len;
  const char *client_cert_pem; /* mutual TLS: certificate chain, or NULL */
  const char *client_key_pem;  /* its private key (PEM), or NULL */
  const char *ca_pem;          /* extra trust anchors, or NULL (system) */
  uint32_t connect_timeout_ms; /* 0 = 5000 */
  uint32_t timeout_ms;         /* the whole exchange; 0 = 30000 */
  size_t max_response_bytes;   /* 0 = 1 MiB */
} concerto_http_call;
#define CONCERTO_HTTP_CALL_INIT_V1                                             \
  {                                                                            \
    sizeof(concerto_http_call), NULL, NULL, NULL, NULL, 0u, NULL, NULL, NULL,  \
        0u, 0u, 0u                                                             \
  }

/* The answer of an outbound call; every pointer is request memory. */
typedef struct concerto_http_reply {
  uint32_t size;            /* set by the caller: CONCERTO_HTTP_REPLY_INIT_V1 */
  unsigned status;          /* HTTP status */
  const char *content_type; /* or NULL */
  const char *headers;      /* "Name: value\r\n" lines as received */
  const void *body;         /* NUL-terminated for convenience */
  size_t body_len;
} concerto_http_reply;
#define CONCERTO_HTTP_REPLY_INIT_V1                                            \
  { sizeof(concerto_http_reply), 0u, NULL, NULL, NULL, 0u }

/* Called once the transaction of a request, event delivery or job run has
 * ended: `committed` is nonzero when it committed. Runs on the same
 * thread, outside any transaction (http_request is allowed in event and
 * job contexts). */
typedef void (*concerto_commit_hook)(concerto_request *req, int committed,
                                     void *arg);

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
  /* ABI 1.10 (a place kept since 1.0): declares an event the module
   * publishes. */
  concerto_status (*register_event)(concerto_registrar *reg,
                                    const concerto_event_spec *spec);
  void (*reserved_events[2])(void);
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
  /* ABI 1.10 (places kept since 1.0): declares a rule the module calls
   * with `rule`, and a read-only lookup for hospital scripts. */
  concerto_status (*register_rule)(concerto_registrar *reg,
                                   const concerto_rule_spec *spec);
  concerto_status (*register_lua_function)(
      concerto_registrar *reg, const concerto_lua_function_spec *spec);
  void (*reserved_lua[1])(void);

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
   * over SSE), sent when the request commits, and stored for the user's
   * next login (the bell's list, read/unread; docs/ui.md). Title and body
   * are short texts without patient data (a notification is not audited). */
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

  /* ---- ABI 1.10: services between modules ---- */

  /* Offers a service (only inside init). CONCERTO_ERR_REG_DUPLICATE when
   * that name and version is offered already. */
  concerto_status (*register_service)(concerto_registrar *reg,
                                      const concerto_service_spec *spec);
  /* Finds a service (only inside init): `name` must be offered by a module
   * in depends or optional_depends. *vtable and *vtable_size are the
   * provider's, process lifetime. CONCERTO_ERR_NOT_FOUND when no loaded
   * module offers it (expected for optional dependencies). */
  concerto_status (*get_service)(concerto_registrar *reg, const char *name,
                                 uint32_t version, const void **vtable,
                                 size_t *vtable_size);
  /* Called by a provider at the top of each service function with its own
   * module: for the rest of the call the request's owning module is the
   * provider (its schema first on the search path, its live topics and
   * settings, the module its audit rows and events name), the caller's
   * transaction, hospital and identity unchanged. service_leave restores
   * the caller's. CONCERTO_ERR_MODULE_DISABLED when the provider is not
   * enabled for the request's hospital (leave is then not needed). */
  concerto_status (*service_enter)(concerto_request *req,
                                   const concerto_module *provider,
                                   concerto_service_frame *frame);
  void (*service_leave)(concerto_request *req, concerto_service_frame *frame);

  /* ---- ABI 1.10: roles and problem codes owned by modules ---- */

  /* Declares a role the module's routes require (only inside init). Core
   * roles are declared the same way; the users page lists them all. */
  concerto_status (*register_role)(concerto_registrar *reg,
                                   const concerto_role_spec *spec);
  /* Declares a problem code (only inside init). */
  concerto_status (*register_problem)(concerto_registrar *reg,
                                      const concerto_problem_spec *spec);
  /* respond_problem with an errors[] list (field, code, message): the
   * answer to a form with several wrong fields. `errors` is copied;
   * nerrors may be 0. */
  concerto_status (*respond_problem_fields)(concerto_request *req,
                                            unsigned http_status,
                                            const char *code, const char *title,
                                            const char *detail,
                                            const concerto_field_error *errors,
                                            size_t nerrors);
  /* Row `row` of `res` as a JSON object, one member per column, typed by
   * the column's type: integers, numerics, booleans, json/jsonb as
   * themselves, SQL NULL as null, everything else as text. New reference
   * (the caller decrefs), NULL when out of range. */
  json_t *(*result_row_json)(const concerto_result *res, int row);

  /* ---- ABI 1.10: jobs and timers ---- */

  /* Declares a job (only inside init). */
  concerto_status (*register_job)(concerto_registrar *reg,
                                  const concerto_job_spec *spec);
  /* Queues a run of the module's job `name` for the request's hospital, at
   * `run_at` (epoch seconds; 0 = now), committed with the request's
   * transaction (nothing runs if it rolls back). `payload`: a JSON object,
   * stolen also on failure; NULL = {}. *job_id (may be NULL) gets the run's
   * id, request memory. */
  concerto_status (*enqueue_job)(concerto_request *req, const char *name,
                                 json_t *payload, long long run_at,
                                 const char **job_id);

  /* ---- ABI 1.10: outbound calls and commit hooks ---- */

  /* Calls a remote HTTP service, in event and job contexts only and never
   * while their transaction is open (so no database lock waits on the
   * network): CONCERTO_ERR_CONTEXT otherwise. TLS is verified; the
   * destination must pass the hospital's outbound policy
   * (CONCERTO_ERR_FORBIDDEN). Any HTTP status is CONCERTO_OK with
   * reply->status set; CONCERTO_ERR_UPSTREAM for a network failure or
   * timeout, CONCERTO_ERR_TOO_LARGE for an answer over the limit. */
  concerto_status (*http_request)(concerto_request *ctx,
                                  const concerto_http_call *call,
                                  concerto_http_reply *reply);
  /* Runs `hook(req, committed, arg)` when the transaction of req ends
   * (request, event delivery or job run), in registration order. */
  concerto_status (*on_commit)(concerto_request *req, concerto_commit_hook hook,
                               void *arg);
  /* In event and job contexts: commits the transaction so far (a later
   * db_query opens a new one, http_request is allowed again). In a request
   * handler: CONCERTO_ERR_CONTEXT. */
  concerto_status (*tx_commit)(concerto_request *ctx);

  /* ---- ABI 1.10: callers a module authenticates ---- */

  /* On a CONCERTO_AUTH_MODULE or CONCERTO_AUTH_PUBLIC route, after the
   * module verified the caller's own credential: binds the request to
   * hospital `tenant_id` (decimal id) as external client `name` (1-200
   * bytes: "FSE gateway", the software named in the token) with the roles
   * in `roles` (NULL-terminated, each registered; may be NULL). The same
   * rules as req_bind_guest: the module's definer function that checked the
   * credential calls concerto.context_client, RLS then sees that hospital,
   * audit rows name actor kind "client". */
  concerto_status (*req_bind_client)(concerto_request *req,
                                     const char *tenant_id, const char *name,
                                     const char *const *roles);

  /* ---- ABI 1.11: what became of an e-mail ---- */

  /* The delivery of the latest e-mail sent with each of `tags` (a JSON
   * array of at most 200 strings, borrowed): send_mail's message may carry
   * "tag", 1-120 bytes of [A-Za-z0-9:._-], by convention prefixed with the
   * module's name ("teleconsult:participant:42"). *out (new reference, the
   * caller decrefs) maps each tag with a mail in the request's hospital to
   * {"state": "queued" | "sent" | "retrying" | "failed", "attempts": n,
   *  "error": the mail server's reason (retrying, failed), "queued_at",
   *  "sent_at"}; tags without a mail are absent. So a page can say
   * "inviato", or "non inviato: SMTP: Couldn't connect to server" instead
   * of counting what it queued. CONCERTO_ERR_INVALID for a bad list. */
  concerto_status (*mail_deliveries)(concerto_request *req, const json_t *tags,
                                     json_t **out);
};

/* True when the running core provides `field` (added in some ABI minor). */
#define CONCERTO_HOST_HAS(host, field)                                         \
  ((host)->size >= offsetof(concerto_host, field) + sizeof((host)->field) &&   \
   (host)->field != NULL)

#ifdef __cplusplus
}
#endif
#endif
