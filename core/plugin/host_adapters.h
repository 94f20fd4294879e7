/* The host table entries that exist only for modules: registration during
 * init, a module's own configuration and settings, its log lines. Every
 * other entry maps straight onto a layer's function (host_table.c). */
#ifndef CONCERTO_CORE_HOST_ADAPTERS_H
#define CONCERTO_CORE_HOST_ADAPTERS_H

#include "concerto/host.h"

concerto_module *host_module_self(concerto_registrar *reg);
concerto_status host_register_route(concerto_registrar *reg,
                                    const concerto_route_spec *spec);
concerto_status host_register_config(concerto_registrar *reg,
                                     const concerto_config_spec *spec);
concerto_status host_register_migrations(concerto_registrar *reg,
                                         const char *dir);
concerto_status host_register_static(concerto_registrar *reg, const char *dir);
concerto_status
host_register_tenant_setting(concerto_registrar *reg,
                             const concerto_tenant_setting_spec *spec);
concerto_status host_subscribe(concerto_registrar *reg, const char *name,
                               uint32_t version, concerto_event_handler handler,
                               void *userdata);
concerto_status host_register_event(concerto_registrar *reg,
                                    const concerto_event_spec *spec);
concerto_status host_register_rule(concerto_registrar *reg,
                                   const concerto_rule_spec *spec);
concerto_status
host_register_lua_function(concerto_registrar *reg,
                           const concerto_lua_function_spec *spec);
concerto_status host_register_service(concerto_registrar *reg,
                                      const concerto_service_spec *spec);
concerto_status host_get_service(concerto_registrar *reg, const char *name,
                                 uint32_t version, const void **vtable,
                                 size_t *vtable_size);
concerto_status host_service_enter(concerto_request *req,
                                   const concerto_module *provider,
                                   concerto_service_frame *frame);
void host_service_leave(concerto_request *req, concerto_service_frame *frame);
concerto_status host_register_role(concerto_registrar *reg,
                                   const concerto_role_spec *spec);
concerto_status host_register_problem(concerto_registrar *reg,
                                      const concerto_problem_spec *spec);
concerto_status host_register_job(concerto_registrar *reg,
                                  const concerto_job_spec *spec);
const char *host_module_dir(const concerto_module *m);
const char *host_config_string(const concerto_module *m, const char *key);
long long host_config_int(const concerto_module *m, const char *key);
int host_config_bool(const concerto_module *m, const char *key);
const char *host_tenant_setting(concerto_request *req, const concerto_module *m,
                                const char *key);
void host_log(const concerto_module *m, concerto_log_level level,
              const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
