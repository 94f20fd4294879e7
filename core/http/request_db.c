/* The request's database transaction: opened by the first query, ended by
 * the dispatcher (COMMIT only for a successful response), and retried once
 * on a fresh connection when the pooled one turns out to be dead, so a
 * handler never sees a connection broken by a PostgreSQL restart. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "request.h"

/* A module sees its own schema first, so its SQL names its tables
 * unqualified, as its migrations did. Module names are [a-z][a-z0-9_]*,
 * safe as identifiers; the core qualifies every name it uses. */
static const char *request_schema(concerto_request *req) {
  return req->owner ? req->owner->name : "concerto";
}

/* Opens the request's transaction together with its first statement (one
 * round trip). Each pooled connection may have died since its last use (a
 * PostgreSQL restart kills them all): while BEGIN itself fails for a dead
 * connection, drop it and try the next, so a handler never sees one. */
static concerto_status begin_with(concerto_request *req, const char *sql,
                                  int nparams, const char *const *params,
                                  PGresult **pg, char sqlstate[6]) {
  const char *schema = request_schema(req);
  unsigned attempts = req->app->cfg.db_pool_size + 1;
  for (unsigned attempt = 0; attempt < attempts; attempt++) {
    concerto_status st;
    req->db = db_pool_acquire(req->app->pool, &st);
    if (!req->db)
      return st;
    bool began = false;
    st = db_conn_use_schema(req->db, schema);
    if (st == CONCERTO_OK)
      st = db_conn_begin_exec(req->db, sql, nparams, params, pg, sqlstate,
                              &began);
    if (began) {
      req->in_tx = true;
      req->tx_schema = schema;
      return st; /* the statement's own outcome */
    }
    db_pool_release(req->app->pool, req->db, true);
    req->db = NULL;
    if (st != CONCERTO_ERR_DB_UNAVAILABLE)
      return st;
  }
  return CONCERTO_ERR_DB_UNAVAILABLE;
}

/* Audit rows of a request whose work was rolled back still matter (denied
 * access, failed logins): they get a transaction of their own. */
static void write_audit_alone(concerto_request *req) {
  if (!req->audit_head)
    return;
  concerto_status st;
  db_conn *c = db_pool_acquire(req->app->pool, &st);
  if (!c) {
    log_msg(CONCERTO_LOG_ERROR, NULL, req->id,
            "audit rows lost: database unavailable");
    return;
  }
  st = db_conn_command(c, "BEGIN");
  if (st == CONCERTO_OK)
    st = req->app->hooks.flush_audit(req, c, true);
  st = db_conn_command(c, st == CONCERTO_OK ? "COMMIT" : "ROLLBACK");
  db_pool_release(req->app->pool, c, db_conn_is_broken(c));
}

concerto_status request_end_tx(concerto_request *req, bool commit) {
  if (req->db_lent)
    return CONCERTO_OK; /* the event dispatcher commits or rolls back */
  if (!req->db) {
    write_audit_alone(req);
    request_run_commit_hooks(req, commit);
    return CONCERTO_OK;
  }
  concerto_status st = CONCERTO_OK;
  if (req->in_tx && !db_conn_is_broken(req->db)) {
    if (commit && req->audit_head)
      st = req->app->hooks.flush_audit(req, req->db, false);
    if (st == CONCERTO_OK)
      st = db_conn_command(req->db, commit ? "COMMIT" : "ROLLBACK");
    else
      db_conn_command(req->db, "ROLLBACK");
    if (!commit)
      st = CONCERTO_OK; /* a failed rollback only means a dead connection */
  } else if (commit) {
    st = CONCERTO_ERR_DB_UNAVAILABLE;
  }
  req->in_tx = false;
  db_pool_release(req->app->pool, req->db, db_conn_is_broken(req->db));
  req->db = NULL;
  if (!commit || st != CONCERTO_OK)
    write_audit_alone(req);
  else if (req->after_commit)
    req->after_commit(req->app);
  request_run_commit_hooks(req, commit && st == CONCERTO_OK);
  return st;
}

concerto_status request_query(concerto_request *req, const char *sql,
                              int nparams, const char *const *params,
                              PGresult **out) {
  concerto_result *res;
  concerto_status st = req_db_query(req, sql, nparams, params, &res);
  if (out)
    *out = st == CONCERTO_OK ? res->pg : NULL;
  return st;
}

/* Inside a transaction the owning module may change (service_enter): its
 * schema goes first for the statements it runs, with SET LOCAL so the
 * connection's own setting (db_conn_use_schema) is back at the end. */
static concerto_status follow_owner(concerto_request *req) {
  const char *want = request_schema(req);
  if (req->tx_schema && strcmp(req->tx_schema, want) == 0)
    return CONCERTO_OK;
  char sql[96];
  snprintf(sql, sizeof sql, "SET LOCAL search_path TO %s, public", want);
  concerto_status st = db_conn_command(req->db, sql);
  if (st == CONCERTO_OK)
    req->tx_schema = want;
  return st;
}

concerto_status req_db_query(concerto_request *req, const char *sql,
                             int nparams, const char *const *params,
                             concerto_result **out) {
  if (out)
    *out = NULL;
  if (!sql || nparams < 0 || (nparams > 0 && !params))
    return CONCERTO_ERR_INVALID;
  PGresult *pg = NULL;
  char sqlstate[6] = "";
  concerto_status st = CONCERTO_OK;
  /* A background context opens its transaction with the server's scope
   * first (request_bg.c); a request's opens with its first statement. */
  if (!req->db && req->background)
    st = request_bg_begin(req);
  if (st == CONCERTO_OK && req->db && req->in_tx)
    st = follow_owner(req);
  if (st == CONCERTO_OK)
    st = req->db ? db_conn_exec(req->db, sql, nparams, params, &pg, sqlstate)
                 : begin_with(req, sql, nparams, params, &pg, sqlstate);
  if (st != CONCERTO_OK) {
    memcpy(req->last_sqlstate, sqlstate, sizeof req->last_sqlstate);
    /* SQLSTATE only: the message could quote parameter values. */
    log_msg(CONCERTO_LOG_WARN, req->owner ? req->owner->name : NULL, req->id,
            "query failed with SQLSTATE %s",
            sqlstate[0] ? sqlstate : "(connection)");
    return st;
  }
  struct concerto_result *res = arena_alloc(&req->arena, sizeof *res);
  if (!res) {
    PQclear(pg);
    return CONCERTO_ERR_NOMEM;
  }
  res->pg = pg;
  res->next = req->results;
  req->results = res;
  if (out)
    *out = res;
  return CONCERTO_OK;
}

int result_rows(const concerto_result *res) {
  return res ? PQntuples(res->pg) : 0;
}

int result_cols(const concerto_result *res) {
  return res ? PQnfields(res->pg) : 0;
}

const char *result_name(const concerto_result *res, int col) {
  return res && col >= 0 && col < PQnfields(res->pg) ? PQfname(res->pg, col)
                                                     : NULL;
}

const char *result_value(const concerto_result *res, int row, int col) {
  if (!res || row < 0 || col < 0 || row >= PQntuples(res->pg) ||
      col >= PQnfields(res->pg) || PQgetisnull(res->pg, row, col))
    return NULL;
  return PQgetvalue(res->pg, row, col);
}

/* Type oids of pg_type.h (stable across PostgreSQL versions). */
enum {
  OID_BOOL = 16,
  OID_INT8 = 20,
  OID_INT2 = 21,
  OID_INT4 = 23,
  OID_OID = 26,
  OID_JSON = 114,
  OID_FLOAT4 = 700,
  OID_FLOAT8 = 701,
  OID_NUMERIC = 1700,
  OID_JSONB = 3802,
};

/* One value as JSON by its column type; text when the type is not one of
 * these, or when the text does not parse (never silently a null). */
static json_t *typed_value(const PGresult *pg, int row, int col) {
  if (PQgetisnull(pg, row, col))
    return json_null();
  const char *v = PQgetvalue(pg, row, col);
  char *end = NULL;
  switch (PQftype(pg, col)) {
  case OID_BOOL:
    return json_boolean(v[0] == 't');
  case OID_INT2:
  case OID_INT4:
  case OID_INT8:
  case OID_OID: {
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno == 0 && end != v && *end == '\0')
      return json_integer(n);
    break;
  }
  case OID_FLOAT4:
  case OID_FLOAT8:
  case OID_NUMERIC: {
    /* JSON numbers have no NaN or Infinity: those stay text. */
    double d = strtod(v, &end);
    if (end != v && *end == '\0' && isfinite(d))
      return json_real(d);
    break;
  }
  case OID_JSON:
  case OID_JSONB: {
    json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
    if (j)
      return j;
    break;
  }
  default:
    break;
  }
  return json_string(v);
}

json_t *result_row_json(const concerto_result *res, int row) {
  if (!res || row < 0 || row >= PQntuples(res->pg))
    return NULL;
  json_t *o = json_object();
  for (int col = 0; o && col < PQnfields(res->pg); col++) {
    json_t *v = typed_value(res->pg, row, col);
    if (!v || json_object_set_new(o, PQfname(res->pg, col), v) != 0) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}
