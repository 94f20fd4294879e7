/* Guests (plugin ABI 1.8): a person a module invited without an account,
 * bound to the request after the module verified its own link. */
#ifndef CONCERTO_CORE_GUEST_H
#define CONCERTO_CORE_GUEST_H

#include "request.h"

/* Makes the request's caller the guest `name` of hospital tenant_id (both
 * copied), on a public route of a module enabled there. The module's
 * definer function that matched the link must have called
 * concerto.context_guest in this transaction. */
concerto_status guest_bind(concerto_request *req, const char *tenant_id,
                           const char *name);

#endif
