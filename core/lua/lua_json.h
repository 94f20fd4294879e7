/* JSON <-> Lua values, for the arguments and results that cross the box
 * boundary and for concerto.json_encode/json_decode.
 *
 *   JSON object  <-> table with string keys
 *   JSON array   <-> sequence (keys 1..n, no holes)
 *   JSON null    <-> concerto.null (a unique light userdata: compare with
 *                    `v == concerto.null`; a nil would vanish from tables)
 *   integer      <-> integer (stays an integer both ways); real <-> float
 *   true/false   <-> boolean
 *
 * An empty Lua table becomes [] unless it is marked as an object
 * (concerto.object(t), or it came from a JSON {}). Lua -> JSON refuses, with
 * an error naming the path (e.g. "$.sections[2].id"): tables mixing string
 * and integer keys, arrays with holes, keys that are neither strings nor
 * integers, NaN and infinities, cycles, functions and other non-data
 * values, invalid UTF-8, and anything past the limits below. */
#ifndef CONCERTO_CORE_LUA_JSON_H
#define CONCERTO_CORE_LUA_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <lua.h>

#define LUA_JSON_MAX_DEPTH 64         /* nested arrays/objects */
#define LUA_JSON_MAX_ITEMS 100000     /* values in one conversion */
#define LUA_JSON_MAX_STRING (1 << 20) /* bytes in one string */

/* Registers the object marker and the holder metatable in the registry.
 * Raises on memory exhaustion (called while building a box). */
void lua_json_open(lua_State *L);

/* Pushes concerto.null / tells whether the value at idx is it. */
void lua_json_push_null(lua_State *L);
bool lua_json_is_null(lua_State *L, int idx);

/* Marks the table at idx as a JSON object (it keeps a metatable of ours;
 * raises if it already has another one). */
void lua_json_mark_object(lua_State *L, int idx);

/* Pushes the Lua value of json (borrowed). Raises a Lua error on memory
 * exhaustion or past the limits: only inside a protected run. */
void lua_json_push(lua_State *L, const json_t *json);

/* Checks json against the depth/items/string limits without Lua, so a
 * caller can refuse bad input with a clean message before running any. */
bool lua_json_check(const json_t *json, char *err, size_t errlen);

/* What to do with a function value: return an index stored in the JSON as
 * {"$fn": index}; or -1 to refuse it. fn may raise (inside a run). */
typedef struct lua_json_fn {
  int (*fn)(void *ud, lua_State *L, int idx);
  void *ud;
} lua_json_fn;

/* Converts the Lua value at idx to JSON using raw access only: no
 * metamethod (__index, __pairs, __tostring, __gc...) and no Lua code runs,
 * and nothing here raises a Lua error (only fn may), so it is safe outside
 * a protected run. *out receives the root as soon as it exists, and children
 * are attached before they are filled: if fn raises, everything built so far
 * hangs off *out, which the caller (holding it outside the run) decrefs.
 * Returns true with a new reference in *out, or false with "message at
 * $.path" in err (then *out may hold a partial value: json_decref it). The
 * Lua stack is left as it was. nil converts to JSON null. */
bool lua_json_from_lua(lua_State *L, int idx, const lua_json_fn *fn,
                       json_t **out, char *err, size_t errlen);

/* A userdata that owns a C resource while Lua code that may raise runs:
 * `release(p)` is called when the userdata is collected unless p was set
 * back to NULL. Pushes the userdata; raises on memory exhaustion. */
typedef struct lua_json_holder {
  void *p;
  void (*release)(void *p);
} lua_json_holder;
lua_json_holder *lua_json_holder_push(lua_State *L, void (*release)(void *));

#endif
