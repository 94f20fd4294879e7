#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "static_files.h"

static void safe_paths(void **state) {
  (void)state;
  assert_true(static_path_safe("index.html"));
  assert_true(static_path_safe("css/app.css"));
  assert_false(static_path_safe("../etc/passwd"));
  assert_false(static_path_safe("a/../../b"));
  assert_false(static_path_safe("a/./b"));
  assert_false(static_path_safe(".env"));
  assert_false(static_path_safe("/etc/passwd"));
  assert_false(static_path_safe("a//b"));
  assert_false(static_path_safe("a\\..\\b"));
  assert_false(static_path_safe(""));
  assert_false(static_path_safe(NULL));
}

static void mime_types(void **state) {
  (void)state;
  assert_string_equal(static_mime_type("a/b.js"),
                      "text/javascript; charset=utf-8");
  assert_string_equal(static_mime_type("x.CSS"), "text/css; charset=utf-8");
  assert_string_equal(static_mime_type("i.svg"), "image/svg+xml");
  assert_string_equal(static_mime_type("doc.pdf"), "application/pdf");
  assert_string_equal(static_mime_type("noext"), "application/octet-stream");
  assert_string_equal(static_mime_type("dir.js/file"),
                      "application/octet-stream");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(safe_paths),
      cmocka_unit_test(mime_types),
  };
  return cmocka_run_group_tests_name("static_files", tests, NULL, NULL);
}
