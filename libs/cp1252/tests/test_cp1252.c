/* UTF-8 -> CP1252 for the PDF fonts: the Latin-1 and Windows ranges, what
 * CP1252 lacks, malformed input, and the output bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <concerto/cp1252.h>

static void latin1_and_windows_range(void **state) {
  (void)state;
  char out[64];
  assert_int_equal(concerto_cp1252_from_utf8("perché è così", out, sizeof out),
                   13);
  assert_string_equal(out, "perch\xe9 \xe8 cos\xec");
  concerto_cp1252_from_utf8(
      "\xe2\x82\xac 5 \xe2\x80\x94 \xe2\x80\x9cs\xc3\xac\xe2\x80\x9d", out,
      sizeof out);
  assert_string_equal(out, "\x80 5 \x97 \x93s\xec\x94");
  concerto_cp1252_from_utf8("\xc5\x92\xc5\xbd\xc5\xb8", out, sizeof out);
  assert_string_equal(out, "\x8c\x8e\x9f");
}

static void unknown_and_malformed(void **state) {
  (void)state;
  char out[64];
  concerto_cp1252_from_utf8("\xe6\x97\xa5 \xf0\x9f\x98\x80", out, sizeof out);
  assert_string_equal(out, "? ?"); /* CJK, emoji */
  concerto_cp1252_from_utf8("a\xc3", out,
                            sizeof out); /* truncated at the end */
  assert_string_equal(out, "a?");
  concerto_cp1252_from_utf8("\xc0\xaf|\xed\xa0\x80|\xff", out, sizeof out);
  assert_string_equal(out, "?|?|?"); /* overlong, surrogate, invalid */
  concerto_cp1252_from_utf8("\xc2\x80", out, sizeof out); /* C1 control */
  assert_string_equal(out, "?");
  concerto_cp1252_from_utf8("a\tb\nc\x01", out, sizeof out);
  assert_string_equal(out, "a\tb\nc ");
}

static void output_is_bounded(void **state) {
  (void)state;
  char out[4];
  assert_int_equal(concerto_cp1252_from_utf8("èèèèèè", out, sizeof out), 3);
  assert_string_equal(out, "\xe8\xe8\xe8");
  char one[1];
  assert_int_equal(concerto_cp1252_from_utf8("abc", one, 1), 0);
  assert_string_equal(one, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(latin1_and_windows_range),
      cmocka_unit_test(unknown_and_malformed),
      cmocka_unit_test(output_is_bounded),
  };
  return cmocka_run_group_tests_name("cp1252", tests, NULL, NULL);
}
