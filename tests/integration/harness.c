#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

const char *th_env(const char *name) {
  const char *v = getenv(name);
  if (!v || !*v) {
    fprintf(stderr, "environment variable %s is required (run through ctest)\n",
            name);
    abort();
  }
  return v;
}

const char *th_pg_host(void) {
  static char host[512];
  if (host[0])
    return host;
  char path[512];
  snprintf(path, sizeof path, "%s/test-pg.location",
           th_env("CONCERTO_TEST_PG_BASE"));
  FILE *f = fopen(path, "r");
  if (!f || !fgets(host, sizeof host - 8, f)) {
    fprintf(stderr, "cannot read %s: is the pg fixture running?\n", path);
    abort();
  }
  fclose(f);
  host[strcspn(host, "\n")] = '\0';
  strcat(host, "/run");
  return host;
}

static PGconn *connect_db(const char *dbname) {
  char url[700];
  snprintf(url, sizeof url, "host=%s user=concerto dbname=%s", th_pg_host(),
           dbname);
  PGconn *pg = PQconnectdb(url);
  if (PQstatus(pg) != CONNECTION_OK) {
    fprintf(stderr, "test database %s: %s\n", dbname, PQerrorMessage(pg));
    abort();
  }
  return pg;
}

void th_db_create(const char *name, char *url, size_t urllen) {
  PGconn *pg = connect_db("postgres");
  char sql[256];
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
           name);
  PQclear(PQexec(pg, sql));
  snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
  PGresult *r = PQexec(pg, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    fprintf(stderr, "create database %s: %s\n", name, PQresultErrorMessage(r));
    abort();
  }
  PQclear(r);
  PQfinish(pg);
  snprintf(url, urllen, "host=%s user=concerto dbname=%s", th_pg_host(), name);
}

char *th_sql(const char *dbname, const char *sql) {
  PGconn *pg = connect_db(dbname);
  PGresult *r = PQexec(pg, sql);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    fprintf(stderr, "SQL failed: %s: %s\n", sql, PQresultErrorMessage(r));
    abort();
  }
  char *v = NULL;
  if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
    v = strdup(PQgetvalue(r, 0, 0));
  PQclear(r);
  PQfinish(pg);
  return v;
}

static void exec_or_abort(PGconn *pg, const char *sql, int n,
                          const char *const *params) {
  PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    fprintf(stderr, "SQL failed: %s: %s\n", sql, PQresultErrorMessage(r));
    abort();
  }
  PQclear(r);
}

char *th_sql_as(const char *dbname, const char *kind, const char *tenant_code,
                const char *username, const char *sql, char sqlstate[6]) {
  PGconn *pg = connect_db(dbname);
  exec_or_abort(pg, "BEGIN", 0, NULL);
  const char *p[3] = {kind, tenant_code, username};
  /* As the test's superuser (who may write a context), then as the
   * application role, exactly as the server's requests run. */
  exec_or_abort(pg,
                "SELECT concerto.context_set($1, (SELECT id FROM "
                "concerto.tenants WHERE code = $2), (SELECT id FROM "
                "concerto.users WHERE username = $3), NULL, false)",
                3, p);
  exec_or_abort(pg, "SET LOCAL ROLE concerto_app", 0, NULL);
  PGresult *r = PQexec(pg, sql);
  ExecStatusType st = PQresultStatus(r);
  const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  if (sqlstate)
    snprintf(sqlstate, 6, "%s", state ? state : "");
  else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    fprintf(stderr, "SQL failed: %s: %s\n", sql, PQresultErrorMessage(r));
    abort();
  }
  char *v = NULL;
  if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
    v = strdup(PQgetvalue(r, 0, 0));
  else if (st == PGRES_COMMAND_OK)
    v = strdup(PQcmdTuples(r));
  PQclear(r);
  PQclear(PQexec(pg, "ROLLBACK"));
  PQfinish(pg);
  return v;
}

char *th_sql_role(const char *dbname, const char *role, const char *sql,
                  char sqlstate[6]) {
  char url[700];
  snprintf(url, sizeof url, "host=%s user=%s dbname=%s", th_pg_host(), role,
           dbname);
  PGconn *pg = PQconnectdb(url);
  if (PQstatus(pg) != CONNECTION_OK) {
    fprintf(stderr, "test database %s as %s: %s\n", dbname, role,
            PQerrorMessage(pg));
    abort();
  }
  PGresult *r = PQexec(pg, sql);
  ExecStatusType st = PQresultStatus(r);
  const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  snprintf(sqlstate, 6, "%s", state ? state : "");
  char *v = NULL;
  if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
    v = strdup(PQgetvalue(r, 0, 0));
  PQclear(r);
  PQfinish(pg);
  return v;
}

static long request_timeout_s = 60;

void th_set_timeout(long seconds) {
  request_timeout_s = seconds > 0 ? seconds : 60;
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    abort();
  int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

static void write_config(th_server *s, const char *dbname, const char *extra) {
  char listen[64], url[700];
  snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
  snprintf(url, sizeof url, "host=%s user=concerto dbname=%s", th_pg_host(),
           dbname);
  json_t *cfg = json_pack(
      "{s:s, s:s, s:s, s:s, s:i, s:{s:s, s:b}, s:{s:i, s:i}, s:i, s:i}",
      "listen", listen, "database_url", url, "modules_dir",
      th_env("CONCERTO_TEST_MODULES"), "data_dir", s->dir, "threads", 4, "log",
      "level", "info", "access", 1, "limits", "max_body_bytes", 65536,
      "shutdown_grace_s", 10,
      /* Cheap password hashing: tests log in often; production keeps the
       * defaults (docs/identity-validation.md). */
      "argon2_t_cost", 1, "argon2_m_kib", 1024);
  if (extra) {
    json_error_t err;
    json_t *more = json_loads(extra, 0, &err);
    if (!more) {
      fprintf(stderr, "bad extra config: %s\n", err.text);
      abort();
    }
    json_object_update(cfg, more);
    json_decref(more);
  }
  if (json_dump_file(cfg, s->config, JSON_INDENT(2)) != 0)
    abort();
  json_decref(cfg);
}

/* Every server a test starts, so none outlives it whatever fails. */
#define TH_MAX_SERVERS 64
static pid_t spawned[TH_MAX_SERVERS];
static int nspawned;

static void kill_leftovers(void) {
  for (int i = 0; i < nspawned; i++)
    if (spawned[i] > 0 && kill(spawned[i], 0) == 0) {
      kill(spawned[i], SIGKILL);
      waitpid(spawned[i], NULL, 0);
    }
}

void th_server_spawn(th_server *s, const char *dbname, const char *extra,
                     const char *const *wrapper) {
  memset(s, 0, sizeof *s);
  snprintf(s->dir, sizeof s->dir, "/tmp/concerto-it-XXXXXX");
  if (!mkdtemp(s->dir))
    abort();
  snprintf(s->log, sizeof s->log, "%s/server.log", s->dir);
  snprintf(s->config, sizeof s->config, "%s/concerto.json", s->dir);
  s->port = free_port();
  write_config(s, dbname, extra);
  fflush(NULL);
  s->pid = fork();
  if (s->pid == 0) {
    int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    const char *argv[32];
    int n = 0;
    for (int i = 0; wrapper && wrapper[i] && n < 26; i++)
      argv[n++] = wrapper[i];
    argv[n++] = th_env("CONCERTO_BIN");
    argv[n++] = "--config";
    argv[n++] = s->config;
    argv[n] = NULL;
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  if (nspawned == 0)
    atexit(kill_leftovers);
  if (nspawned < TH_MAX_SERVERS)
    spawned[nspawned++] = s->pid;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Copies the server's log to stderr, so a failure shows its cause even
 * when the scratch folder is gone by the time someone reads it. */
static void dump_log(const th_server *s) {
  FILE *f = fopen(s->log, "r");
  char line[512];
  while (f && fgets(line, sizeof line, f))
    fprintf(stderr, "  | %s", line);
  if (f)
    fclose(f);
}

bool th_server_start(th_server *s, const char *dbname, const char *extra,
                     const char *const *wrapper, int timeout_s) {
  th_server_spawn(s, dbname, extra, wrapper);
  /* The free port was only free when we looked: another process of the
   * parallel suite may take it before the server binds. Then start again
   * on another port (a few times). */
  int port_retries = 3;
  for (int i = 0; i < timeout_s * 20; i++) {
    int status;
    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
      s->pid = 0;
      if (th_log_count(s, "cannot listen on") > 0 && port_retries-- > 0) {
        fprintf(stderr, "port %d was taken meanwhile: another one\n", s->port);
        th_server_spawn(s, dbname, extra, wrapper);
        continue;
      }
      fprintf(stderr, "server exited during start; log %s:\n", s->log);
      dump_log(s);
      return false;
    }
    th_resp r = th_get(s, "/healthz");
    long code = r.status;
    th_resp_free(&r);
    if (code == 200)
      return true;
    sleep_ms(50);
  }
  fprintf(stderr, "server did not answer within %d s; log %s\n", timeout_s,
          s->log);
  return false;
}

static int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

int th_server_wait(th_server *s, int timeout_s) {
  if (s->pid <= 0)
    return -1;
  for (int i = 0; i < timeout_s * 20; i++) {
    int status;
    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
      s->pid = 0;
      return decode_status(status);
    }
    sleep_ms(50);
  }
  kill(s->pid, SIGKILL);
  waitpid(s->pid, NULL, 0);
  s->pid = 0;
  return -1;
}

int th_server_stop(th_server *s, int timeout_s) {
  if (s->pid <= 0)
    return -1;
  kill(s->pid, SIGTERM);
  return th_server_wait(s, timeout_s);
}

int th_log_count(const th_server *s, const char *needle) {
  FILE *f = fopen(s->log, "r");
  if (!f)
    return 0;
  char line[8192];
  int n = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, needle))
      n++;
  fclose(f);
  return n;
}

int th_log_non_json(const th_server *s) {
  FILE *f = fopen(s->log, "r");
  if (!f)
    return 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int bad = 0;
  while ((n = getline(&line, &cap, f)) > 0) {
    json_error_t err;
    json_t *j = json_loadb(line, (size_t)n, 0, &err);
    if (!json_is_object(j)) {
      fprintf(stderr, "log line is not one JSON object (%s): %.300s\n",
              err.text, line);
      bad++;
    }
    json_decref(j);
  }
  free(line);
  fclose(f);
  return bad;
}

char *th_raw(const th_server *s, const void *request, size_t len,
             size_t *out_len) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)s->port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  size_t cap = 4096, got = 0;
  char *out = malloc(cap);
  if (!out || fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
    abort();
  /* The server may answer and close before it has read everything (a
   * request it refuses early): a failed send is not an error here. */
  for (size_t sent = 0; sent < len;) {
    ssize_t n =
        send(fd, (const char *)request + sent, len - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break;
    sent += (size_t)n;
  }
  for (;;) {
    if (got + 1024 > cap && !(out = realloc(out, cap *= 2)))
      abort();
    ssize_t n = recv(fd, out + got, cap - got - 1, 0);
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  close(fd);
  out[got] = '\0';
  if (out_len)
    *out_len = got;
  return out;
}

typedef struct buf {
  char *p;
  size_t len;
} buf;

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud) {
  buf *b = ud;
  size_t n = size * nmemb;
  char *grown = realloc(b->p, b->len + n + 1);
  if (!grown)
    return 0;
  b->p = grown;
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
  return n;
}

/* A source of request body bytes sent chunked (no Content-Length). */
typedef struct chunk_source {
  const unsigned char *data;
  size_t len, off;
} chunk_source;

static size_t on_read(char *out, size_t size, size_t nmemb, void *ud) {
  chunk_source *src = ud;
  size_t n = size * nmemb;
  if (n > 65536)
    n = 65536; /* several chunks even for small bodies */
  if (n > src->len - src->off)
    n = src->len - src->off;
  memcpy(out, src->data + src->off, n);
  src->off += n;
  return n;
}

/* One request; `body` of `body_len` bytes (NULL: none), sent with a
 * Content-Length or, when `chunked`, in chunks. */
static th_resp perform(const th_server *s, const char *method, const char *path,
                       const char *content_type, const void *body,
                       size_t body_len, bool chunked, const char *header) {
  th_resp r = {0};
  CURL *c = curl_easy_init();
  size_t urllen = strlen(path) + 64;
  char *url = malloc(urllen);
  snprintf(url, urllen, "http://127.0.0.1:%d%s", s->port, path);
  buf b = {calloc(1, 1), 0}, h = {calloc(1, 1), 0};
  struct curl_slist *hdrs = NULL;
  char ct[256];
  if (content_type) {
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    hdrs = curl_slist_append(hdrs, ct);
  }
  /* `header` may hold several lines separated by '\n'. */
  for (const char *line = header; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    char *one = strndup(line, n);
    hdrs = curl_slist_append(hdrs, one);
    free(one);
    line = end ? end + 1 : line + n;
  }
  hdrs = curl_slist_append(hdrs, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "HEAD") == 0)
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  chunk_source src = {body, body_len, 0};
  if (body && chunked) {
    hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
  } else if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, request_timeout_s);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
  free(url);
  r.body = b.p;
  r.len = b.len;
  r.headers = h.p;
  r.json = b.len ? json_loadb(b.p, b.len, 0, NULL) : NULL;
  return r;
}

th_resp th_request(const th_server *s, const char *method, const char *path,
                   const char *content_type, const char *body,
                   const char *header) {
  return perform(s, method, path, content_type, body, body ? strlen(body) : 0,
                 false, header);
}

char *th_header(const th_resp *r, const char *name) {
  size_t n = strlen(name);
  for (const char *line = r->headers; line && *line;) {
    const char *end = strstr(line, "\r\n");
    if (!end)
      break;
    if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
      const char *v = line + n + 1;
      while (*v == ' ')
        v++;
      return strndup(v, (size_t)(end - v));
    }
    line = end + 2;
  }
  return NULL;
}

void th_resp_free(th_resp *r) {
  free(r->body);
  free(r->headers);
  json_decref(r->json);
  memset(r, 0, sizeof *r);
}

const char *th_json_str(const th_resp *r, const char *key) {
  /* "a/0/b": object members and array indexes, one step per '/'. */
  const json_t *at = r->json;
  char step[128];
  while (at && *key) {
    size_t n = strcspn(key, "/");
    if (n >= sizeof step)
      return NULL;
    memcpy(step, key, n);
    step[n] = '\0';
    key += n + (key[n] == '/');
    if (json_is_array(at)) {
      char *end;
      long i = strtol(step, &end, 10);
      at = *end || i < 0 ? NULL : json_array_get(at, (size_t)i);
    } else {
      at = json_object_get(at, step);
    }
  }
  return json_string_value(at);
}

int th_pg_fixture(const char *action, const char *base) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "bash '%s/tests/integration/pg_fixture.sh' %s '%s'",
           th_env("CONCERTO_SOURCE_DIR"), action, base);
  return system(cmd);
}

/* The client's credential and hospital header lines ("" for NULL). */
static void client_headers(const th_client *c, char *headers, size_t cap) {
  size_t used = 0;
  headers[0] = '\0';
  if (c && c->cookie[0])
    used += (size_t)snprintf(headers + used, cap - used,
                             "Cookie: concerto_session=%s\n", c->cookie);
  if (c && c->csrf[0])
    used += (size_t)snprintf(headers + used, cap - used, "X-CSRF-Token: %s\n",
                             c->csrf);
  if (c && c->bearer[0])
    used += (size_t)snprintf(headers + used, cap - used,
                             "Authorization: Bearer %s\n", c->bearer);
  if (c && c->tenant[0])
    snprintf(headers + used, cap - used, "X-Concerto-Tenant: %s\n", c->tenant);
}

th_resp th_upload(const th_server *s, const th_client *c, const char *path,
                  const void *data, size_t len, bool chunked) {
  char headers[1024];
  client_headers(c, headers, sizeof headers);
  return perform(s, "POST", path, "application/octet-stream", data, len,
                 chunked, headers[0] ? headers : NULL);
}

th_resp th_call(const th_server *s, th_client *c, const char *method,
                const char *path, const char *json) {
  char headers[1024];
  client_headers(c, headers, sizeof headers);
  th_resp r = th_request(s, method, path, json ? "application/json" : NULL,
                         json, headers[0] ? headers : NULL);
  char *set = th_header(&r, "Set-Cookie");
  if (c && set && strncmp(set, "concerto_session=", 17) == 0) {
    size_t n = strcspn(set + 17, ";");
    if (n < sizeof c->cookie) {
      memcpy(c->cookie, set + 17, n);
      c->cookie[n] = '\0';
    }
  }
  free(set);
  const char *csrf = th_json_str(&r, "csrf_token");
  if (c && csrf && strlen(csrf) < sizeof c->csrf)
    strcpy(c->csrf, csrf);
  return r;
}

long th_login(const th_server *s, th_client *c, const char *username,
              const char *password, const char *tenant) {
  memset(c, 0, sizeof *c);
  json_t *body =
      json_pack("{s:s, s:s}", "username", username, "password", password);
  if (tenant)
    json_object_set_new(body, "tenant", json_string(tenant));
  char *text = json_dumps(body, 0);
  json_decref(body);
  th_resp r = th_call(s, c, "POST", "/api/v1/auth/login", text);
  free(text);
  long status = r.status;
  th_resp_free(&r);
  return status;
}

struct th_stream {
  pthread_t thread;
  char url[256], cookie[200], needle[100];
  int timeout_s;
  buf got;
};

static size_t on_stream(char *data, size_t size, size_t nmemb, void *ud) {
  th_stream *st = ud;
  size_t n = on_data(data, size, nmemb, &st->got);
  /* Returning less than given ends the transfer: done once seen. */
  return st->got.p && strstr(st->got.p, st->needle) ? 0 : n;
}

static void *stream_main(void *arg) {
  th_stream *st = arg;
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, st->url);
  curl_easy_setopt(c, CURLOPT_COOKIE, st->cookie);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, st);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)st->timeout_s);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_perform(c);
  curl_easy_cleanup(c);
  return NULL;
}

th_stream *th_stream_start(const th_server *s, const th_client *c,
                           const char *path, const char *needle,
                           int timeout_s) {
  th_stream *st = calloc(1, sizeof *st);
  snprintf(st->url, sizeof st->url, "http://127.0.0.1:%d%s", s->port, path);
  snprintf(st->cookie, sizeof st->cookie, "concerto_session=%s", c->cookie);
  snprintf(st->needle, sizeof st->needle, "%s", needle);
  st->timeout_s = timeout_s;
  st->got.p = calloc(1, 1);
  pthread_create(&st->thread, NULL, stream_main, st);
  return st;
}

char *th_stream_finish(th_stream *st) {
  pthread_join(st->thread, NULL);
  char *text = st->got.p;
  free(st);
  return text;
}

/* Reads the sink's stdout until its ready line (true) or its exit (false). */
static bool sink_ready(int fd, int timeout_ms) {
  char line[512];
  size_t used = 0;
  for (int waited = 0; waited < timeout_ms;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, 100);
    if (n == 0) {
      waited += 100;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    ssize_t got = read(fd, line + used, sizeof line - 1 - used);
    if (got <= 0)
      return false; /* the sink exited: port taken, or node missing */
    used += (size_t)got;
    line[used] = '\0';
    if (strstr(line, "SMTP sink on"))
      return true;
    if (used == sizeof line - 1)
      used = 0; /* unrelated chatter: keep looking */
  }
  return false;
}

th_smtp_sink th_smtp_sink_start(const char *mailbox) {
  char node_path[600], sink_js[600], port[16];
  snprintf(node_path, sizeof node_path, "%s/tests/browser/node_modules",
           th_env("CONCERTO_SOURCE_DIR"));
  snprintf(sink_js, sizeof sink_js, "%s/../shared/peers/smtp/smtp-sink.js",
           th_env("CONCERTO_SOURCE_DIR"));
  for (int attempt = 0; attempt < 20; attempt++) {
    th_smtp_sink s = {.port = free_port()};
    snprintf(port, sizeof port, "%d", s.port);
    int fds[2];
    if (pipe(fds) != 0)
      abort();
    fflush(NULL);
    s.pid = fork();
    if (s.pid == 0) {
      setenv("NODE_PATH", node_path, 1);
      dup2(fds[1], STDOUT_FILENO);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, STDERR_FILENO);
      close(fds[0]);
      execlp("node", "node", sink_js, port, mailbox, (char *)NULL);
      _exit(127);
    }
    close(fds[1]);
    s.out_fd = fds[0];
    if (sink_ready(s.out_fd, 30000))
      return s;
    th_smtp_sink_stop(&s);
  }
  fprintf(stderr, "harness: the SMTP sink did not start\n");
  abort();
}

void th_smtp_sink_stop(th_smtp_sink *sink) {
  if (sink->pid > 0) {
    kill(sink->pid, SIGTERM);
    waitpid(sink->pid, NULL, 0);
    sink->pid = -1;
  }
  if (sink->out_fd >= 0)
    close(sink->out_fd);
  sink->out_fd = -1;
}

void th_mixed_modules(char *dir, size_t dirlen, const char *real,
                      const char *tests) {
  const char *test_dir = th_env("CONCERTO_TEST_MODULES");
  char real_dir[600];
  snprintf(real_dir, sizeof real_dir, "%s", test_dir);
  char *slash = strrchr(real_dir, '/');
  if (!slash)
    abort();
  snprintf(slash + 1, sizeof real_dir - (size_t)(slash + 1 - real_dir),
           "modules");
  static int serial;
  snprintf(dir, dirlen, "/tmp/concerto-mods-%d-%d", (int)getpid(), serial++);
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "rm -rf '%s' && mkdir -p '%s' && for m in %s; do ln -s "
           "\"%s/$m.so\" \"%s/$m\" '%s/' || exit 1; done && for m in %s; do "
           "ln -s \"%s/$m.so\" \"%s/$m\" '%s/' || exit 1; done",
           dir, dir, real, real_dir, real_dir, dir, tests, test_dir, test_dir,
           dir);
  if (system(cmd) != 0)
    abort();
}

void th_mixed_modules_remove(const char *dir) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "harness: cannot remove %s\n", dir);
}
