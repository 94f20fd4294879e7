#include "db_pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "stmt_cache.h"

struct db_conn {
  PGconn *pg;
  db_pool *pool;
  bool in_use;
  bool broken;
  char search_path[48]; /* as last set on this session, "" = unknown */
  stmt_cache *stmts;    /* created on first use; cleared on reconnect */
};

struct db_pool {
  char *conninfo;
  char *app_role;
  unsigned size;
  unsigned acquire_timeout_ms;
  db_conn *conns;
  pthread_mutex_t lock;
  pthread_cond_t freed;
  unsigned in_use;
  unsigned long long acquired, waited, timeouts, resets;
  unsigned stmt_slots; /* statements cached per connection */
  /* Counted by the connections' holders, outside the lock. */
  unsigned long long stmt_hits, stmt_misses, stmt_evictions;
};

db_pool *db_pool_new(const char *conninfo, const char *app_role, unsigned size,
                     unsigned acquire_timeout_ms) {
  db_pool *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->conninfo = strdup(conninfo);
  p->app_role = app_role && *app_role ? strdup(app_role) : NULL;
  p->size = size ? size : 1;
  p->acquire_timeout_ms = acquire_timeout_ms;
  p->conns = calloc(p->size, sizeof *p->conns);
  if (!p->conninfo || !p->conns) {
    free(p->conninfo);
    free(p->conns);
    free(p);
    return NULL;
  }
  p->stmt_slots = DB_STMT_CACHE_DEFAULT;
  for (unsigned i = 0; i < p->size; i++)
    p->conns[i].pool = p;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->freed, NULL);
  return p;
}

void db_pool_set_statement_cache(db_pool *p, unsigned slots) {
  if (p && slots > 0)
    p->stmt_slots = slots;
}

void db_pool_free(db_pool *p) {
  if (!p)
    return;
  for (unsigned i = 0; i < p->size; i++) {
    if (p->conns[i].pg)
      PQfinish(p->conns[i].pg);
    stmt_cache_free(p->conns[i].stmts);
  }
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->freed);
  free(p->conns);
  free(p->conninfo);
  free(p->app_role);
  free(p);
}

PGconn *db_conn_pg(db_conn *c) {
  return c->pg;
}
bool db_conn_is_broken(db_conn *c) {
  return c->broken;
}

PGconn *db_connect(const char *conninfo, const char *user,
                   const char *application_name, char *err, size_t errlen) {
  /* Entries after the expanded "dbname" override the connection string's
   * own (libpq: the last non-empty value wins), so `user` replaces the
   * login role; connect_timeout bounds the wait for an unreachable server. */
  const char *keys[5] = {"dbname", "connect_timeout", "application_name"};
  const char *vals[5] = {conninfo, "3", application_name};
  if (user && *user) {
    keys[3] = "user";
    vals[3] = user;
  }
  PGconn *pg = PQconnectdbParams(keys, vals, 1);
  if (PQstatus(pg) == CONNECTION_OK)
    return pg;
  /* libpq never echoes a password; the message may name hosts. */
  if (err && errlen) {
    snprintf(err, errlen, "%s", PQerrorMessage(pg));
    err[strcspn(err, "\n")] = '\0';
  }
  PQfinish(pg);
  return NULL;
}

bool db_conn_is_app_role(PGconn *pg, char *err, size_t errlen) {
  PGresult *r = PQexec(
      pg, "SELECT r.rolsuper OR r.rolbypassrls OR pg_has_role(current_user, "
          "n.nspowner, 'USAGE') FROM pg_roles r LEFT JOIN pg_namespace n ON "
          "n.nspname = 'concerto' WHERE r.rolname = current_user");
  bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
            !PQgetisnull(r, 0, 0) && PQgetvalue(r, 0, 0)[0] == 'f';
  if (!ok)
    snprintf(err, errlen,
             "the application role %s owns the core schema or bypasses "
             "row-level security: requests must run as a role that does "
             "neither (docs/security.md)",
             PQuser(pg));
  PQclear(r);
  return ok;
}

/* Connect or reconnect outside the pool lock: this may take a while. */
static bool ensure_connected(db_pool *p, db_conn *c) {
  if (c->pg && !c->broken && PQstatus(c->pg) == CONNECTION_OK)
    return true;
  if (c->pg) {
    PQfinish(c->pg);
    c->pg = NULL;
    __atomic_add_fetch(&p->resets, 1, __ATOMIC_RELAXED);
  }
  stmt_cache_clear(c->stmts); /* the new session has none */
  c->broken = false;
  c->search_path[0] = '\0';
  char msg[256];
  c->pg = db_connect(p->conninfo, p->app_role, "concerto", msg, sizeof msg);
  if (!c->pg) {
    log_msg(CONCERTO_LOG_WARN, NULL, NULL, "database connection failed: %s",
            msg);
    return false;
  }
  if (!db_conn_is_app_role(c->pg, msg, sizeof msg)) {
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL, "%s", msg);
    PQfinish(c->pg);
    c->pg = NULL;
    return false;
  }
  return true;
}

db_conn *db_pool_acquire(db_pool *p, concerto_status *status) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += p->acquire_timeout_ms / 1000;
  deadline.tv_nsec += (long)(p->acquire_timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  db_conn *c = NULL;
  pthread_mutex_lock(&p->lock);
  bool waited = false;
  while (p->in_use == p->size) {
    waited = true;
    if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) == ETIMEDOUT &&
        p->in_use == p->size) {
      p->timeouts++;
      pthread_mutex_unlock(&p->lock);
      *status = CONCERTO_ERR_DB_UNAVAILABLE;
      return NULL;
    }
  }
  /* Prefer the connection this thread used last: the same backend process
   * keeps its caches warm and the scheduler keeps the pair on the same
   * cores. Then any connection already open. */
  static _Thread_local db_pool *last_pool;
  static _Thread_local unsigned last_index;
  if (last_pool == p && last_index < p->size && !p->conns[last_index].in_use &&
      p->conns[last_index].pg)
    c = &p->conns[last_index];
  for (unsigned i = 0; !c && i < p->size; i++)
    if (!p->conns[i].in_use && p->conns[i].pg) {
      c = &p->conns[i];
      break;
    }
  for (unsigned i = 0; !c && i < p->size; i++)
    if (!p->conns[i].in_use)
      c = &p->conns[i];
  c->in_use = true;
  last_pool = p;
  last_index = (unsigned)(c - p->conns);
  p->in_use++;
  p->acquired++;
  if (waited)
    p->waited++;
  pthread_mutex_unlock(&p->lock);

  if (!ensure_connected(p, c)) {
    db_pool_release(p, c, true);
    *status = CONCERTO_ERR_DB_UNAVAILABLE;
    return NULL;
  }
  *status = CONCERTO_OK;
  return c;
}

void db_pool_release(db_pool *p, db_conn *c, bool broken) {
  if (broken)
    c->broken = true;
  pthread_mutex_lock(&p->lock);
  c->in_use = false;
  p->in_use--;
  pthread_cond_signal(&p->freed);
  pthread_mutex_unlock(&p->lock);
}

void db_pool_get_stats(db_pool *p, db_pool_stats *out) {
  pthread_mutex_lock(&p->lock);
  out->size = p->size;
  out->in_use = p->in_use;
  out->connected = 0;
  for (unsigned i = 0; i < p->size; i++)
    out->connected += p->conns[i].pg != NULL;
  out->acquired = p->acquired;
  out->waited = p->waited;
  out->timeouts = p->timeouts;
  out->resets = __atomic_load_n(&p->resets, __ATOMIC_RELAXED);
  out->stmt_slots = p->stmt_slots;
  out->stmt_cached = 0;
  for (unsigned i = 0; i < p->size; i++)
    if (!p->conns[i].in_use && p->conns[i].stmts)
      out->stmt_cached += stmt_cache_count(p->conns[i].stmts);
  out->stmt_hits = __atomic_load_n(&p->stmt_hits, __ATOMIC_RELAXED);
  out->stmt_misses = __atomic_load_n(&p->stmt_misses, __ATOMIC_RELAXED);
  out->stmt_evictions = __atomic_load_n(&p->stmt_evictions, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&p->lock);
}

concerto_status db_status_from_sqlstate(const char *s) {
  if (!s || !*s)
    return CONCERTO_ERR_DB_UNAVAILABLE; /* no SQLSTATE: the socket failed */
  if (strncmp(s, "23", 2) == 0)
    return CONCERTO_ERR_DB_CONSTRAINT;
  if (strncmp(s, "08", 2) == 0 || strncmp(s, "57P0", 4) == 0)
    return CONCERTO_ERR_DB_UNAVAILABLE;
  return CONCERTO_ERR_DB_QUERY;
}

static void count(unsigned long long *n) {
  __atomic_add_fetch(n, 1, __ATOMIC_RELAXED);
}

/* The name `sql` runs under on c: a prepared one (*fresh when it must be
 * prepared first), or "" to run it unnamed when no room could be made.
 * Making room DEALLOCATEs the least recently used statement: prepared
 * statements belong to the session, not the transaction, so this is
 * right inside or outside one; when it fails (an aborted transaction, a
 * dying connection) the victim stays and the statement runs unnamed, and
 * whatever comes next reports the failure. */
static void stmt_name_for(db_conn *c, const char *sql, char name[STMT_NAME_MAX],
                          bool *fresh) {
  *fresh = false;
  name[0] = '\0';
  if (!c->stmts && !(c->stmts = stmt_cache_new(c->pool->stmt_slots)))
    return;
  const char *known = stmt_cache_find(c->stmts, sql);
  if (known) {
    count(&c->pool->stmt_hits);
    snprintf(name, STMT_NAME_MAX, "%s", known);
    return;
  }
  count(&c->pool->stmt_misses);
  char victim[STMT_NAME_MAX];
  if (stmt_cache_victim(c->stmts, victim)) {
    char cmd[16 + STMT_NAME_MAX];
    snprintf(cmd, sizeof cmd, "DEALLOCATE %s", victim);
    PGresult *r = PQexec(c->pg, cmd);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
      return;
    stmt_cache_evict(c->stmts);
    count(&c->pool->stmt_evictions);
  }
  stmt_cache_next_name(c->stmts, name);
  *fresh = true;
}

/* After a successful PREPARE; out of memory only costs the cache entry
 * (the name is never reused, so a stray server statement is harmless). */
static void stmt_prepared(db_conn *c, const char *sql, const char *name) {
  (void)stmt_cache_add(c->stmts, sql, name);
}

static concerto_status fail_result(db_conn *c, PGresult *r, char sqlstate[6]) {
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (sqlstate) {
    snprintf(sqlstate, 6, "%s", state ? state : "");
  }
  if (PQstatus(c->pg) != CONNECTION_OK)
    c->broken = true;
  concerto_status st =
      c->broken ? CONCERTO_ERR_DB_UNAVAILABLE : db_status_from_sqlstate(state);
  if (st == CONCERTO_ERR_DB_UNAVAILABLE)
    c->broken = true;
  if (r)
    PQclear(r);
  return st;
}

concerto_status db_conn_exec(db_conn *c, const char *sql, int nparams,
                             const char *const *params, PGresult **out,
                             char sqlstate[6]) {
  *out = NULL;
  bool fresh = false;
  char name[STMT_NAME_MAX];
  stmt_name_for(c, sql, name, &fresh);
  bool named = name[0] != '\0';
  if (fresh) {
    PGresult *pr = PQprepare(c->pg, name, sql, nparams, NULL);
    if (PQresultStatus(pr) != PGRES_COMMAND_OK)
      return fail_result(c, pr, sqlstate);
    PQclear(pr);
    stmt_prepared(c, sql, name);
  }
  PGresult *r =
      named ? PQexecPrepared(c->pg, name, nparams, params, NULL, NULL, 0)
            : PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    return fail_result(c, r, sqlstate);
  *out = r;
  return CONCERTO_OK;
}

concerto_status db_conn_command(db_conn *c, const char *sql) {
  PGresult *r = PQexec(c->pg, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    return fail_result(c, r, NULL);
  PQclear(r);
  return CONCERTO_OK;
}

concerto_status db_conn_use_schema(db_conn *c, const char *schema) {
  if (strcmp(c->search_path, schema) == 0)
    return CONCERTO_OK;
  char sql[96];
  snprintf(sql, sizeof sql, "SET search_path TO %s, public", schema);
  concerto_status st = db_conn_command(c, sql);
  if (st == CONCERTO_OK)
    snprintf(c->search_path, sizeof c->search_path, "%s", schema);
  return st;
}

/* The next result of a pipeline, skipping the NULLs that separate the
 * queries; NULL when the sync point or a dead connection ends it. */
static PGresult *pipeline_next(db_conn *c, bool *synced) {
  for (int guard = 0; guard < 8; guard++) {
    PGresult *r = PQgetResult(c->pg);
    if (!r) {
      if (PQstatus(c->pg) != CONNECTION_OK)
        return NULL;
      continue;
    }
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      *synced = true;
      return NULL;
    }
    return r;
  }
  return NULL;
}

concerto_status db_conn_begin_exec(db_conn *c, const char *sql, int nparams,
                                   const char *const *params, PGresult **out,
                                   char sqlstate[6], bool *began) {
  *out = NULL;
  *began = false;
  bool fresh = false;
  char name[STMT_NAME_MAX];
  /* Outside any transaction here, so an eviction's DEALLOCATE cannot
   * fail for an aborted one. */
  stmt_name_for(c, sql, name, &fresh);
  bool named = name[0] != '\0';
  if (!PQenterPipelineMode(c->pg)) {
    /* Not idle or too old a server: the plain way. */
    concerto_status st = db_conn_command(c, "BEGIN");
    *began = st == CONCERTO_OK;
    return *began ? db_conn_exec(c, sql, nparams, params, out, sqlstate) : st;
  }
  bool sent =
      PQsendQueryParams(c->pg, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) &&
      (!fresh || PQsendPrepare(c->pg, name, sql, nparams, NULL)) &&
      (named ? PQsendQueryPrepared(c->pg, name, nparams, params, NULL, NULL, 0)
             : PQsendQueryParams(c->pg, sql, nparams, NULL, params, NULL, NULL,
                                 0)) &&
      PQpipelineSync(c->pg);
  bool synced = false;
  PGresult *begin = sent ? pipeline_next(c, &synced) : NULL;
  PGresult *prep = sent && fresh && !synced ? pipeline_next(c, &synced) : NULL;
  PGresult *exec = sent && !synced ? pipeline_next(c, &synced) : NULL;
  for (PGresult *extra; sent && !synced && (extra = pipeline_next(c, &synced));)
    PQclear(extra);
  if (!synced || !PQexitPipelineMode(c->pg)) {
    c->broken = true;
    PQclear(prep);
    PQclear(exec);
    return fail_result(c, begin, sqlstate);
  }
  if (PQresultStatus(begin) != PGRES_COMMAND_OK) {
    PQclear(prep);
    PQclear(exec);
    return fail_result(c, begin, sqlstate);
  }
  PQclear(begin);
  *began = true;
  if (prep) {
    if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
      PQclear(exec); /* aborted with the prepare */
      return fail_result(c, prep, sqlstate);
    }
    PQclear(prep);
    stmt_prepared(c, sql, name);
  }
  ExecStatusType st = PQresultStatus(exec);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    return fail_result(c, exec, sqlstate);
  *out = exec;
  return CONCERTO_OK;
}

db_conn *db_pool_listening(db_pool *p, db_conn *c, const char *channel) {
  if (c && !db_conn_is_broken(c))
    return c;
  if (c)
    db_pool_release(p, c, true);
  concerto_status st;
  char listen[96];
  snprintf(listen, sizeof listen, "LISTEN %s", channel);
  c = db_pool_acquire(p, &st);
  if (c && db_conn_command(c, listen) == CONCERTO_OK)
    return c;
  if (c)
    db_pool_release(p, c, true);
  struct timespec ts = {1, 0};
  nanosleep(&ts, NULL);
  return NULL;
}

void db_conn_wait_notify(db_conn *c, unsigned timeout_ms) {
  PGconn *pg = db_conn_pg(c);
  struct pollfd pfd = {PQsocket(pg), POLLIN, 0};
  if (poll(&pfd, 1, (int)timeout_ms) > 0) {
    PQconsumeInput(pg);
    PGnotify *n;
    while ((n = PQnotifies(pg)))
      PQfreemem(n);
  }
}
