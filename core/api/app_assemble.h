/* Plugs the layers above HTTP into one app: the request hooks (who may
 * call, the audit writer, closing streams), the outbox's subscriber kinds
 * (webhooks, Lua on_event) and the core's own subscribers (mail, SMS).
 * The only place that knows every layer, so none of them knows another's
 * internals. */
#ifndef CONCERTO_CORE_APP_ASSEMBLE_H
#define CONCERTO_CORE_APP_ASSEMBLE_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

/* Call once, after a->events exists and before modules load. False with a
 * reason in err when a registration failed (out of memory). */
bool app_assemble(app *a, char *err, size_t errlen);

#endif
