/* The stored side of the outbound policy (sql/0019_outbound.sql): a
 * hospital's allow-list read from its row, and a refusal turned into the
 * 422 entry the console translates. The policy itself is
 * outbound_policy.h; the handlers that change it are routes_outbound.c. */
#ifndef CONCERTO_CORE_OUTBOUND_STORE_H
#define CONCERTO_CORE_OUTBOUND_STORE_H

#include "handler_util.h"
#include "outbound_policy.h"

/* Fills *out from the two stored columns as text: `cidrs` is
 * array_to_string(allow_cidrs, ' ') and `plaintext` PostgreSQL's "t" or
 * "f"; NULL for either (no row: LEFT JOIN) means the default. Both are
 * borrowed. */
void outbound_policy_from_row(outbound_policy *out, const char *cidrs,
                              const char *plaintext);

/* The policy of the request's hospital (req->caller.tenant_id), read in
 * the request's transaction; the default when it has no row. */
concerto_status outbound_policy_load(concerto_request *req,
                                     outbound_policy *out);

/* The same on connection c, which has no transaction open, in a short
 * transaction of its own in the server's scope (server_key) for hospital
 * tenant_id: for a background context about to call out. NULL tenant_id
 * (a regional context) is the default policy, read from nowhere. */
concerto_status outbound_policy_read(db_conn *c, const char *server_key,
                                     const char *tenant_id,
                                     outbound_policy *out);

/* Answers a URL refused at save time: 422 validation_failed with one
 * error of `field` whose code is tls_required, destination_refused (with
 * "address" and "range", the class code), unresolvable or invalid_url and
 * whose message is the verdict's English sentence; and an audit row
 * "outbound.refused" (outcome denied) on "<what>:<code>[:address]", so an
 * attempt at an internal address leaves a trace. Returns the status to
 * return from the handler. */
concerto_status outbound_refuse(concerto_request *req, const char *what,
                                const char *field,
                                const outbound_verdict *verdict);

#endif
