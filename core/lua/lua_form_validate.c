/* Validating a submission against a loaded form. One protected run per
 * submission: the field checks are C, and the Lua parts (visible_if
 * functions, computed fields, validate) are called from inside the same run
 * on one values table built as the fields are checked, so a 40-field form
 * costs one trip into the box.
 *
 * Inside the run, every JSON value is attached to `normalized` or `errors`
 * (owned by lua_form_validate, outside the run) before the next call that
 * can raise, so a script error or a limit never leaks a reference. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "lua_box_internal.h"
#include "lua_form_internal.h"
#include "lua_json.h"
#include "lua_pattern.h"
#include "lua_time.h"

#define VALUES 1    /* stack index of the values table */
#define FUNCTIONS 2 /* stack index of the form's function table */

typedef struct vctx {
  const lua_form *f;
  const json_t *submission;
  json_t *normalized;
  json_t *errors;
  json_t *custom; /* what validate returned */
  json_t *shown;  /* when evaluating: ids of the visible fields, or NULL */
  json_t *shown_sections; /* and of the visible sections */
  size_t nerrors;
  bool script_failed;
  char msg[256];
} vctx;

static void add_error(json_t *errors, const char *field, const char *code,
                      const char *message) {
  json_array_append_new(errors, json_pack("{s:s?,s:s,s:s}", "field", field,
                                          "code", code, "message", message));
}

static void field_error(vctx *c, const form_field *ff, const char *code,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void field_error(vctx *c, const form_field *ff, const char *code,
                        const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  add_error(c->errors, ff->id, code, msg);
  c->nerrors++;
}

/* A value matches a condition value; arrays (multiple choice) match when
 * any element does. */
static bool matches(const json_t *value, const json_t *want) {
  if (json_is_array(value)) {
    for (size_t i = 0; i < json_array_size(value); i++)
      if (lua_form_values_equal(json_array_get(value, i), want))
        return true;
    return false;
  }
  return lua_form_values_equal(value, want);
}

static bool visible(lua_State *L, vctx *c, const form_cond *cond) {
  if (cond->kind == COND_ALWAYS)
    return true;
  if (cond->kind == COND_FUNCTION) {
    lua_rawgeti(L, FUNCTIONS, cond->fn);
    lua_pushvalue(L, VALUES);
    lua_call(L, 1, 1);
    bool v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
  }
  /* A condition on a field without a value (hidden, unanswered or invalid)
   * is false, whatever its kind: so a field that depends on a hidden field
   * is hidden too. */
  const json_t *value =
      json_object_get(c->normalized, c->f->fields[cond->field].id);
  if (!value)
    return false;
  switch (cond->kind) {
  case COND_EQUALS:
    return matches(value, cond->value);
  case COND_NOT_EQUALS:
    return !matches(value, cond->value);
  default:
    for (size_t i = 0; i < json_array_size(cond->value); i++)
      if (matches(value, json_array_get(cond->value, i)))
        return true;
    return false;
  }
}

static bool is_empty(const form_field *ff, const json_t *v) {
  if (!v || json_is_null(v))
    return true;
  if (json_is_string(v) && json_string_length(v) == 0)
    return ff->type != FT_BOOLEAN;
  if (json_is_array(v) && json_array_size(v) == 0)
    return ff->type == FT_MULTIPLE_CHOICE;
  return false;
}

static size_t utf8_length(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      n++;
  return n;
}

static bool whole_number(const json_t *v, long long *out) {
  if (json_is_integer(v)) {
    *out = (long long)json_integer_value(v);
    return true;
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (d == floor(d) && fabs(d) < 9e15) {
      *out = (long long)d;
      return true;
    }
  }
  return false;
}

static bool in_choices(const form_field *ff, const json_t *v) {
  for (size_t i = 0; i < json_array_size(ff->choices); i++)
    if (lua_form_values_equal(
            json_object_get(json_array_get(ff->choices, i), "value"), v))
      return true;
  return false;
}

static void format_day(long long days, char buf[16]) {
  int y, m, d;
  lua_time_civil_from_days(days, &y, &m, &d);
  snprintf(buf, 16, "%04d-%02d-%02d", y, m, d);
}

/* Checks one visible, non-empty value; returns the normalized value (new
 * reference) or NULL after recording an error. May raise (the pattern
 * check) only before any reference is taken. */
static json_t *check_value(lua_State *L, vctx *c, const form_field *ff,
                           const json_t *v) {
  long long n;
  switch (ff->type) {
  case FT_TEXT:
  case FT_LONG_TEXT: {
    if (!json_is_string(v)) {
      field_error(c, ff, "type", "Must be text");
      return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (utf8_length(s, len) > ff->max_length) {
      field_error(c, ff, "length", "Must be at most %zu characters",
                  ff->max_length);
      return NULL;
    }
    if (ff->pattern &&
        !lua_pattern_matches_all(L, s, len, ff->pattern, ff->pattern_len)) {
      field_error(c, ff, "pattern", "%s",
                  ff->pattern_message ? ff->pattern_message
                                      : "Does not match the expected format");
      return NULL;
    }
    return json_incref((json_t *)v);
  }
  case FT_NUMBER: {
    if (!json_is_number(v)) {
      field_error(c, ff, "type", "Must be a number");
      return NULL;
    }
    double d = json_number_value(v);
    if (ff->has_min && d < ff->min) {
      field_error(c, ff, "min", "Must be at least %g", ff->min);
      return NULL;
    }
    if (ff->has_max && d > ff->max) {
      field_error(c, ff, "max", "Must be at most %g", ff->max);
      return NULL;
    }
    if (ff->step > 0) {
      double q = (d - (ff->has_min ? ff->min : 0)) / ff->step;
      if (fabs(q - round(q)) > 1e-9 * fmax(1.0, fabs(q))) {
        field_error(c, ff, "step", "Must be a multiple of %g", ff->step);
        return NULL;
      }
    }
    return json_incref((json_t *)v);
  }
  case FT_INTEGER:
  case FT_SCALE:
    if (!whole_number(v, &n)) {
      field_error(c, ff, "type", "Must be a whole number");
      return NULL;
    }
    if (ff->has_min && (double)n < ff->min) {
      field_error(c, ff, "min", "Must be at least %.0f", ff->min);
      return NULL;
    }
    if (ff->has_max && (double)n > ff->max) {
      field_error(c, ff, "max", "Must be at most %.0f", ff->max);
      return NULL;
    }
    return json_is_integer(v) ? json_incref((json_t *)v)
                              : json_integer((json_int_t)n);
  case FT_DATE: {
    int y, m, d;
    const char *s = json_string_value(v);
    if (!s || !lua_time_parse_date(s, json_string_length(v), &y, &m, &d)) {
      field_error(c, ff, "type", "Must be a date as YYYY-MM-DD");
      return NULL;
    }
    long long day = lua_time_days_from_civil(y, m, d);
    long long today = lua_time_rome_days(lua_box_now(L));
    char when[16];
    if (ff->has_min && day < (ff->min_today ? today : ff->min_day)) {
      format_day(ff->min_today ? today : ff->min_day, when);
      field_error(c, ff, "min", "Must be on or after %s", when);
      return NULL;
    }
    if (ff->has_max && day > (ff->max_today ? today : ff->max_day)) {
      format_day(ff->max_today ? today : ff->max_day, when);
      field_error(c, ff, "max", "Must be on or before %s", when);
      return NULL;
    }
    return json_incref((json_t *)v);
  }
  case FT_BOOLEAN:
    if (!json_is_boolean(v)) {
      field_error(c, ff, "type", "Must be true or false");
      return NULL;
    }
    return json_incref((json_t *)v);
  case FT_SINGLE_CHOICE:
    if (!in_choices(ff, v)) {
      field_error(c, ff, "choice", "Not one of the allowed choices");
      return NULL;
    }
    return json_incref((json_t *)v);
  case FT_MULTIPLE_CHOICE: {
    if (!json_is_array(v)) {
      field_error(c, ff, "type", "Must be a list of choices");
      return NULL;
    }
    size_t count = json_array_size(v);
    for (size_t i = 0; i < count; i++) {
      const json_t *e = json_array_get(v, i);
      if (!in_choices(ff, e)) {
        field_error(c, ff, "choice", "Item %zu is not one of the choices",
                    i + 1);
        return NULL;
      }
      for (size_t j = 0; j < i; j++)
        if (lua_form_values_equal(json_array_get(v, j), e)) {
          field_error(c, ff, "choice", "Item %zu is chosen twice", i + 1);
          return NULL;
        }
    }
    if (ff->has_min_selected && (long long)count < ff->min_selected) {
      field_error(c, ff, "min", "Select at least %lld", ff->min_selected);
      return NULL;
    }
    if (ff->has_max_selected && (long long)count > ff->max_selected) {
      field_error(c, ff, "max", "Select at most %lld", ff->max_selected);
      return NULL;
    }
    return json_incref((json_t *)v);
  }
  default:
    return NULL;
  }
}

/* Sets values[id] = the value at the top of the stack (popped). */
static void set_value(lua_State *L, const char *id) {
  lua_pushstring(L, id);
  lua_insert(L, -2);
  lua_rawset(L, VALUES);
}

static void compute(lua_State *L, vctx *c, const form_field *ff) {
  lua_rawgeti(L, FUNCTIONS, ff->compute_fn);
  lua_pushvalue(L, VALUES);
  lua_call(L, 1, 1);
  int t = lua_type(L, -1);
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  json_t *v = NULL;
  char why[160];
  if ((t != LUA_TNUMBER && t != LUA_TSTRING && t != LUA_TBOOLEAN) ||
      !lua_json_from_lua(L, -1, NULL, &v, why, sizeof why)) {
    json_decref(v);
    snprintf(c->msg, sizeof c->msg,
             "computed field '%s' returned %s (a number, string, boolean or "
             "nil is expected)",
             ff->id,
             t == LUA_TNUMBER ? "a NaN or infinity" : lua_typename(L, t));
    c->script_failed = true;
    return;
  }
  json_object_set_new(c->normalized, ff->id, v);
  set_value(L, ff->id);
}

static void validate_body(lua_State *L, void *ud) {
  vctx *c = ud;
  const lua_form *f = c->f;
  lua_settop(L, 0);
  lua_createtable(L, 0, (int)f->nfields);
  lua_rawgeti(L, LUA_REGISTRYINDEX, f->fns_ref);
  size_t section = (size_t)-1;
  bool section_visible = true;
  for (size_t i = 0; i < f->nfields && !c->script_failed; i++) {
    const form_field *ff = &f->fields[i];
    if (ff->section != section) {
      section = ff->section;
      section_visible = visible(L, c, &f->sections[section].visible);
      if (section_visible && c->shown_sections)
        json_array_append_new(c->shown_sections,
                              json_string(f->sections[section].id));
    }
    if (!section_visible || !visible(L, c, &ff->visible))
      continue;
    if (c->shown)
      json_array_append_new(c->shown, json_string(ff->id));
    if (ff->type == FT_COMPUTED) {
      compute(L, c, ff);
      continue;
    }
    const json_t *v = json_object_get(c->submission, ff->id);
    if (is_empty(ff, v)) {
      if (ff->required)
        field_error(c, ff, "required", "This field is required");
      continue;
    }
    json_t *nv = check_value(L, c, ff, v);
    if (!nv)
      continue;
    json_object_set_new(c->normalized, ff->id, nv);
    lua_json_push(L, nv);
    set_value(L, ff->id);
  }
  if (c->script_failed || c->nerrors > 0 || !f->validate_fn)
    return;
  lua_rawgeti(L, FUNCTIONS, f->validate_fn);
  lua_pushvalue(L, VALUES);
  lua_call(L, 1, 1);
  char why[160];
  if (!lua_isnil(L, -1) &&
      !lua_json_from_lua(L, -1, NULL, &c->custom, why, sizeof why)) {
    snprintf(c->msg, sizeof c->msg, "validate returned %s", why);
    c->script_failed = true;
  }
}

/* Appends validate's {field, message} list (or a single one) to errors. */
static bool take_custom(vctx *c, const json_t *custom) {
  if (json_is_object(custom) && json_object_get(custom, "message")) {
    json_t *one = json_pack("[O]", custom);
    bool ok = take_custom(c, one);
    json_decref(one);
    return ok;
  }
  if (json_is_object(custom) && json_object_size(custom) == 0)
    return true; /* an empty table marked as an object */
  if (!json_is_array(custom)) {
    snprintf(c->msg, sizeof c->msg,
             "validate must return nil or a list of {field = ..., message = "
             "...}");
    return false;
  }
  for (size_t i = 0; i < json_array_size(custom); i++) {
    const json_t *e = json_array_get(custom, i);
    const char *message = json_string_value(json_object_get(e, "message"));
    const json_t *field = json_object_get(e, "field");
    if (!message || (field && !json_is_string(field) && !json_is_null(field))) {
      snprintf(c->msg, sizeof c->msg,
               "validate returned item %zu without a message string (or with "
               "a field that is not a field id)",
               i + 1);
      return false;
    }
    const char *id = json_string_value(field);
    /* A field the form does not have becomes a form-level error rather than
     * pointing the UI at nothing. */
    if (id && !json_object_get(c->f->index, id))
      id = NULL;
    add_error(c->errors, id, "custom", message);
  }
  return true;
}

/* One protected run over `submission`; when `c->shown` is set, the
 * visible fields and sections are listed too. Returns the errors (new
 * reference) with *normalized set, or NULL with err set. */
static json_t *run_form(lua_box *b, vctx *c, json_t **normalized, char *err,
                        size_t errlen) {
  const lua_form *f = c->f;
  const json_t *submission = c->submission;
  *normalized = NULL;
  if (f->box != b) {
    snprintf(err, errlen, "%s: the form was loaded in another box",
             f->chunkname);
    return NULL;
  }
  c->normalized = json_object();
  c->errors = json_array();
  if (!c->normalized || !c->errors) {
    json_decref(c->normalized);
    json_decref(c->errors);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if (!json_is_object(submission)) {
    add_error(c->errors, NULL, "type", "The submission must be a JSON object");
    *normalized = c->normalized;
    return c->errors;
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)submission, key, v) {
    if (!json_object_get(f->index, key)) {
      add_error(c->errors, key, "unknown_field", "Unknown field");
      c->nerrors++;
    }
  }
  lua_box_status st =
      lua_box_run(b, f->chunkname, validate_body, c, err, errlen);
  bool ok = st == LUA_BOX_OK && !c->script_failed;
  if (ok && c->custom)
    ok = take_custom(c, c->custom);
  if (!ok && st == LUA_BOX_OK)
    snprintf(err, errlen, "%s: %s", f->chunkname, c->msg);
  json_decref(c->custom);
  if (!ok) {
    json_decref(c->normalized);
    json_decref(c->errors);
    return NULL;
  }
  *normalized = c->normalized;
  return c->errors;
}

json_t *lua_form_validate(lua_box *b, const lua_form *f,
                          const json_t *submission, json_t **normalized,
                          char *err, size_t errlen) {
  vctx c = {.f = f, .submission = submission};
  return run_form(b, &c, normalized, err, errlen);
}

json_t *lua_form_evaluate(lua_box *b, const lua_form *f,
                          const json_t *submission, char *err, size_t errlen) {
  json_t *out = json_object();
  vctx c = {.f = f, .submission = submission};
  c.shown = json_array();
  c.shown_sections = json_array();
  json_t *normalized = NULL;
  json_t *errors = out && c.shown && c.shown_sections
                       ? run_form(b, &c, &normalized, err, errlen)
                       : NULL;
  if (!errors) {
    if (!out || !c.shown || !c.shown_sections)
      snprintf(err, errlen, "out of memory");
    json_decref(out);
    json_decref(c.shown);
    json_decref(c.shown_sections);
    return NULL;
  }
  json_object_set_new(out, "values", normalized);
  json_object_set_new(out, "visible_fields", c.shown);
  json_object_set_new(out, "visible_sections", c.shown_sections);
  json_object_set_new(out, "errors", errors);
  return out;
}
