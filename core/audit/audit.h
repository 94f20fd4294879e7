/* Writing the audit trail from a request (see sql/0003_audit.sql for the
 * table and its hash chain). */
#ifndef CONCERTO_CORE_AUDIT_H
#define CONCERTO_CORE_AUDIT_H

#include "db_pool.h"
#include "request.h"

/* Inserts the request's pending audit rows on connection c, inside the
 * transaction the caller has open. `failed` turns "success" into "failure"
 * (the request's work was rolled back). Returns the first error. */
concerto_status audit_flush(concerto_request *req, db_conn *c, bool failed);

#endif
