/* Services between modules (plugin ABI 1.10), through the test modules
 * notebook (offers the service of concerto/notebook_v1.h), ledger (needs
 * it) and jotter (uses it when present): the service runs in the caller's
 * transaction and identity but as the provider (its schema, its event), a
 * provider disabled for the hospital answers module_not_enabled, and an
 * optional provider may be missing. */
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

#define DB "it_services"
#define ADMIN_PASSWORD "Regione-Sicilia-2026"
#define USER_PASSWORD "Servizi-Moduli-2026"

static th_server srv;
static th_client admin, nurse_h1, nurse_h2;

static long call(th_client *c, const char *method, const char *path,
                 const char *json) {
  th_resp r = th_call(&srv, c, method, path, json);
  long s = r.status;
  if (s >= 400)
    fprintf(stderr, "%s %s -> %ld %s\n", method, path, s, r.body);
  th_resp_free(&r);
  return s;
}

static long sql_long(const char *sql) {
  char *v = th_sql(DB, sql);
  long n = v ? atol(v) : -1;
  free(v);
  return n;
}

static int start(void **state) {
  (void)state;
  char url[512];
  th_db_create(DB, url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok = th_server_start(
      &srv, DB, "{\"modules\":[\"jotter\",\"ledger\",\"notebook\"]}", NULL, 30);
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  if (!ok || th_login(&srv, &admin, "admin", ADMIN_PASSWORD, NULL) != 200)
    return -1;
  static const char *const hospitals[] = {"H1", "H2"};
  for (int i = 0; i < 2; i++) {
    char body[200], path[200];
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"name\":\"AO %s\",\"kind\":\"AO\"}",
             hospitals[i], hospitals[i]);
    if (call(&admin, "POST", "/api/v1/tenants", body) != 201)
      return -1;
    snprintf(body, sizeof body,
             "{\"username\":\"nurse.%s\",\"display_name\":\"Nurse\","
             "\"password\":\"" USER_PASSWORD "\",\"roles\":[\"helpdesk\"]}",
             i == 0 ? "h1" : "h2");
    snprintf(path, sizeof path, "/api/v1/tenants/%s/users", hospitals[i]);
    if (call(&admin, "POST", path, body) != 201)
      return -1;
    /* ledger and jotter in both hospitals; the notebook only in H1. */
    static const char *const mods[] = {"ledger", "jotter", "notebook"};
    for (int m = 0; m < (i == 0 ? 3 : 2); m++) {
      snprintf(path, sizeof path, "/api/v1/tenants/%s/modules/%s", hospitals[i],
               mods[m]);
      if (call(&admin, "PUT", path, "{\"enabled\":true}") != 200)
        return -1;
    }
  }
  return th_login(&srv, &nurse_h1, "nurse.h1", USER_PASSWORD, "H1") == 200 &&
                 th_login(&srv, &nurse_h2, "nurse.h2", USER_PASSWORD, "H2") ==
                     200
             ? 0
             : -1;
}

static int stop(void **state) {
  (void)state;
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

/* Module enablement travels by NOTIFY: retry the first call briefly. */
static th_resp post_entry(th_client *c, const char *path, const char *body) {
  th_resp r = {0};
  for (int i = 0; i < 50; i++) {
    r = th_call(&srv, c, "POST", path, body);
    if (r.status != 404 ||
        strcmp(th_json_str(&r, "code") ? th_json_str(&r, "code") : "",
               "module_not_enabled") != 0 ||
        strstr(r.body, "notebook"))
      return r;
    th_resp_free(&r);
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return r;
}

static void one_transaction_two_modules(void **state) {
  (void)state;
  th_resp r = post_entry(&nurse_h1, "/api/v1/ledger/entries",
                         "{\"text\":\"pressione 130/80\"}");
  assert_int_equal(r.status, 201);
  /* Each statement ran in its module's schema, and the caller's was back
   * after the call. */
  assert_string_equal(th_json_str(&r, "own_schema"), "ledger");
  assert_string_equal(th_json_str(&r, "schema_after"), "ledger");
  assert_non_null(th_json_str(&r, "note_id"));
  th_resp_free(&r);
  assert_int_equal(sql_long("SELECT count(*) FROM ledger.notes"), 1);
  assert_int_equal(sql_long("SELECT count(*) FROM notebook.notes WHERE "
                            "written_by = 'nurse.h1' AND tenant_id = (SELECT "
                            "id FROM concerto.tenants WHERE code = 'H1')"),
                   1);
  /* The provider's event, published as the provider from its schema. */
  assert_int_equal(sql_long("SELECT count(*) FROM concerto.events WHERE name "
                            "= 'notebook.note_added' AND payload->>'schema' "
                            "= 'notebook'"),
                   1);
  /* The caller's identity: the audit row names the nurse in H1. */
  assert_int_equal(
      sql_long("SELECT count(*) FROM concerto.audit_log WHERE action = "
               "'notebook.note.create' AND actor_kind = 'user' AND "
               "actor_name = 'nurse.h1'"),
      1);
  /* Failing afterwards rolls back both modules' writes. */
  r = th_call(&srv, &nurse_h1, "POST", "/api/v1/ledger/entries",
              "{\"text\":\"annullata\",\"fail_after\":true}");
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  assert_int_equal(sql_long("SELECT count(*) FROM ledger.notes"), 1);
  assert_int_equal(sql_long("SELECT count(*) FROM notebook.notes"), 1);
  assert_int_equal(sql_long("SELECT count(*) FROM concerto.events WHERE name "
                            "= 'notebook.note_added'"),
                   1);
  /* Reads through the service see the caller's hospital only (RLS). */
  r = th_call(&srv, &nurse_h1, "GET", "/api/v1/ledger/counts", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "theirs")), 1);
  th_resp_free(&r);
}

static void disabled_provider_answers_not_enabled(void **state) {
  (void)state;
  /* H2 runs ledger but not the notebook. */
  th_resp r =
      post_entry(&nurse_h2, "/api/v1/ledger/entries", "{\"text\":\"in H2\"}");
  assert_int_equal(r.status, 404);
  assert_string_equal(th_json_str(&r, "code"), "module_not_enabled");
  assert_non_null(strstr(r.body, "notebook"));
  th_resp_free(&r);
  /* ledger's own row of that request is gone with it. */
  assert_int_equal(sql_long("SELECT count(*) FROM ledger.notes WHERE "
                            "tenant_id = (SELECT id FROM concerto.tenants "
                            "WHERE code = 'H2')"),
                   0);
}

static void optional_provider(void **state) {
  (void)state;
  /* With the notebook loaded, jotter uses it. */
  th_resp r = post_entry(&nurse_h1, "/api/v1/jotter/entries",
                         "{\"text\":\"con il quaderno\"}");
  assert_int_equal(r.status, 201);
  assert_true(json_is_true(json_object_get(r.json, "notebook")));
  assert_string_equal(th_json_str(&r, "own_schema"), "jotter");
  th_resp_free(&r);
  /* A server without the notebook: jotter runs with less, ledger (which
   * needs it) is refused, and the server runs on. */
  th_server lone;
  char url[512];
  th_db_create("it_services_lone", url, sizeof url);
  assert_true(th_server_start(&lone, "it_services_lone",
                              "{\"modules\":[\"jotter\",\"ledger\"]}", NULL,
                              30));
  r = th_get(&lone, "/readyz");
  json_t *mods = json_object_get(r.json, "modules");
  const char *jotter = NULL, *ledger = NULL, *reason = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(mods, i, m) {
    const char *name = json_string_value(json_object_get(m, "name"));
    if (strcmp(name, "jotter") == 0)
      jotter = json_string_value(json_object_get(m, "state"));
    if (strcmp(name, "ledger") == 0) {
      ledger = json_string_value(json_object_get(m, "state"));
      reason = json_string_value(json_object_get(m, "reason"));
    }
  }
  assert_string_equal(jotter, "started");
  assert_string_equal(ledger, "refused");
  assert_non_null(strstr(reason, "notebook"));
  th_resp_free(&r);
  assert_int_equal(th_server_stop(&lone, 30), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(one_transaction_two_modules),
      cmocka_unit_test(disabled_provider_answers_not_enabled),
      cmocka_unit_test(optional_provider),
  };
  return cmocka_run_group_tests_name("services", tests, start, stop);
}
