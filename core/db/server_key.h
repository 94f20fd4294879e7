/* The server's own key (docs/security.md, "Hospital isolation in
 * PostgreSQL"): 256 random bits made at every start, whose SHA-256 the
 * migration connection (the schema owner) records in concerto.server_keys.
 * Proving it (concerto.context_system, concerto.audit_append) is how the
 * core acts for itself - deliveries, logins, its own audit rows - while SQL
 * that a request runs as the application role cannot: it never sees the
 * key, which travels only as a statement parameter. */
#ifndef CONCERTO_CORE_SERVER_KEY_H
#define CONCERTO_CORE_SERVER_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "db_pool.h"
#include "tokens.h"

/* Makes a key into `key` and records its hash through `owner`, a
 * connection as the schema owner; keys unused for a week (servers that
 * died) are removed at the same time. False with a reason in err. */
bool server_key_register(PGconn *owner, const char *server_name,
                         char key[TOKEN_TEXT_LEN + 1], char *err,
                         size_t errlen);

/* Removes the key's record at a clean stop (through the application role's
 * pool), so it cannot be used after this server is gone. */
void server_key_retire(db_pool *pool, const char *key);

#endif
