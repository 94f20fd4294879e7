/* Prometheus metrics: requests by route and status, a latency histogram per
 * route, and database pool gauges. Recording is lock-free (relaxed atomics);
 * the text exposition reads a consistent-enough snapshot. */
#ifndef CONCERTO_CORE_METRICS_H
#define CONCERTO_CORE_METRICS_H

#include <stddef.h>

#include "db_pool.h"
#include "router.h"

typedef struct metrics metrics;

/* Routes are numbered 1..nroutes by the router; 0 counts unmatched paths. */
metrics *metrics_new(unsigned nroutes);
void metrics_free(metrics *m);
void metrics_record(metrics *m, unsigned route_index, unsigned http_status,
                    double seconds);
/* Returns a malloc'ed text (caller frees) in Prometheus format 0.0.4. */
char *metrics_render(metrics *m, const router *r, db_pool *pool, int inflight,
                     size_t *len);

#endif
