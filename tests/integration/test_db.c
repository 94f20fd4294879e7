/* Transactions, database errors and migrations, through the real server and
 * PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static th_server srv;

static int start(void **state) {
  (void)state;
  char url[512];
  th_db_create("it_db", url, sizeof url);
  return th_server_start(&srv, "it_db",
                         "{\"modules\":[\"echo\",\"dependent\",\"base\"]}",
                         NULL, 30)
             ? 0
             : -1;
}

static int stop(void **state) {
  (void)state;
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static long count_items(void) {
  th_resp r = th_get(&srv, "/api/v1/echo/items");
  assert_int_equal(r.status, 200);
  long n = strtol(th_json_str(&r, "count"), NULL, 10);
  th_resp_free(&r);
  return n;
}

static void prepared_read(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/api/v1/echo/double/21");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "doubled"), "42");
  assert_string_equal(th_json_str(&r, "column"), "doubled");
  th_resp_free(&r);
  r = th_get(&srv, "/api/v1/echo/double/abc");
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  /* The connection is usable again after a failed statement. */
  r = th_get(&srv, "/api/v1/echo/double/5");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "doubled"), "10");
  th_resp_free(&r);
}

static void commit_and_rollback(void **state) {
  (void)state;
  long before = count_items();
  th_resp r = th_request(&srv, "POST", "/api/v1/echo/items", "application/json",
                         "{\"name\":\"aspirina\"}", NULL);
  assert_int_equal(r.status, 201);
  assert_non_null(th_json_str(&r, "id"));
  th_resp_free(&r);
  assert_int_equal(count_items(), before + 1);

  /* Insert then a 422 response: nothing is half-written. */
  r = th_request(&srv, "POST", "/api/v1/echo/items", "application/json",
                 "{\"name\":\"tachipirina\",\"fail_after_insert\":true}", NULL);
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  /* Insert then an error status: rolled back and answered as a problem. */
  r = th_request(&srv, "POST", "/api/v1/echo/items", "application/json",
                 "{\"name\":\"moment\",\"error_after_insert\":true}", NULL);
  assert_int_equal(r.status, 500);
  assert_string_equal(th_json_str(&r, "code"), "internal_error");
  th_resp_free(&r);
  assert_int_equal(count_items(), before + 1);
  char *n = th_sql(
      "it_db",
      "SELECT count(*) FROM echo.items WHERE name IN ('tachipirina','moment')");
  assert_string_equal(n, "0");
  free(n);
}

static void constraint_becomes_conflict(void **state) {
  (void)state;
  th_resp r = th_request(&srv, "POST", "/api/v1/echo/items", "application/json",
                         "{\"name\":\"duplicato\"}", NULL);
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  r = th_request(&srv, "POST", "/api/v1/echo/items", "application/json",
                 "{\"name\":\"duplicato\"}", NULL);
  assert_int_equal(r.status, 409);
  assert_string_equal(th_json_str(&r, "code"), "conflict");
  th_resp_free(&r);
  /* The SQL error text (with the duplicated value) stays out of the log. */
  assert_int_equal(th_log_count(&srv, "duplicato"), 0);
  assert_true(th_log_count(&srv, "SQLSTATE 23505") >= 1);
}

static void migrations_recorded_in_dependency_order(void **state) {
  (void)state;
  th_resp r = th_get(&srv, "/api/v1/dependent/ping");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "notes"), "2");
  th_resp_free(&r);
  char *order = th_sql("it_db", "SELECT string_agg(module || ':' || filename, "
                                "',' ORDER BY applied_at, module) "
                                "FROM concerto.schema_migrations");
  assert_non_null(order);
  assert_non_null(strstr(order, "core:0001_core_settings.sql"));
  assert_true(strstr(order, "base:0001_things.sql") <
              strstr(order, "dependent:0001_notes.sql"));
  free(order);
  char *sum =
      th_sql("it_db", "SELECT length(checksum) FROM concerto.schema_migrations "
                      "WHERE module = 'echo'");
  assert_string_equal(sum, "64");
  free(sum);
  /* Each module has its own schema. */
  char *schemas = th_sql(
      "it_db",
      "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace "
      "WHERE nspname IN ('echo','base','dependent','concerto')");
  assert_string_equal(schemas, "base,concerto,dependent,echo");
  free(schemas);
}

static void restart_applies_nothing_twice(void **state) {
  (void)state;
  assert_int_equal(th_server_stop(&srv, 30), 0);
  assert_true(th_server_start(&srv, "it_db",
                              "{\"modules\":[\"echo\",\"dependent\",\"base\"]}",
                              NULL, 30));
  assert_int_equal(th_log_count(&srv, "applied "), 0);
  char *n = th_sql("it_db", "SELECT count(*) FROM concerto.schema_migrations "
                            "WHERE module <> 'core'");
  assert_string_equal(n, "3");
  free(n);
}

/* An edited migration of a module refuses that module (its routes are
 * not mounted), not the server: like any failing migration of a module. */
static void edited_migration_refuses_the_module(void **state) {
  (void)state;
  /* Pretend the applied file was different: the recorded checksum no longer
   * matches the file on disk, exactly as after an edit of the file. */
  char *orig =
      th_sql("it_db", "SELECT checksum FROM concerto.schema_migrations "
                      "WHERE module = 'echo'");
  assert_non_null(orig);
  free(
      th_sql("it_db",
             "UPDATE concerto.schema_migrations SET checksum = repeat('0', 64) "
             "WHERE module = 'echo'"));
  th_server edited;
  assert_true(th_server_start(&edited, "it_db",
                              "{\"modules\":[\"echo\",\"base\"]}", NULL, 30));
  assert_int_equal(th_log_count(&edited, "was edited after it was applied"), 1);
  th_resp r = th_get(&edited, "/readyz");
  assert_int_equal(r.status, 200); /* a refused module is not a failed one */
  assert_non_null(strstr(r.body, "\"refused\""));
  assert_non_null(strstr(r.body, "was edited after it was applied"));
  th_resp_free(&r);
  r = th_get(&edited, "/api/v1/echo/items");
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  r = th_get(&edited, "/api/v1/base/ping");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  assert_int_equal(th_server_stop(&edited, 30), 0);
  char sql[256];
  snprintf(sql, sizeof sql,
           "UPDATE concerto.schema_migrations SET checksum = '%s' WHERE module "
           "= 'echo'",
           orig);
  free(th_sql("it_db", sql));
  free(orig);
}

/* A counter or gauge of /metrics, the line starting with `name` (labels
 * included), or -1. */
static long long metric(const th_server *s, const char *name) {
  th_resp r = th_get(s, "/metrics");
  assert_int_equal(r.status, 200);
  long long v = -1;
  size_t n = strlen(name);
  for (const char *l = r.body; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
    if (strncmp(l, name, n) == 0 && l[n] == ' ') {
      v = strtoll(l + n + 1, NULL, 10);
      break;
    }
  th_resp_free(&r);
  return v;
}

/* With room for two statements per connection and three run in turn,
 * every statement pushes the least recently used out (DEALLOCATE) and is
 * prepared again: the answers stay right and the counters say so. */
static void small_statement_cache_evicts_and_answers(void **state) {
  (void)state;
  th_server small;
  assert_true(th_server_start(
      &small, "it_db",
      "{\"modules\":[\"echo\"],\"db_statement_cache\":2,\"threads\":1,"
      "\"db_pool_size\":1,\"event_workers\":0}",
      NULL, 30));
  assert_int_equal(metric(&small, "concerto_db_statement_cache_slots"), 2);
  long long evicted = metric(&small, "concerto_db_statement_evictions_total");
  long long missed =
      metric(&small, "concerto_db_statements_total{result=\"miss\"}");
  for (int i = 0; i < 12; i++) {
    char path[64];
    snprintf(path, sizeof path, "/api/v1/echo/double/%d", i);
    th_resp r = th_get(&small, path);
    assert_int_equal(r.status, 200);
    char want[16];
    snprintf(want, sizeof want, "%d", 2 * i);
    assert_string_equal(th_json_str(&r, "doubled"), want);
    th_resp_free(&r);
    r = th_get(&small, "/api/v1/echo/items");
    assert_int_equal(r.status, 200);
    assert_non_null(th_json_str(&r, "count"));
    th_resp_free(&r);
    r = th_get(&small, "/api/v1/echo/row"); /* a third statement */
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "42"));
    th_resp_free(&r);
  }
  assert_true(metric(&small, "concerto_db_statement_evictions_total") >=
              evicted + 30);
  assert_true(metric(&small, "concerto_db_statements_total{result=\"miss\"}") >=
              missed + 36);
  /* The one connection never holds more than its two. */
  long long cached = metric(&small, "concerto_db_statements_cached");
  assert_true(cached >= 1 && cached <= 2);
  assert_int_equal(th_server_stop(&small, 30), 0);
}

/* Each connection prepares a statement once: of twenty runs, all but one
 * per connection find it prepared. */
static void warm_cache_hits(void **state) {
  (void)state;
  const char *hit = "concerto_db_statements_total{result=\"hit\"}";
  long long hits = metric(&srv, hit);
  long long conns = metric(&srv, "concerto_db_pool_connections");
  assert_true(hits >= 0 && conns >= 1 && conns < 20);
  for (int i = 0; i < 20; i++)
    (void)count_items();
  assert_true(metric(&srv, hit) >= hits + 20 - conns);
  assert_int_equal(metric(&srv, "concerto_db_statement_cache_slots"), 512);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(prepared_read),
      cmocka_unit_test(commit_and_rollback),
      cmocka_unit_test(constraint_becomes_conflict),
      cmocka_unit_test(migrations_recorded_in_dependency_order),
      cmocka_unit_test(restart_applies_nothing_twice),
      cmocka_unit_test(edited_migration_refuses_the_module),
      cmocka_unit_test(small_statement_cache_evicts_and_answers),
      cmocka_unit_test(warm_cache_hits),
  };
  return cmocka_run_group_tests_name("db", tests, start, stop);
}
