/* The sandbox's budgeted pattern matcher against the real Lua library:
 * the same probe script runs string.find/match/gmatch/gsub over many
 * subjects and patterns in a plain lua_State and in a box, and every
 * result (and error message) must be the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

#include "lua_box.h"
#include "lua_test_util.h"
#include "lua_pattern.h"

static const char probe[] =
    "local function ser(...)\n"
    "  local t = table.pack(...)\n"
    "  for i = 1, t.n do t[i] = tostring(t[i]) end\n"
    "  return t.n .. ':' .. table.concat(t, ',', 1, t.n)\n"
    "end\n"
    "local function try(f, ...)\n"
    "  local r = table.pack(pcall(f, ...))\n"
    "  if not r[1] then\n"
    "    local m = tostring(r[2])\n"
    "    local cut = m:find(': ', 1, true)\n"
    "    return 'ERR:' .. (cut and m:sub(cut + 2) or m)\n"
    "  end\n"
    "  return ser(table.unpack(r, 2, r.n))\n"
    "end\n"
    "return function(s, p, init)\n"
    "  local out = {}\n"
    "  out[#out + 1] = try(string.find, s, p, init)\n"
    "  out[#out + 1] = try(string.find, s, p, init, true)\n"
    "  out[#out + 1] = try(string.match, s, p, init)\n"
    "  out[#out + 1] = try(function()\n"
    "    local r = {}\n"
    "    for a, b in string.gmatch(s, p, init) do\n"
    "      r[#r + 1] = tostring(a) .. '/' .. tostring(b)\n"
    "    end\n"
    "    return table.concat(r, ';')\n"
    "  end)\n"
    "  out[#out + 1] = try(string.gsub, s, p, '<%0>')\n"
    "  out[#out + 1] = try(string.gsub, s, p, function(a, b)\n"
    "    return '[' .. tostring(a) .. tostring(b) .. ']' end)\n"
    "  out[#out + 1] = try(string.gsub, s, p, { a = 'A', ab = 'AB' }, 2)\n"
    "  out[#out + 1] = try(string.gsub, s, p, '%1')\n"
    "  out[#out + 1] = try(string.gsub, s, p, '%2%%')\n"
    "  local all = table.concat(out, '\\n')\n"
    "  return (all:gsub('[\\128-\\255]', function(c)\n"
    "    return '\\\\' .. c:byte() end))\n"
    "end\n";

static const struct {
  const char *s, *p;
  int init; /* 0: none */
} cases[] = {
    {"hello world", "o", 0},
    {"hello world", "l+", 0},
    {"hello world", "(h)(e)", 0},
    {"hello", "()ll()", 0},
    {"hello world from Lua", "%a+", 0},
    {" trim me  ", "^%s*(.-)%s*$", 0},
    {"key = value", "(%w+)%s*=%s*(%w+)", 0},
    {"THE (quick) fox", "%((%a+)%)", 0},
    {"f(a(b)c)d", "%b()", 0},
    {"((a)", "%b()", 0},
    {"x", "%bxy", 0},
    {"THE (quick) fox", "%f[%a]%a+", 0},
    {"THE (quick) fox", "%f[%A]", 0},
    {"hello", "", 0},
    {"abc", ".-", 0},
    {"aaa", "a-b", 0},
    {"aaab", "a-b", 0},
    {"abcabc", "(abc)%1", 0},
    {"x=1, y=2", "(%w+)=(%w+)", 0},
    {"2024-03-10", "^(%d%d%d%d)-(%d%d)-(%d%d)$", 0},
    {"abc", "[a-", 0},
    {"abc", "(()", 0},
    {"abc", "%", 0},
    {"abc", "a)", 0},
    {"abc", "[%a]+", 0},
    {"a.b.c", "%.", 0},
    {"a+b", "a+b", 0},
    {"[x]", "[]]", 0},
    {"[x]", "[^]]+", 0},
    {"x-y_z", "[%w_-]+", 0},
    {"a-z", "[a-]", 0},
    {"caffè è", ".", 0},
    {"hello", "l*", 0},
    {"hello", "x*", 0},
    {"abc", "^b", 0},
    {"abc", "c$", 0},
    {"a$c", "$c", 0},
    {"a$c", "a$", 0},
    {"aaa", "^a", 0},
    {"one two  three", "%s+", 0},
    {"CamelCaseString", "%u%l+", 0},
    {"1.5e10", "^[+-]?%d+%.?%d*[eE]?[+-]?%d*$", 0},
    {"ab12cd", "%d?%d", 0},
    {"abc", "%1", 0},
    {"abc", "(a)%2", 0},
    {"hello world", "o", -3},
    {"hello", "l", 10},
    {"hello", "", 10},
    {"hello", "", 6},
    {"hello", "h", -100},
    {"AB123", "%u%u%d+", 0},
    {"12:30", "[0-2]%d:[0-5]%d", 0},
    {"aXb", "%w%W%w", 0},
    {"  x", "%S", 0},
    {"tab\tsep", "%c", 0},
    {"a,b,,c", "([^,]*)", 0},
    {"hello", "(h)(e)(l)(l)(o)", 0},
    {"abab", "ab?", 0},
    {"aaa", "a?a?a?aaa", 0},
    {"path/to/file.lua", "([^/]+)%.lua$", 0},
    {"%d", "%%d", 0},
    {"ab", "(a)(b)", 2},
    {"x y", "%f[%w]%w+", 0},
    {"", "^$", 0},
    {"", ".*", 0},
    {"abc", "[^%a]", 0},
    {"ABCdef", "[%u]+", 0},
    {"0x1F", "^0[xX](%x+)$", 0},
};

static char err[512];

static void same_as_the_real_library(void **state) {
  (void)state;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  assert_int_equal(luaL_loadstring(L, probe), LUA_OK);
  lua_call(L, 0, 1);
  int native = lua_gettop(L);

  char src[sizeof probe + 64];
  snprintf(src, sizeof src, "return { probe = (function()\n%s\nend)() }",
           probe);
  lua_box *b = lua_box_new(&LUA_TEST_LIMITS, NULL, NULL, err, sizeof err);
  assert_non_null(b);
  if (!lua_box_load(b, "t", "probe.lua", src, strlen(src), err, sizeof err))
    fail_msg("%s", err);

  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    lua_pushvalue(L, native);
    lua_pushstring(L, cases[i].s);
    lua_pushstring(L, cases[i].p);
    if (cases[i].init)
      lua_pushinteger(L, cases[i].init);
    else
      lua_pushnil(L);
    lua_call(L, 3, 1);
    const char *want = lua_tostring(L, -1);

    json_t *args[3] = {json_string(cases[i].s), json_string(cases[i].p),
                       cases[i].init ? json_integer(cases[i].init) : NULL};
    json_t *out = NULL;
    lua_box_status st = lua_box_callv(
        b, "t", "probe", 3, (const json_t *const *)args, &out, err, sizeof err);
    if (st != LUA_BOX_OK)
      fail_msg("case %zu: %s", i, err);
    const char *got = json_string_value(out);
    if (strcmp(want, got) != 0)
      fail_msg("case %zu (%s ~ %s):\nlua:     %s\nsandbox: %s", i, cases[i].s,
               cases[i].p, want, got);
    json_decref(out);
    for (int k = 0; k < 3; k++)
      json_decref(args[k]);
    lua_pop(L, 1);
  }
  lua_box_free(b);
  lua_close(L);
}

static void syntax_check(void **state) {
  (void)state;
  static const char *const good[] = {
      "",      "^abc$",  "%d+",   "[%w_]+", "[]]",      "[^]]",
      "%b()",  "%f[%a]", "(a)%1", "()x()",  "%%",       "a-b*",
      "[a-z]", "$x",     "^$",    "%.%d?",  "(a(b)c)%2"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    if (lua_pattern_check(good[i], strlen(good[i])))
      fail_msg("'%s' refused: %s", good[i],
               lua_pattern_check(good[i], strlen(good[i])));
  static const char *const bad[] = {"[a-", "(()", "%",     "%b", "%fx",  "(a",
                                    "a)",  "%1",  "(a)%2", "%0", "(a%1)"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (!lua_pattern_check(bad[i], strlen(bad[i])))
      fail_msg("'%s' accepted", bad[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_as_the_real_library),
      cmocka_unit_test(syntax_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
