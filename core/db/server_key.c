#include "server_key.h"

#include <stdio.h>
#include <string.h>

bool server_key_register(PGconn *owner, const char *server_name,
                         char key[TOKEN_TEXT_LEN + 1], char *err,
                         size_t errlen) {
  char hash[65];
  if (!token_new(key) || !token_hash(key, hash)) {
    snprintf(err, errlen, "server key: the random generator failed");
    return false;
  }
  const char *p[2] = {hash, server_name};
  PGresult *r = PQexecParams(
      owner,
      "WITH stale AS (DELETE FROM concerto.server_keys WHERE last_used_at < "
      "now() - interval '7 days') INSERT INTO concerto.server_keys "
      "(key_hash, server) VALUES ($1, left($2, 200))",
      2, NULL, p, NULL, NULL, 0);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok)
    snprintf(err, errlen, "server key: cannot record it (SQLSTATE %s)",
             PQresultErrorField(r, PG_DIAG_SQLSTATE)
                 ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
                 : "connection");
  PQclear(r);
  if (!ok)
    memset(key, 0, TOKEN_TEXT_LEN + 1);
  return ok;
}

void server_key_retire(db_pool *pool, const char *key) {
  concerto_status st;
  db_conn *c = db_pool_acquire(pool, &st);
  if (!c)
    return; /* a week unused, and the next start removes it */
  PGresult *r = NULL;
  db_conn_exec(c, "SELECT concerto.server_key_retire($1)", 1,
               (const char *[]){key}, &r, NULL);
  PQclear(r);
  db_pool_release(pool, c, false);
}
