/* What the other lua_*.c files need from a box: running C code inside the
 * sandbox under its limits, charging work done by C functions, compiling
 * chunks into their own environment. Not for use outside core/lua_*.c.
 *
 * The rule that keeps the host safe: Lua reports errors with longjmp, so a
 * C function that can raise a Lua error (any call that allocates Lua memory,
 * calls Lua code or is documented to raise) must not hold anything that the
 * jump would leak (malloc'd memory, a jansson reference not yet attached to
 * an object its caller owns). Such resources are either attached first to
 * something owned outside the protected run, or held by a Lua userdata with
 * a __gc (see lua_json_holder). */
#ifndef CONCERTO_CORE_LUA_BOX_INTERNAL_H
#define CONCERTO_CORE_LUA_BOX_INTERNAL_H

#include <lua.h>

#include "lua_box.h"

/* Work run inside the box. It runs on the box's worker thread L, may raise
 * Lua errors, and leaves nothing on the stack that the caller needs: it
 * stores its results through ud. */
typedef void (*lua_box_body)(lua_State *L, void *ud);

/* Runs body under the per-call limits (a fresh instruction budget and
 * deadline). `where` names the script for errors that happen outside any
 * Lua function (e.g. "AOUP-PA/rules.lua: route_ticket"). Returns LUA_BOX_OK,
 * LUA_BOX_ERROR or LUA_BOX_LIMIT with the message in err. */
lua_box_status lua_box_run(lua_box *b, const char *where, lua_box_body body,
                           void *ud, char *err, size_t errlen);

/* The box a state (or any of its threads) belongs to. */
lua_box *lua_box_of(lua_State *L);

/* Adds `units` VM-instruction equivalents of work done in C to the call's
 * budget and checks the limits: raises the limit error when exceeded. Only
 * from C functions called by scripts (or bodies). */
void lua_box_charge(lua_State *L, unsigned long units);

/* Re-raises the limit error when this call already exceeded a limit, and
 * turns a caught "not enough memory" into the memory-limit error: used
 * after anything that catches errors (pcall, coroutine.resume) so a script
 * cannot swallow a limit and go on. */
void lua_box_check_sticky(lua_State *L, int caught_error_index);

/* The box's memory cap in bytes (0: none). */
size_t lua_box_memory_cap(lua_State *L);

/* True once the running call has hit a limit. */
bool lua_box_limit_hit(lua_State *L);

/* The clock scripts see: lua_box_set_now's value or time(NULL). */
long long lua_box_now(lua_State *L);

/* Compiles a text chunk with `chunkname` shown in errors and gives it a
 * fresh environment of its own (reads fall through to the read-only
 * sandbox globals). Pushes the function; raises the syntax error (already
 * "name:line: message") on failure. */
void lua_box_compile(lua_State *L, const char *chunkname, const char *source,
                     size_t len);

/* Pushes the script value kept under slot (nil when none). Raw access. */
void lua_box_push_slot(lua_State *L, const char *slot);

/* Stores the value on top of the stack under slot and pops it. */
void lua_box_set_slot(lua_State *L, const char *slot);

/* The chunk name last loaded into slot (the slot name when none). */
const char *lua_box_slot_chunk(const lua_box *b, const char *slot);

/* Drops a registry reference made with luaL_ref inside a body; safe outside
 * any run (it cannot raise). */
void lua_box_unref(lua_box *b, int ref);

/* The module source callback given to lua_box_new (NULL: not found). */
const char *lua_box_module_source(lua_State *L, const char *name, size_t *len);

/* lua_box_set_context's value for the box of L. */
void *lua_box_context(lua_State *L);

/* Counts a call of a module function in this call: false past `max`. */
bool lua_box_host_call(lua_State *L, unsigned max);

/* The per-call log line budget of concerto.log: true when one more line
 * may be written now. */
bool lua_box_log_allowed(lua_State *L);

/* ---- lua_sandbox.c: the restricted global environment ---- */

/* Builds the read-only sandbox globals and the protected string metatable
 * in the registry. Raises on memory exhaustion (called protected). */
void lua_sandbox_open(lua_State *L);

/* Pushes a fresh per-chunk environment (its own globals, `_G` = itself,
 * unknown names read from the sandbox globals). */
void lua_sandbox_push_env(lua_State *L);

/* Pushes the (read-only view of the) `concerto` library. */
void lua_sandbox_push_concerto(lua_State *L);

#endif
