/* Preloaded boxes, one per worker thread per hospital script set, reused
 * call after call (PERFORMANCE.md: a fresh state costs 62-81 us, a reused
 * one 4.2 us).
 *
 * Each thread has its own cache, so a box is only ever used by the thread
 * that loaded it and needs no lock. A set is named "<hospital>@<version>"
 * (e.g. "AOUP-PA@17"): when a thread asks for a version of a hospital
 * other than the one it holds, it drops its old box and loads the new one.
 * A reload therefore never frees a box another thread is using: each thread
 * swaps its own, the next time it asks. A box that lua_box_exhausted()
 * reports is reloaded the same way.
 *
 * Memory bound: threads x hospitals held per thread (at most
 * max_sets_per_thread, least recently used dropped first) x the memory cap
 * of one box. With 8 worker threads, 8 sets each and 8 MiB boxes that is
 * 512 MiB at worst; a typical box holds well under 1 MiB. */
#ifndef CONCERTO_CORE_LUA_POOL_H
#define CONCERTO_CORE_LUA_POOL_H

#include <stddef.h>

#include "lua_box.h"

typedef struct lua_pool lua_pool;

/* Builds the box of set_key: creates it (with the set's limits and module
 * lookup) and loads its scripts. It may hand back `*data` (e.g. the set's
 * lua_form objects), which the pool keeps next to the box and releases
 * with the pool's free_data before freeing the box. Returns NULL with err
 * set on failure. set_key is borrowed. Runs on the calling thread. */
typedef lua_box *(*lua_pool_load_fn)(void *ud, const char *set_key, void **data,
                                     char *err, size_t errlen);

/* Releases what a loader attached (may be NULL: nothing attached). */
typedef void (*lua_pool_free_fn)(void *data);

/* A pool keeping at most max_sets_per_thread boxes per thread (0 means 16).
 * Owned by the caller: lua_pool_free. NULL when out of memory. */
lua_pool *lua_pool_new(size_t max_sets_per_thread, lua_pool_free_fn free_data);

/* The calling thread's box for set_key, loaded with `load` (ud passed
 * through) the first time or after a version change. The box and *data
 * stay the pool's: use them on this thread only, and only until this
 * thread's next lua_pool_get (which may drop them). NULL with err set when
 * loading fails (nothing is cached then: the next call tries again). */
lua_box *lua_pool_get(lua_pool *pool, const char *set_key,
                      lua_pool_load_fn load, void *ud, void **data, char *err,
                      size_t errlen);

/* Frees the pool and every box it holds. Threads that exit earlier free
 * their own boxes then; call this only once no thread uses the pool. */
void lua_pool_free(lua_pool *pool);

#endif
