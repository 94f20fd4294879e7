/* The host table's register_rule (ABI 1.10, a place kept since 1.0): a
 * module's rules are staged in its record during init and join the
 * process's rules (rule_registry.h) when the module is committed. */
#include "host_adapters.h"
#include "log.h"
#include "module_registry.h"
#include "rule_registry.h"

concerto_status host_register_rule(concerto_registrar *reg,
                                   const concerto_rule_spec *spec) {
  if (!reg || !reg->mod || !reg->mod->registering)
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  if (!m->staged_rules && !(m->staged_rules = rule_list_new()))
    return CONCERTO_ERR_NOMEM;
  char err[300];
  concerto_status st =
      rule_list_add(m->staged_rules, m->name, spec, err, sizeof err);
  if (st != CONCERTO_OK)
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL, "register_rule: %s", err);
  return st;
}
