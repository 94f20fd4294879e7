/* Per-hospital settings that modules declare (plugin ABI 1.4), and the
 * core's own under a pseudo-module name (the video platform, video.h): the
 * hospital administrator's page, and the modules' read access. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_util.h"
#include "routes.h"
#include "module_registry.h"
#include "video.h"

static const char *type_name(concerto_config_type t) {
  return t == CONCERTO_CONFIG_INT    ? "integer"
         : t == CONCERTO_CONFIG_BOOL ? "boolean"
                                     : "string";
}

/* One row of the list. A secret's value is never returned: only whether
 * the hospital set one ("customized"). */
static json_t *setting_json(const char *module, const setting_spec *s,
                            const char *value, bool secret) {
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:b}", "module",
                module, "key", s->key, "type", type_name(s->type), "label_it",
                s->label_it, "label_en", s->label_en, "help", s->help,
                "default", s->default_value, "value",
                secret  ? NULL
                : value ? value
                        : s->default_value,
                "customized", value != NULL && (!secret || *value));
  if (secret)
    json_object_set_new(o, "secret", json_true());
  if (s->type == CONCERTO_CONFIG_INT) {
    json_object_set_new(o, "min", json_integer(s->min));
    json_object_set_new(o, "max", json_integer(s->max));
  }
  return o;
}

static const char *stored_value(PGresult *r, const char *module,
                                const char *key) {
  for (int row = 0; row < PQntuples(r); row++)
    if (strcmp(PQgetvalue(r, row, 0), module) == 0 &&
        strcmp(PQgetvalue(r, row, 1), key) == 0)
      return PQgetvalue(r, row, 2);
  return NULL;
}

static concerto_status list_settings(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  concerto_status st = request_query(
      req, "SELECT module, key, value FROM concerto.tenant_settings", 0, NULL,
      &r);
  if (st != CONCERTO_OK)
    return st;
  json_t *list = json_array();
  module_registry *mods = req->app->modules;
  for (size_t i = 0; i < mods->count; i++) {
    const module_rec *m = mods->mods[i];
    if (m->status != MODULE_STARTED)
      continue;
    for (size_t k = 0; k < m->ntsettings; k++) {
      const setting_spec *s = &m->tsettings[k];
      json_array_append_new(
          list,
          setting_json(m->name, s, stored_value(r, m->name, s->key), false));
    }
  }
  size_t ncore;
  const core_tenant_setting *core = core_tenant_settings(&ncore);
  for (size_t k = 0; k < ncore; k++)
    json_array_append_new(
        list,
        setting_json(VIDEO_SETTINGS_MODULE, &core[k].spec,
                     stored_value(r, VIDEO_SETTINGS_MODULE, core[k].spec.key),
                     core[k].secret));
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:o}", "tenant",
                                    req->caller.tenant_code, "settings", list));
}

static concerto_status put_setting(concerto_request *req, void *ud) {
  (void)ud;
  const char *module = req_param(req, "module");
  const char *key = req_param(req, "key");
  /* The core's own settings first: its pseudo-module names are reserved. */
  const core_tenant_setting *core = core_tenant_setting_find(module, key);
  const setting_spec *s =
      core ? &core->spec
           : module_tenant_setting_find(
                 module_registry_find(req->app->modules, module), key);
  if (!s)
    return request_problem(req, 404, "not_found", NULL,
                           "No such setting of a loaded module.");
  concerto_status st;
  json_t *body = body_object(req, &st);
  if (!body)
    return st;
  json_t *v = json_object_get(body, "value");
  char text[32];
  const char *value = NULL;
  if (json_is_string(v))
    value = json_string_value(v);
  else if (json_is_boolean(v))
    value = json_is_true(v) ? "true" : "false";
  else if (json_is_integer(v)) {
    snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
    value = text;
  }
  const char *problem =
      value && core && core->check ? core->check(value) : NULL;
  if (!value || strlen(value) > 10000 ||
      !setting_value_fits(s->type, s->min, s->max, value) || problem) {
    verrors e;
    verr_init(&e);
    char msg[120];
    if (problem)
      snprintf(msg, sizeof msg, "%s", problem);
    else if (s->type == CONCERTO_CONFIG_INT)
      snprintf(msg, sizeof msg, "an integer from %lld to %lld", s->min, s->max);
    else
      snprintf(msg, sizeof msg, "%s",
               s->type == CONCERTO_CONFIG_BOOL
                   ? "true or false"
                   : "a text up to 10000 characters");
    verr_add(&e, "value", msg);
    return verr_respond(req, &e);
  }
  const char *p[5] = {req->caller.tenant_id, module, key, value,
                      req->caller.user_id};
  st = request_query(req,
                     "INSERT INTO concerto.tenant_settings (tenant_id, module, "
                     "key, value, updated_by) VALUES ($1, $2, $3, $4, $5) ON "
                     "CONFLICT (tenant_id, module, key) DO UPDATE SET value = "
                     "$4, updated_by = $5, updated_at = now()",
                     5, p, NULL);
  if (st != CONCERTO_OK)
    return st;
  request_audit(req, "tenant.setting.update",
                req_printf(req, "%s.%s", module, key), NULL, "success", NULL);
  json_t *out = json_pack("{s:s, s:s}", "module", module, "key", key);
  if (core && core->secret)
    json_object_set_new(out, "secret", json_true());
  else
    json_object_set_new(out, "value", json_string(value));
  return req_respond_json(req, 200, out);
}

const route_def routes_settings[] = {
    {"GET", "/api/v1/tenants/{tenant}/settings",
     "regional_admin,hospital_admin", list_settings},
    {"PUT", "/api/v1/tenants/{tenant}/settings/{module}/{key}",
     "regional_admin,hospital_admin", put_setting},
    {NULL, NULL, NULL, NULL},
};
