/* External systems on a module's mount (plugin ABI 1.10): a caller whose
 * own credential (a standard's bearer token, a signed message) the module
 * verified, bound to a hospital with the roles the module grants it. */
#ifndef CONCERTO_CORE_CLIENT_H
#define CONCERTO_CORE_CLIENT_H

#include "request.h"

/* Makes the request's caller client `name` of hospital tenant_id with
 * `roles` (NULL-terminated, each declared and grantable; may be NULL; all
 * copied), on a route whose caller the core does not authenticate
 * (CONCERTO_AUTH_MODULE or _PUBLIC) of a module enabled there. The
 * module's definer function that checked the credential must have called
 * concerto.context_client in this transaction. CONCERTO_ERR_INVALID for a
 * wrong route, a caller already known or a malformed argument;
 * CONCERTO_ERR_NOT_FOUND when the hospital or the context disagree. */
concerto_status client_bind(concerto_request *req, const char *tenant_id,
                            const char *name, const char *const *roles);

#endif
