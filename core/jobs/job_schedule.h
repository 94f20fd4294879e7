/* When jobs run: the `every` of a job spec parsed, and the slots of an
 * interval. Pure; the daily slots are computed by PostgreSQL
 * (concerto.job_next_daily, sql/0021_jobs.sql), whose zone database knows
 * each hospital's daylight-saving changes, where C has only the process's
 * one time zone. */
#ifndef CONCERTO_CORE_JOB_SCHEDULE_H
#define CONCERTO_CORE_JOB_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum job_every_kind {
  JOB_ON_DEMAND = 0, /* runs only when enqueued */
  JOB_INTERVAL,      /* every `seconds` */
  JOB_DAILY,         /* at hour:minute, the hospital's local time */
} job_every_kind;

typedef struct job_every {
  job_every_kind kind;
  unsigned seconds;      /* JOB_INTERVAL: 1 s to 7 days */
  unsigned hour, minute; /* JOB_DAILY */
} job_every;

/* Parses "45s", "15m", "6h", "1d" or "daily 02:30" (NULL: on demand).
 * False with a one-line reason in err. */
bool job_every_parse(const char *text, job_every *out, char *err,
                     size_t errlen);

/* The first interval slot strictly after `now` (epoch seconds): slots
 * start at multiples of `seconds` since the epoch, so every server
 * computes the same ones. Returns the slot's number; *run_at its start. */
long long job_interval_slot(unsigned seconds, long long now, long long *run_at);

/* Writes the slot key of a periodic run ("<seconds>s:<number>" for an
 * interval); the daily key is the hospital's local date. */
void job_interval_key(unsigned seconds, long long slot, char *out,
                      size_t outlen);

/* Job names: [a-z][a-z0-9_.]{0,63}. */
bool job_name_valid(const char *name);

#endif
