/* The job registry's state, shared by the files of the jobs layer. */
#ifndef CONCERTO_CORE_JOBS_INTERNAL_H
#define CONCERTO_CORE_JOBS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "db_pool.h"
#include "jobs.h"

#define JOB_TIMEOUT_DEFAULT_S 300u
/* The region's zone, for regional daily jobs. */
#define JOB_REGION_TIME_ZONE "Europe/Rome"

struct jobs {
  job_def *defs;
  size_t count;
  db_pool *pool; /* the runners' connections */
  pthread_t *threads;
  unsigned nthreads;
  atomic_bool stop;
};

/* The attempts of a run of d before it is dead. */
unsigned job_max_attempts(const app *a, const job_def *d);

#endif
