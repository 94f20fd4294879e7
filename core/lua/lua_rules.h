/* Rules: named entry points that modules call with JSON and that answer
 * with a decision. A hospital's rules.lua returns a table of functions (or
 * defines them as globals). Which rules exist, their defaults and the shape
 * of their decisions are declared by whoever calls them (rule_registry.h):
 * the core's on_event, teleconsult's route_teleconsult, and the rules of
 * the modules to come (route_ticket, signature_policy, ...). */
#ifndef CONCERTO_CORE_LUA_RULES_H
#define CONCERTO_CORE_LUA_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lua_box.h"

/* The default decision of rule `rule` for `input` (its first argument;
 * borrowed, may be NULL), as a new reference: the declaration's default_for
 * or default_decision; NULL for a rule nobody declared. */
json_t *lua_rules_default(const char *rule, const json_t *input);

/* Loads a rules chunk into box b (slot "rules"). False with err set when
 * it does not compile or run, returns something other than a table (or
 * nothing), or binds a known rule name to something other than a
 * function. Inputs borrowed. */
bool lua_rules_load(lua_box *b, const char *chunkname, const char *source,
                    size_t len, char *err, size_t errlen);

/* Calls rule `rule` with nargs JSON arguments (borrowed). LUA_BOX_OK: a
 * new reference in *decision, and *defaulted tells whether it came from
 * lua_rules_default because the script does not define the rule. A
 * declared rule's decision is checked by its declaration's check: a wrong
 * one is LUA_BOX_ERROR naming what is wrong. On
 * LUA_BOX_ERROR or LUA_BOX_LIMIT *decision is NULL; the caller logs err and
 * decides whether the default is acceptable for that request. */
lua_box_status lua_rules_call(lua_box *b, const char *rule, size_t nargs,
                              const json_t *const *args, json_t **decision,
                              bool *defaulted, char *err, size_t errlen);

#endif
