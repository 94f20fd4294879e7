# Hospital scripts: sandboxed Lua boxes, forms, rules, the on_event kind.
concerto_layer(lua
  SOURCES lua_box.c lua_event_sink.c lua_form.c lua_form_schema.c lua_form_validate.c lua_functions.c lua_json.c lua_lib.c lua_pattern.c lua_pool.c lua_rules.c lua_sandbox.c lua_time.c rule_registry.c scripts.c
  LIBS PkgConfig::LUA m)
