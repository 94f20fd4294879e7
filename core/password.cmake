# Identity building blocks: password hashing and policy (argon2id) and the
# codice fiscale validator. Included by core/CMakeLists.txt after the
# concerto_core target exists.
# GLOBAL: test directories link concerto_core and so see this target too.
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET GLOBAL libargon2)
target_sources(concerto_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/password.c
  ${CMAKE_CURRENT_LIST_DIR}/codice_fiscale.c)
target_link_libraries(concerto_core PUBLIC PkgConfig::ARGON2)
