/* The Lua rule teleconsult declares (rules.c). Self-contained, so the core's
 * Lua tests can check the real declaration (tests/lua/test_lua_rules.c). */
#ifndef CONCERTO_TELECONSULT_RULES_H
#define CONCERTO_TELECONSULT_RULES_H

#include <concerto/host.h>

/* route_teleconsult(request) -> {group, priority, sla_hours}. */
extern const concerto_rule_spec tc_route_rule;

#endif
