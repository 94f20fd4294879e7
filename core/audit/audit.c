#include "audit.h"

#include <stdio.h>
#include <string.h>

#include "handler_util.h"
#include "log.h"

static const char *actor_kind(caller_kind k) {
  switch (k) {
  case CALLER_STAFF:
    return "user";
  case CALLER_PATIENT:
    return "patient";
  case CALLER_TOKEN:
    return "token";
  case CALLER_CLIENT:
    return "client";
  case CALLER_GUEST:
    return "guest";
  default:
    return "anonymous";
  }
}

concerto_status audit_flush(concerto_request *req, db_conn *c, bool failed) {
  const caller *who = &req->caller;
  char roles[256] = "";
  for (int i = 0; i < who->nroles; i++) {
    size_t used = strlen(roles);
    snprintf(roles + used, sizeof roles - used, "%s%s", i ? "," : "",
             who->roles[i]);
  }
  if (who->regional_admin && strlen(roles) + 16 < sizeof roles)
    strcat(roles, roles[0] ? ",regional_admin" : "regional_admin");
  const char *actor_id = who->kind == CALLER_PATIENT ? who->patient_id
                         : who->kind == CALLER_TOKEN ? who->session_id
                                                     : who->user_id;
  for (audit_entry *e = req->audit_head; e; e = e->next) {
    const char *outcome =
        failed && strcmp(e->outcome, "success") == 0 ? "failure" : e->outcome;
    /* The row goes to the chain of the hospital whose data it is about
     * (the caller's unless the entry names another) and remembers the
     * hospital the actor acted from. */
    const char *params[13] = {req->app->server_key,
                              actor_kind(who->kind),
                              actor_id,
                              who->username ? who->username : who->display_name,
                              roles[0] ? roles : NULL,
                              e->tenant_id ? e->tenant_id : who->tenant_id,
                              who->tenant_id,
                              e->patient_id,
                              e->action,
                              e->resource,
                              outcome,
                              req->client_addr[0] ? req->client_addr : NULL,
                              req->id};
    PGresult *r = NULL;
    char sqlstate[6] = "";
    concerto_status st = db_conn_exec(
        c,
        "SELECT concerto.audit_append($1, $2, $3::bigint, $4, $5, $6::bigint, "
        "$7::bigint, $8::bigint, $9, $10, $11, $12::inet, $13)",
        13, params, &r, sqlstate);
    if (r)
      PQclear(r);
    if (st != CONCERTO_OK) {
      log_msg(CONCERTO_LOG_ERROR, NULL, req->id,
              "audit row %s not written (SQLSTATE %s)", e->action,
              sqlstate[0] ? sqlstate : "connection");
      return st;
    }
  }
  req->audit_head = NULL;
  req->audit_tail = &req->audit_head;
  return CONCERTO_OK;
}
