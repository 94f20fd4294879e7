/* The rules the ticketing and signature modules will declare, as the test
 * module "ruled" declares them now; the Lua unit tests use the same
 * declarations (tests/lua/test_lua_rules.c). */
#ifndef CONCERTO_TESTS_RULED_RULES_H
#define CONCERTO_TESTS_RULED_RULES_H

#include <concerto/host.h>

#define RULED_RULES 2
/* route_ticket(ticket) -> {queue, severity};
 * signature_policy(certificate, document) -> {allow, reason}. */
extern const concerto_rule_spec ruled_rules[RULED_RULES];

#endif
