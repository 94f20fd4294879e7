/* A bounded pool of libpq connections with a per-connection cache of
 * prepared statements.
 *
 * A connection found broken is reset before it is handed out again, so a
 * PostgreSQL restart costs the requests that were in flight at that moment a
 * 503, and the next ones succeed without a server restart. Acquire waits at
 * most the configured time and then reports the database unavailable: a
 * caller is never left hanging and never given a dead connection. */
#ifndef CONCERTO_CORE_DB_POOL_H
#define CONCERTO_CORE_DB_POOL_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "concerto/status.h"

typedef struct db_pool db_pool;
typedef struct db_conn db_conn;

typedef struct db_pool_stats {
  unsigned size, in_use, connected;
  unsigned long long acquired, waited, timeouts, resets;
  /* The prepared-statement cache: slots per connection, statements held
   * by the connections not lent out, and since start how often a
   * statement was found prepared, had to be prepared, and pushed an older
   * one out (DEALLOCATE). */
  unsigned stmt_slots, stmt_cached;
  unsigned long long stmt_hits, stmt_misses, stmt_evictions;
} db_pool_stats;

/* Prepared statements kept per connection unless configured (the
 * configuration's own default, db_statement_cache, is the same). */
#define DB_STMT_CACHE_DEFAULT 512u

/* conninfo and app_role are copied. Connections open lazily, logging in
 * as app_role (NULL: the conninfo's own user), and are refused unless that
 * role owns nothing and is subject to row-level security
 * (db_conn_is_app_role). Owned by the caller. */
db_pool *db_pool_new(const char *conninfo, const char *app_role, unsigned size,
                     unsigned acquire_timeout_ms);
void db_pool_free(db_pool *p);
/* How many prepared statements each connection keeps (>= 1; the least
 * recently used is deallocated to make room). Call before the first
 * acquire. */
void db_pool_set_statement_cache(db_pool *p, unsigned slots);

/* Hands out a healthy connection, outside any transaction, or NULL with
 * *status = CONCERTO_ERR_DB_UNAVAILABLE. Return it with db_pool_release. */
db_conn *db_pool_acquire(db_pool *p, concerto_status *status);
/* `broken` forces a reconnect before the next use. */
void db_pool_release(db_pool *p, db_conn *c, bool broken);
void db_pool_get_stats(db_pool *p, db_pool_stats *out);

PGconn *db_conn_pg(db_conn *c);

/* For a background thread that sleeps until told (the outbox's
 * dispatchers, the job runners): `c` itself while it is healthy, else a
 * fresh connection from p that LISTENs on `channel` (a broken one is
 * released first). NULL, after a pause of a second, when none can be had;
 * call again. */
db_conn *db_pool_listening(db_pool *p, db_conn *c, const char *channel);
/* Waits up to timeout_ms for a notification (or anything) on c, then
 * drops the notifications that arrived: the caller looks for work anyway. */
void db_conn_wait_notify(db_conn *c, unsigned timeout_ms);

/* Opens a connection to `conninfo` (a libpq string or URI), logging in as
 * `user` when not NULL instead of the string's own user. NULL on failure,
 * with libpq's reason (no password ever) in err. The caller PQfinishes. */
PGconn *db_connect(const char *conninfo, const char *user,
                   const char *application_name, char *err, size_t errlen);
/* Whether the connection's role is fit for requests: not a superuser, no
 * BYPASSRLS, not a member of the core schema's owner (a login as the owner
 * could change or switch off the rules). Explains a refusal in err. */
bool db_conn_is_app_role(PGconn *pg, char *err, size_t errlen);

/* Runs `sql` as a prepared statement (prepared once per connection while
 * it stays among the connection's recently used ones) with
 * text parameters. On success *out holds the PGresult (caller PQclears it).
 * On failure returns the status and, when given, writes the SQLSTATE. */
concerto_status db_conn_exec(db_conn *c, const char *sql, int nparams,
                             const char *const *params, PGresult **out,
                             char sqlstate[6]);
/* BEGIN and the transaction's first statement in one round trip (libpq
 * pipeline mode): every request that touches the database saves a round
 * trip. *began tells whether BEGIN succeeded; when it did, the caller owns
 * an open transaction even if the statement failed. Same results as
 * db_conn_exec otherwise. */
concerto_status db_conn_begin_exec(db_conn *c, const char *sql, int nparams,
                                   const char *const *params, PGresult **out,
                                   char sqlstate[6], bool *began);

/* Runs a simple command (BEGIN, COMMIT, ROLLBACK ...) without parameters. */
concerto_status db_conn_command(db_conn *c, const char *sql);
/* Puts `schema` first on the session's search_path, outside any
 * transaction, and remembers it, so requests of the same module reuse the
 * session's setting: changing search_path makes PostgreSQL re-plan every
 * prepared statement, which doubled the database's work per request when it
 * was set in each transaction. `schema` must be a plain identifier. */
concerto_status db_conn_use_schema(db_conn *c, const char *schema);

/* Marks the connection as not healthy (its socket failed). */
bool db_conn_is_broken(db_conn *c);

/* Maps a SQLSTATE to a status: class 23 -> CONSTRAINT, 08 -> UNAVAILABLE,
 * 57P0x (shutdown) -> UNAVAILABLE, anything else -> QUERY. */
concerto_status db_status_from_sqlstate(const char *sqlstate);

#endif
