/* Integration test harness: a private database per test, the real
 * `concerto` binary started as a child process with a generated
 * configuration, and HTTP through libcurl. Every wait is bounded. */
#ifndef CONCERTO_TEST_HARNESS_H
#define CONCERTO_TEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

typedef struct th_server {
  pid_t pid;
  int port;
  char dir[256];    /* scratch folder of this server */
  char log[320];    /* its stderr */
  char config[320]; /* its configuration file */
} th_server;

typedef struct th_resp {
  long status;
  char *body; /* NUL-terminated, malloc'ed */
  size_t len;
  char *headers; /* raw header block, malloc'ed */
  json_t *json;  /* parsed body or NULL */
} th_resp;

/* A required environment variable (aborts the test if missing). */
const char *th_env(const char *name);
/* The socket folder of the test cluster (BASE from CONCERTO_TEST_PG_BASE). */
const char *th_pg_host(void);
/* Drops and creates database `name`; writes its libpq URL. */
void th_db_create(const char *name, char *url, size_t urllen);
/* Runs one SQL statement on database `name`; returns the first value of the
 * first row (malloc'ed) or NULL. Aborts on SQL error. */
char *th_sql(const char *dbname, const char *sql);

/* Runs `sql` (one statement) on database `name` as the application role
 * concerto_app inside a signed context of `kind` ("staff", "patient",
 * "token", "guest", "system") for hospital `tenant_code` and user
 * `username` (either may be NULL), then rolls back: the way a request's SQL
 * runs under row-level security. Returns the first value of the first row,
 * or for a command the number of rows it touched (malloc'ed; NULL when
 * none). With `sqlstate` given a failure is reported there ("" on
 * success) instead of aborting. */
char *th_sql_as(const char *dbname, const char *kind, const char *tenant_code,
                const char *username, const char *sql, char sqlstate[6]);

/* Runs `sql` (statements separated by ';' run as one implicit
 * transaction) on database `name`, logged in as `role` itself, not via
 * SET ROLE. The SQLSTATE of a failure, or "", goes to sqlstate; returns
 * the first value of the last result (malloc'ed) or NULL. */
char *th_sql_role(const char *dbname, const char *role, const char *sql,
                  char sqlstate[6]);

/* Starts the server on a free port against database `dbname`, with the
 * test modules folder and `extra` (a JSON object text, may be NULL) merged
 * into the configuration. `wrapper` (NULL-terminated argv prefix such as
 * valgrind, may be NULL) runs the binary under another program. Waits for
 * /healthz (up to timeout_s) and returns false if it never answered. */
bool th_server_start(th_server *s, const char *dbname, const char *extra,
                     const char *const *wrapper, int timeout_s);
/* Starts without waiting (for servers expected to refuse to start). */
void th_server_spawn(th_server *s, const char *dbname, const char *extra,
                     const char *const *wrapper);
/* Sends SIGTERM and waits up to timeout_s; returns the exit code, 128+signal
 * if killed by a signal, or -1 after a SIGKILL on timeout. */
int th_server_stop(th_server *s, int timeout_s);
/* Waits for the child to exit by itself; same return values. */
int th_server_wait(th_server *s, int timeout_s);
/* Whether the server's log contains `needle`; counts occurrences. */
int th_log_count(const th_server *s, const char *needle);

/* The time limit of every later request (default 60 s); a request over it
 * comes back with status 0. */
void th_set_timeout(long seconds);

/* Lines of the server's log that are not one JSON object each (printed to
 * stderr); 0 when every line is. */
int th_log_non_json(const th_server *s);

/* Sends `len` raw bytes to the server as they are (for requests curl will
 * not send: a bad method, an invalid request line) and reads the answer
 * until the server closes or 10 s pass; the request should say
 * "Connection: close". Returns the answer, NUL-terminated and malloc'ed
 * (the caller frees it), with its length in *out_len. */
char *th_raw(const th_server *s, const void *request, size_t len,
             size_t *out_len);

th_resp th_request(const th_server *s, const char *method, const char *path,
                   const char *content_type, const char *body,
                   const char *header); /* lines separated by '\n' */
#define th_get(s, path) th_request((s), "GET", (path), NULL, NULL, NULL)
/* A response header's value (malloc'ed) or NULL. Case-insensitive. */
char *th_header(const th_resp *r, const char *name);
void th_resp_free(th_resp *r);
/* The JSON string at `key` of the body ("a/0/b" walks members and array
 * indexes), or NULL. Borrowed from r. */
const char *th_json_str(const th_resp *r, const char *key);

/* A browser-like client: the session cookie and CSRF token from the last
 * login, or an API token, and optionally the hospital header. */
typedef struct th_client {
  char cookie[128];
  char csrf[64];
  char bearer[80];
  char tenant[40];
} th_client;

/* A request as the client: sends its credentials, remembers a new session
 * cookie and csrf_token from the answer. json may be NULL. */
th_resp th_call(const th_server *s, th_client *c, const char *method,
                const char *path, const char *json);
/* POSTs `len` raw bytes (application/octet-stream) to `path` as the client
 * (NULL: no credentials), with a Content-Length or, when `chunked`, in
 * chunks: uploads. */
th_resp th_upload(const th_server *s, const th_client *c, const char *path,
                  const void *data, size_t len, bool chunked);
/* POST /api/v1/auth/login; returns the HTTP status. */
long th_login(const th_server *s, th_client *c, const char *username,
              const char *password, const char *tenant);

/* Reads the event stream at `path` as the client until `needle` arrives or
 * timeout_s passes; returns what was read (malloc'ed). For a background
 * thread: see th_stream_start. */
typedef struct th_stream th_stream;
th_stream *th_stream_start(const th_server *s, const th_client *c,
                           const char *path, const char *needle, int timeout_s);
/* Waits for the reader; returns the text read (caller frees). */
char *th_stream_finish(th_stream *st);

/* The SMTP sink of ../shared/peers/smtp, appending every message to
 * `mailbox` (the path is only read). Listens on a free loopback port and is
 * ready when this returns: the sink's "listening" line has been read, so the
 * port is its own (if something else took the port first the sink exits and
 * another port is tried). Aborts when no sink could start. */
typedef struct th_smtp_sink {
  pid_t pid;
  int port;
  int out_fd; /* the sink's stdout, kept open so its writes never fail */
} th_smtp_sink;
th_smtp_sink th_smtp_sink_start(const char *mailbox);
void th_smtp_sink_stop(th_smtp_sink *sink);

/* A folder of modules for one server: the shipped modules named in `real`
 * and the test modules named in `tests` (space-separated names, either may
 * be ""), linked side by side with their folders, as modules_dir needs.
 * Writes its path to dir; th_mixed_modules_remove deletes it. Aborts on
 * failure. */
void th_mixed_modules(char *dir, size_t dirlen, const char *real,
                      const char *tests);
void th_mixed_modules_remove(const char *dir);

/* Runs the test cluster fixture script (start|stop|restart) for BASE. */
int th_pg_fixture(const char *action, const char *base);

#endif
