/* The host table's register_role (ABI 1.10): a module's roles are staged in
 * its record during init and join the server's roles when the module is
 * committed (module_loader.c), so a refused module leaves none behind. */
#include "host_adapters.h"
#include "log.h"
#include "module_registry.h"
#include "roles.h"

concerto_status host_register_role(concerto_registrar *reg,
                                   const concerto_role_spec *spec) {
  if (!reg || !reg->mod || !reg->mod->registering)
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  if (!m->staged_roles && !(m->staged_roles = roles_new()))
    return CONCERTO_ERR_NOMEM;
  concerto_status st = roles_add(m->staged_roles, m->name, spec);
  if (st == CONCERTO_ERR_REG_INVALID)
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL,
            "register_role: malformed spec (name [a-z][a-z0-9_]{1,38}, not a "
            "pseudo-role; both labels; known flags)");
  return st;
}
