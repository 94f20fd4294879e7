/* The host table's register_problem (ABI 1.10): a module's problem codes
 * are staged during init and declared platform-wide when the module is
 * committed (module_loader.c), listed by GET /api/v1/problems. */
#include <string.h>

#include "host_adapters.h"
#include "log.h"
#include "module_registry.h"
#include "problem.h"
#include "struct_compat.h"

concerto_status host_register_problem(concerto_registrar *reg,
                                      const concerto_problem_spec *given) {
  concerto_problem_spec copy;
  const concerto_problem_spec *spec =
      STRUCT_IMPORT(&copy, given, PROBLEM_SPEC_V1_SIZE);
  if (!reg || !reg->mod || !reg->mod->registering)
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  if (!spec || !problem_code_valid(spec->code) || spec->http_status < 400 ||
      spec->http_status > 599 || !spec->title || !*spec->title ||
      strlen(spec->title) > 100 || !spec->when || !*spec->when ||
      strlen(spec->when) > 300) {
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL,
            "register_problem: malformed spec (code [a-z][a-z0-9_]{1,63}, "
            "status 400-599, a title and a when)");
    return CONCERTO_ERR_REG_INVALID;
  }
  if (!m->staged_problems && !(m->staged_problems = json_array()))
    return CONCERTO_ERR_NOMEM;
  size_t i;
  json_t *p;
  json_array_foreach(m->staged_problems, i, p) {
    if (strcmp(json_string_value(json_object_get(p, "code")), spec->code) == 0)
      return CONCERTO_ERR_REG_DUPLICATE;
  }
  json_t *entry = json_pack("{s:s, s:i, s:s, s:s}", "code", spec->code,
                            "status", (int)spec->http_status, "title",
                            spec->title, "when", spec->when);
  if (!entry || json_array_append_new(m->staged_problems, entry) != 0)
    return CONCERTO_ERR_NOMEM;
  return CONCERTO_OK;
}
