/* JSON <-> Lua: round trips keep types (integers stay integers, null stays
 * null, {} stays {}), and Lua values that are not JSON data are refused
 * with the path of the offending value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_box.h"
#include "lua_test_util.h"
#include "lua_json.h"

static char err[512];

static lua_box *box_with(const char *src) {
  lua_box *b = lua_box_new(&LUA_TEST_LIMITS, NULL, NULL, err, sizeof err);
  assert_non_null(b);
  if (!lua_box_load(b, "t", "json.lua", src, strlen(src), err, sizeof err))
    fail_msg("%s", err);
  return b;
}

static void round_trips(void **state) {
  (void)state;
  lua_box *b =
      box_with("return { id = function(x) return x end,\n"
               "  probe = function(x) return { null_is_sentinel = x.n == "
               "concerto.null,\n"
               "    int = math.type(x.i), real = math.type(x.r), len = #x.a,\n"
               "    hole = x.a[2] == concerto.null } end }");
  static const char *const docs[] = {
      "{\"i\": 42, \"r\": 1.5, \"s\": \"caffè ☕\", \"t\": true, \"f\": false,"
      " \"n\": null, \"a\": [1, null, 3], \"o\": {}, \"e\": [],"
      " \"big\": 9007199254740993, \"neg\": -7, \"x\": 1e300,"
      " \"nested\": {\"deep\": [[{\"k\": [\"v\"]}]]}}",
      "[]",
      "{}",
      "\"only a string\"",
      "12",
      "null",
  };
  for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
    json_t *in = json_loads(docs[i], JSON_DECODE_ANY, NULL);
    assert_non_null(in);
    json_t *out = NULL;
    assert_int_equal(lua_box_call(b, "t", "id", in, &out, err, sizeof err),
                     LUA_BOX_OK);
    if (!json_equal(in, out)) {
      char *a = json_dumps(in, JSON_ENCODE_ANY),
           *c = json_dumps(out, JSON_ENCODE_ANY);
      fail_msg("%s != %s", a, c);
    }
    /* Types survive, not just values. */
    if (json_is_object(in) && json_object_get(in, "i")) {
      assert_true(json_is_integer(json_object_get(out, "i")));
      assert_true(json_is_real(json_object_get(out, "r")));
      assert_true(json_is_object(json_object_get(out, "o")));
      assert_true(json_is_array(json_object_get(out, "e")));
      assert_int_equal(json_integer_value(json_object_get(out, "big")),
                       9007199254740993LL);
      json_t *p = NULL;
      assert_int_equal(lua_box_call(b, "t", "probe", in, &p, err, sizeof err),
                       LUA_BOX_OK);
      assert_true(json_is_true(json_object_get(p, "null_is_sentinel")));
      assert_string_equal(json_string_value(json_object_get(p, "int")),
                          "integer");
      assert_string_equal(json_string_value(json_object_get(p, "real")),
                          "float");
      assert_int_equal(json_integer_value(json_object_get(p, "len")), 3);
      assert_true(json_is_true(json_object_get(p, "hole")));
      json_decref(p);
    }
    json_decref(in);
    json_decref(out);
  }
  lua_box_free(b);
}

static void refuses(lua_box *b, const char *fn, const char *what) {
  json_t *out = NULL;
  lua_box_status st = lua_box_call(b, "t", fn, NULL, &out, err, sizeof err);
  print_message("%s -> %s\n", fn, err);
  assert_int_equal(st, LUA_BOX_ERROR);
  assert_null(out);
  if (!strstr(err, what))
    fail_msg("'%s' not in: %s", what, err);
}

static void not_json_data(void **state) {
  (void)state;
  lua_box *b = box_with(
      "return {\n"
      " cycle = function() local t = {} t.me = t return {a = {b = t}} end,\n"
      " mixed = function() return { list = {1, 2, name = 'x'} } end,\n"
      " mixed2 = function() return { name = 'x', [1] = 2 } end,\n"
      " holes = function() return {1, nil, 3} end,\n"
      " zero = function() return { [0] = 'a' } end,\n"
      " boolkey = function() return { [true] = 1 } end,\n"
      " floatkey = function() return { [1.5] = 1 } end,\n"
      " nan = function() return { x = 0/0 } end,\n"
      " inf = function() return { x = {math.huge} } end,\n"
      " fn = function() return { f = print } end,\n"
      " utf8 = function() return { s = '\\xff\\xfe' } end,\n"
      " deep = function() local t = {} for i = 1, 70 do t = {t} end return t "
      "end,\n"
      " many = function() local t = {} for i = 1, 100001 do t[i] = i end "
      "return t end,\n"
      " shared = function() local x = {1} return {a = x, b = x} end,\n"
      " marked = function() return concerto.object() end,\n"
      "}");
  refuses(b, "cycle", "cycle: a table contains itself at $.a.b.me");
  refuses(b, "mixed", "mixed table");
  refuses(b, "mixed", "at $.list");
  refuses(b, "mixed2", "mixed table");
  refuses(b, "holes", "array with holes");
  refuses(b, "zero", "integer key 0");
  refuses(b, "boolkey", "key of type boolean");
  refuses(b, "floatkey", "key of type number");
  refuses(b, "nan", "NaN is not a JSON number at $.x");
  refuses(b, "inf", "infinity is not a JSON number at $.x[1]");
  refuses(b, "fn", "a function is not JSON data at $.f");
  refuses(b, "utf8", "invalid UTF-8");
  refuses(b, "deep", "nested deeper than 64");
  refuses(b, "many", "more than 100000 values");
  json_t *out = NULL;
  /* A table used twice is not a cycle. */
  assert_int_equal(lua_box_call(b, "t", "shared", NULL, &out, err, sizeof err),
                   LUA_BOX_OK);
  assert_true(json_equal(json_object_get(out, "a"), json_object_get(out, "b")));
  json_decref(out);
  assert_int_equal(lua_box_call(b, "t", "marked", NULL, &out, err, sizeof err),
                   LUA_BOX_OK);
  assert_true(json_is_object(out));
  json_decref(out);
  lua_box_free(b);
}

static void argument_limits(void **state) {
  (void)state;
  lua_box *b = box_with("return { id = function(x) return x end }");
  json_t *deep = json_array();
  for (int i = 0; i < 70; i++)
    deep = json_pack("[o]", deep);
  json_t *out = NULL;
  assert_int_equal(lua_box_call(b, "t", "id", deep, &out, err, sizeof err),
                   LUA_BOX_ERROR);
  assert_non_null(strstr(err, "deeper than 64"));
  char why[128];
  assert_false(lua_json_check(deep, why, sizeof why));
  json_decref(deep);
  json_t *many = json_array();
  for (int i = 0; i < 100001; i++)
    json_array_append_new(many, json_integer(i));
  assert_int_equal(lua_box_call(b, "t", "id", many, &out, err, sizeof err),
                   LUA_BOX_ERROR);
  assert_non_null(strstr(err, "more than 100000 items"));
  json_decref(many);
  lua_box_free(b);
}

static void encode_decode_in_lua(void **state) {
  (void)state;
  lua_box *b = box_with(
      "return { run = function()\n"
      " local c = concerto\n"
      " local d, derr = c.json_decode('{bad')\n"
      " local n = c.json_decode('null')\n"
      " local v = c.json_decode('{\"a\": [1, 2.5, null], \"b\": {}}')\n"
      " local e1, e1err = c.json_encode({ f = print })\n"
      " return { enc = c.json_encode({ b = {1, 2}, a = 'x', n = c.null }),\n"
      "   empty_obj = c.json_encode(c.object()), empty_arr = "
      "c.json_encode({}),\n"
      "   bad = d == nil and derr ~= nil, null = n == c.null,\n"
      "   a3 = v.a[3] == c.null, a2 = v.a[2], round = c.json_encode(v),\n"
      "   e1 = e1 == nil and e1err:find('function') ~= nil } end }");
  json_t *out = NULL;
  assert_int_equal(lua_box_call(b, "t", "run", NULL, &out, err, sizeof err),
                   LUA_BOX_OK);
  assert_string_equal(json_string_value(json_object_get(out, "enc")),
                      "{\"a\":\"x\",\"b\":[1,2],\"n\":null}");
  assert_string_equal(json_string_value(json_object_get(out, "empty_obj")),
                      "{}");
  assert_string_equal(json_string_value(json_object_get(out, "empty_arr")),
                      "[]");
  assert_string_equal(json_string_value(json_object_get(out, "round")),
                      "{\"a\":[1,2.5,null],\"b\":{}}");
  assert_true(json_is_true(json_object_get(out, "bad")));
  assert_true(json_is_true(json_object_get(out, "null")));
  assert_true(json_is_true(json_object_get(out, "a3")));
  assert_true(json_is_true(json_object_get(out, "e1")));
  json_decref(out);
  lua_box_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trips),
      cmocka_unit_test(not_json_data),
      cmocka_unit_test(argument_limits),
      cmocka_unit_test(encode_decode_in_lua),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
