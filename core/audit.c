#include "audit.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

void request_audit(concerto_request *req, const char *action,
                   const char *resource, const char *patient_id,
                   const char *outcome, const char *tenant_id) {
  audit_entry *e = arena_alloc(&req->arena, sizeof *e);
  if (!e)
    return;
  e->action = arena_strdup(&req->arena, action);
  e->resource = arena_strdup(&req->arena, resource);
  e->patient_id = arena_strdup(&req->arena, patient_id);
  e->outcome = arena_strdup(&req->arena, outcome ? outcome : "success");
  e->tenant_id = arena_strdup(&req->arena, tenant_id);
  e->next = NULL;
  if (!req->audit_tail)
    req->audit_tail = &req->audit_head;
  *req->audit_tail = e;
  req->audit_tail = &e->next;
}

static const char *actor_kind(caller_kind k) {
  switch (k) {
  case CALLER_STAFF:
    return "user";
  case CALLER_PATIENT:
    return "patient";
  case CALLER_TOKEN:
    return "token";
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
    const char *params[11] = {actor_kind(who->kind),
                              actor_id,
                              who->username ? who->username : who->display_name,
                              roles[0] ? roles : NULL,
                              e->tenant_id ? e->tenant_id : who->tenant_id,
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
        "INSERT INTO concerto.audit_log (actor_kind, actor_id, actor_name, "
        "role, tenant_id, patient_id, action, resource, outcome, client_addr, "
        "request_id) VALUES ($1, $2::bigint, $3, $4, $5::bigint, $6::bigint, "
        "$7, $8, $9, $10::inet, $11)",
        11, params, &r, sqlstate);
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

/* ---- host table: the caller and the audit trail (ABI 1.1) ---- */

const char *host_req_user_id(const concerto_request *req) {
  return req->caller.user_id;
}
const char *host_req_username(const concerto_request *req) {
  return req->caller.username;
}
const char *host_req_tenant(const concerto_request *req) {
  return req->caller.tenant_code;
}
const char *host_req_tenant_id(const concerto_request *req) {
  return req->caller.tenant_id;
}
const char *host_req_patient_id(const concerto_request *req) {
  return req->caller.patient_id;
}
int host_req_has_role(const concerto_request *req, const char *role) {
  return caller_has_role(&req->caller, role);
}

concerto_status host_audit(concerto_request *req, const char *action,
                           const char *resource, const char *patient_id,
                           const char *outcome) {
  if (!action ||
      (outcome && strcmp(outcome, "success") != 0 &&
       strcmp(outcome, "failure") != 0 && strcmp(outcome, "denied") != 0))
    return CONCERTO_ERR_INVALID;
  request_audit(req, action, resource, patient_id, outcome, NULL);
  return CONCERTO_OK;
}
