#include "outbound_store.h"

#include <string.h>

void outbound_policy_from_row(outbound_policy *out, const char *cidrs,
                              const char *plaintext) {
  memset(out, 0, sizeof *out);
  outbound_policy_set_cidrs(out, cidrs);
  out->allow_plaintext = plaintext && plaintext[0] == 't';
}

concerto_status outbound_policy_load(concerto_request *req,
                                     outbound_policy *out) {
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT array_to_string(allow_cidrs, ' '), allow_plaintext FROM "
      "concerto.tenant_outbound WHERE tenant_id = $1",
      1, (const char *[]){req->caller.tenant_id}, &r);
  if (st != CONCERTO_OK)
    return st;
  bool row = PQntuples(r) == 1;
  outbound_policy_from_row(out, row ? PQgetvalue(r, 0, 0) : NULL,
                           row ? PQgetvalue(r, 0, 1) : NULL);
  return CONCERTO_OK;
}

concerto_status outbound_policy_read(db_conn *c, const char *server_key,
                                     const char *tenant_id,
                                     outbound_policy *out) {
  outbound_policy_from_row(out, NULL, NULL);
  if (!tenant_id)
    return CONCERTO_OK;
  const char *p[2] = {server_key, tenant_id};
  PGresult *r = NULL;
  concerto_status st = db_conn_command(c, "BEGIN");
  if (st == CONCERTO_OK)
    st =
        db_conn_exec(c, "SELECT concerto.context_system($1, $2::bigint, false)",
                     2, p, &r, NULL);
  if (r)
    PQclear(r);
  r = NULL;
  if (st == CONCERTO_OK)
    st = db_conn_exec(c,
                      "SELECT array_to_string(allow_cidrs, ' '), "
                      "allow_plaintext FROM concerto.tenant_outbound WHERE "
                      "tenant_id = $1::bigint",
                      1, p + 1, &r, NULL);
  if (st == CONCERTO_OK && PQntuples(r) == 1)
    outbound_policy_from_row(out, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
  if (r)
    PQclear(r);
  db_conn_command(c, st == CONCERTO_OK ? "COMMIT" : "ROLLBACK");
  return st;
}

static const char *refusal_code(outbound_refusal r) {
  switch (r) {
  case OUTBOUND_TLS_REQUIRED:
    return "tls_required";
  case OUTBOUND_ADDRESS_REFUSED:
    return "destination_refused";
  case OUTBOUND_UNRESOLVABLE:
    return "unresolvable";
  case OUTBOUND_BAD_URL:
  case OUTBOUND_ALLOWED:
    break;
  }
  return "invalid_url";
}

concerto_status outbound_refuse(concerto_request *req, const char *what,
                                const char *field,
                                const outbound_verdict *verdict) {
  const char *code = refusal_code(verdict->refusal);
  bool address = verdict->refusal == OUTBOUND_ADDRESS_REFUSED;
  verrors v;
  verr_init(&v);
  verr_add_extra(&v, field, code, verdict->message,
                 address ? json_pack("{s:s, s:s}", "address", verdict->address,
                                     "range", outbound_class_code(verdict->cls))
                         : NULL);
  request_audit(req, "outbound.refused",
                arena_printf(&req->arena, "%s:%s%s%s", what, code,
                             address ? ":" : "",
                             address ? verdict->address : ""),
                NULL, "denied", NULL);
  return verr_respond(req, &v);
}
