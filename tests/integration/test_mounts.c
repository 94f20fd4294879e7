/* Compatibility mounts (plugin ABI 1.10) through the test module "mount":
 * fixed paths outside /api/v1/<module>/ that standards dictate, a clash
 * refused at start, the module authenticating its own callers and binding
 * them to a hospital as clients (audited as such, only where the module is
 * enabled), and API-token-only routes that ignore sessions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define DB "it_mounts"
#define ADMIN_PASSWORD "Regione-Sicilia-2026"

static th_server srv;
static th_client admin;
static char api_token[128];

static long sql_long(const char *sql) {
  char *v = th_sql(DB, sql);
  long n = v ? atol(v) : -1;
  free(v);
  return n;
}

static long call(th_client *c, const char *method, const char *path,
                 const char *json) {
  th_resp r = th_call(&srv, c, method, path, json);
  long s = r.status;
  if (s >= 400)
    fprintf(stderr, "%s %s -> %ld %s\n", method, path, s, r.body);
  th_resp_free(&r);
  return s;
}

static int start(void **state) {
  (void)state;
  char url[512];
  th_db_create(DB, url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok = th_server_start(
      &srv, DB, "{\"modules\":[\"mount\",\"mount_clash\"]}", NULL, 30);
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  if (!ok || th_login(&srv, &admin, "admin", ADMIN_PASSWORD, NULL) != 200)
    return -1;
  if (call(&admin, "POST", "/api/v1/tenants",
           "{\"code\":\"H1\",\"name\":\"AO Uno\",\"kind\":\"AO\"}") != 201 ||
      call(&admin, "POST", "/api/v1/tenants",
           "{\"code\":\"H2\",\"name\":\"AO Due\",\"kind\":\"AO\"}") != 201 ||
      call(&admin, "PUT", "/api/v1/tenants/H1/modules/mount",
           "{\"enabled\":true}") != 200)
    return -1;
  /* The module's own credentials: sha256("tok-h1"), sha256("tok-h2"). */
  free(th_sql(DB, "INSERT INTO mount.clients SELECT encode(sha256('tok-' || "
                  "lower(code)::bytea), 'hex'), id, 'Sistema TS ' || code "
                  "FROM concerto.tenants WHERE code IN ('H1', 'H2')"));
  th_resp r = th_call(&srv, &admin, "POST", "/api/v1/tenants/H1/api-tokens",
                      "{\"name\":\"registro\",\"role\":\"hospital_it\"}");
  if (r.status != 201)
    return -1;
  snprintf(api_token, sizeof api_token, "%s", th_json_str(&r, "token"));
  th_resp_free(&r);
  return 0;
}

static int stop(void **state) {
  (void)state;
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static void fixed_paths_and_clashes(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/TokenIssueService/status");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "module"), "mount");
  th_resp_free(&r);
  /* The second module mounting the same path is refused, not the server. */
  r = th_get(&srv, "/readyz");
  const char *reason = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(r.json, "modules"), i, m) {
    if (strcmp(json_string_value(json_object_get(m, "name")), "mount_clash") ==
        0)
      reason = json_string_value(json_object_get(m, "reason"));
  }
  assert_non_null(reason);
  assert_non_null(strstr(reason, "mount GET /TokenIssueService/status is "
                                 "already registered (by module mount)"));
  th_resp_free(&r);
  /* The OpenAPI document says what the mounts are. */
  r = th_get(&srv, "/api/v1/openapi.json");
  json_t *op = json_object_get(json_object_get(json_object_get(r.json, "paths"),
                                               "/PrivacyManagement/consents"),
                               "post");
  assert_non_null(op);
  assert_true(json_is_true(json_object_get(op, "x-mount")));
  assert_string_equal(
      json_string_value(json_object_get(op, "x-authentication")), "module");
  th_resp_free(&r);
  /* Metrics count mounts like any route. */
  r = th_get(&srv, "/metrics");
  assert_non_null(strstr(r.body, "route=\"/TokenIssueService/status\""));
  th_resp_free(&r);
}

static th_resp post_consent(const char *token) {
  char header[160];
  snprintf(header, sizeof header, "Authorization: Bearer %s", token);
  th_resp r = {0};
  /* Enablement travels by NOTIFY: the first call may come early. */
  for (int i = 0; i < 50; i++) {
    r = th_request(&srv, "POST", "/PrivacyManagement/consents",
                   "application/json", "{\"subject\":\"RSSMRA80A01H501U\"}",
                   header);
    if (r.status != 404 || strcmp(token, "tok-h2") == 0)
      return r;
    th_resp_free(&r);
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return r;
}

static void module_authenticated_clients(void **state) {
  (void)state;
  th_resp r = th_request(&srv, "POST", "/PrivacyManagement/consents",
                         "application/json", "{}", NULL);
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  r = post_consent("tok-unknown");
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  r = post_consent("tok-h1");
  assert_int_equal(r.status, 201);
  assert_string_equal(th_json_str(&r, "client"), "Sistema TS H1");
  assert_true(json_is_true(json_object_get(r.json, "helpdesk")));
  th_resp_free(&r);
  /* Audited as a client of H1, in H1's chain. */
  assert_int_equal(
      sql_long("SELECT count(*) FROM concerto.audit_log a JOIN "
               "concerto.tenants t ON t.id = a.tenant_id WHERE a.action = "
               "'mount.consent.create' AND a.actor_kind = 'client' AND "
               "a.actor_name = 'Sistema TS H1' AND t.code = 'H1'"),
      1);
  /* H2 does not run the module: its client gets nothing done. */
  r = post_consent("tok-h2");
  assert_int_equal(r.status, 404);
  assert_string_equal(th_json_str(&r, "code"), "module_not_enabled");
  th_resp_free(&r);
  assert_int_equal(sql_long("SELECT count(*) FROM mount.consents"), 1);
  /* A client's context sees its hospital's rows but none of its
   * credentials, whatever SQL runs; staff of the hospital do. */
  char *staff = th_sql_as(DB, "staff", "H1", NULL,
                          "SELECT count(*) FROM concerto.api_tokens", NULL);
  char *client = th_sql_as(DB, "client", "H1", NULL,
                           "SELECT count(*) FROM concerto.api_tokens", NULL);
  assert_string_equal(staff, "1");
  assert_string_equal(client, "0");
  free(staff);
  free(client);
  /* And SQL of the application role cannot make itself a client. */
  char sqlstate[6] = "";
  free(th_sql_role(DB, "concerto_app",
                   "SELECT concerto.context_client((SELECT id FROM "
                   "concerto.tenants WHERE code = 'H1'))",
                   sqlstate));
  assert_string_equal(sqlstate, "42501");
}

static void api_token_only_routes(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/fhir/metadata");
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  /* A session is not enough: this route is for systems. */
  r = th_call(&srv, &admin, "GET", "/fhir/metadata", NULL);
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  char header[200];
  snprintf(header, sizeof header, "Authorization: Bearer %s", api_token);
  for (int i = 0; i < 50; i++) {
    r = th_request(&srv, "GET", "/fhir/metadata", NULL, NULL, header);
    if (r.status != 404)
      break;
    th_resp_free(&r);
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
  }
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "hospital"), "H1");
  th_resp_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fixed_paths_and_clashes),
      cmocka_unit_test(module_authenticated_clients),
      cmocka_unit_test(api_token_only_routes),
  };
  return cmocka_run_group_tests_name("mounts", tests, start, stop);
}
