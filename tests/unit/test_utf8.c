/* The edge check of path, query and header text (core/base/utf8.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"

static bool clean(const char *s) {
  return utf8_clean(s, strlen(s));
}

static void accepts_text_people_type(void **state) {
  (void)state;
  assert_true(clean(""));
  assert_true(clean("Rossi Mario"));
  assert_true(clean("Calabr\xc3\xb2 Nicol\xc3\xb2")); /* ò */
  assert_true(clean("\xe2\x82\xac 10"));              /* € */
  assert_true(clean("\xf0\x9f\x98\x80"));             /* U+1F600 */
  assert_true(clean("\xef\xbf\xbd"));                 /* U+FFFD */
  assert_true(clean("\xf4\x8f\xbf\xbf"));             /* U+10FFFF */
}

static void refuses_what_the_database_or_a_log_cannot_take(void **state) {
  (void)state;
  assert_false(clean("\xff\xfe")); /* not UTF-8 at all */
  assert_false(clean("G\xffT"));
  assert_false(clean("\xc3")); /* truncated */
  assert_false(clean("\xe2\x82"));
  assert_false(clean("\x80"));                 /* lone continuation */
  assert_false(clean("\xc0\xaf"));             /* overlong "/" */
  assert_false(clean("\xe0\x80\xaf"));         /* overlong */
  assert_false(clean("\xed\xa0\x80"));         /* surrogate U+D800 */
  assert_false(clean("\xf4\x90\x80\x80"));     /* above U+10FFFF */
  assert_false(clean("\xf8\x88\x80\x80\x80")); /* five bytes */
  assert_false(clean("a\tb"));                 /* controls */
  assert_false(clean("a\nb"));
  assert_false(clean("a\x7f"));
  assert_false(clean("\xc2\x85")); /* C1: NEL */
  const char with_nul[] = "ab\0cd";
  assert_false(utf8_clean(with_nul, sizeof with_nul - 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accepts_text_people_type),
      cmocka_unit_test(refuses_what_the_database_or_a_log_cannot_take),
  };
  return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
