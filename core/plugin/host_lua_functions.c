/* The host table's register_lua_function (ABI 1.10, a place kept since
 * 1.0): staged during init, offered to hospital scripts once the module is
 * committed (lua_functions.h). */
#include "host_adapters.h"
#include "log.h"
#include "lua_functions.h"
#include "module_registry.h"

concerto_status
host_register_lua_function(concerto_registrar *reg,
                           const concerto_lua_function_spec *spec) {
  if (!reg || !reg->mod || !reg->mod->registering)
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  if (!m->staged_lua_fns && !(m->staged_lua_fns = lua_fn_list_new()))
    return CONCERTO_ERR_NOMEM;
  char err[200];
  concerto_status st =
      lua_fn_list_add(m->staged_lua_fns, m->name, spec, err, sizeof err);
  if (st != CONCERTO_OK)
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL, "register_lua_function: %s",
            err);
  return st;
}
