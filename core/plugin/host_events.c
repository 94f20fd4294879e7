/* The host table's event registration: a module's subscriptions are kept
 * in its record during init and handed to the outbox when it is committed
 * (module_loader.c). */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "host_adapters.h"
#include "json_schema.h"
#include "log.h"
#include "module_registry.h"
#include "struct_compat.h"

concerto_status host_subscribe(concerto_registrar *reg, const char *name,
                               uint32_t version, concerto_event_handler handler,
                               void *userdata) {
  if (!reg || !reg->mod || !reg->mod->registering)
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  if (!event_name_valid(name) || version < 1 || version > 1000 || !handler)
    return CONCERTO_ERR_REG_INVALID;
  for (size_t i = 0; i < m->nsubs; i++)
    if (strcmp(m->subs[i].name, name) == 0 && m->subs[i].version == version)
      return CONCERTO_ERR_REG_DUPLICATE;
  module_sub *grown = realloc(m->subs, (m->nsubs + 1) * sizeof *grown);
  if (!grown)
    return CONCERTO_ERR_NOMEM;
  m->subs = grown;
  m->subs[m->nsubs++] = (module_sub){strdup(name), version, handler, userdata};
  return CONCERTO_OK;
}

/* register_event (ABI 1.10): checked now, so the module hears at once what
 * is wrong; declared in the catalog when the module is committed. */
concerto_status host_register_event(concerto_registrar *reg,
                                    const concerto_event_spec *given) {
  concerto_event_spec copy;
  const concerto_event_spec *spec =
      STRUCT_IMPORT(&copy, given, EVENT_SPEC_V1_SIZE);
  if (!reg || !reg->mod || !reg->mod->registering)
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  char err[300] = "";
  json_schema *schema = NULL;
  if (!spec || !event_name_valid(spec->name) || spec->version < 1 ||
      spec->version > 1000 ||
      (spec->description && strlen(spec->description) > 300) ||
      (spec->schema &&
       !(schema = json_schema_compile(spec->schema, err, sizeof err)))) {
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL,
            "register_event: malformed spec %s", err);
    return CONCERTO_ERR_REG_INVALID;
  }
  json_schema_free(schema);
  if (!m->staged_events && !(m->staged_events = json_array()))
    return CONCERTO_ERR_NOMEM;
  size_t i;
  json_t *e;
  json_array_foreach(m->staged_events, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "name")), spec->name) ==
            0 &&
        json_integer_value(json_object_get(e, "version")) == spec->version)
      return CONCERTO_ERR_REG_DUPLICATE;
  }
  json_t *entry = json_pack("{s:s, s:i, s:s?, s:s?}", "name", spec->name,
                            "version", (int)spec->version, "schema",
                            spec->schema, "description", spec->description);
  if (!entry || json_array_append_new(m->staged_events, entry) != 0)
    return CONCERTO_ERR_NOMEM;
  return CONCERTO_OK;
}
