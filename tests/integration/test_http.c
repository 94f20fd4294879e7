/* The HTTP contract of the core, against the real server and PostgreSQL:
 * health, problems, methods, limits, JSON, static files, metrics, OpenAPI,
 * headers - through the "echo" test module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "concerto/abi.h"
#include "harness.h"

static th_server srv;

static int start(void **state) {
  (void)state;
  char url[512];
  th_db_create("it_http", url, sizeof url);
  return th_server_start(&srv, "it_http",
                         "{\"web_dir\":\"" CONCERTO_SOURCE_DIR_LITERAL
                         "/core/web\","
                         "\"modules\":[\"echo\"],"
                         "\"module_settings\":{\"echo\":{\"greeting\":"
                         "\"buongiorno\",\"max_items\":7}}}",
                         NULL, 30)
             ? 0
             : -1;
}

static int stop(void **state) {
  (void)state;
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static void assert_problem(th_resp *r, long status, const char *code) {
  assert_int_equal(r->status, status);
  char *ct = th_header(r, "Content-Type");
  assert_non_null(ct);
  assert_non_null(strstr(ct, "application/problem+json"));
  free(ct);
  assert_non_null(r->json);
  assert_string_equal(th_json_str(r, "code"), code);
  assert_int_equal(json_integer_value(json_object_get(r->json, "status")),
                   status);
  assert_non_null(th_json_str(r, "title"));
  assert_non_null(th_json_str(r, "type"));
}

static void health_and_readiness(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/healthz");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "status"), "ok");
  th_resp_free(&r);
  r = th_get(&srv, "/readyz");
  assert_int_equal(r.status, 200);
  json_t *checks = json_object_get(r.json, "checks");
  assert_string_equal(json_string_value(json_object_get(checks, "database")),
                      "ok");
  assert_string_equal(json_string_value(json_object_get(checks, "migrations")),
                      "ok");
  th_resp_free(&r);
}

static void unknown_route_and_wrong_method(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/api/v1/nothing/here");
  assert_problem(&r, 404, "not_found");
  th_resp_free(&r);
  r = th_request(&srv, "DELETE", "/healthz", NULL, NULL, NULL);
  assert_problem(&r, 405, "method_not_allowed");
  char *allow = th_header(&r, "Allow");
  assert_non_null(allow);
  assert_non_null(strstr(allow, "GET"));
  assert_null(strstr(allow, "DELETE"));
  free(allow);
  th_resp_free(&r);
}

static void head_and_options(void **state) {
  (void)state;
  th_resp r = th_request(&srv, "HEAD", "/healthz", NULL, NULL, NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, 0);
  th_resp_free(&r);
  r = th_request(&srv, "OPTIONS", "/api/v1/echo/items", NULL, NULL, NULL);
  assert_int_equal(r.status, 204);
  char *allow = th_header(&r, "Allow");
  assert_non_null(strstr(allow, "GET"));
  assert_non_null(strstr(allow, "POST"));
  free(allow);
  th_resp_free(&r);
}

static void params_query_headers_and_request_id(void **state) {
  (void)state;
  th_resp r = th_request(
      &srv, "GET", "/api/v1/echo/params/RSSMRA80A01H501U/x%20y?q=caf%C3%A8",
      NULL, NULL, "X-Test: hello");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "a"), "RSSMRA80A01H501U");
  assert_string_equal(th_json_str(&r, "b"), "x y");
  assert_string_equal(th_json_str(&r, "joined"), "RSSMRA80A01H501U+x y");
  assert_string_equal(th_json_str(&r, "q"), "caf\xc3\xa8");
  assert_string_equal(th_json_str(&r, "x_test"), "hello");
  char *rid = th_header(&r, "X-Request-Id");
  assert_non_null(rid);
  assert_string_equal(rid, th_json_str(&r, "request_id"));
  free(rid);
  th_resp_free(&r);
  /* A caller's request id is kept when it is safe, replaced otherwise. */
  r = th_request(&srv, "GET", "/healthz", NULL, NULL,
                 "X-Request-Id: trace-123");
  rid = th_header(&r, "X-Request-Id");
  assert_string_equal(rid, "trace-123");
  free(rid);
  th_resp_free(&r);
  r = th_request(&srv, "GET", "/healthz", NULL, NULL, "X-Request-Id: bad\"id");
  rid = th_header(&r, "X-Request-Id");
  assert_string_not_equal(rid, "bad\"id");
  free(rid);
  th_resp_free(&r);
  /* The log names the route template, never the raw path with its data. */
  assert_int_equal(th_log_count(&srv, "RSSMRA80A01H501U"), 0);
  assert_true(th_log_count(&srv, "/api/v1/echo/params/{a}/{b}") >= 1);
}

static void json_bodies(void **state) {
  (void)state;
  th_resp r = th_request(&srv, "POST", "/api/v1/echo/json", "application/json",
                         "{\"nome\":\"Maria\",\"eta\":42}", NULL);
  assert_int_equal(r.status, 200);
  json_t *got = json_object_get(r.json, "received");
  assert_string_equal(json_string_value(json_object_get(got, "nome")), "Maria");
  th_resp_free(&r);

  r = th_request(&srv, "POST", "/api/v1/echo/json", "application/json",
                 "{\"nome\": \"Maria\",", NULL);
  assert_problem(&r, 400, "malformed_json");
  assert_non_null(strstr(th_json_str(&r, "detail"), "line 1"));
  th_resp_free(&r);

  r = th_request(&srv, "POST", "/api/v1/echo/json", "application/json",
                 "{\"a\":1,\"a\":2}", NULL);
  assert_problem(&r, 400, "malformed_json");
  assert_non_null(strstr(th_json_str(&r, "detail"), "duplicate"));
  th_resp_free(&r);

  r = th_request(&srv, "POST", "/api/v1/echo/json", "text/plain", "{}", NULL);
  assert_problem(&r, 415, "unsupported_media_type");
  th_resp_free(&r);

  r = th_request(&srv, "POST", "/api/v1/echo/json", "application/json",
                 "\"\xff\xfe\"", NULL);
  assert_problem(&r, 400, "malformed_json");
  th_resp_free(&r);
}

static void body_over_limit(void **state) {
  (void)state;
  size_t n = 70000; /* the test config allows 65536 */
  char *big = malloc(n + 1);
  memset(big, 'a', n);
  big[0] = '"';
  big[n - 1] = '"';
  big[n] = '\0';
  th_resp r = th_request(&srv, "POST", "/api/v1/echo/json", "application/json",
                         big, NULL);
  assert_problem(&r, 413, "body_too_large");
  assert_non_null(strstr(th_json_str(&r, "detail"), "65536"));
  th_resp_free(&r);
  /* Chunked: no Content-Length up front, the limit still holds. */
  r = th_request(&srv, "POST", "/api/v1/echo/json", "application/json", big,
                 "Transfer-Encoding: chunked");
  assert_problem(&r, 413, "body_too_large");
  th_resp_free(&r);
  free(big);
  /* The server is still fine afterwards. */
  r = th_get(&srv, "/healthz");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
}

/* The test configuration keeps the default limit, 16 KiB for the request
 * line and headers; libmicrohttpd has twice that as connection memory. */
#define HEAD_LIMIT 16384

static void oversized_headers_and_url(void **state) {
  (void)state;
  /* Over the limit, within what libmicrohttpd can hold: Concerto answers. */
  char *big = malloc(40000 + 16);
  strcpy(big, "X-Big: ");
  memset(big + 7, 'a', 20000);
  big[20007] = '\0';
  th_resp r = th_request(&srv, "GET", "/healthz", NULL, NULL, big);
  assert_problem(&r, 431, "headers_too_large");
  assert_non_null(strstr(th_json_str(&r, "detail"), "16384"));
  th_resp_free(&r);
  char *url = malloc(40000 + 16);
  strcpy(url, "/healthz?x=");
  memset(url + 11, 'a', 20000);
  url[20011] = '\0';
  r = th_get(&srv, url);
  assert_problem(&r, 414, "uri_too_long");
  th_resp_free(&r);
  /* Just under the limit still passes. */
  url[HEAD_LIMIT - 400] = '\0';
  r = th_get(&srv, url);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  /* Beyond libmicrohttpd's memory it answers itself, with its own HTML
   * (docs/architecture.md, "Limits and hostile input"). */
  memset(big + 7, 'a', 40000);
  big[40007] = '\0';
  r = th_request(&srv, "GET", "/healthz", NULL, NULL, big);
  assert_int_equal(r.status, 431);
  th_resp_free(&r);
  memset(url + 11, 'a', 40000);
  url[40011] = '\0';
  r = th_get(&srv, url);
  assert_int_equal(r.status, 414);
  th_resp_free(&r);
  free(big);
  free(url);
  r = th_get(&srv, "/healthz");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
}

/* Secrets a client sends never reach the log, whatever the answer. */
static void secrets_stay_out_of_the_log(void **state) {
  (void)state;
  th_resp r = th_request(&srv, "POST", "/api/v1/auth/login", "application/json",
                         "{\"username\":\"nessuno\","
                         "\"password\":\"Segreto-Nel-Corpo-7\"}",
                         NULL);
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  r = th_request(&srv, "GET", "/api/v1/echo/guarded", NULL, NULL,
                 "Cookie: concerto_session=BiscottoSegreto0123456789\n"
                 "Authorization: Bearer GettoneSegreto0123456789");
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  assert_true(th_log_count(&srv, "/api/v1/auth/login") >= 1);
  assert_int_equal(th_log_count(&srv, "Segreto-Nel-Corpo-7"), 0);
  assert_int_equal(th_log_count(&srv, "BiscottoSegreto"), 0);
  assert_int_equal(th_log_count(&srv, "GettoneSegreto"), 0);
}

/* The status and Content-Type of a raw answer. */
static long raw_status(const char *answer) {
  long status = 0;
  sscanf(answer, "HTTP/1.%*d %ld", &status);
  return status;
}

static bool raw_is_problem(const char *answer) {
  const char *end = strstr(answer, "\r\n\r\n");
  const char *ct =
      strcasestr(answer, "\r\nContent-Type: application/problem+json");
  return end && ct && ct < end;
}

/* Sends one raw request; returns its status, and whether the answer was a
 * problem+json in *problem (may be NULL). */
static long send_raw(const char *head_start, size_t pad, const char *head_end,
                     bool *problem) {
  size_t a = strlen(head_start), b = strlen(head_end);
  char *req = malloc(a + pad + b + 1);
  memcpy(req, head_start, a);
  memset(req + a, 'p', pad);
  memcpy(req + a + pad, head_end, b + 1);
  size_t n;
  char *answer = th_raw(&srv, req, a + pad + b, &n);
  long status = raw_status(answer);
  if (problem)
    *problem = raw_is_problem(answer);
  free(answer);
  free(req);
  return status;
}

/* A GET of /healthz with `count` headers of `size` bytes each (name,
 * value and CRLF; size at least 5). */
static long send_headers(int count, size_t size, bool *problem) {
  char *req = malloc((size_t)count * size + 128);
  size_t n = (size_t)sprintf(req, "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                  "Connection: close\r\n");
  for (int i = 0; i < count; i++) {
    if (size >= 12)
      n += (size_t)sprintf(req + n, "X-H%05d: ", i);
    else
      n += (size_t)sprintf(req + n, "a:");
    size_t pad = size - (size >= 12 ? 10 : 2) - 2;
    memset(req + n, 'v', pad);
    n += pad;
    memcpy(req + n, "\r\n", 2);
    n += 2;
  }
  memcpy(req + n, "\r\n", 3);
  long status = send_raw(req, 0, "", problem);
  free(req);
  return status;
}

/* Issue 9: a client must not be able to break the log. Methods of any
 * length and bytes, over-long URLs naming a patient, oversized headers:
 * every line of the log stays one JSON object, values stay bounded, and
 * the codice fiscale in the path never reaches it. */
static void hostile_requests_keep_the_log_json(void **state) {
  (void)state;
  bool problem;
  /* A 2000-byte method: libmicrohttpd accepts any token. */
  assert_int_equal(send_raw("", 2000,
                            " /healthz HTTP/1.1\r\nHost: x\r\n"
                            "Connection: close\r\n\r\n",
                            &problem),
                   405);
  assert_true(problem);
  assert_int_equal(th_log_count(&srv, "pp...[truncated]\",\"route\":\"-\","
                                      "\"status\":405"),
                   1);
  /* Invalid UTF-8 and a control character in the method. */
  assert_int_equal(send_raw("G\xffT /healthz HTTP/1.1\r\nHost: x\r\n"
                            "Connection: close\r\n\r\n",
                            0, "", NULL),
                   405);
  assert_int_equal(th_log_count(&srv, "\"method\":\"G\\ufffdT\""), 1);
  assert_int_equal(send_raw("G\x01T /healthz HTTP/1.1\r\nHost: x\r\n"
                            "Connection: close\r\n\r\n",
                            0, "", NULL),
                   405);
  assert_int_equal(th_log_count(&srv, "\"method\":\"G\\u0001T\""), 1);
  /* An over-long URL naming a patient: Concerto's own 414 within
   * libmicrohttpd's memory, libmicrohttpd's beyond it. */
  const char *cf_path = "GET /api/v1/echo/params/RSSMRA80A01H501U/x?pad=";
  const char *tail = " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  assert_int_equal(send_raw(cf_path, 20000, tail, &problem), 414);
  assert_true(problem);
  assert_int_equal(send_raw(cf_path, 40000, tail, &problem), 414);
  assert_false(problem);
  /* Oversized headers, one of them naming the patient. */
  const char *cf_header = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                          "Connection: close\r\n"
                          "X-Patient: RSSMRA80A01H501U\r\nX-Big: ";
  assert_int_equal(send_raw(cf_header, 20000, "\r\n\r\n", &problem), 431);
  assert_true(problem);
  assert_int_equal(send_raw(cf_header, 40000, "\r\n\r\n", &problem), 431);
  assert_false(problem);
  /* libmicrohttpd keeps about 60 bytes of its own per header in the same
   * memory: 18 000 bytes in headers of 100 bytes reach Concerto's check,
   * in headers of 60 bytes they fill that memory first, and 600 headers
   * "a:b" (3 000 bytes) do so far below the limit. */
  assert_int_equal(send_headers(180, 100, &problem), 431);
  assert_true(problem);
  assert_int_equal(send_headers(300, 60, &problem), 431);
  assert_false(problem);
  assert_int_equal(send_headers(600, 5, &problem), 431);
  assert_false(problem);
  /* The request line is measured after percent-decoding: 18 000 bytes of
   * %41 are 6 000 and pass. */
  char *pct = malloc(6000 * 3 + 64);
  strcpy(pct, "GET /healthz?x=");
  for (int i = 0; i < 6000; i++)
    memcpy(pct + 15 + 3 * i, "%41", 4);
  assert_int_equal(send_raw(pct, 0, tail, NULL), 200);
  free(pct);
  /* Requests libmicrohttpd refuses itself, logged through the sanitiser. */
  assert_int_equal(send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n"
                            "NoColon-RSSMRA80A01H501U\r\n\r\n",
                            0, "", NULL),
                   400);
  assert_int_equal(send_raw("POST /healthz HTTP/1.1\r\nHost: x\r\n"
                            "Content-Length: RSSMRA80A01H501U\r\n\r\n",
                            0, "", NULL),
                   400);
  assert_int_equal(send_raw("GET /api/v1/echo/params/RSSMRA80A01H501U/x "
                            "HTTP/1\r\nHost: x\r\n\r\n",
                            0, "", NULL),
                   400);
  assert_int_equal(send_raw("GET /api/v1/echo/params/RSSMRA80A01H501U/x "
                            "HTTP/9.9\r\nHost: x\r\n\r\n",
                            0, "", NULL),
                   505);
  /* A request line without spaces: closed without an answer. */
  assert_int_equal(send_raw("GARBAGE\r\n\r\n", 0, "", NULL), 0);
  /* Within about 1 KiB of filling libmicrohttpd's memory (32 KiB) there is
   * no room left for any answer's headers: the connection is closed. */
  assert_int_equal(
      send_raw(cf_header, 32400 - strlen(cf_header), "\r\n\r\n", NULL), 0);
  /* The server still serves, and its log holds. */
  th_resp r = th_get(&srv, "/healthz");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  assert_int_equal(th_log_non_json(&srv), 0);
  assert_int_equal(th_log_count(&srv, "RSSMRA80A01H501U"), 0);
  assert_true(th_log_count(&srv, "\"status\":414") >= 1);
  assert_true(th_log_count(&srv, "\"status\":431") >= 1);
  assert_true(th_log_count(&srv, "response code is 505 ('[redacted]')") >= 1);
}

static void static_assets_and_traversal(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/modules/echo/hello.txt");
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ciao dal modulo echo\n");
  char *ct = th_header(&r, "Content-Type");
  assert_string_equal(ct, "text/plain; charset=utf-8");
  free(ct);
  th_resp_free(&r);
  r = th_get(&srv, "/modules/echo/app.js");
  ct = th_header(&r, "Content-Type");
  assert_string_equal(ct, "text/javascript; charset=utf-8");
  free(ct);
  th_resp_free(&r);
  const char *attacks[] = {"/modules/echo/../../../../etc/passwd",
                           "/modules/echo/..%2F..%2Fetc%2Fpasswd",
                           "/modules/echo/%2e%2e/%2e%2e/etc/passwd",
                           "/modules/echo/.hidden",
                           "/modules/echo//etc/passwd",
                           "/static/../sql/0001_core_settings.sql",
                           "/modules/echo/missing.txt"};
  for (size_t i = 0; i < sizeof attacks / sizeof *attacks; i++) {
    r = th_get(&srv, attacks[i]);
    if (r.status != 404)
      fprintf(stderr, "attack %s got %ld\n", attacks[i], r.status);
    assert_int_equal(r.status, 404);
    assert_null(strstr(r.body, "root:"));
    th_resp_free(&r);
  }
  r = th_get(&srv, "/");
  assert_int_equal(r.status, 200);
  ct = th_header(&r, "Content-Type");
  assert_string_equal(ct, "text/html; charset=utf-8");
  free(ct);
  th_resp_free(&r);
}

static void security_headers(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/");
  char *csp = th_header(&r, "Content-Security-Policy");
  assert_non_null(csp);
  assert_non_null(strstr(csp, "frame-ancestors 'none'"));
  assert_null(strstr(csp, "unsafe-inline"));
  free(csp);
  char *nosniff = th_header(&r, "X-Content-Type-Options");
  assert_string_equal(nosniff, "nosniff");
  free(nosniff);
  char *ref = th_header(&r, "Referrer-Policy");
  assert_non_null(ref);
  free(ref);
  th_resp_free(&r);
}

static void module_config_and_arena(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/api/v1/echo/config");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "greeting"), "buongiorno");
  assert_int_equal(json_integer_value(json_object_get(r.json, "max_items")), 7);
  assert_false(json_is_true(json_object_get(r.json, "verbose")));
  th_resp_free(&r);
  r = th_get(&srv, "/api/v1/echo/arena");
  assert_int_equal(r.status, 200);
  char *bytes = th_header(&r, "X-Arena-Bytes");
  assert_string_equal(bytes, "599500");
  free(bytes);
  th_resp_free(&r);
}

static void handler_bugs_and_protected_routes(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/api/v1/echo/broken");
  assert_problem(&r, 500, "internal_error");
  th_resp_free(&r);
  r = th_get(&srv, "/api/v1/echo/guarded");
  assert_problem(&r, 401, "unauthenticated");
  th_resp_free(&r);
}

static void modules_openapi_metrics(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/api/v1/modules");
  assert_int_equal(r.status, 401); /* staff only; /readyz lists them too */
  th_resp_free(&r);
  r = th_get(&srv, "/readyz");
  assert_int_equal(r.status, 200);
  json_t *mods = json_object_get(r.json, "modules");
  assert_int_equal(json_array_size(mods), 1);
  json_t *echo = json_array_get(mods, 0);
  assert_string_equal(json_string_value(json_object_get(echo, "name")), "echo");
  assert_string_equal(json_string_value(json_object_get(echo, "state")),
                      "started");
  char abi[16];
  snprintf(abi, sizeof abi, "%d.%d", CONCERTO_ABI_MAJOR, CONCERTO_ABI_MINOR);
  assert_string_equal(json_string_value(json_object_get(echo, "abi")), abi);
  th_resp_free(&r);

  r = th_get(&srv, "/api/v1/openapi.json");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "openapi"), "3.0.3");
  json_t *paths = json_object_get(r.json, "paths");
  json_t *p = json_object_get(paths, "/api/v1/echo/params/{a}/{b}");
  assert_non_null(json_object_get(p, "get"));
  assert_int_equal(
      json_array_size(json_object_get(json_object_get(p, "get"), "parameters")),
      2);
  assert_non_null(json_object_get(paths, "/healthz"));
  th_resp_free(&r);

  r = th_get(&srv, "/metrics");
  assert_int_equal(r.status, 200);
  char *ct = th_header(&r, "Content-Type");
  assert_non_null(strstr(ct, "text/plain; version=0.0.4"));
  free(ct);
  assert_non_null(strstr(r.body, "concerto_http_requests_total{method=\"GET\","
                                 "route=\"/healthz\",status=\"200\"}"));
  assert_non_null(strstr(r.body,
                         "concerto_http_request_duration_seconds_bucket{method="
                         "\"GET\",route=\"/healthz\",le=\"+Inf\"}"));
  assert_non_null(strstr(r.body, "concerto_db_pool_connections 4"));
  assert_non_null(strstr(r.body, "status=\"404\""));
  th_resp_free(&r);
}

/* ABI 1.10 handler helpers (echo): errors[] on a module's problem, a row
 * as typed JSON, module problem codes listed and an undeclared one
 * warned about once. */
static void problems_with_fields_rows_as_json(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/api/v1/echo/fields");
  assert_int_equal(r.status, 422);
  assert_string_equal(th_json_str(&r, "code"), "validation_failed");
  json_t *errors = json_object_get(r.json, "errors");
  assert_int_equal(json_array_size(errors), 2);
  json_t *first = json_array_get(errors, 0);
  assert_string_equal(json_string_value(json_object_get(first, "field")),
                      "/patient/fiscal_code");
  assert_string_equal(json_string_value(json_object_get(first, "code")),
                      "format");
  assert_null(json_object_get(json_array_get(errors, 1), "code"));
  th_resp_free(&r);

  r = th_get(&srv, "/api/v1/echo/row");
  assert_int_equal(r.status, 200);
  assert_true(json_is_integer(json_object_get(r.json, "i")));
  assert_int_equal(json_integer_value(json_object_get(r.json, "i")), 42);
  /* Beyond 2^53, still exact: jansson keeps 64-bit integers. */
  assert_true(json_integer_value(json_object_get(r.json, "big")) ==
              9007199254740993LL);
  assert_true(json_is_real(json_object_get(r.json, "n")));
  assert_true(json_is_true(json_object_get(r.json, "b")));
  assert_int_equal(
      json_array_size(json_object_get(json_object_get(r.json, "j"), "a")), 2);
  assert_true(json_is_null(json_object_get(r.json, "z")));
  assert_string_equal(json_string_value(json_object_get(r.json, "t")), "testo");
  assert_string_equal(json_string_value(json_object_get(r.json, "nan")), "NaN");
  assert_true(json_is_string(json_object_get(r.json, "ts")));
  th_resp_free(&r);

  r = th_get(&srv, "/api/v1/problems");
  assert_int_equal(r.status, 200);
  bool core = false, echo = false;
  size_t i;
  json_t *p;
  json_array_foreach(r.json, i, p) {
    const char *code = json_string_value(json_object_get(p, "code"));
    const char *owner = json_string_value(json_object_get(p, "owner"));
    if (strcmp(code, "not_found") == 0)
      core = strcmp(owner, "core") == 0;
    if (strcmp(code, "echo_refused") == 0)
      echo = strcmp(owner, "echo") == 0 &&
             json_integer_value(json_object_get(p, "status")) == 409;
  }
  assert_true(core);
  assert_true(echo);
  th_resp_free(&r);

  r = th_get(&srv, "/api/v1/echo/refused");
  assert_int_equal(r.status, 409);
  assert_string_equal(th_json_str(&r, "code"), "echo_refused");
  th_resp_free(&r);
  assert_int_equal(th_log_count(&srv, "problem code echo_refused"), 0);
  for (int n = 0; n < 3; n++) {
    r = th_get(&srv, "/api/v1/echo/refused?code=undeclared");
    assert_int_equal(r.status, 409);
    th_resp_free(&r);
  }
  assert_int_equal(
      th_log_count(&srv, "problem code echo_undeclared is not declared"), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(health_and_readiness),
      cmocka_unit_test(unknown_route_and_wrong_method),
      cmocka_unit_test(head_and_options),
      cmocka_unit_test(params_query_headers_and_request_id),
      cmocka_unit_test(json_bodies),
      cmocka_unit_test(body_over_limit),
      cmocka_unit_test(oversized_headers_and_url),
      cmocka_unit_test(hostile_requests_keep_the_log_json),
      cmocka_unit_test(secrets_stay_out_of_the_log),
      cmocka_unit_test(static_assets_and_traversal),
      cmocka_unit_test(security_headers),
      cmocka_unit_test(module_config_and_arena),
      cmocka_unit_test(handler_bugs_and_protected_routes),
      cmocka_unit_test(modules_openapi_metrics),
      cmocka_unit_test(problems_with_fields_rows_as_json),
  };
  return cmocka_run_group_tests_name("http", tests, start, stop);
}
