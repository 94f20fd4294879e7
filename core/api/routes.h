/* The core's HTTP handlers, grouped by subject; core_routes.c registers
 * every table. */
#ifndef CONCERTO_CORE_ROUTES_H
#define CONCERTO_CORE_ROUTES_H

#include "concerto/host.h"

typedef struct route_def {
  const char *method, *path;
  const char *required_role; /* see caller_satisfies; NULL = public */
  concerto_handler handler;
} route_def;

extern const route_def routes_auth[];
extern const route_def routes_admin[];
extern const route_def routes_patients[];
extern const route_def routes_audit[];
extern const route_def routes_events[];
extern const route_def routes_scripts[];
extern const route_def routes_settings[];
extern const route_def routes_outbound[];
extern const route_def routes_jobs[];
extern const route_def routes_inbox[];

#endif
