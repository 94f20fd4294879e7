/* The host table's job registration: a module's jobs are kept in its
 * record during init and handed to the runner when it is committed
 * (module_loader.c), like its subscriptions. */
#include "host_adapters.h"
#include "jobs.h"
#include "log.h"
#include "module_registry.h"

concerto_status host_register_job(concerto_registrar *reg,
                                  const concerto_job_spec *spec) {
  if (!reg || !reg->mod || !reg->mod->registering)
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  char err[200] = "";
  if (!jobs_spec_check(spec, err, sizeof err)) {
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL, "register_job: %s", err);
    return CONCERTO_ERR_REG_INVALID;
  }
  if (!m->staged_jobs && !(m->staged_jobs = jobs_new()))
    return CONCERTO_ERR_NOMEM;
  return jobs_add(m->staged_jobs, &m->owner, spec);
}
