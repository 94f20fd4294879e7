/* Who is calling, as handlers and modules read it, and the audit rows a
 * request queues (written by the audit layer before the COMMIT). */
#include <string.h>

#include "request.h"
#include "handler_util.h"

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

/* ---- the caller, as the host table shows it (ABI 1.1) ---- */

const char *req_user_id(const concerto_request *req) {
  return req->caller.user_id;
}
const char *req_username(const concerto_request *req) {
  return req->caller.username;
}
const char *req_tenant(const concerto_request *req) {
  return req->caller.tenant_code;
}
const char *req_tenant_id(const concerto_request *req) {
  return req->caller.tenant_id;
}
const char *req_patient_id(const concerto_request *req) {
  return req->caller.patient_id;
}
int req_has_role(const concerto_request *req, const char *role) {
  return caller_has_role(&req->caller, role);
}

concerto_status audit_record(concerto_request *req, const char *action,
                             const char *resource, const char *patient_id,
                             const char *outcome) {
  return audit_record_for(req, NULL, action, resource, patient_id, outcome);
}

concerto_status audit_record_for(concerto_request *req, const char *tenant_id,
                                 const char *action, const char *resource,
                                 const char *patient_id, const char *outcome) {
  if (!action || (tenant_id && !text_is_id(tenant_id)) ||
      (patient_id && !text_is_id(patient_id)) ||
      (outcome && strcmp(outcome, "success") != 0 &&
       strcmp(outcome, "failure") != 0 && strcmp(outcome, "denied") != 0))
    return CONCERTO_ERR_INVALID;
  request_audit(req, action, resource, patient_id, outcome, tenant_id);
  return CONCERTO_OK;
}
