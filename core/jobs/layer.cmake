# Jobs and timers: declared jobs, runs enqueued with a request's
# transaction, periodic slots, the runner threads with their leases.
concerto_layer(jobs
  SOURCES job_periodic.c job_purge.c job_runner.c job_schedule.c jobs.c)
