/* The restricted global environment of a box. What scripts get, and why:
 *
 *  - base: assert error ipairs next pairs rawequal rawget rawlen select
 *    tonumber tostring type getmetatable _VERSION as is; pcall and xpcall
 *    that re-raise a limit error instead of catching it; setmetatable that
 *    refuses __gc (a finalizer could run code outside any call's budget);
 *    rawset that refuses the read-only library tables; load for text chunks
 *    only (no binary chunks: they can crash the VM), collectgarbage("count")
 *    only; print writing to the log; require resolving through the host
 *    (and refusing the standard library names: they are globals already).
 *    Gone: dofile, loadfile, warn (they reach files and stderr).
 *  - string (without dump; find/match/gmatch/gsub from lua_pattern.c, rep
 *    and the other C loops charged to the budget), table, math, utf8,
 *    coroutine (resume and close re-raise limits; every coroutine inherits
 *    the count hook), os.time/os.date/os.clock, and concerto.
 *  - no io, package, debug, and none of the rest of os.
 *
 * The libraries are read-only proxies shared by every chunk of the box;
 * each chunk gets its own global table whose misses read the shared one,
 * so one script's globals never leak into another's. The string metatable
 * is protected (getmetatable("") returns false), because it is one per
 * state and a script replacing string methods would change every other
 * script of the box. */
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lua_box_internal.h"
#include "lua_json.h"
#include "lua_functions.h"
#include "lua_lib.h"
#include "lua_pattern.h"

static char env_mt_key, protected_key, loaded_key, concerto_key, loading_key;

/* ---- read-only proxies ---- */

static int ro_newindex(lua_State *L) {
  return luaL_error(L, "attempt to modify a read-only library table");
}

static int ro_next(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_next(L, 1))
    return 2;
  lua_pushnil(L);
  return 1;
}

static int ro_pairs(lua_State *L) {
  lua_getmetatable(L, 1);
  lua_pushcfunction(L, ro_next);
  lua_getfield(L, -2, "__index");
  lua_pushnil(L);
  return 3;
}

static int ro_len(lua_State *L) {
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__index");
  lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
  return 1;
}

/* Replaces the table on top of the stack with a read-only view of it. */
static void make_readonly(lua_State *L) {
  lua_newtable(L); /* proxy */
  lua_createtable(L, 0, 5);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ro_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, ro_pairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushcfunction(L, ro_len);
  lua_setfield(L, -2, "__len");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &protected_key);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  lua_remove(L, -2);
}

/* ---- guarded base functions ---- */

static int after_catch(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  bool caught = lua_gettop(L) >= 1 && !lua_toboolean(L, 1);
  lua_box_check_sticky(L, caught && lua_gettop(L) >= 2 ? 2 : 0);
  return lua_gettop(L);
}

/* pcall, xpcall, coroutine.resume, coroutine.close: upvalue 1 is the
 * original; results come back unchanged unless a limit was hit. */
static int guarded_catch(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, after_catch);
  return after_catch(L, LUA_OK, 0);
}

/* Errors raised by the count hook are raised while Lua has hooks switched
 * off, and xpcall's message handler runs right there, before unwinding: a
 * handler that loops would loop with no hook to stop it. So once a limit is
 * hit the script's handler is not called at all. */
static int guarded_handler(lua_State *L) {
  if (lua_box_limit_hit(L))
    return 1; /* the limit error, unchanged */
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

static int safe_xpcall(lua_State *L) {
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, guarded_handler, 1);
  lua_replace(L, 2);
  return guarded_catch(L);
}

static int call_original(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

static int safe_setmetatable(lua_State *L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL)
      return luaL_error(L, "__gc metamethods are not allowed in the sandbox");
    lua_pop(L, 1);
  }
  return call_original(L);
}

static int safe_rawset(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &protected_key);
  lua_pushvalue(L, 1);
  bool ro = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  if (ro)
    return luaL_error(L, "attempt to modify a read-only library table");
  return call_original(L);
}

static int safe_load(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING)
    return luaL_error(L, "load: only source text strings are allowed");
  size_t len;
  const char *s = lua_tolstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "=(load)");
  const char *mode = luaL_optstring(L, 3, "t");
  if (strcmp(mode, "t") != 0) {
    lua_pushnil(L);
    lua_pushliteral(L, "binary chunks are not allowed in the sandbox "
                       "(mode must be \"t\")");
    return 2;
  }
  lua_box_charge(L, (unsigned long)(len / 16));
  int st = luaL_loadbufferx(L, s, len, name, "t");
  if (st == LUA_ERRMEM)
    return lua_error(L);
  if (st != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (!lua_isnone(L, 4))
    lua_pushvalue(L, 4);
  else
    lua_sandbox_push_env(L);
  if (!lua_setupvalue(L, -2, 1))
    lua_pop(L, 1);
  return 1;
}

static int safe_collectgarbage(lua_State *L) {
  const char *opt = luaL_optstring(L, 1, "collect");
  if (strcmp(opt, "count") != 0)
    return luaL_error(L,
                      "collectgarbage(\"%s\") is not allowed in the sandbox "
                      "(only \"count\")",
                      opt);
  int kb = lua_gc(L, LUA_GCCOUNT);
  int rest = lua_gc(L, LUA_GCCOUNTB);
  lua_pushnumber(L, (lua_Number)kb + (lua_Number)rest / 1024.0);
  return 1;
}

static bool valid_module_name(const char *name) {
  size_t len = strlen(name);
  if (len == 0 || len > 64 || name[0] == '.' || name[len - 1] == '.')
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' ||
              (c == '.' && name[i + 1] != '.');
    if (!ok)
      return false;
  }
  return true;
}

static int safe_require(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  if (strcmp(name, "concerto") == 0) {
    lua_sandbox_push_concerto(L);
    return 1;
  }
  /* The standard libraries are globals already; asking for one by name
   * is how a script probes for the real os or io, so say no plainly. */
  static const char *const libs[] = {"string",    "table", "math",  "utf8",
                                     "os",        "io",    "debug", "package",
                                     "coroutine", "_G",    NULL};
  for (int i = 0; libs[i]; i++)
    if (strcmp(name, libs[i]) == 0)
      return luaL_error(L,
                        "module '%s' is not available through require in "
                        "the sandbox (use the globals string, table, math, "
                        "utf8, coroutine and os.time/date/clock)",
                        name);
  if (!valid_module_name(name))
    return luaL_error(L, "invalid module name '%s'", name);
  lua_settop(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &loaded_key); /* 2 */
  lua_pushvalue(L, 1);
  lua_rawget(L, 2);
  if (lua_touserdata(L, -1) == &loading_key)
    return luaL_error(L, "circular require of module '%s'", name);
  if (!lua_isnil(L, -1))
    return 1;
  lua_pop(L, 1);
  size_t len = 0;
  const char *src = lua_box_module_source(L, name, &len);
  if (!src)
    return luaL_error(L, "module '%s' not found in this hospital's scripts",
                      name);
  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, &loading_key);
  lua_rawset(L, 2);
  /* Shown in errors as lib/util.lua for module lib.util. */
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (const char *p = name; *p; p++)
    luaL_addchar(&b, *p == '.' ? '/' : *p);
  luaL_addstring(&b, ".lua");
  luaL_pushresult(&b); /* 3 */
  lua_box_compile(L, lua_tostring(L, 3), src, len);
  lua_pushvalue(L, 1);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    /* Forget the half-loaded module so a later require retries it, then
     * pass the error (or the limit) on. Rewriting an existing key
     * allocates nothing. */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, 2);
    return lua_error(L);
  }
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, 2);
  return 1;
}

/* ---- C loops charged to the budget ---- */

enum cost_kind { COST_REP, COST_MOVE, COST_RANGE2, COST_RANGE3, COST_SORT };

static unsigned long range_cost(lua_State *L, int first) {
  if (lua_type(L, 1) != LUA_TTABLE)
    return 0; /* the original reports the bad argument */
  lua_Integer i = luaL_optinteger(L, first, 1);
  lua_Integer j = lua_isnoneornil(L, first + 1)
                      ? luaL_len(L, 1)
                      : luaL_checkinteger(L, first + 1);
  if (j < i)
    return 0;
  lua_Unsigned n = (lua_Unsigned)j - (lua_Unsigned)i + 1u;
  return n > ULONG_MAX / 2 ? ULONG_MAX / 2 : (unsigned long)n;
}

static int charged(lua_State *L) {
  unsigned long cost = 0;
  switch ((enum cost_kind)lua_tointeger(L, lua_upvalueindex(2))) {
  case COST_REP: {
    size_t l = 0, lsep = 0;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    /* Lua's rep loops n times even when there is nothing to copy. */
    if (n <= 0 || l + lsep == 0) {
      lua_pushliteral(L, "");
      return 1;
    }
    /* A result past the memory cap fails at its one allocation, before
     * any loop: let it, so the script hears "memory limit". */
    size_t cap = lua_box_memory_cap(L);
    if (cap && (size_t)n > cap / (l + lsep))
      break;
    cost = (unsigned long)(n / 16);
    break;
  }
  case COST_MOVE: {
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    if (e >= f) {
      lua_Unsigned n = (lua_Unsigned)e - (lua_Unsigned)f + 1u;
      cost = n > ULONG_MAX / 2 ? ULONG_MAX / 2 : (unsigned long)n;
    }
    break;
  }
  case COST_RANGE2: /* table.unpack(list, i, j) */
    cost = range_cost(L, 2);
    break;
  case COST_RANGE3: /* table.concat(list, sep, i, j) */
    cost = range_cost(L, 3);
    break;
  case COST_SORT:
    if (lua_type(L, 1) == LUA_TTABLE) {
      lua_Integer n = luaL_len(L, 1);
      if (n > 1)
        cost = (unsigned long)((double)n * log2((double)n));
    }
    break;
  }
  lua_box_charge(L, cost);
  return call_original(L);
}

/* Replaces field `name` of the table at idx with a charged wrapper. */
static void wrap_charged(lua_State *L, int idx, const char *name,
                         enum cost_kind kind) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, name);
  lua_pushinteger(L, kind);
  lua_pushcclosure(L, charged, 2);
  lua_setfield(L, idx, name);
}

static void wrap_field(lua_State *L, int idx, const char *name,
                       lua_CFunction wrapper) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, name);
  lua_pushcclosure(L, wrapper, 1);
  lua_setfield(L, idx, name);
}

/* Copies fields of the table on top into a new table, except `skip`. */
static void copy_lib(lua_State *L, const char *const *skip) {
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, -3)) {
    bool drop = false;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (int i = 0; skip && skip[i]; i++)
        if (strcmp(lua_tostring(L, -2), skip[i]) == 0)
          drop = true;
    if (drop) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_remove(L, -2);
}

/* ---- building ---- */

static void open_lib(lua_State *L, const char *name, lua_CFunction open) {
  luaL_requiref(L, name, open, 0);
}

void lua_sandbox_open(lua_State *L) {
  luaL_checkstack(L, 20, NULL);
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &protected_key);
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &loaded_key);
  lua_json_open(L);

  lua_newtable(L); /* B: the shared sandbox globals */
  int B = lua_gettop(L);

  open_lib(L, "_G", luaopen_base);
  static const char *const base_keep[] = {
      "assert",   "error",    "ipairs",       "next",     "pairs",
      "rawequal", "rawget",   "rawlen",       "select",   "type",
      "tonumber", "tostring", "getmetatable", "_VERSION", NULL};
  for (int i = 0; base_keep[i]; i++) {
    lua_getfield(L, -1, base_keep[i]);
    lua_setfield(L, B, base_keep[i]);
  }
  static const struct {
    const char *name;
    lua_CFunction wrapper;
  } wrapped[] = {{"pcall", guarded_catch},
                 {"xpcall", safe_xpcall},
                 {"setmetatable", safe_setmetatable},
                 {"rawset", safe_rawset}};
  for (size_t i = 0; i < sizeof wrapped / sizeof wrapped[0]; i++) {
    lua_getfield(L, -1, wrapped[i].name);
    lua_pushcclosure(L, wrapped[i].wrapper, 1);
    lua_setfield(L, B, wrapped[i].name);
  }
  lua_pop(L, 1);
  /* What the C API's lua_load would give a chunk by default: nothing. */
  lua_newtable(L);
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  static const luaL_Reg own[] = {{"load", safe_load},
                                 {"collectgarbage", safe_collectgarbage},
                                 {"require", safe_require},
                                 {"print", lua_lib_print},
                                 {NULL, NULL}};
  for (const luaL_Reg *r = own; r->name; r++) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, B, r->name);
  }

  /* string: our matcher, charged rep, no dump; protected metatable. */
  open_lib(L, "string", luaopen_string);
  static const char *const string_skip[] = {"dump", NULL};
  copy_lib(L, string_skip);
  lua_pattern_register(L, -1);
  wrap_charged(L, -1, "rep", COST_REP);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pushliteral(L, "");
  lua_insert(L, -2);
  lua_setmetatable(L, -2);
  lua_pop(L, 1);
  make_readonly(L);
  lua_setfield(L, B, "string");

  open_lib(L, "table", luaopen_table);
  copy_lib(L, NULL);
  wrap_charged(L, -1, "move", COST_MOVE);
  wrap_charged(L, -1, "unpack", COST_RANGE2);
  wrap_charged(L, -1, "concat", COST_RANGE3);
  wrap_charged(L, -1, "sort", COST_SORT);
  make_readonly(L);
  lua_setfield(L, B, "table");

  open_lib(L, "math", luaopen_math);
  copy_lib(L, NULL);
  make_readonly(L);
  lua_setfield(L, B, "math");

  open_lib(L, "utf8", luaopen_utf8);
  copy_lib(L, NULL);
  make_readonly(L);
  lua_setfield(L, B, "utf8");

  open_lib(L, "coroutine", luaopen_coroutine);
  copy_lib(L, NULL);
  wrap_field(L, -1, "resume", guarded_catch);
  wrap_field(L, -1, "close", guarded_catch);
  make_readonly(L);
  lua_setfield(L, B, "coroutine");

  open_lib(L, "os", luaopen_os);
  lua_createtable(L, 0, 3);
  static const char *const os_keep[] = {"time", "date", "clock", NULL};
  for (int i = 0; os_keep[i]; i++) {
    lua_getfield(L, -2, os_keep[i]);
    lua_setfield(L, -2, os_keep[i]);
  }
  lua_remove(L, -2);
  make_readonly(L);
  lua_setfield(L, B, "os");
  /* luaL_requiref kept the full libraries in the registry's _LOADED table:
   * unreachable from scripts, but drop them to make that plain. */
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);

  lua_lib_push(L);
  lua_functions_install(L, -1, make_readonly);
  make_readonly(L);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &concerto_key);
  lua_setfield(L, B, "concerto");

  lua_createtable(L, 0, 2);
  lua_pushvalue(L, B);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &env_mt_key);
  lua_settop(L, B - 1);
}

void lua_sandbox_push_env(lua_State *L) {
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &env_mt_key);
  lua_setmetatable(L, -2);
}

void lua_sandbox_push_concerto(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &concerto_key);
}
