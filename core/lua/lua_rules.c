/* Rules: defaults, loading, calling and checking decisions. */
#include "lua_rules.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "lua_box_internal.h"

#define RULES_SLOT "rules"

static const char *const known_rules[] = {"route_teleconsult", "route_ticket",
                                          "signature_policy", "on_event", NULL};

static bool is_urgent(const json_t *input) {
  if (json_is_true(json_object_get(input, "urgent")))
    return true;
  const char *u = json_string_value(json_object_get(input, "urgency"));
  return u && (strcmp(u, "urgent") == 0 || strcmp(u, "emergency") == 0);
}

json_t *lua_rules_default(const char *rule, const json_t *input) {
  if (strcmp(rule, "route_teleconsult") == 0) {
    const char *specialty =
        json_string_value(json_object_get(input, "specialty"));
    bool urgent = is_urgent(input);
    return json_pack("{s:s,s:s,s:i}", "group",
                     specialty && *specialty ? specialty : "general",
                     "priority", urgent ? "high" : "normal", "sla_hours",
                     urgent ? 2 : 72);
  }
  if (strcmp(rule, "route_ticket") == 0)
    return json_pack("{s:s,s:s}", "queue", "first_level", "severity", "normal");
  if (strcmp(rule, "signature_policy") == 0)
    return json_pack("{s:b,s:s}", "allow", 1, "reason", "default policy");
  if (strcmp(rule, "on_event") == 0)
    return json_pack("{s:[]}", "actions");
  return NULL;
}

typedef struct check_ctx {
  const char *bad; /* a known rule bound to a non-function */
  const char *returned;
} check_ctx;

static void check_body(lua_State *L, void *ud) {
  check_ctx *c = ud;
  lua_box_push_slot(L, RULES_SLOT);
  int t = lua_type(L, -1);
  if (t == LUA_TNIL)
    return; /* rules defined as globals */
  if (t != LUA_TTABLE) {
    c->returned = lua_typename(L, t);
    return;
  }
  for (int i = 0; known_rules[i]; i++) {
    lua_pushstring(L, known_rules[i]);
    int ft = lua_rawget(L, -2);
    lua_pop(L, 1);
    if (ft != LUA_TNIL && ft != LUA_TFUNCTION) {
      c->bad = known_rules[i];
      return;
    }
  }
}

bool lua_rules_load(lua_box *b, const char *chunkname, const char *source,
                    size_t len, char *err, size_t errlen) {
  if (!lua_box_load(b, RULES_SLOT, chunkname, source, len, err, errlen))
    return false;
  check_ctx c = {0};
  if (lua_box_run(b, chunkname, check_body, &c, err, errlen) != LUA_BOX_OK)
    return false;
  if (c.returned) {
    snprintf(err, errlen, "%s: must return a table of functions, not a %s",
             chunkname, c.returned);
    return false;
  }
  if (c.bad) {
    snprintf(err, errlen, "%s: '%s' must be a function", chunkname, c.bad);
    return false;
  }
  return true;
}

static bool one_of(const json_t *v, const char *const *allowed) {
  const char *s = json_string_value(v);
  for (int i = 0; s && allowed[i]; i++)
    if (strcmp(s, allowed[i]) == 0)
      return true;
  return false;
}

static bool one_of_rules(const char *rule) {
  for (int i = 0; known_rules[i]; i++)
    if (strcmp(rule, known_rules[i]) == 0)
      return true;
  return false;
}

/* NULL when the decision has the shape its rule promises. */
static const char *shape_problem(const char *rule, const json_t *d) {
  static const char *const levels[] = {"low", "normal", "high", "critical",
                                       NULL};
  if (!one_of_rules(rule))
    return NULL; /* a rule of a module: the module checks its own */
  if (!json_is_object(d))
    return "must return a table";
  if (strcmp(rule, "route_teleconsult") == 0) {
    const char *group = json_string_value(json_object_get(d, "group"));
    const json_t *sla = json_object_get(d, "sla_hours");
    if (!group || !*group)
      return "must return a non-empty 'group'";
    if (!one_of(json_object_get(d, "priority"), levels))
      return "must return 'priority' as low, normal, high or critical";
    if (!json_is_number(sla) || json_number_value(sla) <= 0)
      return "must return a positive 'sla_hours'";
  } else if (strcmp(rule, "route_ticket") == 0) {
    const char *queue = json_string_value(json_object_get(d, "queue"));
    if (!queue || !*queue)
      return "must return a non-empty 'queue'";
    if (!one_of(json_object_get(d, "severity"), levels))
      return "must return 'severity' as low, normal, high or critical";
  } else if (strcmp(rule, "signature_policy") == 0) {
    if (!json_is_boolean(json_object_get(d, "allow")))
      return "must return 'allow' as true or false";
    if (!json_is_string(json_object_get(d, "reason")))
      return "must return a 'reason' string";
  } else if (strcmp(rule, "on_event") == 0) {
    const json_t *actions = json_object_get(d, "actions");
    if (!json_is_array(actions))
      return "must return 'actions' as a list";
    for (size_t i = 0; i < json_array_size(actions); i++)
      if (!json_is_string(json_object_get(json_array_get(actions, i), "type")))
        return "must return actions as tables with a 'type' string";
  }
  return NULL;
}

lua_box_status lua_rules_call(lua_box *b, const char *rule, size_t nargs,
                              const json_t *const *args, json_t **decision,
                              bool *defaulted, char *err, size_t errlen) {
  *decision = NULL;
  *defaulted = false;
  json_t *out = NULL;
  lua_box_status st =
      lua_box_callv(b, RULES_SLOT, rule, nargs, args, &out, err, errlen);
  if (st == LUA_BOX_MISSING) {
    out = lua_rules_default(rule, nargs ? args[0] : NULL);
    if (!out)
      return LUA_BOX_MISSING; /* no script rule, and no default either */
    *decision = out;
    *defaulted = true;
    return LUA_BOX_OK;
  }
  if (st != LUA_BOX_OK)
    return st;
  const char *why = shape_problem(rule, out);
  if (why) {
    snprintf(err, errlen, "%s: %s %s", lua_box_slot_chunk(b, RULES_SLOT), rule,
             why);
    json_decref(out);
    return LUA_BOX_ERROR;
  }
  *decision = out;
  return LUA_BOX_OK;
}
