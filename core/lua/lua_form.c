/* Loading a form: run its chunk in the box, turn the returned table into
 * JSON (each function becomes {"$fn": k}, k indexing a table of the form's
 * functions kept in the registry), then check that JSON in plain C. */
#include "lua_form_internal.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_box_internal.h"
#include "lua_json.h"

typedef struct load_ctx {
  const char *chunkname, *source;
  size_t len;
  int fns_index; /* stack index of the function table during conversion */
  json_t *desc;  /* owned here, outside the run (see lua_box_internal.h) */
  int fns_ref;
  const char *not_table; /* the type name the chunk returned instead */
  bool conv_failed;
  char conv_err[200];
} load_ctx;

static int collect_function(void *ud, lua_State *L, int idx) {
  load_ctx *c = ud;
  lua_Integer k = (lua_Integer)lua_rawlen(L, c->fns_index) + 1;
  lua_pushvalue(L, idx);
  lua_rawseti(L, c->fns_index, k);
  return (int)k;
}

static void load_body(lua_State *L, void *ud) {
  load_ctx *c = ud;
  lua_box_compile(L, c->chunkname, c->source, c->len);
  lua_call(L, 0, 1);
  if (lua_type(L, 1) != LUA_TTABLE) {
    c->not_table = lua_typename(L, lua_type(L, 1));
    return;
  }
  lua_newtable(L);
  c->fns_index = 2;
  lua_json_fn fn = {collect_function, c};
  if (!lua_json_from_lua(L, 1, &fn, &c->desc, c->conv_err,
                         sizeof c->conv_err)) {
    c->conv_failed = true;
    return;
  }
  lua_pushvalue(L, 2);
  c->fns_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  /* Keep the script value under "form:<id>" for lua_box_call. */
  lua_pushliteral(L, "id");
  if (lua_rawget(L, 1) == LUA_TSTRING) {
    lua_pushfstring(L, "form:%s", lua_tostring(L, -1));
    lua_pushvalue(L, 1);
    lua_box_set_slot(L, lua_tostring(L, -2));
  }
}

bool lua_form_load(lua_box *b, const char *chunkname, const char *source,
                   size_t len, lua_form **out, json_t **problems, char *err,
                   size_t errlen) {
  *out = NULL;
  *problems = NULL;
  load_ctx c = {.chunkname = chunkname,
                .source = source,
                .len = len,
                .fns_ref = LUA_NOREF};
  if (lua_box_run(b, chunkname, load_body, &c, err, errlen) != LUA_BOX_OK) {
    json_decref(c.desc);
    lua_box_unref(b, c.fns_ref);
    return false;
  }
  if (c.not_table || c.conv_failed) {
    json_decref(c.desc);
    lua_box_unref(b, c.fns_ref);
    *problems = json_pack("[{s:s,s:s++}]", "path", "", "message",
                          "the chunk must return the form table",
                          c.not_table ? ", not a " : ": ",
                          c.not_table ? c.not_table : c.conv_err);
    if (!*problems)
      snprintf(err, errlen, "out of memory");
    return false;
  }
  lua_form *f = calloc(1, sizeof *f);
  if (!f || !(f->chunkname = strdup(chunkname))) {
    free(f);
    json_decref(c.desc);
    lua_box_unref(b, c.fns_ref);
    snprintf(err, errlen, "out of memory");
    return false;
  }
  f->box = b;
  f->desc = c.desc;
  f->fns_ref = c.fns_ref;
  json_t *found = lua_form_schema_check(f);
  if (!found || json_array_size(found) > 0) {
    *problems = found;
    if (!found)
      snprintf(err, errlen, "out of memory");
    lua_form_free(f);
    return false;
  }
  json_decref(found);
  *out = f;
  return true;
}

const json_t *lua_form_json(const lua_form *f) {
  return f->rendered;
}

const char *lua_form_id(const lua_form *f) {
  return f->id;
}

int lua_form_version(const lua_form *f) {
  return f->version;
}

void lua_form_free(lua_form *f) {
  if (!f)
    return;
  lua_box_unref(f->box, f->fns_ref);
  json_decref(f->rendered);
  json_decref(f->index);
  json_decref(f->desc);
  free(f->fields);
  free(f->sections);
  free(f->chunkname);
  free(f);
}
