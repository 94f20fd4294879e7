/* Forms: the example forms of the demo hospitals load; malformed forms are
 * refused with every problem and its path; submissions validate per type,
 * with conditional visibility, computed fields and cross-field checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lua_form.h"
#include "lua_test_util.h"

#define HOSPITALS CONCERTO_SOURCE_DIR "/scripts/hospitals"

static char err[512];

static lua_box *new_box(void) {
  lua_box *b = lua_box_new(&LUA_TEST_LIMITS, NULL, NULL, err, sizeof err);
  if (!b)
    fail_msg("lua_box_new: %s", err);
  /* 2026-03-10 14:00 Italian time (13:00 UTC): "today" and "now". */
  lua_box_set_now(b, 1773147600);
  return b;
}

static lua_form *load_file(lua_box *b, const char *rel) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", HOSPITALS, rel);
  size_t len = 0;
  char *src = lua_test_read(path, &len);
  if (!src)
    fail_msg("cannot read %s", path);
  lua_form *f = NULL;
  json_t *problems = NULL;
  bool ok = lua_form_load(b, rel, src, len, &f, &problems, err, sizeof err);
  free(src);
  if (!ok) {
    char *p = problems ? json_dumps(problems, JSON_INDENT(1)) : NULL;
    fail_msg("%s: %s %s", rel, err, p ? p : "");
  }
  return f;
}

static lua_form *load_text(lua_box *b, const char *src, json_t **problems) {
  lua_form *f = NULL;
  *problems = NULL;
  lua_form_load(b, "AOUP-PA/forms/test.lua", src, strlen(src), &f, problems,
                err, sizeof err);
  return f;
}

/* Validates JSON text; returns the errors and leaves normalized in *norm. */
static json_t *validate(lua_box *b, lua_form *f, const char *submission,
                        json_t **norm) {
  json_error_t jerr;
  json_t *s = json_loads(submission, 0, &jerr);
  if (!s)
    fail_msg("bad test JSON: %s", jerr.text);
  json_t *errors = lua_form_validate(b, f, s, norm, err, sizeof err);
  json_decref(s);
  if (!errors)
    fail_msg("script failure: %s", err);
  return errors;
}

/* The code of the error for field, or NULL. */
static const char *code_for(const json_t *errors, const char *field) {
  for (size_t i = 0; i < json_array_size(errors); i++) {
    const json_t *e = json_array_get(errors, i);
    const char *f = json_string_value(json_object_get(e, "field"));
    if ((f && field && strcmp(f, field) == 0) || (!f && !field))
      return json_string_value(json_object_get(e, "code"));
  }
  return NULL;
}

static void dump(const char *what, const json_t *j) {
  char *s = json_dumps(j, JSON_SORT_KEYS);
  print_message("%s: %s\n", what, s);
  free(s);
}

static void example_forms_load(void **state) {
  (void)state;
  static const struct {
    const char *file, *id;
    int version;
  } forms[] = {
      {"AOUP-PA/forms/cardiologia_follow_up.lua", "cardio_followup", 3},
      {"AOUP-PA/forms/diabetologia.lua", "diabetologia", 2},
      {"AOUP-PA/forms/dermatologia.lua", "teledermatologia", 1},
      {"ASP-AG/forms/neurologia_urgente.lua", "neuro_urgente", 4},
      {"IRCCS-ME/forms/follow_up_ictus.lua", "follow_up_ictus", 1},
  };
  lua_box *b = new_box();
  lua_form *loaded[5];
  for (size_t i = 0; i < 5; i++) {
    lua_form *f = loaded[i] = load_file(b, forms[i].file);
    assert_string_equal(lua_form_id(f), forms[i].id);
    assert_int_equal(lua_form_version(f), forms[i].version);
    const json_t *r = lua_form_json(f);
    assert_string_equal(json_string_value(json_object_get(r, "id")),
                        forms[i].id);
    assert_true(json_array_size(json_object_get(r, "sections")) > 0);
    /* Nothing in the rendering is a function placeholder. */
    char *text = json_dumps(r, 0);
    assert_null(strstr(text, "$fn"));
    free(text);
  }
  /* Computed fields render read-only; a function visible_if as script. */
  const json_t *r = lua_form_json(loaded[0]);
  const json_t *bmi = json_array_get(
      json_object_get(json_array_get(json_object_get(r, "sections"), 0),
                      "fields"),
      6);
  assert_string_equal(json_string_value(json_object_get(bmi, "id")), "bmi");
  assert_true(json_is_true(json_object_get(bmi, "read_only")));
  assert_string_equal(json_string_value(json_object_get(bmi, "unit")), "kg/m²");
  char *neuro = json_dumps(lua_form_json(loaded[3]), 0);
  assert_non_null(strstr(neuro, "\"visible_if\": {\"script\": true}"));
  assert_non_null(strstr(neuro, "\"in\": [\"ictus\", \"ictus_e_trauma\"]"));
  free(neuro);
  for (size_t i = 0; i < 5; i++)
    lua_form_free(loaded[i]);
  lua_box_free(b);
}

static bool has_problem(const json_t *problems, const char *path,
                        const char *words) {
  for (size_t i = 0; i < json_array_size(problems); i++) {
    const json_t *p = json_array_get(problems, i);
    if (strcmp(json_string_value(json_object_get(p, "path")), path) == 0 &&
        strstr(json_string_value(json_object_get(p, "message")), words))
      return true;
  }
  return false;
}

static void structure_errors(void **state) {
  (void)state;
  lua_box *b = new_box();
  json_t *problems;
  const char *bad =
      "return { id = 'Bad Id', title = 'T', colour = 'red',\n"
      " computed = { x = 1 }, validate = 3,\n"
      " sections = { { id = 's', title = 'S', fields = {\n"
      "  { id = 'a', type = 'numbr', label = 'A' },\n"
      "  { id = 'b', type = 'number', label = 'B', min = 10, max = 1 },\n"
      "  { id = 'b', type = 'text', label = 'B2' },\n"
      "  { id = 'c', type = 'single_choice', label = 'C', choices = {} },\n"
      "  { id = 'd', type = 'single_choice', label = 'D', choices = {\n"
      "    {value = 'x', label = 'X'}, {value = 'x', label = 'Y'} } },\n"
      "  { id = 'e', type = 'text', lable = 'E' },\n"
      "  { id = 'f', type = 'text', label = 'F', pattern = '[a-z' },\n"
      "  { id = 'g', type = 'boolean', label = 'G',\n"
      "    visible_if = { field = 'nope', equals = true } },\n"
      "  { id = 'h', type = 'boolean', label = 'H',\n"
      "    visible_if = { field = 'i', equals = true } },\n"
      "  { id = 'i', type = 'computed', label = 'I', compute = 'missing' },\n"
      "  { id = 'j', type = 'scale', label = 'J', min = 1 },\n"
      "  { id = 'k', type = 'date', label = 'K', min = '2024-02-30' },\n"
      "  { id = 'l', type = 'multiple_choice', label = 'L', min_selected = 3,"
      "\n    max_selected = 2, choices = { {value = 1, label = 'one'} } },\n"
      "  { id = 'm', type = 'boolean', label = 'M', visible_if = {\n"
      "    field = 'a', equals = 1, ['in'] = {1} } },\n"
      "} } } }";
  assert_null(load_text(b, bad, &problems));
  assert_non_null(problems);
  dump("problems", problems);
  assert_true(has_problem(problems, "id", "must be a name"));
  assert_true(has_problem(problems, "colour", "unknown key 'colour'"));
  assert_true(has_problem(problems, "version", "positive integer"));
  assert_true(has_problem(problems, "computed.x", "must be a function"));
  assert_true(has_problem(problems, "validate", "must be a function"));
  assert_true(
      has_problem(problems, "sections[1].fields[1].type", "unknown type"));
  assert_true(has_problem(problems, "sections[1].fields[2].max",
                          "min is larger than max"));
  assert_true(has_problem(problems, "sections[1].fields[3].id",
                          "duplicate field id 'b'"));
  assert_true(
      has_problem(problems, "sections[1].fields[4].choices", "non-empty list"));
  assert_true(has_problem(problems, "sections[1].fields[5].choices[2]",
                          "duplicate choice value"));
  assert_true(has_problem(problems, "sections[1].fields[6].lable",
                          "unknown key 'lable' for a text field"));
  assert_true(has_problem(problems, "sections[1].fields[6].label",
                          "label is required"));
  assert_true(
      has_problem(problems, "sections[1].fields[7].pattern", "missing ']'"));
  assert_true(has_problem(problems, "sections[1].fields[8].visible_if",
                          "missing field 'nope'"));
  assert_true(has_problem(problems, "sections[1].fields[9].visible_if",
                          "not declared before it"));
  assert_true(has_problem(problems, "sections[1].fields[10].compute",
                          "must name a function"));
  assert_true(has_problem(problems, "sections[1].fields[11].max",
                          "a scale needs integer min and max"));
  assert_true(
      has_problem(problems, "sections[1].fields[12].min", "must be a date"));
  assert_true(has_problem(problems, "sections[1].fields[13].max_selected",
                          "min_selected is larger than max_selected"));
  assert_true(has_problem(problems, "sections[1].fields[14].visible_if",
                          "exactly one of"));
  json_decref(problems);

  /* Not a table; data that is not JSON-like; a syntax error. */
  assert_null(load_text(b, "return 42", &problems));
  assert_true(has_problem(problems, "", "not a number"));
  json_decref(problems);
  assert_null(load_text(b, "return { id = 'x', [true] = 1 }", &problems));
  assert_true(has_problem(problems, "", "key of type boolean"));
  json_decref(problems);
  assert_null(load_text(b, "return {\n id = 'x',,\n}", &problems));
  assert_null(problems);
  assert_non_null(strstr(err, "AOUP-PA/forms/test.lua:2:"));
  /* A runtime error while building the form table. */
  assert_null(load_text(b, "local x\nreturn { id = x.y }", &problems));
  assert_null(problems);
  assert_non_null(strstr(err, "AOUP-PA/forms/test.lua:2:"));
  lua_box_free(b);
}

static const char *cardio_ok =
    "{\"pas\": 130, \"pad\": 80, \"fc\": 72, \"ritmo\": \"sinusale\","
    " \"peso\": 80, \"altezza\": 180, \"dolore_toracico\": false,"
    " \"nyha\": 2, \"terapia_in_atto\": \"bisoprololo 2,5 mg\","
    " \"anticoagulante\": \"nessuna\", \"bmi\": 99}";

static void cardiology_validation(void **state) {
  (void)state;
  lua_box *b = new_box();
  lua_form *f = load_file(b, "AOUP-PA/forms/cardiologia_follow_up.lua");
  json_t *norm;
  json_t *errors = validate(b, f, cardio_ok, &norm);
  dump("errors", errors);
  assert_int_equal(json_array_size(errors), 0);
  /* BMI recomputed (the submitted 99 is ignored): 80 / 1.8^2 = 24.7. */
  assert_true(json_real_value(json_object_get(norm, "bmi")) == 24.7);
  assert_null(json_object_get(norm, "dolore_tipo"));
  json_decref(errors);
  json_decref(norm);

  /* A hidden field's value is dropped and its `required` does not apply. */
  errors = validate(b, f,
                    "{\"pas\": 130, \"pad\": 80, \"fc\": 72, \"peso\": 80,"
                    " \"altezza\": 180, \"dolore_toracico\": false,"
                    " \"dolore_tipo\": \"tipico\", \"nyha\": 1,"
                    " \"terapia_in_atto\": \"-\", \"anticoagulante\": "
                    "\"nessuna\"}",
                    &norm);
  assert_int_equal(json_array_size(errors), 0);
  assert_null(json_object_get(norm, "dolore_tipo"));
  json_decref(errors);
  json_decref(norm);

  /* Every kind of field error at once. */
  errors = validate(b, f,
                    "{\"pad\": 80, \"fc\": \"tanti\", \"peso\": 80.05,"
                    " \"altezza\": 300, \"ritmo\": \"boh\","
                    " \"dolore_toracico\": true, \"nyha\": 5,"
                    " \"terapia_in_atto\": \"\", \"anticoagulante\":"
                    " \"warfarin\", \"colore\": \"blu\"}",
                    &norm);
  dump("errors", errors);
  assert_string_equal(code_for(errors, "pas"), "required");
  assert_string_equal(code_for(errors, "fc"), "type");
  assert_string_equal(code_for(errors, "peso"), "step");
  assert_string_equal(code_for(errors, "altezza"), "max");
  assert_string_equal(code_for(errors, "ritmo"), "choice");
  assert_string_equal(code_for(errors, "dolore_tipo"), "required");
  assert_string_equal(code_for(errors, "nyha"), "max");
  assert_string_equal(code_for(errors, "terapia_in_atto"), "required");
  assert_string_equal(code_for(errors, "inr"), "required");
  assert_string_equal(code_for(errors, "colore"), "unknown_field");
  /* No BMI without a valid height; no cross-field check with errors. */
  assert_null(json_object_get(norm, "bmi"));
  assert_null(code_for(errors, "pad"));
  json_decref(errors);
  json_decref(norm);

  /* The cross-field validator, once the fields are valid. */
  errors = validate(b, f,
                    "{\"pas\": 80, \"pad\": 90, \"fc\": 72, \"peso\": 70.5,"
                    " \"altezza\": 170, \"dolore_toracico\": false,"
                    " \"nyha\": 1, \"terapia_in_atto\": \"-\","
                    " \"anticoagulante\": \"nessuna\"}",
                    &norm);
  assert_int_equal(json_array_size(errors), 1);
  assert_string_equal(code_for(errors, "pad"), "custom");
  json_decref(errors);
  json_decref(norm);

  /* Lengths and lower bounds. */
  char big[5200] = "{\"terapia_in_atto\": \"";
  memset(big + strlen(big), 'x', 4100);
  strcpy(big + 21 + 4100, "\", \"peso\": 1}");
  errors = validate(b, f, big, &norm);
  assert_string_equal(code_for(errors, "terapia_in_atto"), "length");
  assert_string_equal(code_for(errors, "peso"), "min");
  json_decref(errors);
  json_decref(norm);

  /* Not an object at all. */
  json_t *arr = json_array();
  errors = lua_form_validate(b, f, arr, &norm, err, sizeof err);
  assert_string_equal(code_for(errors, NULL), "type");
  json_decref(arr);
  json_decref(errors);
  json_decref(norm);
  lua_form_free(f);
  lua_box_free(b);
}

static void neurology_validation(void **state) {
  (void)state;
  lua_box *b = new_box();
  lua_form *f = load_file(b, "ASP-AG/forms/neurologia_urgente.lua");
  json_t *norm;
  /* Onset 12:30 Italian time, now 14:00: 1.5 h, inside the window. */
  const char *stroke =
      "{\"tipo_evento\": \"ictus\", \"esordio_certo\": true,"
      " \"data_esordio\": \"2026-03-10\", \"ora_esordio\": \"12:30\","
      " \"gcs\": 14, \"nihss\": 9, \"lato_deficit\": \"destro\","
      " \"afasia\": true, \"pas\": 170, \"glicemia\": 130,"
      " \"anticoagulante\": \"nessuno\", \"tc_eseguita\": true,"
      " \"esito_tc\": \"negativa\", \"ora_tc\": \"13:10\"}";
  json_t *errors = validate(b, f, stroke, &norm);
  dump("errors", errors);
  dump("normalized", norm);
  assert_int_equal(json_array_size(errors), 0);
  assert_true(json_real_value(json_object_get(norm, "ore_da_esordio")) == 1.5);
  assert_true(json_is_true(json_object_get(norm, "entro_finestra")));
  /* The trauma section is hidden for a stroke: its required fields too. */
  assert_null(json_object_get(norm, "dinamica"));
  json_decref(errors);
  json_decref(norm);

  /* Onset 06:00: outside the window, so a reason is required; with
   * "altro", the function-driven notes field appears. */
  json_t *s = json_loads(stroke, 0, NULL);
  json_object_set_new(s, "ora_esordio", json_string("06:00"));
  errors = lua_form_validate(b, f, s, &norm, err, sizeof err);
  assert_true(json_is_false(json_object_get(norm, "entro_finestra")));
  assert_string_equal(code_for(errors, "motivo_esclusione"), "required");
  json_decref(errors);
  json_decref(norm);
  json_object_set_new(s, "motivo_esclusione", json_string("altro"));
  json_object_set_new(s, "note_trombolisi", json_string("rifiuto"));
  errors = lua_form_validate(b, f, s, &norm, err, sizeof err);
  assert_int_equal(json_array_size(errors), 0);
  assert_string_equal(
      json_string_value(json_object_get(norm, "note_trombolisi")), "rifiuto");
  json_decref(errors);
  json_decref(norm);
  json_object_set_new(s, "motivo_esclusione", json_string("fuori_finestra"));
  errors = lua_form_validate(b, f, s, &norm, err, sizeof err);
  assert_null(json_object_get(norm, "note_trombolisi"));
  json_decref(errors);
  json_decref(norm);

  /* Patterns, and the cross-field checks. */
  json_object_set_new(s, "ora_esordio", json_string("9.30"));
  errors = lua_form_validate(b, f, s, &norm, err, sizeof err);
  assert_string_equal(code_for(errors, "ora_esordio"), "pattern");
  assert_non_null(strstr(
      json_string_value(json_object_get(json_array_get(errors, 0), "message")),
      "HH:MM"));
  json_decref(errors);
  json_decref(norm);
  json_object_set_new(s, "ora_esordio", json_string("13:40"));
  json_object_set_new(s, "ora_tc", json_string("13:00"));
  errors = lua_form_validate(b, f, s, &norm, err, sizeof err);
  assert_string_equal(code_for(errors, "ora_tc"), "custom");
  json_decref(errors);
  json_decref(norm);
  json_object_set_new(s, "ora_esordio", json_string("15:00"));
  json_object_set_new(s, "ora_tc", json_string("15:30"));
  errors = lua_form_validate(b, f, s, &norm, err, sizeof err);
  assert_string_equal(code_for(errors, "ora_esordio"), "custom");
  json_decref(errors);
  json_decref(norm);
  /* A date after "today" (2026-03-10). */
  json_object_set_new(s, "data_esordio", json_string("2026-03-11"));
  errors = lua_form_validate(b, f, s, &norm, err, sizeof err);
  assert_string_equal(code_for(errors, "data_esordio"), "max");
  json_decref(errors);
  json_decref(norm);
  json_decref(s);

  /* Head trauma: the trauma section appears, the stroke fields go. */
  errors = validate(b, f,
                    "{\"tipo_evento\": \"trauma\", \"esordio_certo\": true,"
                    " \"data_esordio\": \"2026-03-10\", \"ora_esordio\":"
                    " \"13:00\", \"gcs\": 13, \"pas\": 140, \"glicemia\": 100,"
                    " \"anticoagulante\": \"warfarin\", \"inr\": 2.8,"
                    " \"tc_eseguita\": false, \"nihss\": 3}",
                    &norm);
  assert_string_equal(code_for(errors, "dinamica"), "required");
  assert_string_equal(code_for(errors, "perdita_coscienza"), "required");
  assert_null(code_for(errors, "tc_eseguita"));
  assert_null(json_object_get(norm, "nihss"));
  assert_null(json_object_get(norm, "entro_finestra"));
  json_decref(errors);
  json_decref(norm);
  lua_form_free(f);
  lua_box_free(b);
}

static bool listed(const json_t *ids, const char *id) {
  for (size_t i = 0; i < json_array_size(ids); i++)
    if (strcmp(json_string_value(json_array_get(ids, i)), id) == 0)
      return true;
  return false;
}

/* The page's live evaluation of a partly filled stroke anamnesis (issue
 * 12 item 1): with the onset 8 h ago the computed window is false and the
 * exclusion reason appears; the function-driven notes only with "altro";
 * a partial submission is answered, errors and all, not refused. */
static void neurology_evaluation(void **state) {
  (void)state;
  lua_box *b = new_box();
  lua_form *f = load_file(b, "ASP-AG/forms/neurologia_urgente.lua");
  json_t *s = json_pack("{s:s, s:s, s:s}", "tipo_evento", "ictus",
                        "data_esordio", "2026-03-10", "ora_esordio", "06:00");
  json_t *out = lua_form_evaluate(b, f, s, err, sizeof err);
  if (!out)
    fail_msg("evaluate: %s", err);
  dump("evaluation", out);
  const json_t *values = json_object_get(out, "values");
  const json_t *fields = json_object_get(out, "visible_fields");
  assert_true(json_real_value(json_object_get(values, "ore_da_esordio")) ==
              8.0);
  assert_true(json_is_false(json_object_get(values, "entro_finestra")));
  assert_true(listed(fields, "motivo_esclusione"));
  assert_false(listed(fields, "note_trombolisi"));
  assert_false(listed(fields, "dinamica"));
  assert_true(listed(json_object_get(out, "visible_sections"), "trombolisi"));
  assert_false(listed(json_object_get(out, "visible_sections"), "trauma"));
  assert_string_equal(
      code_for(json_object_get(out, "errors"), "motivo_esclusione"),
      "required");
  json_decref(out);

  json_object_set_new(s, "motivo_esclusione", json_string("altro"));
  out = lua_form_evaluate(b, f, s, err, sizeof err);
  assert_non_null(out);
  assert_true(
      listed(json_object_get(out, "visible_fields"), "note_trombolisi"));
  json_decref(out);

  /* Inside the window (12:30, 1.5 h): no reason is asked for. */
  json_object_set_new(s, "ora_esordio", json_string("12:30"));
  out = lua_form_evaluate(b, f, s, err, sizeof err);
  assert_non_null(out);
  assert_true(json_is_true(
      json_object_get(json_object_get(out, "values"), "entro_finestra")));
  assert_false(
      listed(json_object_get(out, "visible_fields"), "motivo_esclusione"));
  json_decref(out);

  /* Head trauma: the trauma section shows, the thrombolysis one goes. */
  json_object_set_new(s, "tipo_evento", json_string("trauma"));
  out = lua_form_evaluate(b, f, s, err, sizeof err);
  assert_non_null(out);
  assert_true(listed(json_object_get(out, "visible_fields"), "dinamica"));
  assert_false(listed(json_object_get(out, "visible_sections"), "trombolisi"));
  json_decref(out);
  json_decref(s);
  lua_form_free(f);
  lua_box_free(b);
}

static void diabetes_validation(void **state) {
  (void)state;
  lua_box *b = new_box();
  lua_form *f = load_file(b, "AOUP-PA/forms/diabetologia.lua");
  json_t *norm;
  json_t *errors =
      validate(b, f,
               "{\"tipo_diabete\": \"tipo2\", \"anno_diagnosi\": 2015,"
               " \"hba1c\": 53, \"data_hba1c\": \"2026-02-01\","
               " \"insulina\": false, \"schema_insulinico\": \"microinfusore\","
               " \"sensore_cgm\": true,"
               " \"complicanze\": [\"nefropatia\", \"retinopatia\"],"
               " \"egfr\": 48.5, \"lesioni_piede\": true, \"wagner\": 1}",
               &norm);
  dump("errors", errors);
  assert_int_equal(json_array_size(errors), 0);
  assert_true(json_real_value(json_object_get(norm, "hba1c_percentuale")) ==
              7.0);
  /* The chain: no insulin hides the scheme, which hides the sensor. */
  assert_null(json_object_get(norm, "schema_insulinico"));
  assert_null(json_object_get(norm, "sensore_cgm"));
  /* `in` on a multiple choice: any selected value. */
  assert_non_null(json_object_get(norm, "egfr"));
  json_decref(errors);
  json_decref(norm);

  errors = validate(b, f,
                    "{\"tipo_diabete\": \"tipo1\", \"anno_diagnosi\": 2015,"
                    " \"hba1c\": 53, \"data_hba1c\": \"2026-02-01\","
                    " \"insulina\": true, \"complicanze\": [],"
                    " \"lesioni_piede\": false}",
                    &norm);
  assert_string_equal(code_for(errors, "schema_insulinico"), "required");
  assert_string_equal(code_for(errors, "complicanze"), "required");
  json_decref(errors);
  json_decref(norm);
  errors = validate(b, f,
                    "{\"tipo_diabete\": \"tipo1\", \"anno_diagnosi\": 2015,"
                    " \"hba1c\": 53, \"data_hba1c\": \"2026-02-01\","
                    " \"insulina\": false, \"lesioni_piede\": false,"
                    " \"complicanze\": [\"nessuna\", \"neuropatia\"]}",
                    &norm);
  assert_int_equal(json_array_size(errors), 1);
  assert_string_equal(code_for(errors, "complicanze"), "custom");
  json_decref(errors);
  json_decref(norm);
  errors = validate(b, f,
                    "{\"complicanze\": [\"retinopatia\", \"retinopatia\"],"
                    " \"data_hba1c\": \"2026-02-30\", \"insulina\": 1}",
                    &norm);
  assert_string_equal(code_for(errors, "complicanze"), "choice");
  assert_string_equal(code_for(errors, "data_hba1c"), "type");
  assert_string_equal(code_for(errors, "insulina"), "type");
  json_decref(errors);
  json_decref(norm);
  lua_form_free(f);
  lua_box_free(b);
}

static void forty_fields(void **state) {
  (void)state;
  lua_box *b = new_box();
  size_t len = 0;
  char *src =
      lua_test_read(CONCERTO_SOURCE_DIR "/tests/lua/fixtures/form40.lua", &len);
  char *sub = lua_test_read(
      CONCERTO_SOURCE_DIR "/tests/lua/fixtures/form40_submission.json", NULL);
  assert_non_null(src);
  assert_non_null(sub);
  lua_form *f = NULL;
  json_t *problems = NULL;
  assert_true(lua_form_load(b, "tests/form40.lua", src, len, &f, &problems, err,
                            sizeof err));
  json_t *norm;
  for (int round = 0; round < 3; round++) {
    json_t *errors = validate(b, f, sub, &norm);
    assert_int_equal(json_array_size(errors), 0);
    /* 37 submitted values plus the computed total. */
    assert_int_equal(json_object_size(norm), 38);
    assert_true(json_number_value(json_object_get(norm, "total")) == 577.5);
    json_decref(errors);
    json_decref(norm);
  }
  free(src);
  free(sub);
  lua_form_free(f);
  lua_box_free(b);
}

static void script_failures(void **state) {
  (void)state;
  lua_box *b = new_box();
  json_t *problems, *norm;
  lua_form *f = load_text(
      b,
      "return { id = 'x', title = 'X', version = 1, sections = { {\n"
      " id = 's', title = 'S', fields = {\n"
      "  { id = 'a', type = 'number', label = 'A' },\n"
      "  { id = 'b', type = 'computed', label = 'B', compute = 'half' } } } "
      "},\n"
      " computed = { half = function(v)\n"
      "   return v.a / 2 end },\n"
      " validate = function(v)\n"
      "   if v.a == 7 then while true do end end\n"
      "   if v.a == 8 then return { { field = 'a' } } end\n"
      "   if v.a == 9 then return { { field = 'zz', message = 'm' } } end\n"
      " end }",
      &problems);
  assert_non_null(f);
  json_t *s = json_pack("{s:i}", "a", 4);
  json_t *errors = lua_form_validate(b, f, s, &norm, err, sizeof err);
  assert_int_equal(json_array_size(errors), 0);
  assert_true(json_number_value(json_object_get(norm, "b")) == 2.0);
  json_decref(errors);
  json_decref(norm);
  /* A compute function that fails names its line: the caller answers 500. */
  json_object_del(s, "a");
  assert_null(lua_form_validate(b, f, s, &norm, err, sizeof err));
  assert_null(norm);
  assert_non_null(strstr(err, "AOUP-PA/forms/test.lua:6:"));
  /* A validator stuck in a loop is stopped. */
  json_object_set_new(s, "a", json_integer(7));
  assert_null(lua_form_validate(b, f, s, &norm, err, sizeof err));
  assert_non_null(strstr(err, "AOUP-PA/forms/test.lua:8: instruction limit"));
  /* A validator returning something malformed. */
  json_object_set_new(s, "a", json_integer(8));
  assert_null(lua_form_validate(b, f, s, &norm, err, sizeof err));
  assert_non_null(strstr(err, "without a message"));
  /* An error for a field the form lacks becomes a form-level error. */
  json_object_set_new(s, "a", json_integer(9));
  errors = lua_form_validate(b, f, s, &norm, err, sizeof err);
  assert_string_equal(code_for(errors, NULL), "custom");
  json_decref(errors);
  json_decref(norm);
  json_decref(s);
  /* A form from another box is refused. */
  lua_box *other = new_box();
  s = json_object();
  assert_null(lua_form_validate(other, f, s, &norm, err, sizeof err));
  json_decref(s);
  lua_box_free(other);
  lua_form_free(f);
  lua_box_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(example_forms_load),
      cmocka_unit_test(structure_errors),
      cmocka_unit_test(cardiology_validation),
      cmocka_unit_test(neurology_validation),
      cmocka_unit_test(neurology_evaluation),
      cmocka_unit_test(diabetes_validation),
      cmocka_unit_test(forty_fields),
      cmocka_unit_test(script_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
