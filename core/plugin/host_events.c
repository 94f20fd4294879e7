/* The host table's event registration: a module's subscriptions are kept
 * in its record during init and handed to the outbox when it is committed
 * (module_loader.c). */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "host_adapters.h"
#include "module_registry.h"

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
