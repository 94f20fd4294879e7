# LDAP / Active Directory staff login (ldap_auth.c), included by
# core/CMakeLists.txt. Debian's libldap-dev ships ldap.pc, whose
# "Requires: lber" already adds -llber; LBER is named anyway because the
# module uses liblber's types (struct berval) directly. PUBLIC: concerto_core
# is static, so whoever links it needs these libraries too.
pkg_check_modules(LDAP REQUIRED IMPORTED_TARGET ldap)
pkg_check_modules(LBER REQUIRED IMPORTED_TARGET lber)
target_sources(concerto_core PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/ldap_auth.c)
target_link_libraries(concerto_core PUBLIC PkgConfig::LDAP PkgConfig::LBER)
