/* The checked form structure shared by lua_form.c (loading),
 * lua_form_schema.c (checking and rendering) and lua_form_validate.c. */
#ifndef CONCERTO_CORE_LUA_FORM_INTERNAL_H
#define CONCERTO_CORE_LUA_FORM_INTERNAL_H

#include "lua_form.h"

typedef enum form_type {
  FT_TEXT,
  FT_LONG_TEXT,
  FT_NUMBER,
  FT_INTEGER,
  FT_DATE,
  FT_BOOLEAN,
  FT_SINGLE_CHOICE,
  FT_MULTIPLE_CHOICE,
  FT_SCALE,
  FT_COMPUTED
} form_type;

typedef enum cond_kind {
  COND_ALWAYS,
  COND_EQUALS,
  COND_NOT_EQUALS,
  COND_IN,
  COND_FUNCTION
} cond_kind;

/* A visible_if: on an earlier field's value, or a Lua function. */
typedef struct form_cond {
  cond_kind kind;
  size_t field;        /* index of the field it reads */
  const json_t *value; /* equals / not_equals value, or the `in` array */
  int fn;              /* index in the form's function table */
} form_cond;

typedef struct form_field {
  const char *id; /* borrowed from the form's description */
  form_type type;
  bool required;
  size_t section;
  form_cond visible;
  bool has_min, has_max;
  double min, max, step; /* number, integer, scale; step 0 = none */
  bool min_today, max_today;
  long long min_day, max_day; /* dates, in days since 1970-01-01 */
  size_t max_length;
  const char *pattern;
  size_t pattern_len;
  const char *pattern_message;
  const json_t *choices; /* the array of {value, label} */
  bool has_min_selected, has_max_selected;
  long long min_selected, max_selected;
  int compute_fn;
} form_field;

typedef struct form_section {
  const char *id;
  form_cond visible;
} form_section;

struct lua_form {
  lua_box *box;
  char *chunkname;
  json_t *desc;     /* the converted Lua table: owns every borrowed string */
  json_t *rendered; /* for the UI */
  json_t *index;    /* field id -> field index */
  const char *id;
  int version;
  form_field *fields;
  size_t nfields;
  form_section *sections;
  size_t nsections;
  int validate_fn; /* 0: none */
  int fns_ref;     /* registry reference to the table of functions */
};

/* Checks f->desc and fills the structure and f->rendered. Returns an array
 * of problems (new reference; empty when the form is sound), or NULL when
 * out of memory. */
json_t *lua_form_schema_check(lua_form *f);

/* Values of two JSON scalars are equal (numbers compared as numbers). */
bool lua_form_values_equal(const json_t *a, const json_t *b);

#endif
