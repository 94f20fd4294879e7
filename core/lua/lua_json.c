/* JSON <-> Lua conversion. See lua_json.h for the mapping and limits. */
#include "lua_json.h"

#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Light userdata keys: addresses only this file knows. */
static const char null_sentinel = 0;
static char object_mt_key, holder_mt_key;

static int holder_gc(lua_State *L) {
  lua_json_holder *h = lua_touserdata(L, 1);
  if (h && h->p && h->release)
    h->release(h->p);
  if (h)
    h->p = NULL;
  return 0;
}

void lua_json_open(lua_State *L) {
  /* The object marker: an empty, protected metatable. */
  lua_createtable(L, 0, 1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &object_mt_key);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, holder_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &holder_mt_key);
}

lua_json_holder *lua_json_holder_push(lua_State *L, void (*release)(void *)) {
  lua_json_holder *h = lua_newuserdatauv(L, sizeof *h, 0);
  h->p = NULL;
  h->release = release;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &holder_mt_key);
  lua_setmetatable(L, -2);
  return h;
}

void lua_json_push_null(lua_State *L) {
  lua_pushlightuserdata(L, (void *)&null_sentinel);
}

bool lua_json_is_null(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA &&
         lua_touserdata(L, idx) == &null_sentinel;
}

void lua_json_mark_object(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  if (lua_getmetatable(L, idx)) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &object_mt_key);
    bool ours = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (!ours)
      luaL_error(L, "the table already has a metatable");
    return;
  }
  lua_rawgetp(L, LUA_REGISTRYINDEX, &object_mt_key);
  lua_setmetatable(L, idx);
}

static bool marked_object(lua_State *L, int idx) {
  if (!lua_getmetatable(L, idx))
    return false;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &object_mt_key);
  bool ours = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return ours;
}

/* ---- JSON -> Lua ---- */

static void push_value(lua_State *L, const json_t *j, int depth,
                       size_t *items) {
  if (depth > LUA_JSON_MAX_DEPTH)
    luaL_error(L, "JSON value nested deeper than %d", LUA_JSON_MAX_DEPTH);
  if (++*items > LUA_JSON_MAX_ITEMS)
    luaL_error(L, "JSON value with more than %d items", LUA_JSON_MAX_ITEMS);
  luaL_checkstack(L, 4, "JSON value too deep");
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    size_t n = json_object_size(j);
    lua_createtable(L, 0, n > INT_MAX ? INT_MAX : (int)n);
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach((json_t *)j, key, klen, v) {
      lua_pushlstring(L, key, klen);
      push_value(L, v, depth + 1, items);
      lua_rawset(L, -3);
    }
    if (n == 0)
      lua_json_mark_object(L, -1);
    break;
  }
  case JSON_ARRAY: {
    size_t n = json_array_size(j);
    lua_createtable(L, n > INT_MAX ? INT_MAX : (int)n, 0);
    for (size_t i = 0; i < n; i++) {
      push_value(L, json_array_get(j, i), depth + 1, items);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  }
  case JSON_STRING:
    lua_pushlstring(L, json_string_value(j), json_string_length(j));
    break;
  case JSON_INTEGER:
    lua_pushinteger(L, (lua_Integer)json_integer_value(j));
    break;
  case JSON_REAL:
    lua_pushnumber(L, (lua_Number)json_real_value(j));
    break;
  case JSON_TRUE:
    lua_pushboolean(L, 1);
    break;
  case JSON_FALSE:
    lua_pushboolean(L, 0);
    break;
  default:
    lua_json_push_null(L);
    break;
  }
}

void lua_json_push(lua_State *L, const json_t *json) {
  size_t items = 0;
  push_value(L, json, 1, &items);
}

static bool check_value(const json_t *j, int depth, size_t *items, char *err,
                        size_t errlen) {
  if (depth > LUA_JSON_MAX_DEPTH) {
    snprintf(err, errlen, "JSON value nested deeper than %d",
             LUA_JSON_MAX_DEPTH);
    return false;
  }
  if (++*items > LUA_JSON_MAX_ITEMS) {
    snprintf(err, errlen, "JSON value with more than %d items",
             LUA_JSON_MAX_ITEMS);
    return false;
  }
  if (json_is_string(j) && json_string_length(j) > LUA_JSON_MAX_STRING) {
    snprintf(err, errlen, "JSON string longer than %d bytes",
             LUA_JSON_MAX_STRING);
    return false;
  }
  if (json_is_object(j)) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
      if (!check_value(v, depth + 1, items, err, errlen))
        return false;
    }
  } else if (json_is_array(j)) {
    for (size_t i = 0; i < json_array_size(j); i++)
      if (!check_value(json_array_get(j, i), depth + 1, items, err, errlen))
        return false;
  }
  return true;
}

bool lua_json_check(const json_t *json, char *err, size_t errlen) {
  size_t items = 0;
  return check_value(json, 1, &items, err, errlen);
}

/* ---- Lua -> JSON ---- */

typedef struct segment {
  const char *key; /* NULL: an array index */
  size_t klen;
  lua_Integer index;
} segment;

typedef struct conv {
  lua_State *L;
  const lua_json_fn *fn;
  size_t items;
  int depth;
  const void *tables[LUA_JSON_MAX_DEPTH + 1]; /* the path, for cycles */
  segment path[LUA_JSON_MAX_DEPTH + 2];
  int npath;
  char *err;
  size_t errlen;
} conv;

__attribute__((format(printf, 2, 3))) static bool fail(conv *c, const char *fmt,
                                                       ...) {
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char path[256] = "$";
  size_t used = 1;
  for (int i = 0; i < c->npath && used < sizeof path; i++) {
    const segment *s = &c->path[i];
    int n = s->key ? snprintf(path + used, sizeof path - used, ".%.*s",
                              (int)(s->klen > 40 ? 40 : s->klen), s->key)
                   : snprintf(path + used, sizeof path - used, "[%lld]",
                              (long long)s->index);
    if (n < 0)
      break;
    used += (size_t)n;
  }
  snprintf(c->err, c->errlen, "%s at %s", msg, path);
  return false;
}

static bool attach(conv *c, json_t *parent, const char *key, size_t klen,
                   json_t **root, json_t *v) {
  if (!v)
    return fail(c, "out of memory");
  if (!parent) {
    *root = v;
    return true;
  }
  int rc = json_is_array(parent) ? json_array_append_new(parent, v)
                                 : json_object_setn_new(parent, key, klen, v);
  return rc == 0 || fail(c, "invalid UTF-8 in a key");
}

static bool convert(conv *c, int idx, json_t *parent, const char *key,
                    size_t klen, json_t **root);

static bool convert_table(conv *c, int idx, json_t *parent, const char *key,
                          size_t klen, json_t **root) {
  lua_State *L = c->L;
  if (c->depth >= LUA_JSON_MAX_DEPTH)
    return fail(c, "nested deeper than %d", LUA_JSON_MAX_DEPTH);
  const void *self = lua_topointer(L, idx);
  for (int i = 0; i < c->depth; i++)
    if (c->tables[i] == self)
      return fail(c, "cycle: a table contains itself");
  if (!lua_checkstack(L, 6))
    return fail(c, "Lua stack exhausted");
  /* Classify first: an array needs keys exactly 1..n. */
  size_t n = 0;
  bool has_str = false, has_int = false;
  lua_Integer maxk = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    n++;
    int kt = lua_type(L, -2);
    if (kt == LUA_TSTRING) {
      if (has_int)
        return fail(c,
                    "mixed table: string key '%.40s' in a table that also "
                    "has integer keys",
                    lua_tostring(L, -2));
      has_str = true;
    } else if (kt == LUA_TNUMBER && lua_isinteger(L, -2)) {
      lua_Integer k = lua_tointeger(L, -2);
      if (has_str)
        return fail(c,
                    "mixed table: integer key %lld in a table that also has "
                    "string keys",
                    (long long)k);
      if (k < 1)
        return fail(c, "integer key %lld in an array (arrays start at 1)",
                    (long long)k);
      has_int = true;
      if (k > maxk)
        maxk = k;
    } else {
      return fail(c, "key of type %s (only strings and integers)",
                  lua_typename(L, kt));
    }
    lua_pop(L, 1);
  }
  if (has_int && (size_t)maxk != n)
    return fail(c, "array with holes: index %lld but %zu items",
                (long long)maxk, n);
  bool object = has_str || (n == 0 && marked_object(L, idx));
  json_t *v = object ? json_object() : json_array();
  if (!attach(c, parent, key, klen, root, v))
    return false;
  c->tables[c->depth++] = self;
  segment *seg = &c->path[c->npath++];
  bool ok = true;
  if (!object) {
    for (size_t i = 1; ok && i <= n; i++) {
      seg->key = NULL;
      seg->index = (lua_Integer)i;
      lua_rawgeti(L, idx, (lua_Integer)i);
      ok = convert(c, lua_gettop(L), v, NULL, 0, NULL);
      lua_pop(L, 1);
    }
  } else {
    lua_pushnil(L);
    while (ok && lua_next(L, idx)) {
      size_t kl;
      const char *k = lua_tolstring(L, -2, &kl); /* a string: no conversion */
      seg->key = k;
      seg->klen = kl;
      ok = convert(c, lua_gettop(L), v, k, kl, NULL);
      lua_pop(L, 1);
    }
  }
  c->npath--;
  c->depth--;
  return ok;
}

static bool convert(conv *c, int idx, json_t *parent, const char *key,
                    size_t klen, json_t **root) {
  lua_State *L = c->L;
  if (++c->items > LUA_JSON_MAX_ITEMS)
    return fail(c, "more than %d values", LUA_JSON_MAX_ITEMS);
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    return attach(c, parent, key, klen, root, json_null());
  case LUA_TBOOLEAN:
    return attach(c, parent, key, klen, root,
                  json_boolean(lua_toboolean(L, idx)));
  case LUA_TNUMBER: {
    if (lua_isinteger(L, idx))
      return attach(c, parent, key, klen, root,
                    json_integer((json_int_t)lua_tointeger(L, idx)));
    double d = (double)lua_tonumber(L, idx);
    if (!isfinite(d))
      return fail(c, "%s is not a JSON number", isnan(d) ? "NaN" : "infinity");
    return attach(c, parent, key, klen, root, json_real(d));
  }
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (len > LUA_JSON_MAX_STRING)
      return fail(c, "string longer than %d bytes", LUA_JSON_MAX_STRING);
    json_t *v = json_stringn(s, len);
    if (!v)
      return fail(c, "invalid UTF-8 in a string");
    return attach(c, parent, key, klen, root, v);
  }
  case LUA_TLIGHTUSERDATA:
    if (lua_json_is_null(L, idx))
      return attach(c, parent, key, klen, root, json_null());
    break;
  case LUA_TFUNCTION:
    if (c->fn) {
      int k = c->fn->fn(c->fn->ud, L, idx);
      if (k >= 0)
        return attach(c, parent, key, klen, root, json_pack("{s:i}", "$fn", k));
    }
    return fail(c, "a function is not JSON data");
  case LUA_TTABLE:
    return convert_table(c, idx, parent, key, klen, root);
  default:
    break;
  }
  return fail(c, "a %s value is not JSON data",
              lua_typename(L, lua_type(L, idx)));
}

bool lua_json_from_lua(lua_State *L, int idx, const lua_json_fn *fn,
                       json_t **out, char *err, size_t errlen) {
  conv c = {.L = L, .fn = fn, .err = err, .errlen = errlen};
  int top = lua_gettop(L);
  *out = NULL;
  bool ok = convert(&c, lua_absindex(L, idx), NULL, NULL, 0, out);
  lua_settop(L, top);
  return ok;
}
