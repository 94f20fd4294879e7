/* Lua 5.4 patterns with a work budget: string.find, string.match,
 * string.gmatch and string.gsub for the sandbox, and full-string matching
 * for the forms' `pattern` key.
 *
 * Why not Lua's own: its matcher backtracks in C without ever running a VM
 * instruction, so the count hook cannot interrupt it, and a pattern such as
 * ("a*"):rep(20) .. "b" against a long string of a's would hold a worker
 * thread for hours. This matcher implements the same pattern language
 * (written from the reference manual; tests/lua/test_lua_pattern.c checks it
 * against the real library) and charges every step to the box's
 * instruction budget, so such a call ends with the instruction or time
 * limit error like any loop. */
#ifndef CONCERTO_CORE_LUA_PATTERN_H
#define CONCERTO_CORE_LUA_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

/* Sets find, match, gmatch and gsub in the table at index idx. */
void lua_pattern_register(lua_State *L, int idx);

/* Checks the syntax of pattern p[0..len) without a subject: NULL when it is
 * well formed, else a static English message. */
const char *lua_pattern_check(const char *p, size_t len);

/* Whether the whole of s[0..ls) matches pattern p[0..lp) (a leading '^' and
 * a trailing '$' are implied). Runs under the box budget: raises the limit
 * error, or a malformed-pattern error; call inside a protected run only. */
bool lua_pattern_matches_all(lua_State *L, const char *s, size_t ls,
                             const char *p, size_t lp);

#endif
