/* The registration and module-information part of the host table. Every
 * registration function refuses to work outside the module's init. */
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "host_adapters.h"
#include "module_registry.h"
#include "struct_compat.h"

static bool open_for_registration(concerto_registrar *reg) {
  return reg && reg->mod && reg->mod->registering;
}

concerto_module *host_module_self(concerto_registrar *reg) {
  return reg ? reg->mod : NULL;
}

/* Resolves `rel` against the module's folder; absolute paths stay. */
static char *module_path(const module_rec *m, const char *rel) {
  char buf[PATH_MAX];
  if (rel[0] == '/')
    snprintf(buf, sizeof buf, "%s", rel);
  else
    snprintf(buf, sizeof buf, "%s/%s", m->dir, rel);
  return strdup(buf);
}

/* Where a compatibility mount may go: anywhere a standard puts it, but not
 * in the core's or the modules' own namespaces. */
static bool mount_path_ok(const char *path) {
  static const char *const reserved[] = {"/api/", "/modules/", "/static/",
                                         "/vendor/", NULL};
  if (path[0] != '/' || path[1] == '\0')
    return false;
  for (int i = 0; reserved[i]; i++)
    if (strncmp(path, reserved[i], strlen(reserved[i])) == 0)
      return false;
  return strcmp(path, "/healthz") != 0 && strcmp(path, "/readyz") != 0 &&
         strcmp(path, "/metrics") != 0;
}

concerto_status host_register_route(concerto_registrar *reg,
                                    const concerto_route_spec *given) {
  if (!open_for_registration(reg))
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  /* Read by its size: fields the module's header did not have are zero,
   * which means "as before" (auth default, no summary). */
  concerto_route_spec copy;
  const concerto_route_spec *spec =
      STRUCT_IMPORT(&copy, given, ROUTE_SPEC_V1_SIZE);
  /* Unknown flag bits are refused: a module built for a newer core must
   * not silently lose a behaviour it asked for. */
  if (!spec || !spec->method || !spec->path || !spec->handler ||
      (spec->flags &
       ~(uint32_t)(CONCERTO_ROUTE_UPLOAD | CONCERTO_ROUTE_MOUNT)) != 0) {
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL,
            "register_route: incomplete spec or unknown flags");
    return CONCERTO_ERR_REG_INVALID;
  }
  uint32_t auth = spec->auth;
  const char *summary = spec->summary;
  /* Who authenticates the caller decides whether a role can be required:
   * the core checks roles of sessions and tokens, a module binds its own
   * callers (req_bind_client, req_bind_guest). */
  bool auth_ok =
      auth == CONCERTO_AUTH_DEFAULT ||
      ((auth == CONCERTO_AUTH_PUBLIC || auth == CONCERTO_AUTH_MODULE) &&
       !spec->required_role) ||
      (auth == CONCERTO_AUTH_API_TOKEN && spec->required_role);
  if (!auth_ok || (summary && strlen(summary) > 200) ||
      ((spec->flags & CONCERTO_ROUTE_MOUNT) && !mount_path_ok(spec->path))) {
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL, "register_route %s %s: %s",
            spec->method, spec->path,
            !auth_ok ? "auth mode and required_role do not fit (public and "
                       "module routes require no role, API-token routes one)"
            : summary && strlen(summary) > 200
                ? "summary over 200 bytes"
                : "a mount must be an absolute path outside /api/v1/, "
                  "/modules/, /static/ and /vendor/");
    return CONCERTO_ERR_REG_INVALID;
  }
  /* Validate the template now, so committing later cannot half-fail. */
  router *scratch = router_new();
  char err[256];
  int rc = scratch ? router_add(scratch, spec->method, spec->path, NULL, err,
                                sizeof err)
                   : -1;
  router_free(scratch);
  if (rc != 0) {
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL, "register_route: %s", err);
    return CONCERTO_ERR_REG_INVALID;
  }
  module_route *grown = realloc(m->routes, (m->nroutes + 1) * sizeof *grown);
  if (!grown)
    return CONCERTO_ERR_NOMEM;
  m->routes = grown;
  m->routes[m->nroutes++] =
      (module_route){strdup(spec->method),
                     strdup(spec->path),
                     spec->required_role ? strdup(spec->required_role) : NULL,
                     spec->flags,
                     auth,
                     summary ? strdup(summary) : NULL,
                     spec->handler,
                     spec->userdata};
  return CONCERTO_OK;
}

static bool valid_key(const char *k) {
  if (!k || !(*k >= 'a' && *k <= 'z'))
    return false;
  for (; *k; k++)
    if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_'))
      return false;
  return true;
}

static bool value_fits(const concerto_config_spec *s, const char *v) {
  return setting_value_fits(s->type, s->min, s->max, v);
}

concerto_status host_register_config(concerto_registrar *reg,
                                     const concerto_config_spec *given) {
  if (!open_for_registration(reg))
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  concerto_config_spec copy;
  const concerto_config_spec *spec =
      STRUCT_IMPORT(&copy, given, CONFIG_SPEC_V1_SIZE);
  if (!spec || !valid_key(spec->key) ||
      !value_fits(spec, spec->default_value) ||
      (spec->type == CONCERTO_CONFIG_INT && spec->min > spec->max)) {
    log_msg(CONCERTO_LOG_ERROR, m->name, NULL,
            "register_config: invalid key spec %s",
            spec && spec->key ? spec->key : "(null)");
    return CONCERTO_ERR_REG_INVALID;
  }
  for (size_t i = 0; i < m->nkeys; i++)
    if (strcmp(m->keys[i].key, spec->key) == 0)
      return CONCERTO_ERR_REG_DUPLICATE;
  module_config_key *grown = realloc(m->keys, (m->nkeys + 1) * sizeof *grown);
  if (!grown)
    return CONCERTO_ERR_NOMEM;
  m->keys = grown;
  m->keys[m->nkeys++] = (module_config_key){
      strdup(spec->key), spec->type,
      spec->default_value ? strdup(spec->default_value) : NULL, spec->min,
      spec->max};
  return CONCERTO_OK;
}

static char *dup_opt(const char *s) {
  return s ? strdup(s) : NULL;
}

concerto_status
host_register_tenant_setting(concerto_registrar *reg,
                             const concerto_tenant_setting_spec *given) {
  if (!open_for_registration(reg))
    return CONCERTO_ERR_REG_CLOSED;
  module_rec *m = reg->mod;
  concerto_tenant_setting_spec copy;
  const concerto_tenant_setting_spec *spec =
      STRUCT_IMPORT(&copy, given, TENANT_SETTING_SPEC_V1_SIZE);
  if (!spec || !valid_key(spec->key) || strlen(spec->key) > 64 ||
      !setting_value_fits(spec->type, spec->min, spec->max,
                          spec->default_value) ||
      (spec->type == CONCERTO_CONFIG_INT && spec->min > spec->max))
    return CONCERTO_ERR_REG_INVALID;
  for (size_t i = 0; i < m->ntsettings; i++)
    if (strcmp(m->tsettings[i].key, spec->key) == 0)
      return CONCERTO_ERR_REG_DUPLICATE;
  setting_spec *grown =
      realloc(m->tsettings, (m->ntsettings + 1) * sizeof *grown);
  if (!grown)
    return CONCERTO_ERR_NOMEM;
  m->tsettings = grown;
  m->tsettings[m->ntsettings++] = (setting_spec){strdup(spec->key),
                                                 dup_opt(spec->default_value),
                                                 dup_opt(spec->label_it),
                                                 dup_opt(spec->label_en),
                                                 dup_opt(spec->help),
                                                 spec->type,
                                                 spec->min,
                                                 spec->max};
  return CONCERTO_OK;
}

static concerto_status set_dir(concerto_registrar *reg, const char *dir,
                               bool migrations) {
  if (!open_for_registration(reg))
    return CONCERTO_ERR_REG_CLOSED;
  if (!dir || !*dir || strstr(dir, ".."))
    return CONCERTO_ERR_REG_INVALID;
  char **slot = migrations ? &reg->mod->migrations_dir : &reg->mod->static_dir;
  if (*slot)
    return CONCERTO_ERR_REG_DUPLICATE;
  *slot = module_path(reg->mod, dir);
  return *slot ? CONCERTO_OK : CONCERTO_ERR_NOMEM;
}

concerto_status host_register_migrations(concerto_registrar *reg,
                                         const char *dir) {
  return set_dir(reg, dir, true);
}

concerto_status host_register_static(concerto_registrar *reg, const char *dir) {
  return set_dir(reg, dir, false);
}

const char *host_module_dir(const concerto_module *m) {
  return m ? m->dir : NULL;
}

static const module_config_key *find_key(const concerto_module *m,
                                         const char *key) {
  for (size_t i = 0; m && key && i < m->nkeys; i++)
    if (strcmp(m->keys[i].key, key) == 0)
      return &m->keys[i];
  return NULL;
}

const char *host_config_string(const concerto_module *m, const char *key) {
  const module_config_key *k = find_key(m, key);
  return k ? k->value : NULL;
}

long long host_config_int(const concerto_module *m, const char *key) {
  const module_config_key *k = find_key(m, key);
  return k && k->value ? strtoll(k->value, NULL, 10) : 0;
}

int host_config_bool(const concerto_module *m, const char *key) {
  const module_config_key *k = find_key(m, key);
  return k && k->value && strcmp(k->value, "true") == 0;
}

__attribute__((format(printf, 3, 4))) void host_log(const concerto_module *m,
                                                    concerto_log_level level,
                                                    const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vmsg(level, m ? m->name : NULL, NULL, fmt, ap);
  va_end(ap);
}
