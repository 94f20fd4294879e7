/* The core's own endpoints: /healthz, /readyz, /metrics,
 * /api/v1/modules, /api/v1/openapi.json and the shell's static files. */
#ifndef CONCERTO_CORE_CORE_ROUTES_H
#define CONCERTO_CORE_CORE_ROUTES_H

#include <stdbool.h>

#include "app.h"

/* Adds the core routes to a->router. */
bool core_routes_register(app *a, char *err, size_t errlen);
/* Frees every route_target the router points to (core and modules). */
void core_routes_free_targets(app *a);

#endif
