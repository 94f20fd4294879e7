/* The log line writer (core/base/json_text.c): every line it ends, whatever the
 * values, is one JSON object on one line - checked by parsing it back with
 * jansson - and each value is escaped and bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "json_text.h"

#define FFFD "\xef\xbf\xbd"
#define MARKER JSON_TEXT_CUT_MARKER

/* Ends the line and parses it: one line, ending in "}\n", one object. */
static json_t *end_and_parse(json_text *t) {
  size_t n = json_text_end(t);
  assert_int_equal(n, strlen(t->buf));
  assert_true(n < sizeof t->buf);
  assert_true(n >= 3);
  assert_string_equal(t->buf + n - 2, "}\n");
  assert_ptr_equal(strchr(t->buf, '\n'), t->buf + n - 1);
  json_error_t err;
  json_t *o = json_loads(t->buf, JSON_REJECT_DUPLICATES, &err);
  if (!o)
    fprintf(stdout, "not JSON (%s): %.400s\n", err.text, t->buf);
  assert_non_null(o);
  assert_true(json_is_object(o));
  return o;
}

static const char *str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static bool ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), m = strlen(tail);
  return n >= m && memcmp(s + n - m, tail, m) == 0;
}

static void escapes_what_json_and_terminals_need(void **state) {
  (void)state;
  json_text t;
  json_text_init(&t);
  json_text_key_string(&t, "quotes", "a\"b\\c/d", 64);
  json_text_key_string(&t, "controls", "\n\r\t\x01\x1b[2J\x7f", 64);
  /* U+0085 (NEL) is a C1 control; è, €, and U+1D11E pass as UTF-8. */
  json_text_key_string(&t, "unicode",
                       "\xc2\x85 \xc3\xa8\xe2\x82\xac\xf0\x9d\x84\x9e", 64);
  json_text_key_string(&t, "null", NULL, 64);
  json_text_key_bytes(&t, "nul", "a\0b", 3, 64, false);
  json_t *o = end_and_parse(&t);
  assert_string_equal(str(o, "quotes"), "a\"b\\c/d");
  assert_string_equal(str(o, "controls"), "\n\r\t\x01\x1b[2J\x7f");
  assert_string_equal(str(o, "unicode"),
                      "\xc2\x85 \xc3\xa8\xe2\x82\xac\xf0\x9d\x84\x9e");
  assert_string_equal(str(o, "null"), "");
  assert_string_equal(str(o, "nul"), "a" FFFD "b");
  json_decref(o);
  /* No raw control byte, DEL or C1 control reaches the line. */
  for (size_t i = 0; i < t.len - 1; i++)
    assert_true((unsigned char)t.buf[i] >= 0x20 &&
                (unsigned char)t.buf[i] != 0x7f);
  assert_null(strstr(t.buf, "\xc2\x85"));
  assert_non_null(strstr(t.buf, "\\u001b[2J\\u007f"));
}

static void invalid_utf8_becomes_replacement_characters(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"G\xffT", "G" FFFD "T"},
      {"\xc0\xaf", FFFD FFFD},                   /* overlong '/' */
      {"\xe0\x80\xaf", FFFD FFFD FFFD},          /* overlong, three bytes */
      {"\xed\xa0\x80", FFFD FFFD FFFD},          /* a surrogate */
      {"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD}, /* above U+10FFFF */
      {"\xf5\x80", FFFD FFFD},
      {"a\xe2\x82(b", "a" FFFD "(b"}, /* truncated, then ASCII */
      {"end\xe2\x82", "end" FFFD},    /* truncated at the end */
      {"\xf0\x9f\x98", FFFD},
      {"\x80\xbf", FFFD FFFD}, /* lone continuation bytes */
      {"\xc3\xa8\xc3", "\xc3\xa8" FFFD},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    json_text t;
    json_text_init(&t);
    json_text_key_string(&t, "v", cases[i].in, 64);
    json_t *o = end_and_parse(&t);
    assert_string_equal(str(o, "v"), cases[i].out);
    /* Written escaped, as \ufffd: no stray byte of the input is left. */
    int expected = 0, found = 0;
    for (const char *p = cases[i].out; (p = strstr(p, FFFD)); p += 3)
      expected++;
    for (const char *p = t.buf; (p = strstr(p, "\\ufffd")); p += 6)
      found++;
    assert_int_equal(found, expected);
    json_decref(o);
  }
}

/* The escaped length of one field's value as written in t->buf. */
static size_t written_len(const json_text *t, const char *key) {
  char needle[80];
  snprintf(needle, sizeof needle, "\"%s\":\"", key);
  const char *p = strstr(t->buf, needle);
  assert_non_null(p);
  p += strlen(needle);
  const char *q = p;
  while (*q != '"')
    q += *q == '\\' ? 2 : 1;
  return (size_t)(q - p);
}

static void values_are_cut_at_their_cap_with_a_marker(void **state) {
  (void)state;
  static char plain[2001], accents[2001], controls[2001];
  memset(plain, 'X', 2000);
  for (int i = 0; i < 2000; i += 2)
    memcpy(accents + i, "\xc3\xa8", 2);
  memset(controls, '\x02', 2000);
  const size_t caps[] = {JSON_TEXT_CAP_WORD, JSON_TEXT_CAP_NAME,
                         JSON_TEXT_CAP_ROUTE, JSON_TEXT_CAP_MSG};
  const char *values[] = {plain, accents, controls};
  for (size_t c = 0; c < sizeof caps / sizeof *caps; c++)
    for (int k = 0; k < 3; k++) {
      json_text t;
      json_text_init(&t);
      json_text_key_string(&t, "v", values[k], caps[c]);
      json_text_key_uint(&t, "after", 7);
      json_t *o = end_and_parse(&t);
      const char *v = str(o, "v");
      assert_true(written_len(&t, "v") <= caps[c]);
      assert_true(ends_with(v, MARKER));
      /* Cut as late as the cap allows, on a character boundary: 2-byte
       * accents whole, 6-byte escapes whole. */
      size_t room = caps[c] - strlen(MARKER);
      size_t kept = k == 0 ? room : k == 1 ? room / 2 * 2 : room / 6;
      assert_int_equal(strlen(v), kept + strlen(MARKER));
      assert_memory_equal(v, values[k], kept);
      assert_int_equal(json_integer_value(json_object_get(o, "after")), 7);
      assert_null(json_object_get(o, "truncated")); /* nothing dropped */
      json_decref(o);
    }
}

static void cap_boundaries_and_caller_cuts(void **state) {
  (void)state;
  char v[40];
  memset(v, 'a', sizeof v);
  json_text t;
  json_text_init(&t);
  json_text_key_bytes(&t, "fits", v, JSON_TEXT_CAP_WORD, JSON_TEXT_CAP_WORD,
                      false);
  json_text_key_bytes(&t, "over", v, JSON_TEXT_CAP_WORD + 1, JSON_TEXT_CAP_WORD,
                      false);
  json_text_key_bytes(&t, "cut_before", v, 5, JSON_TEXT_CAP_WORD, true);
  json_text_key_bytes(&t, "tiny_cap", v, 40, 1, false);
  json_t *o = end_and_parse(&t);
  assert_int_equal(strlen(str(o, "fits")), JSON_TEXT_CAP_WORD);
  assert_false(ends_with(str(o, "fits"), MARKER));
  assert_int_equal(strlen(str(o, "over")), JSON_TEXT_CAP_WORD);
  assert_true(ends_with(str(o, "over"), MARKER));
  assert_string_equal(str(o, "cut_before"), "aaaaa" MARKER);
  assert_string_equal(str(o, "tiny_cap"), MARKER); /* the cap is at least it */
  json_decref(o);
}

/* Many fields: the line fills up. Whatever the sizes, the line still ends
 * as one object, the fields that did not fit are gone whole (no key
 * without its value, no trailing comma) and it says so. */
static void a_full_buffer_still_closes_the_line(void **state) {
  (void)state;
  static char v[1100];
  memset(v, 'v', sizeof v - 1);
  for (size_t len = 1; len < sizeof v; len += len < 40 ? 1 : 37) {
    v[len] = '\0';
    json_text t;
    json_text_init(&t);
    for (int i = 0; i < 400; i++) {
      char key[16];
      snprintf(key, sizeof key, "k%d", i);
      json_text_key_string(&t, key, v, JSON_TEXT_CAP_MSG);
      snprintf(key, sizeof key, "n%d", i);
      json_text_key_uint(&t, key, (unsigned long long)i);
      snprintf(key, sizeof key, "d%d", i);
      json_text_key_double(&t, key, 1.5);
    }
    v[len] = 'v';
    json_t *o = end_and_parse(&t);
    assert_true(json_is_true(json_object_get(o, "truncated")));
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val) {
      if (json_is_string(val)) {
        size_t n = strlen(json_string_value(val));
        assert_true(n == len ||
                    (ends_with(json_string_value(val), MARKER) && n <= len));
      }
    }
    json_decref(o);
  }
}

static void numbers_are_valid_json_numbers(void **state) {
  (void)state;
  json_text t;
  json_text_init(&t);
  json_text_key_uint(&t, "zero", 0);
  json_text_key_uint(&t, "max", INT64_MAX); /* jansson's own limit */
  json_text_key_double(&t, "ms", 12.3456);
  json_text_key_double(&t, "nan", NAN);
  json_text_key_double(&t, "inf", INFINITY);
  json_text_key_double(&t, "minus_inf", -INFINITY);
  json_text_key_double(&t, "huge", 1e300);
  json_text_key_double(&t, "minus_zero", -0.0);
  json_t *o = end_and_parse(&t);
  assert_int_equal(json_integer_value(json_object_get(o, "zero")), 0);
  assert_non_null(strstr(t.buf, "\"max\":9223372036854775807,"));
  assert_true(fabs(json_real_value(json_object_get(o, "ms")) - 12.346) < 1e-9);
  assert_true(json_is_null(json_object_get(o, "nan")));
  assert_true(json_is_null(json_object_get(o, "inf")));
  assert_true(json_is_null(json_object_get(o, "minus_inf")));
  assert_true(json_real_value(json_object_get(o, "huge")) > 9e299);
  assert_non_null(json_object_get(o, "minus_zero"));
  json_decref(o);
  json_text_init(&t);
  o = end_and_parse(&t);
  assert_int_equal(json_object_size(o), 0);
  json_decref(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(escapes_what_json_and_terminals_need),
      cmocka_unit_test(invalid_utf8_becomes_replacement_characters),
      cmocka_unit_test(values_are_cut_at_their_cap_with_a_marker),
      cmocka_unit_test(cap_boundaries_and_caller_cuts),
      cmocka_unit_test(a_full_buffer_still_closes_the_line),
      cmocka_unit_test(numbers_are_valid_json_numbers),
  };
  return cmocka_run_group_tests_name("json_text", tests, NULL, NULL);
}
