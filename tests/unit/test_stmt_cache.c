/* The per-connection prepared-statement cache: least recently used out,
 * names never reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "stmt_cache.h"

/* Adds `sql` as a miss would: evicting when full, then a new name. */
static void prepare(stmt_cache *c, const char *sql, char name[STMT_NAME_MAX],
                    char victim[STMT_NAME_MAX]) {
  victim[0] = '\0';
  if (stmt_cache_victim(c, victim))
    stmt_cache_evict(c);
  stmt_cache_next_name(c, name);
  assert_true(stmt_cache_add(c, sql, name));
}

static void finds_what_was_added(void **state) {
  (void)state;
  stmt_cache *c = stmt_cache_new(4);
  char a[STMT_NAME_MAX], b[STMT_NAME_MAX], v[STMT_NAME_MAX];
  assert_null(stmt_cache_find(c, "SELECT 1"));
  prepare(c, "SELECT 1", a, v);
  prepare(c, "SELECT 2", b, v);
  assert_string_not_equal(a, b);
  assert_string_equal(stmt_cache_find(c, "SELECT 1"), a);
  assert_string_equal(stmt_cache_find(c, "SELECT 2"), b);
  assert_null(stmt_cache_find(c, "SELECT 3"));
  assert_int_equal(stmt_cache_count(c), 2);
  stmt_cache_free(c);
}

static void evicts_the_least_recently_used(void **state) {
  (void)state;
  stmt_cache *c = stmt_cache_new(3);
  char n1[STMT_NAME_MAX], n2[STMT_NAME_MAX], n3[STMT_NAME_MAX],
      n4[STMT_NAME_MAX], v[STMT_NAME_MAX];
  prepare(c, "q1", n1, v);
  prepare(c, "q2", n2, v);
  prepare(c, "q3", n3, v);
  assert_string_equal(v, "");                /* room until now */
  assert_non_null(stmt_cache_find(c, "q1")); /* q2 is now the oldest */
  prepare(c, "q4", n4, v);
  assert_string_equal(v, n2);
  assert_null(stmt_cache_find(c, "q2"));
  assert_string_equal(stmt_cache_find(c, "q1"), n1);
  assert_string_equal(stmt_cache_find(c, "q3"), n3);
  assert_string_equal(stmt_cache_find(c, "q4"), n4);
  assert_int_equal(stmt_cache_count(c), 3);
  /* q2 again gets a new name: the old one was deallocated. */
  char again[STMT_NAME_MAX];
  prepare(c, "q2", again, v);
  assert_string_equal(v, n1); /* q1 was used before q3 and q4 */
  assert_string_not_equal(again, n2);
  stmt_cache_free(c);
}

static void full_cache_refuses_add_without_evict(void **state) {
  (void)state;
  stmt_cache *c = stmt_cache_new(1);
  char n[STMT_NAME_MAX], v[STMT_NAME_MAX];
  prepare(c, "only", n, v);
  assert_false(stmt_cache_add(c, "second", "sX"));
  assert_true(stmt_cache_victim(c, v));
  assert_string_equal(v, n);
  stmt_cache_free(c);
}

/* Many statements through a small cache with colliding buckets: the
 * chains and the use list stay consistent. */
static void churn_keeps_structure(void **state) {
  (void)state;
  stmt_cache *c = stmt_cache_new(7);
  char n[STMT_NAME_MAX], v[STMT_NAME_MAX], sql[32];
  for (int i = 0; i < 500; i++) {
    snprintf(sql, sizeof sql, "SELECT %d", i % 11);
    if (!stmt_cache_find(c, sql))
      prepare(c, sql, n, v);
    assert_true(stmt_cache_count(c) <= 7);
  }
  /* The seven used last are there, the four before them not. */
  int present = 0;
  for (int k = 0; k < 11; k++) {
    snprintf(sql, sizeof sql, "SELECT %d", (499 - k) % 11);
    bool found = stmt_cache_find(c, sql) != NULL;
    assert_true(found == (k < 7));
    present += found;
  }
  assert_int_equal(present, 7);
  stmt_cache_clear(c);
  assert_int_equal(stmt_cache_count(c), 0);
  assert_null(stmt_cache_find(c, "SELECT 1"));
  stmt_cache_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(finds_what_was_added),
      cmocka_unit_test(evicts_the_least_recently_used),
      cmocka_unit_test(full_cache_refuses_add_without_evict),
      cmocka_unit_test(churn_keeps_structure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
