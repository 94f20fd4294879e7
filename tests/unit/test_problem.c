#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "problem.h"

static void maps_statuses(void **state) {
  (void)state;
  assert_int_equal(problem_from_status(CONCERTO_ERR_DB_UNAVAILABLE).http_status,
                   503);
  assert_string_equal(problem_from_status(CONCERTO_ERR_DB_UNAVAILABLE).code,
                      "db_unavailable");
  assert_int_equal(problem_from_status(CONCERTO_ERR_VALIDATION).http_status,
                   422);
  assert_int_equal(problem_from_status(CONCERTO_ERR_DB_CONSTRAINT).http_status,
                   409);
  assert_int_equal(problem_from_status(CONCERTO_ERR_TOO_LARGE).http_status,
                   413);
  assert_int_equal(problem_from_status(CONCERTO_ERR_NOMEM).http_status, 500);
  assert_int_equal(problem_from_status((concerto_status)12345).http_status,
                   500);
}

static void builds_rfc7807_body(void **state) {
  (void)state;
  json_t *p = problem_json(404, "module_not_enabled", NULL, "Not for you");
  assert_string_equal(json_string_value(json_object_get(p, "type")),
                      "urn:concerto:problem:module_not_enabled");
  assert_string_equal(json_string_value(json_object_get(p, "title")),
                      "Not Found");
  assert_int_equal(json_integer_value(json_object_get(p, "status")), 404);
  assert_string_equal(json_string_value(json_object_get(p, "code")),
                      "module_not_enabled");
  assert_string_equal(json_string_value(json_object_get(p, "detail")),
                      "Not for you");
  json_decref(p);
  p = problem_json(503, "db_unavailable", "Down", NULL);
  assert_null(json_object_get(p, "detail"));
  json_decref(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(maps_statuses),
      cmocka_unit_test(builds_rfc7807_body),
  };
  return cmocka_run_group_tests_name("problem", tests, NULL, NULL);
}
