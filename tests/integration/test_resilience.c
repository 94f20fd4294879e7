/* Failure behaviour: PostgreSQL restarting under a running server, and a
 * graceful SIGTERM with a request in flight. Uses a cluster of its own so
 * stopping it disturbs no other test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static th_server srv;
static char base[64];

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int start(void **state) {
  (void)state;
  snprintf(base, sizeof base, "/tmp/concerto-resilience-XXXXXX");
  if (!mkdtemp(base))
    return -1;
  chmod(base, 0755);
  setenv("CONCERTO_TEST_PG_BASE", base, 1);
  if (th_pg_fixture("start", base) != 0)
    return -1;
  char url[512];
  th_db_create("it_resilience", url, sizeof url);
  return th_server_start(
             &srv, "it_resilience",
             "{\"modules\":[\"echo\"],\"db_acquire_timeout_ms\":1000}", NULL,
             30)
             ? 0
             : -1;
}

static int stop(void **state) {
  (void)state;
  if (srv.pid > 0)
    th_server_stop(&srv, 30);
  th_pg_fixture("stop", base);
  return 0;
}

static long get_status(const char *path) {
  th_resp r = th_get(&srv, path);
  long s = r.status;
  th_resp_free(&r);
  return s;
}

static void database_restart_gives_503_then_recovers(void **state) {
  (void)state;
  assert_int_equal(get_status("/api/v1/echo/double/2"), 200);
  assert_int_equal(th_pg_fixture("stop", base), 0);

  th_resp r = th_get(&srv, "/api/v1/echo/double/2");
  assert_int_equal(r.status, 503);
  assert_string_equal(th_json_str(&r, "code"), "db_unavailable");
  th_resp_free(&r);
  assert_int_equal(get_status("/healthz"), 200); /* alive, not ready */
  r = th_get(&srv, "/readyz");
  assert_int_equal(r.status, 503);
  json_t *checks = json_object_get(r.json, "checks");
  assert_string_equal(json_string_value(json_object_get(checks, "database")),
                      "unreachable");
  th_resp_free(&r);

  assert_int_equal(th_pg_fixture("start", base), 0);
  long status = 0;
  for (int i = 0; i < 100 && status != 200; i++) {
    status = get_status("/api/v1/echo/double/2");
    if (status != 200)
      sleep_ms(100);
  }
  assert_int_equal(status, 200);
  /* Every pooled connection was dead; none of them reaches a handler. */
  for (int i = 0; i < 20; i++)
    assert_int_equal(get_status("/api/v1/echo/items"), 200);
  assert_int_equal(get_status("/readyz"), 200);
  assert_int_equal(kill(srv.pid, 0), 0);
}

static void *slow_request(void *arg) {
  long *status = arg;
  *status = get_status("/api/v1/echo/slow?ms=1500");
  return NULL;
}

static void sigterm_drains_in_flight_requests(void **state) {
  (void)state;
  long slow_status = 0;
  pthread_t t;
  pthread_create(&t, NULL, slow_request, &slow_status);
  sleep_ms(300);
  kill(srv.pid, SIGTERM);
  sleep_ms(200);
  /* No new connections while draining. */
  assert_int_equal(get_status("/healthz"), 0);
  pthread_join(t, NULL);
  assert_int_equal(slow_status, 200);
  assert_int_equal(th_server_wait(&srv, 20), 0);
  assert_int_equal(th_log_count(&srv, "draining in-flight requests"), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(database_restart_gives_503_then_recovers),
      cmocka_unit_test(sigterm_drains_in_flight_requests),
  };
  return cmocka_run_group_tests_name("resilience", tests, start, stop);
}
