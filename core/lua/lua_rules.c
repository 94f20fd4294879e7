/* Rules: defaults, loading, calling and checking decisions. */
#include "lua_rules.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "lua_box_internal.h"
#include "rule_registry.h"

#define RULES_SLOT "rules"

json_t *lua_rules_default(const char *rule, const json_t *input) {
  const rule_def *d = rule_list_find(rule_registry(), rule);
  if (!d)
    return NULL;
  json_t *out = d->default_for ? d->default_for(input) : NULL;
  return out ? out : json_deep_copy(d->default_decision);
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
  const rule_list *known = rule_registry();
  for (size_t i = 0; i < rule_list_count(known); i++) {
    const char *name = rule_list_at(known, i)->name;
    lua_pushstring(L, name);
    int ft = lua_rawget(L, -2);
    lua_pop(L, 1);
    if (ft != LUA_TNIL && ft != LUA_TFUNCTION) {
      c->bad = name;
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

/* NULL when the decision has the shape its rule promises; otherwise why
 * not, in `buf`. Rules nobody declared (a hospital's own helpers called
 * from the console's dry run) are not checked. */
static const char *shape_problem(const char *rule, const json_t *d, char *buf,
                                 size_t len) {
  const rule_def *def = rule_list_find(rule_registry(), rule);
  if (!def)
    return NULL;
  if (!json_is_object(d))
    return "must return a table";
  buf[0] = '\0';
  if (def->check && def->check(d, buf, len) != CONCERTO_OK)
    return buf[0] ? buf : "returned a decision of the wrong shape";
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
  char buf[256];
  const char *why = shape_problem(rule, out, buf, sizeof buf);
  if (why) {
    snprintf(err, errlen, "%s: %s %s", lua_box_slot_chunk(b, RULES_SLOT), rule,
             why);
    json_decref(out);
    return LUA_BOX_ERROR;
  }
  *decision = out;
  return LUA_BOX_OK;
}
