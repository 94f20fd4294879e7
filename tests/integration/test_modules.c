/* Module refusal and isolation: every broken module is refused with one clear
 * log line and the server runs on with the good ones. */
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
  th_db_create("it_modules", url, sizeof url);
  /* No "modules" list: load every .so of the test folder. */
  return th_server_start(&srv, "it_modules", NULL, NULL, 60) ? 0 : -1;
}

static int stop(void **state) {
  (void)state;
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static json_t *module_entry(json_t *list, const char *name) {
  size_t i;
  json_t *m;
  json_array_foreach(
      list, i, m) if (strcmp(json_string_value(json_object_get(m, "name")),
                             name) == 0) return m;
  return NULL;
}

static void refused_modules_are_listed_with_reasons(void **state) {
  (void)state;
  /* 503: start_fails failed to start (checked below); the list is there. */
  th_resp r = th_get(&srv, "/readyz");
  assert_int_equal(r.status, 503);
  json_t *list = json_object_get(r.json, "modules");
  static const struct {
    const char *name, *state, *reason;
  } want[] = {
      {"echo", "started", NULL},
      {"base", "started", NULL},
      {"dependent", "started", NULL},
      {"bad_major", "refused", "major differs"},
      {"newer_minor", "refused", "needs a newer core"},
      {"bad_fingerprint", "refused", "fingerprint"},
      {"init_fails", "refused", "init returned status"},
      {"init_crash", "refused", "probe process"},
      {"dup_route", "refused", "registered twice"},
      {"outside", "refused", "outside the module's namespace"},
      {"orphan", "refused", "missing_module"},
      {"start_fails", "failed", "start returned status 200"},
      {"undeclared_role", "refused", "requires role authenticated_typo"},
      {"problem_clash", "refused", "problem code not_found has another"},
      {"mount_clash", "refused", "already registered (by module mount)"},
      {"migration_fails", "refused",
       "migration_fails migration 0002_broken.sql failed"},
      {"after_migration", "refused",
       "depends on module 'migration_fails', which is refused"},
  };
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    json_t *m = module_entry(list, want[i].name);
    if (!m)
      fprintf(stderr, "module %s missing from the list\n", want[i].name);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "state")),
                        want[i].state);
    if (want[i].reason) {
      const char *reason = json_string_value(json_object_get(m, "reason"));
      assert_non_null(reason);
      if (!strstr(reason, want[i].reason))
        fprintf(stderr, "%s: reason '%s' lacks '%s'\n", want[i].name, reason,
                want[i].reason);
      assert_non_null(strstr(reason, want[i].reason));
    }
  }
  th_resp_free(&r);
}

static void one_log_line_naming_both_versions(void **state) {
  (void)state;
  char line[160];
  snprintf(line, sizeof line,
           "bad_major.so refused: built for plugin ABI %d.0, this core speaks "
           "%d.%d",
           CONCERTO_ABI_MAJOR + 1, CONCERTO_ABI_MAJOR, CONCERTO_ABI_MINOR);
  assert_int_equal(th_log_count(&srv, line), 1);
  snprintf(line, sizeof line,
           "newer_minor.so refused: built for plugin ABI %d.%d, this core "
           "speaks %d.%d",
           CONCERTO_ABI_MAJOR, CONCERTO_ABI_MINOR + 1, CONCERTO_ABI_MAJOR,
           CONCERTO_ABI_MINOR);
  assert_int_equal(th_log_count(&srv, line), 1);
  assert_int_equal(th_log_count(&srv, "init_crash.so refused"), 1);
}

static void refused_routes_are_absent_good_ones_serve(void **state) {
  (void)state;
  const char *gone[] = {
      "/api/v1/bad_major/hello",      "/api/v1/init_fails/hello",
      "/api/v1/init_crash/hello",     "/api/v1/dup_route/hello",
      "/api/v1/orphan/hello",         "/api/v1/migration_fails/hello",
      "/api/v1/after_migration/hello"};
  for (size_t i = 0; i < sizeof gone / sizeof *gone; i++) {
    th_resp r = th_get(&srv, gone[i]);
    assert_int_equal(r.status, 404);
    th_resp_free(&r);
  }
  /* "outside" tried to take echo's route: echo still owns it. */
  th_resp r = th_get(&srv, "/api/v1/echo/params/a/b");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "a"), "a");
  th_resp_free(&r);
  r = th_get(&srv, "/api/v1/base/ping");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
}

/* The failing file left nothing behind (its own transaction), the file
 * before it stays applied, and the log says which file and why. */
static void failed_migration_refuses_only_its_module(void **state) {
  (void)state;
  char *half = th_sql("it_modules", "SELECT to_regclass('migration_fails."
                                    "half_done') IS NULL");
  assert_string_equal(half, "t");
  free(half);
  char *first = th_sql("it_modules", "SELECT to_regclass('migration_fails."
                                     "first_things') IS NOT NULL");
  assert_string_equal(first, "t");
  free(first);
  char *files =
      th_sql("it_modules", "SELECT string_agg(filename, ',' ORDER BY filename) "
                           "FROM concerto.schema_migrations WHERE module = "
                           "'migration_fails'");
  assert_string_equal(files, "0001_first.sql");
  free(files);
  assert_int_equal(th_log_count(&srv,
                                "migration_fails.so refused: migration_fails "
                                "migration 0002_broken.sql failed"),
                   1);
}

static void failed_start_answers_503_and_not_ready(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/api/v1/start_fails/hello");
  assert_int_equal(r.status, 503);
  assert_string_equal(th_json_str(&r, "code"), "module_unavailable");
  th_resp_free(&r);
  r = th_get(&srv, "/readyz");
  assert_int_equal(r.status, 503);
  json_t *checks = json_object_get(r.json, "checks");
  assert_string_equal(json_string_value(json_object_get(checks, "modules")),
                      "failed");
  assert_string_equal(json_string_value(json_object_get(checks, "database")),
                      "ok");
  th_resp_free(&r);
}

static void unknown_module_setting_refuses_that_module(void **state) {
  (void)state;
  char url[512];
  th_db_create("it_modules_cfg", url, sizeof url);
  th_server other;
  assert_true(
      th_server_start(&other, "it_modules_cfg",
                      "{\"modules\":[\"echo\",\"base\"],"
                      "\"module_settings\":{\"echo\":{\"greting\":\"typo\"},"
                      "\"base\":{}}}",
                      NULL, 30));
  th_resp r = th_get(&other, "/readyz");
  json_t *echo = module_entry(json_object_get(r.json, "modules"), "echo");
  assert_string_equal(json_string_value(json_object_get(echo, "state")),
                      "refused");
  assert_non_null(strstr(json_string_value(json_object_get(echo, "reason")),
                         "module_settings.echo.greting: unknown key"));
  th_resp_free(&r);
  r = th_get(&other, "/api/v1/base/ping");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  assert_int_equal(th_server_stop(&other, 30), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(refused_modules_are_listed_with_reasons),
      cmocka_unit_test(one_log_line_naming_both_versions),
      cmocka_unit_test(refused_routes_are_absent_good_ones_serve),
      cmocka_unit_test(failed_migration_refuses_only_its_module),
      cmocka_unit_test(failed_start_answers_503_and_not_ready),
      cmocka_unit_test(unknown_module_setting_refuses_that_module),
  };
  return cmocka_run_group_tests_name("modules", tests, start, stop);
}
