/* The JSON Schema subset (core/base/json_schema.c) against the official
 * JSON-Schema-Test-Suite (Debian's json-schema-test-suite, draft 7: the
 * subset's keywords mean the same there as in 2020-12): every case whose
 * schema the subset accepts must agree with the suite. Schemas with other
 * keywords must be refused, never half-checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "json_schema.h"

#define SUITE "/usr/share/json-schema-test-suite/tests/draft7/"

static const char *const files[] = {"type",
                                    "properties",
                                    "required",
                                    "enum",
                                    "const",
                                    "items",
                                    "minItems",
                                    "maxItems",
                                    "minLength",
                                    "maxLength",
                                    "minimum",
                                    "maximum",
                                    "exclusiveMinimum",
                                    "exclusiveMaximum",
                                    "additionalProperties",
                                    "boolean_schema",
                                    NULL};

static void agrees_with_the_test_suite(void **state) {
  (void)state;
  int run = 0, skipped = 0, wrong = 0;
  for (int f = 0; files[f]; f++) {
    char path[256];
    snprintf(path, sizeof path, SUITE "%s.json", files[f]);
    json_error_t je;
    json_t *groups = json_load_file(path, 0, &je);
    if (!groups)
      fail_msg("%s: %s (install json-schema-test-suite)", path, je.text);
    size_t g;
    json_t *group;
    json_array_foreach(groups, g, group) {
      char err[256];
      json_schema *s = json_schema_compile_json(
          json_object_get(group, "schema"), err, sizeof err);
      size_t n = json_array_size(json_object_get(group, "tests"));
      if (!s) {
        /* Refused: a keyword outside the subset, or draft 7's tuple form
         * of items (2020-12 spells it prefixItems). */
        if (!strstr(err, "not supported") &&
            !strstr(err, "/items: a schema must be"))
          fail_msg("%s / %s refused: %s", files[f],
                   json_string_value(json_object_get(group, "description")),
                   err);
        skipped += (int)n;
        continue;
      }
      size_t t;
      json_t *test;
      json_array_foreach(json_object_get(group, "tests"), t, test) {
        bool want = json_is_true(json_object_get(test, "valid"));
        bool got = json_schema_check(s, json_object_get(test, "data"), err,
                                     sizeof err);
        run++;
        if (got != want) {
          wrong++;
          print_error("%s / %s / %s: expected %s\n", files[f],
                      json_string_value(json_object_get(group, "description")),
                      json_string_value(json_object_get(test, "description")),
                      want ? "valid" : "invalid");
        }
      }
      json_schema_free(s);
    }
    json_decref(groups);
  }
  print_message("%d suite cases agree, %d skipped (keywords outside the "
                "subset)\n",
                run - wrong, skipped);
  assert_int_equal(wrong, 0);
  assert_true(run >= 150); /* the suite was really read (163 cases) */
}

static void unsupported_keywords_are_refused(void **state) {
  (void)state;
  char err[256];
  assert_null(json_schema_compile("{\"type\":\"string\",\"pattern\":\"^a\"}",
                                  err, sizeof err));
  assert_non_null(strstr(err, "\"pattern\" is not supported"));
  assert_null(json_schema_compile("{\"properties\":{\"a\":{\"oneOf\":[]}}}",
                                  err, sizeof err));
  assert_non_null(strstr(err, "schema/properties/a"));
  assert_null(json_schema_compile("{\"type\":\"strin\"}", err, sizeof err));
  assert_null(json_schema_compile("not json", err, sizeof err));
  assert_null(json_schema_compile("{\"minLength\":-1}", err, sizeof err));
  assert_null(json_schema_compile("{\"a\":1,\"a\":2}", err, sizeof err));
  /* Annotations are fine, format included (an annotation in 2020-12). */
  json_schema *s = json_schema_compile(
      "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
      "\"title\":\"t\",\"type\":\"string\",\"format\":\"date-time\"}",
      err, sizeof err);
  assert_non_null(s);
  json_schema_free(s);
}

static void failures_name_the_place(void **state) {
  (void)state;
  char err[256];
  json_schema *s = json_schema_compile(
      "{\"type\":\"object\",\"required\":[\"session_id\"],\"properties\":{"
      "\"session_id\":{\"type\":\"string\",\"minLength\":1},\"patients\":{"
      "\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
      "\"cf\":{\"type\":\"string\",\"maxLength\":16}}}}},"
      "\"additionalProperties\":false}",
      err, sizeof err);
  assert_non_null(s);
  json_t *v = json_loads("{\"patients\":[]}", 0, NULL);
  assert_false(json_schema_check(s, v, err, sizeof err));
  assert_string_equal(err, "/: \"session_id\" is required");
  json_decref(v);
  v = json_loads("{\"session_id\":\"7\",\"patients\":[{\"cf\":"
                 "\"RSSMRA80A01H501UX\"}]}",
                 0, NULL);
  assert_false(json_schema_check(s, v, err, sizeof err));
  assert_string_equal(err, "/patients/0/cf: maxLength 16");
  json_decref(v);
  v = json_loads("{\"session_id\":\"7\",\"extra\":1}", 0, NULL);
  assert_false(json_schema_check(s, v, err, sizeof err));
  assert_string_equal(err, "/extra: not allowed here");
  json_decref(v);
  v = json_loads("{\"session_id\":\"7\",\"patients\":[{\"cf\":\"x\"}]}", 0,
                 NULL);
  assert_true(json_schema_check(s, v, err, sizeof err));
  json_decref(v);
  json_schema_free(s);
}

static void deep_values_stop(void **state) {
  (void)state;
  char err[256];
  json_schema *s =
      json_schema_compile("{\"items\":{\"items\":{}}}", err, sizeof err);
  assert_non_null(s);
  json_t *v = json_array(), *inner = v;
  for (int i = 0; i < 200; i++) {
    json_t *next = json_array();
    json_array_append_new(inner, next);
    inner = next;
  }
  /* Only two levels are described; deeper ones are accepted as {} says. */
  assert_true(json_schema_check(s, v, err, sizeof err));
  json_decref(v);
  json_schema_free(s);
  char deep[4096] = "";
  for (int i = 0; i < 40; i++)
    strcat(deep, "{\"items\":");
  strcat(deep, "{}");
  for (int i = 0; i < 40; i++)
    strcat(deep, "}");
  assert_null(json_schema_compile(deep, err, sizeof err));
  assert_non_null(strstr(err, "nested too deeply"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(agrees_with_the_test_suite),
      cmocka_unit_test(unsupported_keywords_are_refused),
      cmocka_unit_test(failures_name_the_place),
      cmocka_unit_test(deep_values_stop),
  };
  return cmocka_run_group_tests_name("json_schema", tests, NULL, NULL);
}
