/* The `concerto` library: time and dates on Italian civil time (with the
 * DST switches), age, night, codice fiscale, rounding, logging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lua_box.h"
#include "lua_test_util.h"
#include "lua_time.h"

static char err[512];

/* Evaluates a Lua expression in a box whose clock reads `now`. */
static json_t *eval(long long now, const char *expr) {
  char src[1024];
  snprintf(src, sizeof src, "return { run = function()\nreturn %s\nend }",
           expr);
  lua_box *b = lua_box_new(&LUA_TEST_LIMITS, NULL, NULL, err, sizeof err);
  assert_non_null(b);
  lua_box_set_now(b, now);
  if (!lua_box_load(b, "t", "lib.lua", src, strlen(src), err, sizeof err))
    fail_msg("%s", err);
  json_t *out = NULL;
  if (lua_box_call(b, "t", "run", NULL, &out, err, sizeof err) != LUA_BOX_OK)
    fail_msg("%s: %s", expr, err);
  lua_box_free(b);
  return out;
}

static void lua_is(long long now, const char *expr, const char *want) {
  json_t *out = eval(now, expr);
  if (!json_is_string(out) || strcmp(json_string_value(out), want) != 0) {
    char *s = json_dumps(out, JSON_ENCODE_ANY);
    fail_msg("%s = %s, want %s", expr, s, want);
  }
  json_decref(out);
}

#define T0 1773147600LL /* 2026-03-10 13:00 UTC, 14:00 in Italy */

static void dates_and_zones(void **state) {
  (void)state;
  lua_is(T0, "concerto.date()", "2026-03-10T13:00:00Z");
  lua_is(T0, "concerto.date(nil, nil, 'local')", "2026-03-10 14:00:00");
  lua_is(T0, "concerto.date('%d/%m/%Y %H:%M', 1782907200, 'local')",
         "01/07/2026 14:00");
  /* The spring switch: 2026-03-29 01:00 UTC. */
  lua_is(T0, "concerto.date('%H:%M', 1774745999, 'local')", "01:59");
  lua_is(T0, "concerto.date('%H:%M', 1774746000, 'local')", "03:00");
  /* The autumn switch: 2026-10-25 01:00 UTC. */
  lua_is(T0, "concerto.date('%H:%M', 1792890000 - 1, 'local')", "02:59");
  lua_is(T0, "concerto.date('%H:%M', 1792890000, 'local')", "02:00");
  lua_is(T0, "tostring(concerto.now())", "1773147600");
  lua_is(T0, "select(2, pcall(concerto.date, '%c'))",
         "date: conversion '%c' is not supported");
  /* parse_date: local time unless Z. */
  lua_is(T0,
         "(function() local d = concerto.parse_date('2026-03-10')\n"
         "return d.year .. '-' .. d.month .. '-' .. d.day .. ' ' .. "
         "d.time end)()",
         "2026-3-10 1773097200");
  lua_is(T0, "tostring(concerto.parse_date('2026-03-10 14:00').time)",
         "1773147600");
  lua_is(T0, "tostring(concerto.parse_date('2026-03-10T13:00:30Z').time)",
         "1773147630");
  lua_is(T0, "tostring(concerto.parse_date('2026-02-30'))", "nil");
  lua_is(T0, "tostring(concerto.parse_date('2026-3-10'))", "nil");
  lua_is(T0, "tostring(concerto.parse_date('2026-03-10 24:00'))", "nil");
}

static void age_and_night(void **state) {
  (void)state;
  lua_is(T0, "tostring(concerto.age('1980-03-11'))", "45");
  lua_is(T0, "tostring(concerto.age('1980-03-10'))", "46");
  lua_is(T0, "tostring(concerto.age('2000-02-29', '2001-02-28'))", "0");
  lua_is(T0, "tostring(concerto.age('2000-02-29', '2001-03-01'))", "1");
  lua_is(T0,
         "tostring(concerto.age({year = 1990, month = 1, day = 1}, "
         "'2026-01-01'))",
         "36");
  lua_is(T0, "select(2, concerto.age('2030-01-01'))",
         "birth date after the reference date");
  lua_is(T0, "select(2, concerto.age('not a date'))", "invalid date");
  /* 23:30, 10:00, 06:59, 07:00 Italian time on 2026-03-10. */
  lua_is(T0, "tostring(concerto.is_night(1773181800))", "true");
  lua_is(T0, "tostring(concerto.is_night(1773133200))", "false");
  lua_is(T0, "tostring(concerto.is_night(1773122340))", "true");
  lua_is(T0, "tostring(concerto.is_night(1773122400))", "false");
  lua_is(T0, "tostring(concerto.is_night())", "false");
  lua_is(T0, "tostring(concerto.is_night(1773133200, 8, 20))", "true");
}

static void codice_fiscale_and_helpers(void **state) {
  (void)state;
  lua_is(T0,
         "(function() local c = concerto.codice_fiscale("
         "'rssmra80a01h501u')\n return tostring(c.valid) .. c.sex .. "
         "c.birth_day .. '/' .. c.birth_month .. '/' .. c.birth_year2 "
         ".. c.place .. c.normalized end)()",
         "trueM1/1/80H501RSSMRA80A01H501U");
  lua_is(T0,
         "(function() local ok, msg = concerto.codice_fiscale("
         "'RSSMRA80A01H501X')\n return tostring(ok) .. ' ' .. "
         "type(msg) end)()",
         "false string");
  lua_is(T0, "math.type(concerto.round(2.5)) .. concerto.round(2.5)",
         "integer3");
  lua_is(T0, "tostring(concerto.round(24.691358, 1))", "24.7");
  lua_is(T0, "type(concerto.null)", "userdata");
}

static void logging(void **state) {
  (void)state;
  /* Long messages, many lines, odd bytes: none of it fails the call. */
  json_t *out = eval(T0, "(function()\n"
                         " for i = 1, 80 do concerto.log('info', "
                         "('é'):rep(400) .. i) end\n"
                         " print('a', 1, nil, true)\n"
                         " return 'done' end)()");
  assert_string_equal(json_string_value(out), "done");
  json_decref(out);
  lua_is(T0, "select(2, pcall(concerto.log, 'loud', 'x'))",
         "bad argument #1 to '?' (invalid option 'loud')");
}

static void italian_time_rule(void **state) {
  (void)state;
  /* Last Sundays: 2026-03-29 and 2026-10-25; 2027-03-28, 2027-10-31. */
  assert_int_equal(lua_time_rome_offset(1774745999), 3600);
  assert_int_equal(lua_time_rome_offset(1774746000), 7200);
  assert_int_equal(lua_time_rome_offset(1792889999), 7200);
  assert_int_equal(lua_time_rome_offset(1792890000), 3600);
  assert_int_equal(lua_time_rome_offset(1806195600), 7200);
  /* Wall clock back to UTC, including the repeated autumn hour. */
  long long local = lua_time_days_from_civil(2026, 10, 25) * 86400 + 2 * 3600 +
                    1800; /* 02:30, which happens twice */
  assert_int_equal(lua_time_rome_to_utc(local), 1792888200);
  int y, m, d;
  lua_time_civil_from_days(lua_time_days_from_civil(2000, 2, 29), &y, &m, &d);
  assert_int_equal(y * 10000 + m * 100 + d, 20000229);
  assert_false(lua_time_valid_date(2100, 2, 29));
  assert_true(lua_time_valid_date(2400, 2, 29));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dates_and_zones),
      cmocka_unit_test(age_and_night),
      cmocka_unit_test(codice_fiscale_and_helpers),
      cmocka_unit_test(logging),
      cmocka_unit_test(italian_time_rule),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
