#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bucket_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                       0.025,  0.05,  0.1,    0.25,  0.5,
                                       1.0,    2.5,   5.0,    10.0};
#define NBUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])
#define MIN_STATUS 100
#define NSTATUS 500 /* 100..599 */

typedef struct route_metrics {
  atomic_ullong by_status[NSTATUS];
  atomic_ullong buckets[NBUCKETS]; /* non-cumulative; summed when rendered */
  atomic_ullong count;
  atomic_ullong sum_us;
} route_metrics;

struct metrics {
  unsigned nroutes;
  route_metrics routes[]; /* index 0 = unmatched */
};

metrics *metrics_new(unsigned nroutes) {
  metrics *m = calloc(1, sizeof *m + (nroutes + 1) * sizeof(route_metrics));
  if (m)
    m->nroutes = nroutes;
  return m;
}

void metrics_free(metrics *m) {
  free(m);
}

void metrics_record(metrics *m, unsigned idx, unsigned status, double seconds) {
  if (!m)
    return;
  if (idx > m->nroutes)
    idx = 0;
  route_metrics *r = &m->routes[idx];
  if (status >= MIN_STATUS && status < MIN_STATUS + NSTATUS)
    atomic_fetch_add_explicit(&r->by_status[status - MIN_STATUS], 1,
                              memory_order_relaxed);
  size_t b = 0;
  while (b < NBUCKETS && seconds > bucket_bounds[b])
    b++;
  if (b < NBUCKETS)
    atomic_fetch_add_explicit(&r->buckets[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->sum_us,
                            (unsigned long long)(seconds * 1e6 + 0.5),
                            memory_order_relaxed);
}

typedef struct text_buf {
  char *p;
  size_t len, cap;
  int failed;
} text_buf;

static void tb_printf(text_buf *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void tb_printf(text_buf *t, const char *fmt, ...) {
  if (t->failed)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->failed = 1;
      return;
    }
    if ((size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = (t->cap + (size_t)n + 1) * 2;
    char *grown = realloc(t->p, cap);
    if (!grown) {
      t->failed = 1;
      return;
    }
    t->p = grown;
    t->cap = cap;
  }
}

static void route_labels(const router *r, unsigned idx, char *out,
                         size_t outlen) {
  const char *method = "-", *tmpl = "unmatched";
  if (idx > 0)
    router_route_at(r, idx - 1, &method, &tmpl, NULL);
  snprintf(out, outlen, "method=\"%s\",route=\"%s\"", method, tmpl);
}

char *metrics_render(metrics *m, const router *r, db_pool *pool, int inflight,
                     size_t *len) {
  text_buf t = {malloc(8192), 0, 8192, 0};
  if (!t.p)
    return NULL;
  t.p[0] = '\0';
  char labels[512];
  tb_printf(&t, "# HELP concerto_http_requests_total HTTP requests by route "
                "and status.\n# TYPE concerto_http_requests_total counter\n");
  for (unsigned i = 0; i <= m->nroutes; i++) {
    route_labels(r, i, labels, sizeof labels);
    for (unsigned s = 0; s < NSTATUS; s++) {
      unsigned long long n = atomic_load_explicit(&m->routes[i].by_status[s],
                                                  memory_order_relaxed);
      if (n)
        tb_printf(&t, "concerto_http_requests_total{%s,status=\"%u\"} %llu\n",
                  labels, s + MIN_STATUS, n);
    }
  }
  tb_printf(&t, "# HELP concerto_http_request_duration_seconds Request "
                "latency by route.\n# TYPE "
                "concerto_http_request_duration_seconds histogram\n");
  for (unsigned i = 0; i <= m->nroutes; i++) {
    route_metrics *rm = &m->routes[i];
    unsigned long long count =
        atomic_load_explicit(&rm->count, memory_order_relaxed);
    if (!count)
      continue;
    route_labels(r, i, labels, sizeof labels);
    unsigned long long cum = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
      cum += atomic_load_explicit(&rm->buckets[b], memory_order_relaxed);
      tb_printf(&t,
                "concerto_http_request_duration_seconds_bucket{%s,le=\"%g\"} "
                "%llu\n",
                labels, bucket_bounds[b], cum);
    }
    tb_printf(&t,
              "concerto_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} "
              "%llu\n",
              labels, count);
    tb_printf(
        &t, "concerto_http_request_duration_seconds_sum{%s} %.6f\n", labels,
        (double)atomic_load_explicit(&rm->sum_us, memory_order_relaxed) / 1e6);
    tb_printf(&t, "concerto_http_request_duration_seconds_count{%s} %llu\n",
              labels, count);
  }
  db_pool_stats ps;
  db_pool_get_stats(pool, &ps);
  tb_printf(&t,
            "# HELP concerto_db_pool_connections Pool size.\n"
            "# TYPE concerto_db_pool_connections gauge\n"
            "concerto_db_pool_connections %u\n"
            "# HELP concerto_db_pool_in_use Connections lent out now.\n"
            "# TYPE concerto_db_pool_in_use gauge\n"
            "concerto_db_pool_in_use %u\n"
            "# HELP concerto_db_pool_open Connections open to PostgreSQL.\n"
            "# TYPE concerto_db_pool_open gauge\n"
            "concerto_db_pool_open %u\n"
            "# HELP concerto_db_pool_acquired_total Connections handed out.\n"
            "# TYPE concerto_db_pool_acquired_total counter\n"
            "concerto_db_pool_acquired_total %llu\n"
            "# HELP concerto_db_pool_waits_total Acquires that had to wait.\n"
            "# TYPE concerto_db_pool_waits_total counter\n"
            "concerto_db_pool_waits_total %llu\n"
            "# HELP concerto_db_pool_timeouts_total Acquires that gave up.\n"
            "# TYPE concerto_db_pool_timeouts_total counter\n"
            "concerto_db_pool_timeouts_total %llu\n"
            "# HELP concerto_db_pool_reconnects_total Broken connections "
            "replaced.\n"
            "# TYPE concerto_db_pool_reconnects_total counter\n"
            "concerto_db_pool_reconnects_total %llu\n"
            "# HELP concerto_http_inflight Requests being served now.\n"
            "# TYPE concerto_http_inflight gauge\n"
            "concerto_http_inflight %d\n",
            ps.size, ps.in_use, ps.connected, ps.acquired, ps.waited,
            ps.timeouts, ps.resets, inflight);
  tb_printf(&t,
            "# HELP concerto_db_statement_cache_slots Prepared statements "
            "each connection keeps (db_statement_cache).\n"
            "# TYPE concerto_db_statement_cache_slots gauge\n"
            "concerto_db_statement_cache_slots %u\n"
            "# HELP concerto_db_statements_cached Prepared statements held "
            "by the idle connections.\n"
            "# TYPE concerto_db_statements_cached gauge\n"
            "concerto_db_statements_cached %u\n"
            "# HELP concerto_db_statements_total Statements run, found "
            "prepared (hit) or prepared first (miss).\n"
            "# TYPE concerto_db_statements_total counter\n"
            "concerto_db_statements_total{result=\"hit\"} %llu\n"
            "concerto_db_statements_total{result=\"miss\"} %llu\n"
            "# HELP concerto_db_statement_evictions_total Prepared "
            "statements deallocated to make room.\n"
            "# TYPE concerto_db_statement_evictions_total counter\n"
            "concerto_db_statement_evictions_total %llu\n",
            ps.stmt_slots, ps.stmt_cached, ps.stmt_hits, ps.stmt_misses,
            ps.stmt_evictions);
  if (t.failed) {
    free(t.p);
    return NULL;
  }
  *len = t.len;
  return t.p;
}
