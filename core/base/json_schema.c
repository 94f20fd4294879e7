#include "json_schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_DEPTH_MAX 32
#define VALUE_DEPTH_MAX 64

struct json_schema {
  json_t *root; /* owned, checked by compile */
};

/* ---- compiling: the schema must use the subset only ---- */

static const char *const annotations[] = {"$schema", "$id",         "$comment",
                                          "title",   "description", "format",
                                          "default", "examples",    NULL};

static bool in(const char *key, const char *const *list) {
  for (int i = 0; list[i]; i++)
    if (strcmp(key, list[i]) == 0)
      return true;
  return false;
}

static bool type_name_ok(const json_t *t) {
  static const char *const names[] = {"null",   "boolean", "object", "array",
                                      "number", "integer", "string", NULL};
  return json_is_string(t) && in(json_string_value(t), names);
}

static bool non_negative_int(const json_t *v) {
  if (json_is_integer(v))
    return json_integer_value(v) >= 0;
  return json_is_real(v) && json_real_value(v) >= 0 &&
         floor(json_real_value(v)) == json_real_value(v);
}

static bool check_schema(const json_t *s, int depth, const char *at, char *err,
                         size_t errlen);

static bool fail(char *err, size_t errlen, const char *at, const char *what) {
  snprintf(err, errlen, "schema%s: %s", at, what);
  return false;
}

static bool check_keyword(const char *key, const json_t *v, int depth,
                          const char *at, char *err, size_t errlen) {
  char sub[256];
  if (in(key, annotations))
    return true;
  if (strcmp(key, "type") == 0) {
    if (type_name_ok(v))
      return true;
    if (!json_is_array(v) || json_array_size(v) == 0)
      return fail(err, errlen, at, "type must name one or more types");
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t) {
      if (!type_name_ok(t))
        return fail(err, errlen, at, "type names an unknown type");
    }
    return true;
  }
  if (strcmp(key, "properties") == 0) {
    if (!json_is_object(v))
      return fail(err, errlen, at, "properties must be an object");
    const char *name;
    json_t *p;
    json_object_foreach((json_t *)v, name, p) {
      snprintf(sub, sizeof sub, "%s/properties/%s", at, name);
      if (!check_schema(p, depth + 1, sub, err, errlen))
        return false;
    }
    return true;
  }
  if (strcmp(key, "items") == 0 || strcmp(key, "additionalProperties") == 0) {
    snprintf(sub, sizeof sub, "%s/%s", at, key);
    return check_schema(v, depth + 1, sub, err, errlen);
  }
  if (strcmp(key, "required") == 0) {
    if (!json_is_array(v))
      return fail(err, errlen, at, "required must be a list of names");
    size_t i;
    json_t *n;
    json_array_foreach(v, i, n) {
      if (!json_is_string(n))
        return fail(err, errlen, at, "required must be a list of names");
    }
    return true;
  }
  if (strcmp(key, "enum") == 0)
    return json_is_array(v) ? true
                            : fail(err, errlen, at, "enum must be a list");
  if (strcmp(key, "const") == 0)
    return true;
  if (strcmp(key, "minItems") == 0 || strcmp(key, "maxItems") == 0 ||
      strcmp(key, "minLength") == 0 || strcmp(key, "maxLength") == 0)
    return non_negative_int(v)
               ? true
               : fail(err, errlen, at, "a length bound must be >= 0");
  if (strcmp(key, "minimum") == 0 || strcmp(key, "maximum") == 0 ||
      strcmp(key, "exclusiveMinimum") == 0 ||
      strcmp(key, "exclusiveMaximum") == 0)
    return json_is_number(v)
               ? true
               : fail(err, errlen, at, "a bound must be a number");
  snprintf(sub, sizeof sub, "keyword \"%.60s\" is not supported", key);
  return fail(err, errlen, at, sub);
}

static bool check_schema(const json_t *s, int depth, const char *at, char *err,
                         size_t errlen) {
  if (depth > SCHEMA_DEPTH_MAX)
    return fail(err, errlen, at, "nested too deeply");
  if (json_is_boolean(s))
    return true; /* true accepts anything, false nothing */
  if (!json_is_object(s))
    return fail(err, errlen, at, "a schema must be an object or a boolean");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)s, key, v) {
    if (!check_keyword(key, v, depth, at, err, errlen))
      return false;
  }
  return true;
}

json_schema *json_schema_compile_json(const json_t *schema, char *err,
                                      size_t errlen) {
  if (!schema || !check_schema(schema, 0, "", err, errlen))
    return NULL;
  json_schema *s = malloc(sizeof *s);
  if (!s || !(s->root = json_deep_copy(schema))) {
    free(s);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  return s;
}

json_schema *json_schema_compile(const char *text, char *err, size_t errlen) {
  json_error_t je;
  json_t *j =
      text ? json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je)
           : NULL;
  if (!j) {
    snprintf(err, errlen, "schema: not JSON (%s)", text ? je.text : "missing");
    return NULL;
  }
  json_schema *s = json_schema_compile_json(j, err, errlen);
  json_decref(j);
  return s;
}

void json_schema_free(json_schema *s) {
  if (!s)
    return;
  json_decref(s->root);
  free(s);
}

const json_t *json_schema_json(const json_schema *s) {
  return s ? s->root : NULL;
}

/* ---- checking a value ---- */

static bool integral(const json_t *v) {
  if (json_is_integer(v))
    return true;
  double d = json_real_value(v);
  return json_is_real(v) && isfinite(d) && floor(d) == d;
}

/* JSON Schema equality: numbers by value (1 equals 1.0), the rest by
 * structure. */
static bool same(const json_t *a, const json_t *b) {
  if (json_is_number(a) && json_is_number(b)) {
    if (json_is_integer(a) && json_is_integer(b))
      return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
  }
  if (json_is_array(a) && json_is_array(b)) {
    if (json_array_size(a) != json_array_size(b))
      return false;
    for (size_t i = 0; i < json_array_size(a); i++)
      if (!same(json_array_get(a, i), json_array_get(b, i)))
        return false;
    return true;
  }
  if (json_is_object(a) && json_is_object(b)) {
    if (json_object_size(a) != json_object_size(b))
      return false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)a, k, v) {
      const json_t *w = json_object_get(b, k);
      if (!w || !same(v, w))
        return false;
    }
    return true;
  }
  return json_equal(a, b);
}

static bool has_type(const json_t *v, const char *t) {
  if (strcmp(t, "null") == 0)
    return json_is_null(v);
  if (strcmp(t, "boolean") == 0)
    return json_is_boolean(v);
  if (strcmp(t, "object") == 0)
    return json_is_object(v);
  if (strcmp(t, "array") == 0)
    return json_is_array(v);
  if (strcmp(t, "number") == 0)
    return json_is_number(v);
  if (strcmp(t, "integer") == 0)
    return integral(v);
  return json_is_string(v);
}

/* Unicode code points of UTF-8 text (jansson only holds valid UTF-8). */
static size_t code_points(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

typedef struct walk {
  char *err;
  size_t errlen;
} walk;

static bool bad(walk *w, const char *at, const char *what) {
  snprintf(w->err, w->errlen, "%s: %s", *at ? at : "/", what);
  return false;
}

static bool valid(const json_t *s, const json_t *v, int depth, const char *at,
                  walk *w);

static bool check_type(const json_t *t, const json_t *v, const char *at,
                       walk *w) {
  char what[96];
  if (json_is_string(t)) {
    if (has_type(v, json_string_value(t)))
      return true;
    snprintf(what, sizeof what, "expected %s", json_string_value(t));
    return bad(w, at, what);
  }
  size_t i;
  json_t *one;
  json_array_foreach(t, i, one) {
    if (has_type(v, json_string_value(one)))
      return true;
  }
  return bad(w, at, "of none of the allowed types");
}

static bool check_object(const json_t *s, const json_t *v, int depth,
                         const char *at, walk *w) {
  char sub[512], what[160];
  const json_t *props = json_object_get(s, "properties");
  const json_t *extra = json_object_get(s, "additionalProperties");
  size_t i;
  json_t *name;
  json_array_foreach(json_object_get(s, "required"), i, name) {
    if (!json_object_get(v, json_string_value(name))) {
      snprintf(what, sizeof what, "\"%.100s\" is required",
               json_string_value(name));
      return bad(w, at, what);
    }
  }
  const char *key;
  json_t *member;
  json_object_foreach((json_t *)v, key, member) {
    snprintf(sub, sizeof sub, "%s/%s", at, key);
    const json_t *p = json_object_get(props, key);
    if (p) {
      if (!valid(p, member, depth + 1, sub, w))
        return false;
    } else if (extra && !valid(extra, member, depth + 1, sub, w)) {
      return false;
    }
  }
  return true;
}

static bool check_bound(const json_t *s, const char *key, double x, bool upper,
                        bool exclusive, const char *at, walk *w) {
  const json_t *b = json_object_get(s, key);
  if (!b)
    return true;
  double lim = json_number_value(b);
  bool ok = upper ? (exclusive ? x < lim : x <= lim)
                  : (exclusive ? x > lim : x >= lim);
  if (ok)
    return true;
  char what[96];
  snprintf(what, sizeof what, "must be %s %g",
           upper ? (exclusive ? "<" : "<=") : (exclusive ? ">" : ">="), lim);
  return bad(w, at, what);
}

static bool check_count(const json_t *s, const char *key, size_t n, bool upper,
                        const char *at, walk *w) {
  const json_t *b = json_object_get(s, key);
  if (!b)
    return true;
  double lim = json_number_value(b);
  if (upper ? (double)n <= lim : (double)n >= lim)
    return true;
  char what[96];
  snprintf(what, sizeof what, "%s %g", key, lim);
  return bad(w, at, what);
}

static bool valid(const json_t *s, const json_t *v, int depth, const char *at,
                  walk *w) {
  if (depth > VALUE_DEPTH_MAX)
    return bad(w, at, "nested too deeply");
  if (json_is_true(s))
    return true;
  if (json_is_false(s))
    return bad(w, at, "not allowed here");
  const json_t *k;
  if ((k = json_object_get(s, "type")) && !check_type(k, v, at, w))
    return false;
  if ((k = json_object_get(s, "const")) && !same(k, v))
    return bad(w, at, "must be the constant value");
  if ((k = json_object_get(s, "enum"))) {
    bool found = false;
    for (size_t i = 0; !found && i < json_array_size(k); i++)
      found = same(json_array_get(k, i), v);
    if (!found)
      return bad(w, at, "not one of the allowed values");
  }
  if (json_is_object(v) && !check_object(s, v, depth, at, w))
    return false;
  if (json_is_array(v)) {
    const json_t *items = json_object_get(s, "items");
    char sub[512];
    for (size_t i = 0; items && i < json_array_size(v); i++) {
      snprintf(sub, sizeof sub, "%s/%zu", at, i);
      if (!valid(items, json_array_get(v, i), depth + 1, sub, w))
        return false;
    }
    if (!check_count(s, "minItems", json_array_size(v), false, at, w) ||
        !check_count(s, "maxItems", json_array_size(v), true, at, w))
      return false;
  }
  if (json_is_string(v)) {
    size_t n = code_points(json_string_value(v), json_string_length(v));
    if (!check_count(s, "minLength", n, false, at, w) ||
        !check_count(s, "maxLength", n, true, at, w))
      return false;
  }
  if (json_is_number(v)) {
    double x = json_number_value(v);
    if (!check_bound(s, "minimum", x, false, false, at, w) ||
        !check_bound(s, "maximum", x, true, false, at, w) ||
        !check_bound(s, "exclusiveMinimum", x, false, true, at, w) ||
        !check_bound(s, "exclusiveMaximum", x, true, true, at, w))
      return false;
  }
  return true;
}

bool json_schema_check(const json_schema *s, const json_t *value, char *err,
                       size_t errlen) {
  walk w = {err, errlen};
  if (!s || !value)
    return bad(&w, "", "nothing to check");
  return valid(s->root, value, 0, "", &w);
}
