#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "router.h"

static int targets[8];

static int setup(void **state) {
  router *r = router_new();
  char err[256];
  assert_int_equal(
      router_add(r, "GET", "/healthz", &targets[0], err, sizeof err), 0);
  assert_int_equal(
      router_add(r, "GET", "/api/v1/things/{id}", &targets[1], err, sizeof err),
      0);
  assert_int_equal(
      router_add(r, "PUT", "/api/v1/things/{id}", &targets[2], err, sizeof err),
      0);
  assert_int_equal(
      router_add(r, "GET", "/api/v1/things/new", &targets[3], err, sizeof err),
      0);
  assert_int_equal(router_add(r, "GET", "/api/v1/t/{code}/m/{module}",
                              &targets[4], err, sizeof err),
                   0);
  assert_int_equal(
      router_add(r, "GET", "/modules/x/{*path}", &targets[5], err, sizeof err),
      0);
  assert_int_equal(router_add(r, "GET", "/", &targets[6], err, sizeof err), 0);
  *state = r;
  return 0;
}

static int teardown(void **state) {
  router_free(*state);
  return 0;
}

static router_status match(router *r, const char *method, const char *path,
                           route_match *m, char *buf, char *allow) {
  strcpy(buf, path);
  return router_match(r, method, buf, m, allow, 96);
}

static void literal_and_params(void **state) {
  route_match m;
  char buf[256], allow[96];
  assert_int_equal(match(*state, "GET", "/healthz", &m, buf, allow),
                   ROUTER_MATCH);
  assert_ptr_equal(m.target, &targets[0]);
  assert_int_equal(m.nparams, 0);

  assert_int_equal(match(*state, "GET", "/api/v1/things/42", &m, buf, allow),
                   ROUTER_MATCH);
  assert_ptr_equal(m.target, &targets[1]);
  assert_int_equal(m.nparams, 1);
  assert_string_equal(m.names[0], "id");
  assert_string_equal(m.values[0], "42");
  assert_string_equal(m.template, "/api/v1/things/{id}");

  assert_int_equal(
      match(*state, "GET", "/api/v1/t/ASL1/m/teleconsult", &m, buf, allow),
      ROUTER_MATCH);
  assert_int_equal(m.nparams, 2);
  assert_string_equal(m.values[0], "ASL1");
  assert_string_equal(m.values[1], "teleconsult");

  assert_int_equal(match(*state, "GET", "/", &m, buf, allow), ROUTER_MATCH);
  assert_ptr_equal(m.target, &targets[6]);
}

static void literal_beats_parameter(void **state) {
  route_match m;
  char buf[256], allow[96];
  assert_int_equal(match(*state, "GET", "/api/v1/things/new", &m, buf, allow),
                   ROUTER_MATCH);
  assert_ptr_equal(m.target, &targets[3]);
}

static void method_not_allowed_lists_allow(void **state) {
  route_match m;
  char buf[256], allow[96];
  assert_int_equal(match(*state, "DELETE", "/api/v1/things/7", &m, buf, allow),
                   ROUTER_METHOD_NOT_ALLOWED);
  assert_non_null(strstr(allow, "GET"));
  assert_non_null(strstr(allow, "PUT"));
  assert_non_null(strstr(allow, "HEAD"));
  assert_non_null(strstr(allow, "OPTIONS"));
  assert_null(strstr(allow, "DELETE"));
}

static void head_uses_get(void **state) {
  route_match m;
  char buf[256], allow[96];
  assert_int_equal(match(*state, "HEAD", "/healthz", &m, buf, allow),
                   ROUTER_MATCH);
  assert_ptr_equal(m.target, &targets[0]);
}

static void not_found_cases(void **state) {
  route_match m;
  char buf[256], allow[96];
  assert_int_equal(match(*state, "GET", "/nope", &m, buf, allow),
                   ROUTER_NOT_FOUND);
  assert_int_equal(match(*state, "GET", "/api/v1/things", &m, buf, allow),
                   ROUTER_NOT_FOUND);
  assert_int_equal(match(*state, "GET", "/api/v1/things/", &m, buf, allow),
                   ROUTER_NOT_FOUND);
  assert_int_equal(
      match(*state, "GET", "/api/v1/things/1/extra", &m, buf, allow),
      ROUTER_NOT_FOUND);
  assert_int_equal(match(*state, "GET", "healthz", &m, buf, allow),
                   ROUTER_NOT_FOUND);
  assert_int_equal(match(*state, "GET", "/modules/x", &m, buf, allow),
                   ROUTER_NOT_FOUND);
}

static void rest_parameter_keeps_slashes(void **state) {
  route_match m;
  char buf[256], allow[96];
  assert_int_equal(
      match(*state, "GET", "/modules/x/css/site/app.css", &m, buf, allow),
      ROUTER_MATCH);
  assert_ptr_equal(m.target, &targets[5]);
  assert_int_equal(m.nparams, 1);
  assert_string_equal(m.names[0], "path");
  assert_string_equal(m.values[0], "css/site/app.css");
  /* A folder URL: the rest is empty. */
  assert_int_equal(match(*state, "GET", "/modules/x/", &m, buf, allow),
                   ROUTER_MATCH);
  assert_string_equal(m.values[0], "");
}

static void duplicates_and_bad_templates(void **state) {
  char err[256];
  int dummy;
  assert_int_equal(router_add(*state, "GET", "/api/v1/things/{other}", &dummy,
                              err, sizeof err),
                   -2);
  assert_non_null(strstr(err, "already registered"));
  assert_int_equal(
      router_add(*state, "GET", "no-slash", &dummy, err, sizeof err), -1);
  assert_int_equal(router_add(*state, "GET", "/a//b", &dummy, err, sizeof err),
                   -1);
  assert_int_equal(
      router_add(*state, "GET", "/a/{Bad}", &dummy, err, sizeof err), -1);
  assert_int_equal(
      router_add(*state, "GET", "/a/{*rest}/b", &dummy, err, sizeof err), -1);
  assert_int_equal(
      router_add(*state, "GET", "/a/{open", &dummy, err, sizeof err), -1);
  assert_int_equal(
      router_add(*state, "BREW", "/coffee", &dummy, err, sizeof err), -1);
  assert_true(router_has(*state, "PUT", "/api/v1/things/{x}"));
  assert_false(router_has(*state, "POST", "/api/v1/things/{x}"));
  assert_int_equal(router_count(*state), 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(literal_and_params, setup, teardown),
      cmocka_unit_test_setup_teardown(literal_beats_parameter, setup, teardown),
      cmocka_unit_test_setup_teardown(method_not_allowed_lists_allow, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(head_uses_get, setup, teardown),
      cmocka_unit_test_setup_teardown(not_found_cases, setup, teardown),
      cmocka_unit_test_setup_teardown(rest_parameter_keeps_slashes, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(duplicates_and_bad_templates, setup,
                                      teardown),
  };
  return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
