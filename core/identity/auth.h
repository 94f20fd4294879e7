/* The dispatcher's access check, run before every handler of a route that
 * requires a role: find the caller (session cookie or API token), set the
 * transaction's identity context, check the module is enabled for the
 * caller's hospital, the role, and the CSRF token. */
#ifndef CONCERTO_CORE_AUTH_H
#define CONCERTO_CORE_AUTH_H

#include <stdbool.h>

#include "request.h"

/* True when the handler may run; otherwise a problem has been answered
 * (401, 403, 404 module_not_enabled, 503). */
bool auth_authorize(concerto_request *req, const route_target *t);

/* Loads the caller of a cookie session into req->caller without any role
 * or module check (used by handlers of public routes such as /auth/logout).
 * Returns the status of the lookup; CONCERTO_ERR_UNAUTHENTICATED when there
 * is no valid session. */
concerto_status auth_load_session(concerto_request *req,
                                  const char *tenant_code);

/* Set-Cookie value for a new session token (or an expired one when token
 * is NULL), honouring cookie_secure. Arena string. */
const char *auth_cookie(concerto_request *req, const char *token,
                        unsigned max_age_s);

#endif
