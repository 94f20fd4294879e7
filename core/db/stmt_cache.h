/* The prepared statements of one database connection, least recently used
 * first out.
 *
 * Every SQL text a connection runs is prepared once and then executed by
 * name; the core and the modules have a few hundred call sites, so a
 * connection keeps at most `capacity` of them and, to prepare one more,
 * forgets the one used longest ago - the caller DEALLOCATEs the name
 * stmt_cache_add hands back, so PostgreSQL's memory stays bounded too.
 * Pure bookkeeping: no libpq here, one owner (the connection's holder). */
#ifndef CONCERTO_CORE_STMT_CACHE_H
#define CONCERTO_CORE_STMT_CACHE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct stmt_cache stmt_cache;

#define STMT_NAME_MAX 24

/* capacity >= 1. Owned by the caller: stmt_cache_free. */
stmt_cache *stmt_cache_new(unsigned capacity);
void stmt_cache_free(stmt_cache *c);
/* Forgets everything (the session that held the statements is gone). */
void stmt_cache_clear(stmt_cache *c);

/* The name `sql` is prepared under, marked most recently used; NULL when
 * it is not prepared. Borrowed until the next call on c. */
const char *stmt_cache_find(stmt_cache *c, const char *sql);
/* The name to prepare `sql` under, a new one per statement on this
 * connection (never reused, so a name is never ambiguous). Written to
 * name[STMT_NAME_MAX]; nothing is recorded yet. */
void stmt_cache_next_name(stmt_cache *c, char name[STMT_NAME_MAX]);
/* Whether adding one more statement evicts one, and which: writes the
 * least recently used one's name. */
bool stmt_cache_victim(const stmt_cache *c, char name[STMT_NAME_MAX]);
/* Records that `sql` (copied) is now prepared under `name`, as the most
 * recently used. false when full (evict first) or out of memory. */
bool stmt_cache_add(stmt_cache *c, const char *sql, const char *name);
/* Forgets the least recently used statement (after its DEALLOCATE). */
void stmt_cache_evict(stmt_cache *c);

unsigned stmt_cache_count(const stmt_cache *c);
unsigned stmt_cache_capacity(const stmt_cache *c);

#endif
