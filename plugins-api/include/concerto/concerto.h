/* Concerto plugin API — include this one header in a module.
 *
 * It brings the descriptor macro (module.h), the host table (host.h) and
 * short inline wrappers (api.h) that call through the host pointer the
 * CONCERTO_MODULE trampoline stores before init. */
#ifndef CONCERTO_CONCERTO_H
#define CONCERTO_CONCERTO_H

#include "abi.h"
#include "api.h"
#include "host.h"
#include "module.h"
#include "status.h"

#endif
