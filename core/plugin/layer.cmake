# Modules: discovery, the ABI check, dependency order, registration and the
# host table, whose entries map onto the layers below.
concerto_layer(plugin
  SOURCES abi_check.c host_events.c host_jobs.c host_lua_functions.c host_problems.c host_registrar.c host_roles.c host_rules.c host_services.c host_settings.c host_table.c module_loader.c
    module_migrate.c
  LIBS ${LTDL_LIBRARY})
target_include_directories(concerto_plugin PUBLIC ${LTDL_INCLUDE_DIR})
