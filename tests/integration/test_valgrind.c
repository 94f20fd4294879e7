/* The server under valgrind: start, serve a few requests of every kind,
 * SIGTERM, and exit 0 with no memory error and no definite leak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void clean_start_serve_stop(void **state) {
  (void)state;
  char url[512];
  th_db_create("it_valgrind", url, sizeof url);
  static const char *const valgrind[] = {"valgrind",
                                         "--quiet",
                                         "--error-exitcode=99",
                                         "--leak-check=full",
                                         "--errors-for-leak-kinds=definite",
                                         "--show-leak-kinds=definite",
                                         "--track-fds=no",
                                         "--child-silent-after-fork=yes",
                                         NULL};
  th_server s;
  setenv("CONCERTO_ADMIN_PASSWORD", "Regione-Sicilia-2026", 1);
  assert_true(th_server_start(
      &s, "it_valgrind",
      "{\"modules\":[\"echo\",\"base\",\"relay\",\"init_fails\","
      "\"bad_major\"],\"threads\":2,\"module_probe\":false,"
      "\"event_retry_base_ms\":50}",
      valgrind, 120));
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  const char *paths[] = {"/healthz",
                         "/readyz",
                         "/metrics",
                         "/api/v1/modules",
                         "/api/v1/openapi.json",
                         "/api/v1/echo/double/4",
                         "/api/v1/echo/items",
                         "/api/v1/echo/arena",
                         "/modules/echo/hello.txt",
                         "/nope",
                         "/api/v1/echo/guarded"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    th_resp r = th_get(&s, paths[i]);
    assert_true(r.status >= 200);
    th_resp_free(&r);
  }
  th_resp r = th_request(&s, "POST", "/api/v1/echo/items", "application/json",
                         "{\"name\":\"valgrind\"}", NULL);
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  r = th_request(&s, "POST", "/api/v1/echo/json", "application/json", "{bad",
                 NULL);
  assert_int_equal(r.status, 400);
  th_resp_free(&r);
  /* Sessions, an admin action with audit and notification, an event
   * through the outbox, an event stream. */
  th_client admin;
  assert_int_equal(th_login(&s, &admin, "admin", "Regione-Sicilia-2026", NULL),
                   200);
  r = th_call(&s, &admin, "POST", "/api/v1/tenants",
              "{\"code\":\"VG\",\"name\":\"Valgrind\",\"kind\":\"AO\"}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  th_stream *st =
      th_stream_start(&s, &admin, "/api/v1/me/notifications", "never", 2);
  r = th_request(&s, "POST", "/api/v1/relay/publish", "application/json",
                 "{\"count\":3}", NULL);
  assert_int_equal(r.status, 202);
  th_resp_free(&r);
  char *done = NULL;
  for (int i = 0; i < 200; i++) {
    free(done);
    done = th_sql("it_valgrind", "SELECT count(*) FROM relay.effects");
    if (strcmp(done, "3") == 0)
      break;
    usleep(100 * 1000);
  }
  assert_string_equal(done, "3");
  free(done);
  free(th_stream_finish(st));
  r = th_call(&s, &admin, "POST", "/api/v1/auth/logout", NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  int rc = th_server_stop(&s, 120);
  if (rc != 0)
    system("cat /tmp/concerto-it-*/server.log >&2 2>/dev/null | tail -50");
  assert_int_equal(rc, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(clean_start_serve_stop)};
  return cmocka_run_group_tests_name("valgrind", tests, NULL, NULL);
}
