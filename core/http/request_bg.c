/* Background contexts (event deliveries, job runs) and the hooks every
 * context runs when its transaction ends. A background context has no
 * HTTP: its transaction opens on the runner's own connection, in the
 * server's scope for the context's hospital, and a handler may commit the
 * work so far (tx_commit) so that it can then call out over the network
 * with no row locked. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "request.h"

concerto_request *request_bg_new(app *a, const char *kind, const char *name,
                                 const route_owner *owner,
                                 const char *tenant_id, bool regional,
                                 db_conn *conn) {
  concerto_request *ctx = request_new(a, NULL, kind, name);
  if (!ctx)
    return NULL;
  ctx->background = true;
  ctx->bg_regional = regional;
  ctx->bg_conn = conn;
  ctx->db_lent = true;
  ctx->owner = owner;
  ctx->caller.kind = CALLER_ANONYMOUS;
  ctx->caller.tenant_id =
      tenant_id && *tenant_id ? arena_strdup(&ctx->arena, tenant_id) : NULL;
  ctx->caller.username = owner ? owner->name : "concerto";
  return ctx;
}

concerto_status request_bg_begin(concerto_request *ctx) {
  if (!ctx->background || !ctx->bg_conn)
    return CONCERTO_ERR_CONTEXT;
  const char *schema = ctx->owner ? ctx->owner->name : "concerto";
  const char *p[3] = {ctx->app->server_key, ctx->caller.tenant_id,
                      ctx->bg_regional ? "true" : "false"};
  PGresult *r = NULL;
  char sqlstate[6] = "";
  bool began = false;
  concerto_status st = db_conn_use_schema(ctx->bg_conn, schema);
  if (st == CONCERTO_OK)
    st = db_conn_begin_exec(
        ctx->bg_conn,
        "SELECT concerto.context_system($1, $2::bigint, $3::boolean)", 3, p, &r,
        sqlstate, &began);
  if (r)
    PQclear(r);
  if (began && st != CONCERTO_OK)
    db_conn_command(ctx->bg_conn, "ROLLBACK");
  if (st != CONCERTO_OK)
    return st;
  ctx->db = ctx->bg_conn;
  ctx->in_tx = true;
  ctx->tx_schema = schema;
  return CONCERTO_OK;
}

concerto_status request_bg_end(concerto_request *ctx, bool commit) {
  concerto_status st = CONCERTO_OK;
  if (ctx->db && ctx->in_tx) {
    if (commit && ctx->audit_head)
      st = ctx->app->hooks.flush_audit(ctx, ctx->db, false);
    if (commit && st == CONCERTO_OK)
      st = db_conn_command(ctx->db, "COMMIT");
    else
      db_conn_command(ctx->db, "ROLLBACK");
    if (!commit)
      st = CONCERTO_OK;
  }
  bool committed = commit && st == CONCERTO_OK;
  ctx->in_tx = false;
  ctx->db = NULL;
  ctx->tx_schema = NULL;
  request_run_commit_hooks(ctx, committed);
  return st;
}

concerto_status req_tx_commit(concerto_request *ctx) {
  if (!ctx || !ctx->background)
    return CONCERTO_ERR_CONTEXT;
  if (!ctx->db || !ctx->in_tx)
    return CONCERTO_OK;
  if (ctx->bg_before_commit && !ctx->bg_before_commit(ctx, ctx->bg_arg)) {
    request_bg_end(ctx, false);
    return CONCERTO_ERR_DB_QUERY;
  }
  concerto_status st = request_bg_end(ctx, true);
  return st == CONCERTO_OK ? CONCERTO_OK : CONCERTO_ERR_DB_QUERY;
}

bool request_may_call_out(const concerto_request *ctx) {
  return ctx && ctx->background && !(ctx->db && ctx->in_tx);
}

concerto_status req_on_commit(concerto_request *req, concerto_commit_hook hook,
                              void *arg) {
  if (!req || !hook)
    return CONCERTO_ERR_INVALID;
  commit_hook_entry *e = arena_alloc(&req->arena, sizeof *e);
  if (!e)
    return CONCERTO_ERR_NOMEM;
  *e = (commit_hook_entry){hook, arg, NULL};
  if (!req->hooks_tail)
    req->hooks_tail = &req->hooks_head;
  *req->hooks_tail = e;
  req->hooks_tail = &e->next;
  return CONCERTO_OK;
}

void request_run_commit_hooks(concerto_request *req, bool committed) {
  /* Detached first: a hook may register another, for the next end. */
  commit_hook_entry *e = req->hooks_head;
  req->hooks_head = NULL;
  req->hooks_tail = &req->hooks_head;
  for (; e; e = e->next)
    e->hook(req, committed ? 1 : 0, e->arg);
}
