/* Services between modules (ABI 1.10): a provider offers a versioned table
 * of functions at init (register_service); a consumer that names it in
 * depends or optional_depends finds it during its own init (get_service),
 * after the provider, which the dependency order guarantees. The functions
 * run in the caller's request; the provider brackets each with
 * service_enter/service_leave so the request acts as the provider (schema,
 * live topics, settings, events) and is refused where the provider is not
 * enabled. */
#include <stdlib.h>
#include <string.h>

#include "host_adapters.h"
#include "log.h"
#include "module_registry.h"
#include "request.h"
#include "struct_compat.h"
#include "tenant_cache.h"

/* Marks a frame service_enter filled, so a stray leave is harmless. */
static const char frame_mark[] = "concerto-service-frame";

static bool service_name_ok(const char *n) {
  if (!n || !(*n >= 'a' && *n <= 'z') || strlen(n) > 40)
    return false;
  for (; *n; n++)
    if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '_'))
      return false;
  return true;
}

static const module_service *offered(const module_rec *m, const char *name,
                                     uint32_t version) {
  for (size_t i = 0; m && i < m->nservices; i++)
    if (m->services[i].version == version &&
        strcmp(m->services[i].name, name) == 0)
      return &m->services[i];
  return NULL;
}

concerto_status host_register_service(concerto_registrar *reg,
                                      const concerto_service_spec *given) {
  concerto_service_spec copy;
  const concerto_service_spec *spec =
      STRUCT_IMPORT(&copy, given, SERVICE_SPEC_V1_SIZE);
  if (!reg || !reg->mod || !reg->mod->registering)
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  if (!spec || !service_name_ok(spec->name) || spec->version < 1 ||
      spec->version > 1000 || !spec->vtable || spec->vtable_size == 0) {
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL,
            "register_service: malformed spec (name [a-z][a-z0-9_]{0,39}, "
            "version >= 1, a table and its size)");
    return CONCERTO_ERR_REG_INVALID;
  }
  if (offered(m, spec->name, spec->version))
    return CONCERTO_ERR_REG_DUPLICATE;
  for (size_t i = 0; reg->registry && i < reg->registry->count; i++)
    if (reg->registry->mods[i] != m &&
        offered(reg->registry->mods[i], spec->name, spec->version)) {
      log_msg(CONCERTO_LOG_ERROR, m->name, NULL,
              "register_service: %s v%u is offered by %s already", spec->name,
              spec->version, reg->registry->mods[i]->name);
      return CONCERTO_ERR_REG_DUPLICATE;
    }
  module_service *grown =
      realloc(m->services, (m->nservices + 1) * sizeof *grown);
  if (!grown)
    return CONCERTO_ERR_NOMEM;
  m->services = grown;
  char *name = strdup(spec->name);
  if (!name)
    return CONCERTO_ERR_NOMEM;
  m->services[m->nservices++] =
      (module_service){name, spec->version, spec->vtable, spec->vtable_size};
  return CONCERTO_OK;
}

static bool names(char *const *list, const char *name) {
  for (char *const *p = list; p && *p; p++)
    if (strcmp(*p, name) == 0)
      return true;
  return false;
}

concerto_status host_get_service(concerto_registrar *reg, const char *name,
                                 uint32_t version, const void **vtable,
                                 size_t *vtable_size) {
  if (!reg || !reg->mod || !reg->mod->registering)
    return CONCERTO_ERR_REG_CLOSED;
  if (!name || !vtable)
    return CONCERTO_ERR_INVALID;
  *vtable = NULL;
  if (vtable_size)
    *vtable_size = 0;
  module_rec *m = reg->mod;
  for (size_t i = 0; reg->registry && i < reg->registry->count; i++) {
    module_rec *p = reg->registry->mods[i];
    const module_service *s = offered(p, name, version);
    if (!s || p == m)
      continue;
    /* Only from a module it declared: that is what orders the two and
     * keeps the provider loaded while the consumer runs. */
    if (!names(m->depends, p->name) && !names(m->optional_depends, p->name)) {
      log_msg(CONCERTO_LOG_ERROR, m->name, NULL,
              "get_service: %s v%u is %s's; name %s in depends or "
              "optional_depends",
              name, version, p->name, p->name);
      return CONCERTO_ERR_REG_INVALID;
    }
    if (p->status != MODULE_READY && p->status != MODULE_STARTED)
      return CONCERTO_ERR_NOT_FOUND; /* refused after all */
    *vtable = s->vtable;
    if (vtable_size)
      *vtable_size = s->vtable_size;
    return CONCERTO_OK;
  }
  return CONCERTO_ERR_NOT_FOUND;
}

concerto_status host_service_enter(concerto_request *req,
                                   const concerto_module *provider,
                                   concerto_service_frame *frame) {
  if (!req || !provider || !frame || frame->size < SERVICE_FRAME_V1_SIZE)
    return CONCERTO_ERR_INVALID;
  const module_rec *p = provider;
  if (!atomic_load(&p->owner.serving))
    return CONCERTO_ERR_MODULE_DISABLED;
  /* In a hospital's context, the provider must be on there too; a
   * regional context (no hospital) has every module. */
  const char *tenant = req->caller.tenant_id;
  if (tenant && !tenant_module_enabled(req->app->tenants,
                                       strtoll(tenant, NULL, 10), p->name))
    return CONCERTO_ERR_MODULE_DISABLED;
  frame->saved[0] = (void *)req->owner;
  frame->saved[1] = (void *)frame_mark;
  req->owner = &p->owner;
  return CONCERTO_OK;
}

void host_service_leave(concerto_request *req, concerto_service_frame *frame) {
  if (!req || !frame || frame->size < SERVICE_FRAME_V1_SIZE ||
      frame->saved[1] != (void *)frame_mark)
    return;
  req->owner = frame->saved[0];
  frame->saved[1] = NULL;
}
