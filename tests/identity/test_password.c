#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <argon2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "password.h"

/* Cheap cost for every test but the one that checks the defaults. */
#define TEST_T 1u
#define TEST_M 1024u

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cheap_cost(void **state) {
  (void)state;
  password_set_cost(TEST_T, TEST_M);
  return 0;
}

static void round_trip(void **state) {
  (void)state;
  char *h = password_hash("Ambulatorio-Cardio7");
  assert_non_null(h);
  assert_non_null(strstr(h, "$argon2id$v=19$m=1024,t=1,p=1$"));
  assert_true(password_verify(h, "Ambulatorio-Cardio7"));
  assert_false(password_verify(h, "ambulatorio-Cardio7"));
  assert_false(password_verify(h, "Ambulatorio-Cardio"));
  assert_false(password_verify(h, ""));
  assert_false(password_needs_rehash(h));
  free(h);
  /* The empty password and a long one hash too: policy is separate. */
  h = password_hash("");
  assert_non_null(h);
  assert_true(password_verify(h, ""));
  free(h);
  assert_null(password_hash(NULL));
}

static void salts_differ(void **state) {
  (void)state;
  char *a = password_hash("same password");
  char *b = password_hash("same password");
  assert_non_null(a);
  assert_non_null(b);
  assert_string_not_equal(a, b);
  assert_true(password_verify(a, "same password"));
  assert_true(password_verify(b, "same password"));
  free(a);
  free(b);
}

static void malformed_fails(void **state) {
  (void)state;
  char *h = password_hash("secret");
  assert_non_null(h);
  assert_false(password_verify(NULL, "secret"));
  assert_false(password_verify(h, NULL));
  static const char *const bad[] = {
      "",
      "secret",
      "$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
      "lCzYN3wRpvJzj1U9k2B0uN0BO0PQo2dRY3gcZcIcy4Q",
      "$argon2id$v=19$m=1024,t=1,p=1$",
      "$argon2id$v=19$m=1024,t=1,p=1$$",
      "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$",
      "$argon2id$v=19$m=1024,t=1$c29tZXNhbHRzb21lc2FsdA$AAAA",
      "$argon2id$v=19$m=01024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$AAAA",
      "$argon2id$v=19$m=-1,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$AAAA",
      "$argon2id$v=19$m=99999999999,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$AAAA",
      /* Well-formed but far too costly: refused before allocating 4 TiB. */
      "$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
      "lCzYN3wRpvJzj1U9k2B0uN0BO0PQo2dRY3gcZcIcy4Q",
      "$argon2id$v=19$m=1024,t=4000000000,p=1$c29tZXNhbHRzb21lc2FsdA$"
      "lCzYN3wRpvJzj1U9k2B0uN0BO0PQo2dRY3gcZcIcy4Q",
      "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNh!HRzb21lc2FsdA$"
      "lCzYN3wRpvJzj1U9k2B0uN0BO0PQo2dRY3gcZcIcy4Q",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    print_message("%zu\n", i);
    assert_false(password_verify(bad[i], "secret"));
    assert_true(password_needs_rehash(bad[i]));
  }
  /* Our own hash, cut short, with junk after it, or with one hash character
   * changed. */
  size_t n = strlen(h);
  char *cut = strndup(h, n - 5);
  assert_false(password_verify(cut, "secret"));
  char *longer = malloc(n + 2);
  memcpy(longer, h, n);
  memcpy(longer + n, "!", 2);
  assert_false(password_verify(longer, "secret"));
  h[n - 3] = h[n - 3] == 'A' ? 'B' : 'A';
  assert_false(password_verify(h, "secret"));
  free(cut);
  free(longer);
  free(h);
  assert_true(password_needs_rehash(NULL));
}

static void rehash_when_weaker(void **state) {
  (void)state;
  char *current = password_hash("Ambulatorio-Cardio7");
  assert_false(password_needs_rehash(current));

  password_set_cost(TEST_T, TEST_M / 2);
  char *less_memory = password_hash("Ambulatorio-Cardio7");
  password_set_cost(TEST_T + 1, TEST_M);
  char *more_time = password_hash("Ambulatorio-Cardio7");
  assert_true(password_needs_rehash(current)); /* t=1 < 2 now */
  password_set_cost(TEST_T, TEST_M);
  assert_true(password_needs_rehash(less_memory));
  assert_true(password_verify(less_memory, "Ambulatorio-Cardio7"));
  assert_false(password_needs_rehash(more_time)); /* stronger is fine */

  /* A short salt (8 bytes, argon2's minimum) and an old version 1.0 hash. */
  char buf[256];
  assert_int_equal(argon2id_hash_encoded(TEST_T, TEST_M, 1, "pw", 2, "12345678",
                                         8, 32, buf, sizeof buf),
                   ARGON2_OK);
  assert_true(password_verify(buf, "pw"));
  assert_true(password_needs_rehash(buf));
  assert_int_equal(argon2_hash(TEST_T, TEST_M, 1, "pw", 2, "1234567812345678",
                               16, NULL, 32, buf, sizeof buf, Argon2_id,
                               ARGON2_VERSION_10),
                   ARGON2_OK);
  assert_non_null(strstr(buf, "$v=16$"));
  assert_true(password_verify(buf, "pw"));
  assert_true(password_needs_rehash(buf));
  free(current);
  free(less_memory);
  free(more_time);
}

static void cost_is_clamped(void **state) {
  (void)state;
  password_set_cost(0, 0);
  char *h = password_hash("x");
  assert_non_null(strstr(h, "m=8,t=1,p=1$"));
  assert_true(password_verify(h, "x"));
  free(h);
  password_set_cost(TEST_T, TEST_M);
}

/* Same cost parameters and the same single argon2 run as a real verify:
 * equal work by construction, checked without a stopwatch (timings stay out
 * of pass/fail tests). */
static void dummy_costs_like_a_real_verify(void **state) {
  (void)state;
  password_set_cost(1, 16384);
  const char *ref = password_dummy_reference();
  assert_non_null(ref);
  char *real = password_hash("Ambulatorio-Cardio7");
  const char *ref_hash = strrchr(ref, '$'), *real_hash = strrchr(real, '$');
  /* "$argon2id$v=19$m=16384,t=1,p=1$salt$hash": compare the parameters. */
  const char *ref_params = strstr(ref, "$m="),
             *real_params = strstr(real, "$m=");
  assert_non_null(ref_params);
  assert_non_null(real_params);
  size_t ref_len = (size_t)(strchr(ref_params + 1, '$') - ref_params);
  size_t real_len = (size_t)(strchr(real_params + 1, '$') - real_params);
  assert_int_equal(ref_len, real_len);
  assert_memory_equal(ref_params, real_params, ref_len);
  assert_int_equal(strlen(ref_hash), strlen(real_hash)); /* hash length */
  assert_true(strncmp(real, "$argon2id$v=19$m=16384,t=1,p=1$", 31) == 0);

  unsigned long before = password_argon2_runs();
  (void)password_verify(real, "guess-guess-guess");
  unsigned long real_runs = password_argon2_runs() - before;
  before = password_argon2_runs();
  password_verify_dummy("guess-guess-guess");
  unsigned long dummy_runs = password_argon2_runs() - before;
  assert_int_equal(real_runs, 1);
  assert_int_equal(dummy_runs, real_runs);
  free(real);
  password_set_cost(TEST_T, TEST_M);
}

static void default_cost(void **state) {
  (void)state;
  password_set_cost(PASSWORD_T_COST, PASSWORD_M_COST_KIB);
  double t0 = now_seconds();
  char *h = password_hash("Ambulatorio-Cardio7");
  double dt = now_seconds() - t0;
  assert_non_null(h);
  print_message("default cost: hash %.0f ms\n", dt * 1e3);
  assert_non_null(strstr(h, "$argon2id$v=19$m=65536,t=3,p=1$"));
  assert_true(password_verify(h, "Ambulatorio-Cardio7"));
  assert_false(password_needs_rehash(h));
  free(h);
  password_set_cost(TEST_T, TEST_M);
}

/* Checks the verdict and that the message names the expected rule. */
static void expect_policy(const char *pw, const char *user, bool ok,
                          const char *msg_part) {
  char msg[160];
  print_message("%s\n", pw ? pw : "(null)");
  assert_int_equal(password_policy_check(pw, user, msg, sizeof msg), ok);
  if (ok)
    assert_string_equal(msg, "");
  else
    assert_non_null(strstr(msg, msg_part));
}

static void policy_rules(void **state) {
  (void)state;
  expect_policy("Ambulatorio-Cardio7", "mrossi", true, NULL);
  expect_policy("Ambulatorio-Cardio7", NULL, true, NULL);
  expect_policy(NULL, "mrossi", false, "required");
  expect_policy("Ab1!efghijk", "mrossi", false, "at least 12 characters");
  expect_policy("ambulatorio-cardio", "mrossi", false, "at least 3 of");
  expect_policy("AMBULATORIO1234", "mrossi", false, "at least 3 of");
  expect_policy("correct horse battery", NULL, false, "at least 3 of");
  expect_policy("Mrossi-Cardio7!", "mrossi", false, "username");
  expect_policy("Cardio7!MROSSI", "MRossi", false, "username");
  /* Usernames under 3 bytes would forbid too much: not checked. */
  expect_policy("Ambulatorio-Cardio7", "Am", true, NULL);
  expect_policy("Password1234", NULL, false, "too common");
  expect_policy("CONCERTO2026!", NULL, false, "too common");
  expect_policy("qwertyuiop12", NULL, false, "too common");
  expect_policy("123456789012", NULL, false, "too common");
  expect_policy("Password12345", NULL, true, NULL); /* not on the list */
}

static void policy_length_and_utf8(void **state) {
  (void)state;
  /* 12 code points in 24 bytes: long enough, but one class only. */
  expect_policy("àèìòùàèìòùàè", NULL, false, "at least 3 of");
  expect_policy("àèìòùàèìòùà", NULL, false, "at least 12 characters");
  expect_policy("àèìòùàèìòA1b", NULL, true, NULL);
  expect_policy("àèìòùàèìA1b", NULL, false, "at least 12 characters");
  expect_policy("Ambulatorio1\xff", NULL, false, "UTF-8");
  expect_policy("Ambulatorio1\xc0\xaf", NULL, false, "UTF-8"); /* overlong */
  expect_policy("Ambulatorio1\xed\xa0\x80", NULL, false, "UTF-8"); /* D800 */
  expect_policy("Ambulatorio1\xf4\x90\x80\x80", NULL, false, "UTF-8");
  expect_policy("Ambulatorio1\xc3", NULL, false, "UTF-8"); /* truncated */
  expect_policy("Ambulatorio1\xf0\x9f\x98\x80", NULL, true, NULL); /* emoji */

  char pw[300];
  memset(pw, 'a', sizeof pw);
  memcpy(pw, "A1", 2);
  pw[256] = '\0';
  expect_policy(pw, NULL, true, NULL); /* exactly 256 bytes */
  pw[256] = 'a';
  pw[257] = '\0';
  expect_policy(pw, NULL, false, "at most 256 bytes");
}

static void policy_message_buffer(void **state) {
  (void)state;
  char msg[8];
  assert_false(password_policy_check("short", NULL, msg, sizeof msg));
  assert_string_equal(msg, "passwor"); /* truncated, terminated */
  assert_false(password_policy_check("short", NULL, NULL, 0));
  assert_true(password_policy_check("Ambulatorio-Cardio7", NULL, NULL, 0));
  msg[0] = 'x';
  assert_false(password_policy_check("short", NULL, msg, 0));
  assert_int_equal(msg[0], 'x'); /* msglen 0: untouched */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(salts_differ),
      cmocka_unit_test(malformed_fails),
      cmocka_unit_test(rehash_when_weaker),
      cmocka_unit_test(cost_is_clamped),
      cmocka_unit_test(dummy_costs_like_a_real_verify),
      cmocka_unit_test(default_cost),
      cmocka_unit_test(policy_rules),
      cmocka_unit_test(policy_length_and_utf8),
      cmocka_unit_test(policy_message_buffer),
  };
  return cmocka_run_group_tests(tests, cheap_cost, NULL);
}
