# The Lua host (issue 4): sandboxed Lua 5.4 boxes, JSON conversion, the
# `concerto` library, forms, rules and the per-thread pool. Included by
# core/CMakeLists.txt after the concerto_core target exists.
# GLOBAL: test directories link concerto_core and so see this target too.
pkg_check_modules(LUA REQUIRED IMPORTED_TARGET GLOBAL lua5.4)
target_sources(concerto_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/lua_box.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_sandbox.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_pattern.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_json.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_lib.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_time.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_form.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_form_schema.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_form_validate.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_rules.c
  ${CMAKE_CURRENT_LIST_DIR}/lua_pool.c)
# PUBLIC: concerto_core is static, so whoever links it needs liblua too, and
# lua_box.h users include <lua.h> through the internal headers.
target_link_libraries(concerto_core PUBLIC PkgConfig::LUA m)
