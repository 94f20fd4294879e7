/* One sandboxed Lua 5.4 state ("box") holding one hospital script set.
 *
 * A box runs hospital scripts (forms, rules, their modules) under three
 * limits: a memory cap for the whole state (a counting allocator), and an
 * instruction budget and a wall-clock bound per call (a count hook plus
 * charges from the C functions that can loop without running Lua code).
 * Scripts see only a restricted standard library and `concerto`; see
 * docs/scripting.md for the exact list and why each piece is there.
 *
 * A box is not thread-safe: one thread uses it at a time (lua_pool gives
 * each worker thread its own). Different boxes share nothing, so a script
 * that exhausts its box never affects another hospital. */
#ifndef CONCERTO_CORE_LUA_BOX_H
#define CONCERTO_CORE_LUA_BOX_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct lua_limits {
  size_t memory_bytes;        /* whole state, e.g. 8 MiB; 0 = no cap */
  unsigned long instructions; /* per call, e.g. 1000000; 0 = no budget */
  unsigned wall_ms;           /* per call, e.g. 50; 0 = no bound */
} lua_limits;

/* The production limits: 8 MiB, one million VM instructions, 50 ms.
 * Setting both instructions and wall_ms to 0 removes the count hook
 * entirely: only benchmarks and trusted tests do that. */
#define LUA_LIMITS_DEFAULT ((lua_limits){8u << 20, 1000000ul, 50u})

typedef struct lua_box lua_box;

/* The sandboxed `require` resolves NAME only through this callback: it
 * returns the source text of module NAME of the same hospital script set
 * and its length in *len, or NULL when there is no such module. The text is
 * borrowed: it must stay valid until the callback is called again or the
 * box is freed. `require` never touches the file system itself. */
typedef const char *(*lua_module_source_fn)(void *ud, const char *name,
                                            size_t *len);

/* A fresh sandboxed state with the limits copied from *lim (NULL = the
 * defaults). modules may be NULL (then every require fails) and ud is
 * passed to it untouched. Returns NULL with a message in err when the state
 * cannot be built (e.g. a memory cap too small for the libraries). The box
 * is owned by the caller: free it with lua_box_free. */
lua_box *lua_box_new(const lua_limits *lim, lua_module_source_fn modules,
                     void *ud, char *err, size_t errlen);

/* Frees the state and everything loaded into it. NULL is allowed. Forms
 * loaded in the box must be freed first (lua_form_free). */
void lua_box_free(lua_box *b);

/* Compiles the text chunk source[0..len) (never a binary chunk) named
 * chunkname, e.g. "AOUP-PA/forms/cardiologia.lua" (it appears in every error
 * message), runs it under the per-call limits in an environment of its own
 * and keeps its return value as the box's script value under `slot` (a name,
 * e.g. "rules"), replacing any previous value. All strings are borrowed for
 * the call. On failure returns false with "chunkname:line: message" in err
 * and leaves the slot unchanged. */
bool lua_box_load(lua_box *b, const char *slot, const char *chunkname,
                  const char *source, size_t len, char *err, size_t errlen);

typedef enum lua_box_status {
  LUA_BOX_OK = 0,
  LUA_BOX_MISSING, /* no such slot or function: the caller uses its
                      documented default */
  LUA_BOX_ERROR,   /* runtime error; err = "chunkname:line: message" */
  LUA_BOX_LIMIT    /* instruction, memory or time limit exceeded; err names
                      which one and where */
} lua_box_status;

/* Calls function `fn` of the table in `slot` with one argument converted
 * from JSON (arg borrowed; NULL passes nil) and converts the first result
 * back to JSON: on LUA_BOX_OK *out holds a new reference (JSON null when the
 * function returned nothing). When the table has no such function, a global
 * function fn defined by the chunk that made the slot is called instead
 * (scripts may write `function route_ticket(t) ... end` without returning a
 * table); fn NULL calls the slot's value itself when it is a function. A
 * NULL slot, or no function found, is LUA_BOX_MISSING. Lookups are raw: no
 * script code runs to find the function. On any status but OK *out is NULL
 * and err says why. The box stays usable after every status. */
lua_box_status lua_box_call(lua_box *b, const char *slot, const char *fn,
                            const json_t *arg, json_t **out, char *err,
                            size_t errlen);

/* The same with nargs arguments (each borrowed), for entry points such as
 * on_event(name, payload). */
lua_box_status lua_box_callv(lua_box *b, const char *slot, const char *fn,
                             size_t nargs, const json_t *const *args,
                             json_t **out, char *err, size_t errlen);

/* Fixes the clock that concerto.now(), concerto.is_night(), concerto.age()
 * and the forms' "today" read, so a dry run can ask "what would this rule
 * do at 23:00?". 0 goes back to the real clock. os.time() is not affected. */
void lua_box_set_now(lua_box *b, long long epoch_seconds);

/* What C functions called by scripts act for (the request a rule or form
 * runs for; NULL: none, e.g. the command line's dry runs). Borrowed: set it
 * before each use of a pooled box. */
void lua_box_set_context(lua_box *b, void *context);

/* Bytes the state holds now. */
size_t lua_box_memory(const lua_box *b);

/* True when a call hit the memory cap and the full collection that follows
 * still left more than 3/4 of the cap in use: the scripts keep data that no
 * collection frees and that will make later calls fail, so the owner should
 * drop the box and load the set again (lua_pool does). */
bool lua_box_exhausted(const lua_box *b);

#endif
