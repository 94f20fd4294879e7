#include "lua_functions.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_box_internal.h"
#include "lua_json.h"
#include "request.h"
#include "struct_compat.h"

/* What one call costs the script, besides what it converts: a database
 * round trip or more is far more than a VM instruction. */
#define COST_CALL 20000ul

typedef struct lua_fn_def {
  char *module, *name, *description;
  concerto_lua_function fn;
  void *userdata;
} lua_fn_def;

struct lua_fn_list {
  lua_fn_def **fns; /* pointers: closures keep them, so they never move */
  size_t count;
};

static lua_fn_list *the_list;

lua_fn_list *lua_fn_list_new(void) {
  return calloc(1, sizeof(lua_fn_list));
}

static void def_free(lua_fn_def *d) {
  if (!d)
    return;
  free(d->module);
  free(d->name);
  free(d->description);
  free(d);
}

void lua_fn_list_free(lua_fn_list *l) {
  if (!l)
    return;
  for (size_t i = 0; i < l->count; i++)
    def_free(l->fns[i]);
  free(l->fns);
  free(l);
}

static bool ident(const char *n, size_t max) {
  if (!n || !(*n >= 'a' && *n <= 'z') || strlen(n) > max)
    return false;
  for (; *n; n++)
    if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '_'))
      return false;
  return true;
}

static const lua_fn_def *find(const lua_fn_list *l, const char *module,
                              const char *name) {
  for (size_t i = 0; l && i < l->count; i++)
    if (strcmp(l->fns[i]->module, module) == 0 &&
        strcmp(l->fns[i]->name, name) == 0)
      return l->fns[i];
  return NULL;
}

concerto_status lua_fn_list_add(lua_fn_list *l, const char *module,
                                const concerto_lua_function_spec *given,
                                char *err, size_t errlen) {
  concerto_lua_function_spec copy;
  const concerto_lua_function_spec *spec =
      STRUCT_IMPORT(&copy, given, LUA_FUNCTION_SPEC_V1_SIZE);
  if (!spec || !ident(spec->name, 40) || !spec->fn || !module ||
      (spec->description && strlen(spec->description) > 300)) {
    snprintf(err, errlen,
             "lua function: name [a-z][a-z0-9_]{0,39} and fn required");
    return CONCERTO_ERR_REG_INVALID;
  }
  if (find(l, module, spec->name)) {
    snprintf(err, errlen, "lua function %s.%s declared twice", module,
             spec->name);
    return CONCERTO_ERR_REG_DUPLICATE;
  }
  lua_fn_def **grown = realloc(l->fns, (l->count + 1) * sizeof *grown);
  if (!grown)
    return CONCERTO_ERR_NOMEM;
  l->fns = grown;
  lua_fn_def *d = calloc(1, sizeof *d);
  if (d) {
    d->module = strdup(module);
    d->name = strdup(spec->name);
    d->description = strdup(spec->description ? spec->description : "");
    d->fn = spec->fn;
    d->userdata = spec->userdata;
  }
  if (!d || !d->module || !d->name || !d->description) {
    def_free(d);
    return CONCERTO_ERR_NOMEM;
  }
  l->fns[l->count++] = d;
  return CONCERTO_OK;
}

bool lua_functions_merge(lua_fn_list *from, char *err, size_t errlen) {
  if (!from || from->count == 0)
    return true;
  if (!the_list && !(the_list = lua_fn_list_new()))
    return false;
  lua_fn_def **grown =
      realloc(the_list->fns, (the_list->count + from->count) * sizeof *grown);
  if (!grown) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  the_list->fns = grown;
  memcpy(the_list->fns + the_list->count, from->fns,
         from->count * sizeof *grown);
  the_list->count += from->count;
  free(from->fns);
  from->fns = NULL;
  from->count = 0;
  return true;
}

void lua_functions_free(void) {
  lua_fn_list_free(the_list);
  the_list = NULL;
}

static void release_json(void *p) {
  json_decref(p);
}

static bool run_sql(concerto_request *req, const char *sql) {
  return request_query(req, sql, 0, NULL, NULL) == CONCERTO_OK;
}

/* concerto.<module>.<name>(args): args is one table (or nil); the result
 * comes back as a Lua value (nil for none). */
static int call_module(lua_State *L) {
  const lua_fn_def *d = lua_touserdata(L, lua_upvalueindex(1));
  concerto_request *req = lua_box_context(L);
  if (!req)
    return luaL_error(L, "concerto.%s.%s: only while serving a request",
                      d->module, d->name);
  if (!lua_box_host_call(L, LUA_FUNCTION_CALLS_MAX))
    return luaL_error(L, "concerto.%s.%s: more than %d module calls in one run",
                      d->module, d->name, LUA_FUNCTION_CALLS_MAX);
  lua_box_charge(L, COST_CALL);
  bool has_args = lua_gettop(L) >= 1 && !lua_isnil(L, 1);
  lua_settop(L, 1);
  /* Both JSON values live in holders before anything can raise. */
  lua_json_holder *hargs = lua_json_holder_push(L, release_json);
  lua_json_holder *hres = lua_json_holder_push(L, release_json);
  json_t *args = NULL;
  char msg[200] = "";
  bool ok = !has_args || lua_json_from_lua(L, 1, NULL, &args, msg, sizeof msg);
  hargs->p = args;
  if (!ok)
    return luaL_error(L, "concerto.%s.%s: %s", d->module, d->name, msg);
  /* Read-only and rolled back: a lookup can read, never write, and leaves
   * nothing behind in the script's request. */
  json_t *result = NULL;
  concerto_status st = CONCERTO_ERR_DB_UNAVAILABLE;
  if (run_sql(req, "SAVEPOINT concerto_lua_fn") &&
      run_sql(req, "SET LOCAL transaction_read_only = on")) {
    st = d->fn(req, args, &result, d->userdata);
    hres->p = result;
  }
  bool clean = run_sql(req, "ROLLBACK TO SAVEPOINT concerto_lua_fn") &&
               run_sql(req, "RELEASE SAVEPOINT concerto_lua_fn");
  /* A failure inside (a write the read-only mode refused) is contained: it
   * must not colour the request's own answer. */
  if (clean)
    req->last_sqlstate[0] = '\0';
  if (st != CONCERTO_OK || !clean)
    return luaL_error(L, "concerto.%s.%s failed (status %d)", d->module,
                      d->name, (int)st);
  if (result && !lua_json_check(result, msg, sizeof msg))
    return luaL_error(L, "concerto.%s.%s: result %s", d->module, d->name, msg);
  if (result)
    lua_json_push(L, result);
  else
    lua_pushnil(L);
  return 1;
}

void lua_functions_install(lua_State *L, int lib,
                           void (*readonly)(lua_State *L)) {
  lib = lua_absindex(L, lib);
  for (size_t i = 0; the_list && i < the_list->count; i++) {
    const char *module = the_list->fns[i]->module;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(the_list->fns[j]->module, module) == 0;
    if (seen)
      continue; /* its table is made already */
    bool taken = lua_getfield(L, lib, module) != LUA_TNIL;
    lua_pop(L, 1);
    if (taken)
      continue; /* a library function of that name comes first */
    lua_newtable(L);
    for (size_t j = i; j < the_list->count; j++)
      if (strcmp(the_list->fns[j]->module, module) == 0) {
        lua_pushlightuserdata(L, the_list->fns[j]);
        lua_pushcclosure(L, call_module, 1);
        lua_setfield(L, -2, the_list->fns[j]->name);
      }
    readonly(L);
    lua_setfield(L, lib, module);
  }
}

json_t *lua_functions_json(void) {
  json_t *out = json_array();
  for (size_t i = 0; the_list && i < the_list->count; i++)
    json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "module",
                                         the_list->fns[i]->module, "name",
                                         the_list->fns[i]->name, "description",
                                         the_list->fns[i]->description));
  return out;
}
