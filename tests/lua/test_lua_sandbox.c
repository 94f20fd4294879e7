/* The hostile-script suite: every script here tries to escape the sandbox
 * or exhaust the host. Each must end with the expected status, an error
 * naming the chunk and the line, and a box that still answers a normal call
 * right after; other boxes never notice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lua_box.h"
#include "lua_test_util.h"

#define CHUNK "AOUP-PA/hostile.lua"

static char err[512];

static lua_box *new_box(const lua_limits *lim) {
  lua_box *b =
      lua_box_new(lim ? lim : &LUA_TEST_LIMITS, NULL, NULL, err, sizeof err);
  if (!b)
    fail_msg("lua_box_new: %s", err);
  return b;
}

/* Runs body as the function `run` of a freshly loaded chunk; the body's
 * first line is line 2 of CHUNK. */
static lua_box_status run(lua_box *b, const char *body, json_t **out) {
  char src[8192];
  snprintf(src, sizeof src, "return { run = function(arg)\n%s\nend }\n", body);
  if (!lua_box_load(b, "t", CHUNK, src, strlen(src), err, sizeof err))
    fail_msg("load: %s", err);
  json_t *ignored = NULL;
  lua_box_status st =
      lua_box_call(b, "t", "run", NULL, out ? out : &ignored, err, sizeof err);
  json_decref(ignored);
  return st;
}

/* The box answers a normal call correctly. */
static void assert_usable(lua_box *b) {
  json_t *out = NULL;
  lua_box_status st = run(b,
                          "local t = {} for i = 1, 100 do t[i] = i end\n"
                          "return { s = ('ab'):rep(2), n = #t, "
                          "f = string.format('%d', 7), "
                          "m = ('x=1'):match('(%w)=(%d)') }",
                          &out);
  if (st != LUA_BOX_OK)
    fail_msg("box not usable: %s", err);
  assert_string_equal(json_string_value(json_object_get(out, "s")), "abab");
  assert_int_equal(json_integer_value(json_object_get(out, "n")), 100);
  assert_string_equal(json_string_value(json_object_get(out, "f")), "7");
  assert_string_equal(json_string_value(json_object_get(out, "m")), "x");
  json_decref(out);
}

/* The status, and an error that names the chunk and the given line and
 * contains `what`. */
static void expect(lua_box *b, const char *body, lua_box_status want, int line,
                   const char *what) {
  lua_box_status st = run(b, body, NULL);
  print_message("%s\n  -> %d %s\n", body, st, err);
  assert_int_equal(st, want);
  char where[64];
  snprintf(where, sizeof where, CHUNK ":%d:", line);
  if (!strstr(err, where))
    fail_msg("error does not name %s: %s", where, err);
  if (!strstr(err, what))
    fail_msg("error does not say '%s': %s", what, err);
  assert_usable(b);
}

static void endless_loops(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  expect(b, "while true do end", LUA_BOX_LIMIT, 2, "instruction limit");
  expect(b, "local n = 0\nrepeat n = n + 1 until false", LUA_BOX_LIMIT, 3,
         "instruction limit");
  /* pcall must not swallow the limit, however the loops are nested. */
  expect(b, "while true do pcall(function() while true do end end) end",
         LUA_BOX_LIMIT, 2, "instruction limit");
  expect(b,
         "while true do\n xpcall(function() while true do end end,\n"
         "  function() while true do end end)\nend",
         LUA_BOX_LIMIT, 3, "instruction limit");
  /* A to-be-closed variable whose __close loops, run while unwinding. */
  expect(b,
         "pcall(function()\n"
         " local x <close> = setmetatable({}, {__close = function()\n"
         "   while true do end end})\n"
         " while true do end end)",
         LUA_BOX_LIMIT, 5, "instruction limit");
  /* Coroutines inherit the hook; resume does not swallow the limit. */
  expect(b,
         "local co = coroutine.create(function() while true do end end)\n"
         "print(coroutine.resume(co))\nreturn 1",
         LUA_BOX_LIMIT, 2, "instruction limit");
  expect(b, "coroutine.wrap(function()\nwhile true do end end)()",
         LUA_BOX_LIMIT, 3, "instruction limit");
  lua_box_free(b);
}

static void wall_clock(void **state) {
  (void)state;
  lua_limits lim = {8u << 20, 0, 50};
  lua_box *b = new_box(&lim);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  expect(b, "while true do end", LUA_BOX_LIMIT, 2,
         "time limit exceeded (50 ms)");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  assert_true(ms < 1000);
  lua_box_free(b);
}

static void memory_bombs(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  expect(b, "local t = {}\nfor i = 1, 1e8 do t[i] = ('x'):rep(10000) .. i end",
         LUA_BOX_LIMIT, 3, "memory limit exceeded (8388608 bytes)");
  expect(b, "return #string.rep('x', 1e9)", LUA_BOX_LIMIT, 2, "memory limit");
  expect(b, "local s = 'x'\nwhile true do s = s .. s end", LUA_BOX_LIMIT, 3,
         "memory limit");
  /* Caught by pcall, it is still the memory limit. */
  expect(b, "local ok = pcall(string.rep, 'x', 1e9)\nreturn ok", LUA_BOX_LIMIT,
         2, "memory limit");
  /* Nothing survived: the collection after the error freed it all. */
  assert_true(lua_box_memory(b) < (1u << 20));
  assert_false(lua_box_exhausted(b));
  /* Rep with nothing to copy would loop 1e15 times in plain Lua. */
  json_t *out = NULL;
  assert_int_equal(run(b, "return string.rep('', 1e15) .. 'ok'", &out),
                   LUA_BOX_OK);
  assert_string_equal(json_string_value(out), "ok");
  json_decref(out);
  lua_box_free(b);
}

static void memory_kept_in_globals_exhausts_the_box(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  assert_int_equal(run(b,
                       "keep = {}\nfor i = 1, 1e8 do keep[i] = "
                       "('x'):rep(10000) .. i end",
                       NULL),
                   LUA_BOX_LIMIT);
  assert_true(lua_box_exhausted(b));
  lua_box_free(b);
}

static void deep_recursion(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  /* Lua recursion: the stack grows until the memory cap stops it. */
  expect(b, "local function f(n) return f(n + 1) + 1 end\nreturn f(1)",
         LUA_BOX_LIMIT, 2, "memory limit");
  /* C recursion through metamethods: LUAI_MAXCCALLS (200) stops it. */
  expect(b,
         "local t = setmetatable({}, {__index = function(t, k)\n"
         "return t[k] end})\nreturn t.x",
         LUA_BOX_ERROR, 3, "stack overflow");
  /* Through gsub callbacks and other C functions: the same bound. */
  expect(b, "local function f(s) return (s:gsub('.', f)) end\nreturn f('ab')",
         LUA_BOX_ERROR, 2, "stack overflow");
  /* A table __index chain that loops. */
  expect(b, "local a = {}\nsetmetatable(a, {__index = a})\nreturn a.x",
         LUA_BOX_ERROR, 4, "'__index' chain too long");
  lua_box_free(b);
}

static void pattern_bombs(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  /* Exponential backtracking in C: Lua's own matcher never returns. */
  expect(b, "return string.find(('a'):rep(5000), ('a*'):rep(20) .. 'b')",
         LUA_BOX_LIMIT, 2, "instruction limit");
  expect(b, "local s = ('a'):rep(100000)\nreturn s:match('.-.-.-x')",
         LUA_BOX_LIMIT, 3, "instruction limit");
  expect(b, "return ('x'):rep(100000):gsub('(.-)%1', '')", LUA_BOX_LIMIT, 2,
         "instruction limit");
  /* Other C loops are charged too. */
  expect(b, "return table.move({}, 1, 1e12, 2)", LUA_BOX_LIMIT, 2,
         "instruction limit");
  expect(b, "local t = {}\nreturn table.concat(t, '', 1, 1e12)", LUA_BOX_LIMIT,
         3, "instruction limit");
  lua_box_free(b);
}

static void metatable_tricks(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  /* A finalizer could run outside any call's budget: refused. */
  expect(b, "setmetatable({}, {__gc = function() while true do end end})",
         LUA_BOX_ERROR, 2, "__gc metamethods are not allowed");
  expect(b, "local mt = {__gc = true}\nsetmetatable({}, mt)", LUA_BOX_ERROR, 3,
         "__gc");
  /* The shared string metatable and library tables cannot be changed. */
  expect(b, "getmetatable('').__index.rep = nil", LUA_BOX_ERROR, 2,
         "attempt to index a boolean value");
  expect(b, "string.rep = function() return 'pwned' end", LUA_BOX_ERROR, 2,
         "read-only");
  expect(b, "rawset(string, 'rep', print)", LUA_BOX_ERROR, 2, "read-only");
  expect(b, "setmetatable(string, {})", LUA_BOX_ERROR, 2,
         "cannot change a protected metatable");
  expect(b, "table.insert = nil", LUA_BOX_ERROR, 2, "read-only");
  /* Errors whose message is a table with a hostile __tostring: reported
   * without running it. */
  expect(b,
         "error(setmetatable({}, {__tostring = function()\n"
         "while true do end end}))",
         LUA_BOX_ERROR, 2, "(error object is a table value)");
  /* A result with hostile metamethods converts raw: none of them runs. */
  json_t *out = NULL;
  assert_int_equal(run(b,
                       "return setmetatable({a = 1}, {\n"
                       "__index = function() while true do end end,\n"
                       "__pairs = function() error('no') end,\n"
                       "__tostring = function() error('no') end,\n"
                       "__len = function() while true do end end})",
                       &out),
                   LUA_BOX_OK);
  assert_int_equal(json_integer_value(json_object_get(out, "a")), 1);
  json_decref(out);
  assert_usable(b);
  lua_box_free(b);
}

static void forbidden_functions(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  expect(b, "return string.dump(function() end)", LUA_BOX_ERROR, 2,
         "field 'dump'");
  expect(b, "local f = io.open('/etc/passwd')", LUA_BOX_ERROR, 2,
         "global 'io'");
  expect(b, "os.execute('id')", LUA_BOX_ERROR, 2, "field 'execute'");
  expect(b, "local os2 = require 'os'", LUA_BOX_ERROR, 2,
         "module 'os' is not available");
  expect(b, "require('io')", LUA_BOX_ERROR, 2, "module 'io' is not available");
  expect(b, "debug.sethook()", LUA_BOX_ERROR, 2, "global 'debug'");
  expect(b, "return load(string.dump(print))", LUA_BOX_ERROR, 2,
         "field 'dump'");
  expect(b, "assert(load('\\27Lua\\x54\\0'))", LUA_BOX_ERROR, 2,
         "attempt to load a binary chunk");
  expect(b, "assert(load('return 1', 'x', 'b'))", LUA_BOX_ERROR, 2,
         "binary chunks are not allowed");
  expect(b, "dofile('/etc/passwd')", LUA_BOX_ERROR, 2, "global 'dofile'");
  expect(b, "loadfile('/etc/passwd')", LUA_BOX_ERROR, 2, "global 'loadfile'");
  expect(b, "package.loadlib('libc.so.6', 'system')", LUA_BOX_ERROR, 2,
         "global 'package'");
  expect(b, "collectgarbage('stop')", LUA_BOX_ERROR, 2,
         "collectgarbage(\"stop\") is not allowed");
  expect(b, "coroutine.yield(1)", LUA_BOX_ERROR, 2, "yield across");

  json_t *out = NULL;
  assert_int_equal(
      run(b,
          "local gone = {}\n"
          "for _, n in ipairs{'io', 'debug', 'package', 'dofile', "
          "'loadfile', 'warn', 'module'} do\n"
          "  if _G[n] ~= nil then gone[#gone + 1] = n end end\n"
          "for _, n in ipairs{'execute', 'exit', 'getenv', 'remove', "
          "'rename', 'tmpname', 'setlocale'} do\n"
          "  if os[n] ~= nil then gone[#gone + 1] = 'os.' .. n end end\n"
          "if string.dump ~= nil then gone[#gone + 1] = 'string.dump' end\n"
          "return { leaked = gone, kb = collectgarbage('count') > 0,\n"
          "  time = type(os.time()), date = type(os.date('%Y')),\n"
          "  clock = type(os.clock()), mt = getmetatable('') }",
          &out),
      LUA_BOX_OK);
  assert_int_equal(json_array_size(json_object_get(out, "leaked")), 0);
  assert_true(json_is_true(json_object_get(out, "kb")));
  assert_string_equal(json_string_value(json_object_get(out, "time")),
                      "number");
  assert_string_equal(json_string_value(json_object_get(out, "date")),
                      "string");
  assert_true(json_is_false(json_object_get(out, "mt")));
  json_decref(out);
  /* Text chunks load and get a global table of their own. */
  assert_int_equal(run(b, "return load('return 6 * 7')()", &out), LUA_BOX_OK);
  assert_int_equal(json_integer_value(out), 42);
  json_decref(out);
  lua_box_free(b);
}

static void errors_name_chunk_and_line(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  expect(b, "local x = nil\nreturn x.y", LUA_BOX_ERROR, 3,
         "attempt to index a nil value (local 'x')");
  expect(b, "error('custom failure')", LUA_BOX_ERROR, 2, "custom failure");
  expect(b, "error({code = 1})", LUA_BOX_ERROR, 2,
         "(error object is a table value)");
  expect(b, "error('no position', 0)", LUA_BOX_ERROR, 2, "no position");
  expect(b, "return ('x'):bad()", LUA_BOX_ERROR, 2, "method 'bad'");
  /* Syntax errors name the line too. */
  const char *bad = "return {\n  a = 1,\n  b = = 2 }";
  assert_false(lua_box_load(b, "s", "ASP-AG/forms/broken.lua", bad, strlen(bad),
                            err, sizeof err));
  assert_non_null(strstr(err, "ASP-AG/forms/broken.lua:3:"));
  /* A missing function is MISSING, not an error. */
  json_t *out = NULL;
  assert_int_equal(lua_box_call(b, "t", "nope", NULL, &out, err, sizeof err),
                   LUA_BOX_MISSING);
  assert_null(out);
  assert_int_equal(
      lua_box_call(b, "no-such-slot", "run", NULL, &out, err, sizeof err),
      LUA_BOX_MISSING);
  /* A result that is not JSON data is an error naming the entry point. */
  assert_int_equal(run(b, "return { f = print }", &out), LUA_BOX_ERROR);
  assert_non_null(strstr(err, CHUNK ": run returned"));
  assert_non_null(strstr(err, "at $.f"));
  assert_usable(b);
  lua_box_free(b);
}

static const char *module_source(void *ud, const char *name, size_t *len) {
  int *calls = ud;
  (*calls)++;
  static const char util[] = "local M = {}\n"
                             "counter = (counter or 0) + 1\n"
                             "function M.double(x) return 2 * x end\n"
                             "M.loaded = counter\n"
                             "return M\n";
  static const char loop_a[] = "return require 'loop_b'";
  static const char loop_b[] = "return require 'loop_a'";
  static const char broken[] = "local x = 1\nerror('broken module')";
  const char *src = NULL;
  if (strcmp(name, "lib.util") == 0)
    src = util;
  else if (strcmp(name, "loop_a") == 0)
    src = loop_a;
  else if (strcmp(name, "loop_b") == 0)
    src = loop_b;
  else if (strcmp(name, "broken") == 0)
    src = broken;
  if (src)
    *len = strlen(src);
  return src;
}

static void require_goes_through_the_host(void **state) {
  (void)state;
  int calls = 0;
  lua_box *b =
      lua_box_new(&LUA_TEST_LIMITS, module_source, &calls, err, sizeof err);
  assert_non_null(b);
  json_t *out = NULL;
  assert_int_equal(run(b,
                       "local u = require 'lib.util'\n"
                       "local v = require 'lib.util'\n"
                       "return { same = u == v, d = u.double(21), "
                       "loaded = u.loaded, c = require('concerto') == "
                       "concerto }",
                       &out),
                   LUA_BOX_OK);
  assert_true(json_is_true(json_object_get(out, "same")));
  assert_int_equal(json_integer_value(json_object_get(out, "d")), 42);
  assert_true(json_is_true(json_object_get(out, "c")));
  json_decref(out);
  assert_int_equal(calls, 1);
  /* Cached per box, across calls and chunks. */
  assert_int_equal(run(b, "return require('lib.util').loaded", &out),
                   LUA_BOX_OK);
  assert_int_equal(json_integer_value(out), 1);
  json_decref(out);
  assert_int_equal(calls, 1);
  expect(b, "require 'nothing.here'", LUA_BOX_ERROR, 2,
         "module 'nothing.here' not found");
  expect(b, "require '../../etc/passwd'", LUA_BOX_ERROR, 2,
         "invalid module name");
  assert_int_equal(run(b, "require 'loop_a'", NULL), LUA_BOX_ERROR);
  assert_non_null(strstr(err, "loop_b.lua:1: circular require"));
  /* An error inside a module names the module's own file and line. */
  assert_int_equal(run(b, "require 'broken'", NULL), LUA_BOX_ERROR);
  assert_non_null(strstr(err, "broken.lua:2: broken module"));
  assert_usable(b);
  lua_box_free(b);
}

static void chunks_have_their_own_globals(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  const char *a = "shared = 'from a'\nfunction helper() return 1 end\n"
                  "return { get = function() return shared end }";
  const char *c = "return { get = function() return shared or 'nil' end,\n"
                  "  g = function() return _G == _ENV end }";
  assert_true(lua_box_load(b, "a", "a.lua", a, strlen(a), err, sizeof err));
  assert_true(lua_box_load(b, "c", "c.lua", c, strlen(c), err, sizeof err));
  json_t *out = NULL;
  assert_int_equal(lua_box_call(b, "a", "get", NULL, &out, err, sizeof err),
                   LUA_BOX_OK);
  assert_string_equal(json_string_value(out), "from a");
  json_decref(out);
  assert_int_equal(lua_box_call(b, "c", "get", NULL, &out, err, sizeof err),
                   LUA_BOX_OK);
  assert_string_equal(json_string_value(out), "nil");
  json_decref(out);
  assert_int_equal(lua_box_call(b, "c", "g", NULL, &out, err, sizeof err),
                   LUA_BOX_OK);
  assert_true(json_is_true(out));
  json_decref(out);
  /* A global function of the chunk is an entry point too. */
  assert_int_equal(lua_box_call(b, "a", "helper", NULL, &out, err, sizeof err),
                   LUA_BOX_OK);
  assert_int_equal(json_integer_value(out), 1);
  json_decref(out);
  lua_box_free(b);
}

static void other_boxes_are_unaffected(void **state) {
  (void)state;
  lua_box *victim = new_box(NULL);
  lua_box *attacker = new_box(NULL);
  assert_usable(victim);
  assert_int_equal(run(attacker,
                       "keep = {}\nwhile true do keep[#keep + 1] = "
                       "('y'):rep(4096) end",
                       NULL),
                   LUA_BOX_LIMIT);
  assert_int_equal(run(attacker, "while true do end", NULL), LUA_BOX_LIMIT);
  assert_usable(victim);
  assert_true(lua_box_memory(victim) < (1u << 20));
  lua_box_free(attacker);
  assert_usable(victim);
  lua_box_free(victim);
}

static void arguments_and_clock(void **state) {
  (void)state;
  lua_box *b = new_box(NULL);
  const char *src = "return { echo = function(a, b) return { a = a, b = b } "
                    "end, now = function() return concerto.now() end }";
  assert_true(lua_box_load(b, "e", "e.lua", src, strlen(src), err, sizeof err));
  json_t *x = json_pack("{s:i,s:[i,s,n]}", "n", 1, "l", 2, "z");
  json_t *y = json_string("two");
  const json_t *args[] = {x, y};
  json_t *out = NULL;
  assert_int_equal(
      lua_box_callv(b, "e", "echo", 2, args, &out, err, sizeof err),
      LUA_BOX_OK);
  assert_true(json_equal(json_object_get(out, "a"), x));
  assert_true(json_equal(json_object_get(out, "b"), y));
  json_decref(out);
  json_decref(x);
  json_decref(y);
  lua_box_set_now(b, 1700000000);
  assert_int_equal(lua_box_call(b, "e", "now", NULL, &out, err, sizeof err),
                   LUA_BOX_OK);
  assert_int_equal(json_integer_value(out), 1700000000);
  json_decref(out);
  lua_box_free(b);
}

static void tiny_memory_cap_fails_cleanly(void **state) {
  (void)state;
  lua_limits lim = {16 * 1024, 1000, 10};
  lua_box *b = lua_box_new(&lim, NULL, NULL, err, sizeof err);
  assert_null(b);
  assert_non_null(strstr(err, "sandbox"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(endless_loops),
      cmocka_unit_test(wall_clock),
      cmocka_unit_test(memory_bombs),
      cmocka_unit_test(memory_kept_in_globals_exhausts_the_box),
      cmocka_unit_test(deep_recursion),
      cmocka_unit_test(pattern_bombs),
      cmocka_unit_test(metatable_tricks),
      cmocka_unit_test(forbidden_functions),
      cmocka_unit_test(errors_name_chunk_and_line),
      cmocka_unit_test(require_goes_through_the_host),
      cmocka_unit_test(chunks_have_their_own_globals),
      cmocka_unit_test(other_boxes_are_unaffected),
      cmocka_unit_test(arguments_and_clock),
      cmocka_unit_test(tiny_memory_cap_fails_cleanly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
