#include "bootstrap.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "password.h"

bool bootstrap_admin(app *a) {
  password_set_cost(a->cfg.argon2_t_cost, a->cfg.argon2_m_kib);
  const char *password = getenv("CONCERTO_ADMIN_PASSWORD");
  if (!password || !*password)
    return true;
  char msg[160];
  if (!password_policy_check(password, "admin", msg, sizeof msg)) {
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL,
            "CONCERTO_ADMIN_PASSWORD refused: %s", msg);
    return false;
  }
  const char *keys[] = {"dbname", "connect_timeout", NULL};
  const char *vals[] = {a->cfg.database_url, "5", NULL};
  PGconn *pg = PQconnectdbParams(keys, vals, 1);
  if (PQstatus(pg) != CONNECTION_OK) {
    PQfinish(pg);
    return false;
  }
  bool ok = true;
  PGresult *r = PQexec(pg, "SELECT count(*) FROM concerto.users");
  if (PQresultStatus(r) == PGRES_TUPLES_OK &&
      strcmp(PQgetvalue(r, 0, 0), "0") == 0) {
    char *hash = password_hash(password);
    const char *params[1] = {hash};
    PGresult *ins = PQexecParams(
        pg,
        "WITH u AS (INSERT INTO concerto.users (username, display_name, "
        "password_hash, regional_admin) VALUES ('admin', 'Amministratore "
        "regionale', $1, true) RETURNING id) "
        "INSERT INTO concerto.audit_log (actor_kind, actor_name, action, "
        "resource, outcome) SELECT 'system', 'bootstrap', 'user.create', "
        "'user:' || id, 'success' FROM u",
        1, NULL, params, NULL, NULL, 0);
    ok = hash && PQresultStatus(ins) == PGRES_COMMAND_OK;
    log_msg(ok ? CONCERTO_LOG_INFO : CONCERTO_LOG_ERROR, NULL, NULL,
            ok ? "created the regional administrator 'admin'"
               : "could not create the regional administrator");
    PQclear(ins);
    free(hash);
  }
  PQclear(r);
  PQfinish(pg);
  return ok;
}
