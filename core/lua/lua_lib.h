/* The `concerto` Lua library (`local concerto = require "concerto"`, also
 * the global `concerto`): logging, time and date helpers on Italian civil
 * time, the codice fiscale check, JSON, concerto.null. The reference is in
 * docs/scripting.md. Every function is safe in the sandbox: no file, no
 * process, no network, output capped. */
#ifndef CONCERTO_CORE_LUA_LIB_H
#define CONCERTO_CORE_LUA_LIB_H

#include <lua.h>

/* Pushes a new table holding the library. Raises on memory exhaustion
 * (called while building a box). */
void lua_lib_push(lua_State *L);

/* The sandbox's print: its arguments, tostring'ed and tab-separated, as
 * one info line of concerto.log. */
int lua_lib_print(lua_State *L);

#endif
