#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate.h"
#include "sha256.h"

static void parses_names(void **state) {
  (void)state;
  long n;
  assert_true(migration_parse_name("0001_core.sql", &n));
  assert_int_equal(n, 1);
  assert_true(migration_parse_name("0420_add_index_2.sql", &n));
  assert_int_equal(n, 420);
  assert_false(migration_parse_name("001_short.sql", &n));
  assert_false(migration_parse_name("0001-dash.sql", &n));
  assert_false(migration_parse_name("0001_Upper.sql", &n));
  assert_false(migration_parse_name("0001_.sql", &n));
  assert_false(migration_parse_name("0001_x.sql.bak", &n));
  assert_false(migration_parse_name("core.sql", &n));
}

static void sorts_numerically_and_refuses_duplicates(void **state) {
  (void)state;
  migration_set s = {0};
  s.module = strdup("t");
  char err[256];
  assert_true(migration_set_add(&s, "0010_c.sql", "SELECT 3", err, sizeof err));
  assert_true(migration_set_add(&s, "0002_b.sql", "SELECT 2", err, sizeof err));
  assert_true(migration_set_add(&s, "0001_a.sql", "SELECT 1", err, sizeof err));
  assert_int_equal(s.count, 3);
  assert_string_equal(s.files[0].filename, "0001_a.sql");
  assert_string_equal(s.files[1].filename, "0002_b.sql");
  assert_string_equal(s.files[2].filename, "0010_c.sql");
  assert_false(
      migration_set_add(&s, "0002_again.sql", "SELECT 9", err, sizeof err));
  assert_non_null(strstr(err, "share number 2"));
  assert_false(migration_set_add(&s, "bad.sql", "SELECT", err, sizeof err));
  migration_set_free(&s);
}

static void checksum_is_sha256(void **state) {
  (void)state;
  char hex[65];
  assert_true(sha256_hex("abc", 3, hex));
  assert_string_equal(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void plans_pending_in_order(void **state) {
  (void)state;
  migration_set s = {0};
  s.module = strdup("t");
  char err[256];
  migration_set_add(&s, "0001_a.sql", "SELECT 1", err, sizeof err);
  migration_set_add(&s, "0002_b.sql", "SELECT 2", err, sizeof err);
  migration_set_add(&s, "0003_c.sql", "SELECT 3", err, sizeof err);
  size_t pending[3], n;
  assert_true(migration_plan(&s, NULL, 0, pending, &n, err, sizeof err));
  assert_int_equal(n, 3);
  assert_int_equal(pending[0], 0);
  assert_int_equal(pending[2], 2);
  applied_migration done[] = {{"0001_a.sql", s.files[0].checksum}};
  assert_true(migration_plan(&s, done, 1, pending, &n, err, sizeof err));
  assert_int_equal(n, 2);
  assert_int_equal(pending[0], 1);
  migration_set_free(&s);
}

static void refuses_edited_applied_file(void **state) {
  (void)state;
  migration_set s = {0};
  s.module = strdup("t");
  char err[256];
  migration_set_add(&s, "0001_a.sql", "SELECT 1 -- edited", err, sizeof err);
  char old[65];
  sha256_hex("SELECT 1", 8, old);
  applied_migration done[] = {{"0001_a.sql", old}};
  size_t pending[1], n;
  assert_false(migration_plan(&s, done, 1, pending, &n, err, sizeof err));
  assert_non_null(strstr(err, "edited after it was applied"));
  migration_set_free(&s);
}

static void refuses_file_sorting_before_applied(void **state) {
  (void)state;
  migration_set s = {0};
  s.module = strdup("t");
  char err[256];
  migration_set_add(&s, "0001_a.sql", "SELECT 1", err, sizeof err);
  migration_set_add(&s, "0002_late.sql", "SELECT 2", err, sizeof err);
  migration_set_add(&s, "0003_c.sql", "SELECT 3", err, sizeof err);
  applied_migration done[] = {{"0001_a.sql", s.files[0].checksum},
                              {"0003_c.sql", s.files[2].checksum}};
  size_t pending[3], n;
  assert_false(migration_plan(&s, done, 2, pending, &n, err, sizeof err));
  assert_non_null(strstr(err, "0002_late.sql"));
  migration_set_free(&s);
}

static void loads_a_folder(void **state) {
  (void)state;
  char dir[] = "/tmp/concerto-migrate-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[512];
  const char *names[] = {"0002_second.sql", "0001_first.sql", "README.txt"};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    FILE *f = fopen(path, "w");
    fputs("SELECT 1;\n", f);
    fclose(f);
  }
  migration_set s;
  char err[256];
  assert_true(migration_set_load(&s, "m", "m", dir, err, sizeof err));
  assert_int_equal(s.count, 2);
  assert_string_equal(s.files[0].filename, "0001_first.sql");
  migration_set_free(&s);
  /* A badly named .sql file is refused, not skipped. */
  snprintf(path, sizeof path, "%s/oops.sql", dir);
  FILE *f = fopen(path, "w");
  fputs("SELECT 1;\n", f);
  fclose(f);
  assert_false(migration_set_load(&s, "m", "m", dir, err, sizeof err));
  assert_non_null(strstr(err, "oops.sql"));
  migration_set_free(&s);
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/oops.sql", dir);
  unlink(path);
  rmdir(dir);
  /* A missing folder is an empty set. */
  assert_true(
      migration_set_load(&s, "m", "m", "/nonexistent/x", err, sizeof err));
  assert_int_equal(s.count, 0);
  migration_set_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parses_names),
      cmocka_unit_test(sorts_numerically_and_refuses_duplicates),
      cmocka_unit_test(checksum_is_sha256),
      cmocka_unit_test(plans_pending_in_order),
      cmocka_unit_test(refuses_edited_applied_file),
      cmocka_unit_test(refuses_file_sorting_before_applied),
      cmocka_unit_test(loads_a_folder),
  };
  return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
