/* Retry delays of the outbox and the job runner: exponential from a base,
 * capped, so a failing subscriber or job is retried soon at first and then
 * at most hourly. */
#ifndef CONCERTO_CORE_BACKOFF_H
#define CONCERTO_CORE_BACKOFF_H

#define BACKOFF_CAP_MS (3600ull * 1000ull)

/* The delay after failed attempt number `attempt` (1 for the first):
 * base_ms, then doubled per further attempt, never above BACKOFF_CAP_MS. */
static inline unsigned long long backoff_ms(unsigned base_ms,
                                            unsigned attempt) {
  unsigned long long delay = base_ms;
  for (unsigned i = 1; i < attempt && delay < BACKOFF_CAP_MS; i++)
    delay *= 2;
  return delay > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : delay;
}

#endif
