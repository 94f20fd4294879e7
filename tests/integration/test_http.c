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

static void oversized_headers_and_url(void **state) {
  (void)state;
  char *big = malloc(40000 + 16);
  strcpy(big, "X-Big: ");
  memset(big + 7, 'a', 40000);
  big[40007] = '\0';
  th_resp r = th_request(&srv, "GET", "/healthz", NULL, NULL, big);
  assert_int_equal(r.status, 431);
  th_resp_free(&r);
  char *url = malloc(40000 + 16);
  strcpy(url, "/healthz?x=");
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(health_and_readiness),
      cmocka_unit_test(unknown_route_and_wrong_method),
      cmocka_unit_test(head_and_options),
      cmocka_unit_test(params_query_headers_and_request_id),
      cmocka_unit_test(json_bodies),
      cmocka_unit_test(body_over_limit),
      cmocka_unit_test(oversized_headers_and_url),
      cmocka_unit_test(static_assets_and_traversal),
      cmocka_unit_test(security_headers),
      cmocka_unit_test(module_config_and_arena),
      cmocka_unit_test(handler_bugs_and_protected_routes),
      cmocka_unit_test(modules_openapi_metrics),
  };
  return cmocka_run_group_tests_name("http", tests, start, stop);
}
