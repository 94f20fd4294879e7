/* Checking a form's structure and rendering it for the UI, from the JSON
 * the form table converted to. Every problem is collected (not just the
 * first) with its path, so hospital IT fixes a form in one round. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_form_internal.h"
#include "lua_pattern.h"
#include "lua_time.h"

#define MAX_FIELDS 500
#define MAX_ID 64

typedef struct schema {
  lua_form *f;
  json_t *problems;
  json_t *all_ids;  /* every field id in the form, to tell "later" apart */
  json_t *computed; /* the form's computed table, or NULL */
} schema;

__attribute__((format(printf, 3, 4))) static void
problem(schema *s, const char *path, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_array_append_new(s->problems,
                        json_pack("{s:s,s:s}", "path", path, "message", msg));
}

static const char *join(char *buf, size_t len, const char *base,
                        const char *key) {
  snprintf(buf, len, "%s%s%s", base, *base ? "." : "", key);
  return buf;
}

/* k > 0 when v is a function placeholder {"$fn": k}. */
static int fn_index(const json_t *v) {
  if (!json_is_object(v) || json_object_size(v) != 1)
    return 0;
  json_t *k = json_object_get(v, "$fn");
  return json_is_integer(k) ? (int)json_integer_value(k) : 0;
}

static bool valid_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > MAX_ID || id[0] < 'a' || id[0] > 'z')
    return false;
  for (size_t i = 1; i < n; i++)
    if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
          id[i] == '_'))
      return false;
  return true;
}

static bool in_list(const char *list, const char *key) {
  size_t n = strlen(key);
  for (const char *p = list; (p = strstr(p, key)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
      return true;
  return false;
}

static bool as_integer(const json_t *v, long long *out) {
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

bool lua_form_values_equal(const json_t *a, const json_t *b) {
  if (json_is_number(a) && json_is_number(b))
    return json_number_value(a) == json_number_value(b);
  return json_equal(a, b);
}

static bool is_scalar(const json_t *v) {
  return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/* Copies key from src into dst when present. */
static void render_copy(json_t *dst, const json_t *src, const char *key) {
  json_t *v = json_object_get(src, key);
  if (v)
    json_object_set(dst, key, v);
}

/* ---- pieces ---- */

static const char *const type_names[] = {
    "text",    "long_text",     "number",          "integer", "date",
    "boolean", "single_choice", "multiple_choice", "scale",   "computed"};

static const char *const type_keys[] = {"max_length pattern pattern_message",
                                        "max_length pattern pattern_message",
                                        "unit min max step",
                                        "unit min max",
                                        "min max",
                                        "",
                                        "choices",
                                        "choices min_selected max_selected",
                                        "min max labels",
                                        "compute unit"};

#define COMMON_KEYS "id type label required help placeholder visible_if"

static void check_condition(schema *s, const json_t *v, const char *path,
                            size_t earlier, form_cond *cond, json_t *out) {
  int k = fn_index(v);
  if (k) {
    cond->kind = COND_FUNCTION;
    cond->fn = k;
    json_object_set_new(out, "visible_if", json_pack("{s:b}", "script", 1));
    return;
  }
  if (!json_is_object(v)) {
    problem(s, path,
            "must be a table {field = ..., equals = ...} or a "
            "function");
    return;
  }
  const char *key;
  json_t *val;
  int ops = 0;
  json_object_foreach((json_t *)v, key, val) {
    if (strcmp(key, "field") == 0)
      continue;
    if (strcmp(key, "equals") == 0 || strcmp(key, "not_equals") == 0 ||
        strcmp(key, "in") == 0)
      ops++;
    else
      problem(s, path, "unknown key '%s' (field, equals, not_equals, in)", key);
  }
  const char *ref = json_string_value(json_object_get(v, "field"));
  if (!ref) {
    problem(s, path, "field must name an earlier field");
    return;
  }
  json_t *at = json_object_get(s->f->index, ref);
  if (!at || (size_t)json_integer_value(at) >= earlier) {
    problem(s, path,
            json_object_get(s->all_ids, ref)
                ? "refers to field '%s', which is not declared before it"
                : "refers to a missing field '%s'",
            ref);
    return;
  }
  if (ops != 1) {
    problem(s, path, "needs exactly one of equals, not_equals, in");
    return;
  }
  cond->field = (size_t)json_integer_value(at);
  json_t *rendered = json_pack("{s:s}", "field", ref);
  if ((val = json_object_get(v, "equals")) ||
      (val = json_object_get(v, "not_equals"))) {
    bool eq = json_object_get(v, "equals") != NULL;
    if (!is_scalar(val))
      problem(s, path, "%s needs a string, number or boolean",
              eq ? "equals" : "not_equals");
    cond->kind = eq ? COND_EQUALS : COND_NOT_EQUALS;
    cond->value = val;
    json_object_set(rendered, eq ? "equals" : "not_equals", val);
  } else {
    val = json_object_get(v, "in");
    bool ok = json_is_array(val) && json_array_size(val) > 0;
    for (size_t i = 0; ok && i < json_array_size(val); i++)
      ok = is_scalar(json_array_get(val, i));
    if (!ok)
      problem(s, path, "in needs a non-empty list of values");
    cond->kind = COND_IN;
    cond->value = val;
    json_object_set(rendered, "in", val);
  }
  json_object_set_new(out, "visible_if", rendered);
}

static void check_choices(schema *s, const json_t *fld, const char *base,
                          form_field *ff, json_t *out) {
  char path[160];
  join(path, sizeof path, base, "choices");
  const json_t *choices = json_object_get(fld, "choices");
  if (!json_is_array(choices) || json_array_size(choices) == 0) {
    problem(s, path, "needs a non-empty list of {value = ..., label = ...}");
    return;
  }
  ff->choices = choices;
  json_t *rendered = json_array();
  for (size_t i = 0; i < json_array_size(choices); i++) {
    const json_t *c = json_array_get(choices, i);
    char cpath[192];
    snprintf(cpath, sizeof cpath, "%s[%zu]", path, i + 1);
    const json_t *value = json_object_get(c, "value");
    const json_t *label = json_object_get(c, "label");
    if (!json_is_object(c) ||
        !(json_is_string(value) || json_is_integer(value)) ||
        !json_is_string(label)) {
      problem(s, cpath,
              "a choice is {value = string or integer, label = "
              "string}");
      continue;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)c, key, v) {
      if (strcmp(key, "value") != 0 && strcmp(key, "label") != 0)
        problem(s, cpath, "unknown key '%s' (value, label)", key);
    }
    for (size_t j = 0; j < i; j++)
      if (lua_form_values_equal(
              json_object_get(json_array_get(choices, j), "value"), value))
        problem(s, cpath, "duplicate choice value");
    json_array_append_new(
        rendered, json_pack("{s:O,s:O}", "value", value, "label", label));
  }
  json_object_set_new(out, "choices", rendered);
}

static void check_bounds(schema *s, const json_t *fld, const char *base,
                         form_field *ff, json_t *out) {
  char path[160];
  const char *names[] = {"min", "max"};
  for (int i = 0; i < 2; i++) {
    const json_t *v = json_object_get(fld, names[i]);
    if (!v)
      continue;
    join(path, sizeof path, base, names[i]);
    double d = 0;
    long long ll;
    bool ok;
    if (ff->type == FT_DATE) {
      int y, m, dd;
      const char *t = json_string_value(v);
      ok = t && (strcmp(t, "today") == 0 ||
                 lua_time_parse_date(t, strlen(t), &y, &m, &dd));
      if (ok && strcmp(t, "today") == 0)
        *(i ? &ff->max_today : &ff->min_today) = true;
      else if (ok)
        d = (double)lua_time_days_from_civil(y, m, dd);
      if (!ok)
        problem(s, path, "must be a date \"YYYY-MM-DD\" or \"today\"");
      else if (i)
        ff->max_day = (long long)d;
      else
        ff->min_day = (long long)d;
    } else if (ff->type == FT_NUMBER) {
      ok = json_is_number(v);
      d = json_number_value(v);
      if (!ok)
        problem(s, path, "must be a number");
    } else {
      ok = as_integer(v, &ll);
      d = (double)ll;
      if (!ok)
        problem(s, path, "must be an integer");
    }
    if (!ok)
      continue;
    if (i) {
      ff->has_max = true;
      ff->max = d;
    } else {
      ff->has_min = true;
      ff->min = d;
    }
    json_object_set(out, names[i], (json_t *)v);
  }
  join(path, sizeof path, base, "max");
  if (ff->type == FT_SCALE && (!ff->has_min || !ff->has_max))
    problem(s, path, "a scale needs integer min and max");
  if (ff->type == FT_DATE) {
    if (ff->has_min && ff->has_max && !ff->min_today && !ff->max_today &&
        ff->min_day > ff->max_day)
      problem(s, path, "max is before min");
  } else if (ff->has_min && ff->has_max && ff->min > ff->max) {
    problem(s, path, "min is larger than max");
  } else if (ff->type == FT_SCALE && ff->has_min && ff->has_max &&
             (ff->max - ff->min > 100 || ff->min == ff->max)) {
    problem(s, path, "a scale spans 1 to 100 steps");
  }
}

static void check_text(schema *s, const json_t *fld, const char *base,
                       form_field *ff, json_t *out) {
  char path[160];
  ff->max_length = ff->type == FT_TEXT ? 1000 : 10000;
  const json_t *ml = json_object_get(fld, "max_length");
  long long n;
  if (ml) {
    if (!as_integer(ml, &n) || n < 1 || n > 100000)
      problem(s, join(path, sizeof path, base, "max_length"),
              "must be an integer from 1 to 100000");
    else
      ff->max_length = (size_t)n;
  }
  json_object_set_new(out, "max_length",
                      json_integer((json_int_t)ff->max_length));
  const json_t *pat = json_object_get(fld, "pattern");
  if (pat) {
    join(path, sizeof path, base, "pattern");
    const char *why =
        json_is_string(pat)
            ? lua_pattern_check(json_string_value(pat), json_string_length(pat))
            : "must be a string (a Lua pattern)";
    if (why)
      problem(s, path, "invalid pattern: %s", why);
    ff->pattern = json_string_value(pat);
    ff->pattern_len = json_string_length(pat);
  }
  const json_t *pm = json_object_get(fld, "pattern_message");
  if (pm && !json_is_string(pm))
    problem(s, join(path, sizeof path, base, "pattern_message"),
            "must be a string");
  ff->pattern_message = json_string_value(pm);
}

static void check_selection(schema *s, const json_t *fld, const char *base,
                            form_field *ff, json_t *out) {
  char path[160];
  const char *names[] = {"min_selected", "max_selected"};
  for (int i = 0; i < 2; i++) {
    const json_t *v = json_object_get(fld, names[i]);
    long long n;
    if (!v)
      continue;
    if (!as_integer(v, &n) || n < 0) {
      problem(s, join(path, sizeof path, base, names[i]),
              "must be a non-negative integer");
      continue;
    }
    *(i ? &ff->has_max_selected : &ff->has_min_selected) = true;
    *(i ? &ff->max_selected : &ff->min_selected) = n;
    json_object_set(out, names[i], (json_t *)v);
  }
  join(path, sizeof path, base, "max_selected");
  if (ff->has_min_selected && ff->has_max_selected &&
      ff->min_selected > ff->max_selected)
    problem(s, path, "min_selected is larger than max_selected");
  size_t nchoices = json_array_size(ff->choices);
  if (ff->choices && ff->has_min_selected &&
      (size_t)ff->min_selected > nchoices)
    problem(s, path, "min_selected is larger than the number of choices");
}

static void check_computed(schema *s, const json_t *fld, const char *base,
                           form_field *ff) {
  char path[160];
  join(path, sizeof path, base, "compute");
  const json_t *c = json_object_get(fld, "compute");
  int k = fn_index(c);
  if (!k && json_is_string(c) && s->computed)
    k = fn_index(json_object_get(s->computed, json_string_value(c)));
  if (!k)
    problem(s, path,
            "must name a function of the form's computed table (or be a "
            "function)");
  ff->compute_fn = k;
  if (json_is_true(json_object_get(fld, "required")))
    problem(s, join(path, sizeof path, base, "required"),
            "a computed field cannot be required");
}

static void check_field(schema *s, const json_t *fld, const char *base,
                        size_t index, size_t section, json_t *out_fields) {
  form_field *ff = &s->f->fields[index];
  char path[160];
  ff->section = section;
  if (!json_is_object(fld)) {
    problem(s, base, "a field must be a table");
    return;
  }
  json_t *out = json_object();
  json_array_append_new(out_fields, out);
  const char *id = json_string_value(json_object_get(fld, "id"));
  if (!id || !valid_id(id)) {
    problem(s, join(path, sizeof path, base, "id"),
            "must be a name like \"blood_pressure\" (a-z, 0-9, _; at most "
            "64)");
  } else if (json_object_get(s->f->index, id)) {
    problem(s, join(path, sizeof path, base, "id"), "duplicate field id '%s'",
            id);
  } else {
    ff->id = id;
    json_object_set_new(s->f->index, id, json_integer((json_int_t)index));
  }
  json_object_set_new(out, "id", json_string(id ? id : ""));
  const char *type = json_string_value(json_object_get(fld, "type"));
  int t = -1;
  for (int i = 0; type && i < (int)(sizeof type_names / sizeof *type_names);
       i++)
    if (strcmp(type, type_names[i]) == 0)
      t = i;
  if (t < 0) {
    problem(s, join(path, sizeof path, base, "type"),
            "unknown type '%s' (text, long_text, number, integer, date, "
            "boolean, single_choice, multiple_choice, scale, computed)",
            type ? type : "");
    return;
  }
  ff->type = (form_type)t;
  json_object_set_new(out, "type", json_string(type));
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)fld, key, v) {
    if (!in_list(COMMON_KEYS, key) && !in_list(type_keys[t], key))
      problem(s, join(path, sizeof path, base, key),
              "unknown key '%s' for a %s field", key, type);
    else if (fn_index(v) && strcmp(key, "visible_if") != 0 &&
             strcmp(key, "compute") != 0)
      problem(s, join(path, sizeof path, base, key),
              "a function is not allowed here");
  }
  const json_t *label = json_object_get(fld, "label");
  if (!json_is_string(label) || json_string_length(label) == 0)
    problem(s, join(path, sizeof path, base, "label"),
            "a non-empty label is required");
  render_copy(out, fld, "label");
  const json_t *req = json_object_get(fld, "required");
  if (req && !json_is_boolean(req))
    problem(s, join(path, sizeof path, base, "required"),
            "must be true or false");
  ff->required = json_is_true(req) && ff->type != FT_COMPUTED;
  json_object_set_new(out, "required", json_boolean(ff->required));
  const char *strings[] = {"help", "placeholder", "unit"};
  for (int i = 0; i < 3; i++) {
    const json_t *sv = json_object_get(fld, strings[i]);
    if (sv && !json_is_string(sv))
      problem(s, join(path, sizeof path, base, strings[i]), "must be a string");
    render_copy(out, fld, strings[i]);
  }
  switch (ff->type) {
  case FT_TEXT:
  case FT_LONG_TEXT:
    check_text(s, fld, base, ff, out);
    break;
  case FT_NUMBER: {
    check_bounds(s, fld, base, ff, out);
    const json_t *step = json_object_get(fld, "step");
    if (step && (!json_is_number(step) || json_number_value(step) <= 0))
      problem(s, join(path, sizeof path, base, "step"),
              "must be a positive number");
    else if (step)
      ff->step = json_number_value(step);
    render_copy(out, fld, "step");
    break;
  }
  case FT_INTEGER:
  case FT_DATE:
    check_bounds(s, fld, base, ff, out);
    break;
  case FT_SCALE: {
    check_bounds(s, fld, base, ff, out);
    const json_t *labels = json_object_get(fld, "labels");
    if (labels) {
      bool ok = json_is_object(labels);
      json_object_foreach((json_t *)labels, key, v) {
        if ((strcmp(key, "min") != 0 && strcmp(key, "max") != 0) ||
            !json_is_string(v))
          ok = false;
      }
      if (!ok)
        problem(s, join(path, sizeof path, base, "labels"),
                "must be {min = \"...\", max = \"...\"}");
      render_copy(out, fld, "labels");
    }
    break;
  }
  case FT_SINGLE_CHOICE:
    check_choices(s, fld, base, ff, out);
    break;
  case FT_MULTIPLE_CHOICE:
    check_choices(s, fld, base, ff, out);
    check_selection(s, fld, base, ff, out);
    break;
  case FT_COMPUTED:
    check_computed(s, fld, base, ff);
    json_object_set_new(out, "read_only", json_true());
    break;
  default:
    break;
  }
  const json_t *vis = json_object_get(fld, "visible_if");
  if (vis)
    check_condition(s, vis, join(path, sizeof path, base, "visible_if"), index,
                    &ff->visible, out);
}

static void check_section(schema *s, const json_t *sec, size_t si,
                          size_t *nfield, json_t *out_sections,
                          json_t *section_ids) {
  char base[64], path[160];
  snprintf(base, sizeof base, "sections[%zu]", si + 1);
  if (!json_is_object(sec)) {
    problem(s, base, "a section must be a table");
    return;
  }
  json_t *out = json_object();
  json_array_append_new(out_sections, out);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)sec, key, v) {
    if (!in_list("id title help visible_if fields", key))
      problem(s, join(path, sizeof path, base, key),
              "unknown key '%s' (id, title, help, visible_if, fields)", key);
  }
  const char *id = json_string_value(json_object_get(sec, "id"));
  if (!id || !valid_id(id))
    problem(s, join(path, sizeof path, base, "id"),
            "must be a name like \"vitals\" (a-z, 0-9, _)");
  else if (json_object_get(section_ids, id))
    problem(s, join(path, sizeof path, base, "id"), "duplicate section id '%s'",
            id);
  else
    json_object_set_new(section_ids, id, json_true());
  s->f->sections[si].id = id;
  render_copy(out, sec, "id");
  if (!json_is_string(json_object_get(sec, "title")))
    problem(s, join(path, sizeof path, base, "title"), "a title is required");
  render_copy(out, sec, "title");
  render_copy(out, sec, "help");
  const json_t *vis = json_object_get(sec, "visible_if");
  if (vis)
    check_condition(s, vis, join(path, sizeof path, base, "visible_if"),
                    *nfield, &s->f->sections[si].visible, out);
  const json_t *fields = json_object_get(sec, "fields");
  if (!json_is_array(fields) || json_array_size(fields) == 0) {
    problem(s, join(path, sizeof path, base, "fields"),
            "needs a non-empty list of fields");
    return;
  }
  json_t *out_fields = json_array();
  json_object_set_new(out, "fields", out_fields);
  for (size_t j = 0; j < json_array_size(fields); j++) {
    char fbase[96];
    snprintf(fbase, sizeof fbase, "%s.fields[%zu]", base, j + 1);
    check_field(s, json_array_get(fields, j), fbase, (*nfield)++, si,
                out_fields);
  }
}

/* Counts fields and collects their ids before the real pass. */
static size_t count_fields(const json_t *sections, json_t *all_ids) {
  size_t n = 0;
  for (size_t i = 0; i < json_array_size(sections); i++) {
    const json_t *fields =
        json_object_get(json_array_get(sections, i), "fields");
    for (size_t j = 0; j < json_array_size(fields); j++) {
      const char *id =
          json_string_value(json_object_get(json_array_get(fields, j), "id"));
      if (id)
        json_object_set_new(all_ids, id, json_true());
      n++;
    }
  }
  return n;
}

json_t *lua_form_schema_check(lua_form *f) {
  schema s = {.f = f, .problems = json_array(), .all_ids = json_object()};
  f->index = json_object();
  f->rendered = json_object();
  json_t *section_ids = json_object();
  if (!s.problems || !s.all_ids || !f->index || !f->rendered || !section_ids) {
    json_decref(s.problems);
    json_decref(s.all_ids);
    json_decref(section_ids);
    return NULL;
  }
  const json_t *d = f->desc;
  if (!json_is_object(d)) {
    problem(&s, "", "the chunk must return the form table");
    goto done;
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)d, key, v) {
    if (!in_list("id title version description sections computed validate",
                 key))
      problem(&s, key,
              "unknown key '%s' (id, title, version, description, sections, "
              "computed, validate)",
              key);
  }
  f->id = json_string_value(json_object_get(d, "id"));
  if (!f->id || !valid_id(f->id))
    problem(&s, "id", "must be a name like \"cardio_followup\" (a-z, 0-9, _)");
  render_copy(f->rendered, d, "id");
  if (!json_is_string(json_object_get(d, "title")))
    problem(&s, "title", "a title is required");
  render_copy(f->rendered, d, "title");
  long long version = 0;
  if (!as_integer(json_object_get(d, "version"), &version) || version < 1 ||
      version > 1000000)
    problem(&s, "version", "must be a positive integer");
  f->version = (int)version;
  json_object_set_new(f->rendered, "version", json_integer(version));
  if (json_object_get(d, "description") &&
      !json_is_string(json_object_get(d, "description")))
    problem(&s, "description", "must be a string");
  render_copy(f->rendered, d, "description");
  const json_t *computed = json_object_get(d, "computed");
  if (json_is_object(computed)) {
    s.computed = (json_t *)computed;
    json_object_foreach((json_t *)computed, key, v) {
      if (!fn_index(v)) {
        char path[96];
        problem(&s, join(path, sizeof path, "computed", key),
                "must be a function");
      }
    }
  } else if (computed &&
             !(json_is_array(computed) && json_array_size(computed) == 0)) {
    problem(&s, "computed", "must be a table of functions");
  }
  const json_t *validate = json_object_get(d, "validate");
  f->validate_fn = fn_index(validate);
  if (validate && !f->validate_fn)
    problem(&s, "validate", "must be a function");
  const json_t *sections = json_object_get(d, "sections");
  if (!json_is_array(sections) || json_array_size(sections) == 0) {
    problem(&s, "sections", "needs a non-empty list of sections");
    goto done;
  }
  size_t total = count_fields(sections, s.all_ids);
  if (total > MAX_FIELDS) {
    problem(&s, "sections", "more than %d fields", MAX_FIELDS);
    goto done;
  }
  f->nsections = json_array_size(sections);
  f->sections = calloc(f->nsections, sizeof *f->sections);
  f->fields = calloc(total ? total : 1, sizeof *f->fields);
  if (!f->sections || !f->fields) {
    json_decref(s.problems);
    s.problems = NULL;
    goto done;
  }
  json_t *out_sections = json_array();
  json_object_set_new(f->rendered, "sections", out_sections);
  size_t nfield = 0;
  for (size_t i = 0; i < f->nsections; i++)
    check_section(&s, json_array_get(sections, i), i, &nfield, out_sections,
                  section_ids);
  f->nfields = nfield;
done:
  json_decref(s.all_ids);
  json_decref(section_ids);
  return s.problems;
}
