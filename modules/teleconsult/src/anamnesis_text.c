/* An anamnesis as a clinician reads it (minutes): the form's sections and
 * fields in the form's order, labels instead of codes, units, Sì/No,
 * choices by their label, numbers with the field's precision and a decimal
 * comma, dates as DD/MM/YYYY. Answers the form does not know (a field
 * removed in a later version) follow at the end under their codes, so
 * nothing shared is hidden. */
#include "tc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decimals a number field shows: those of its `step`, else as few as the
 * value needs (at most 6, which hides binary noise like 1.8999999999). */
static int decimals_of(const json_t *field) {
  const json_t *step = json_object_get(field, "step");
  if (!json_is_number(step) || json_number_value(step) <= 0 ||
      json_number_value(step) >= 1)
    return -1;
  char buf[32]; /* "0.010000": the digits after the point, zeros trimmed */
  snprintf(buf, sizeof buf, "%.6f", json_number_value(step));
  size_t n = strlen(buf);
  while (n > 0 && buf[n - 1] == '0')
    n--;
  const char *dot = strchr(buf, '.');
  return dot ? (int)(n - (size_t)(dot - buf) - 1) : -1;
}

static void put_number(FILE *f, double v, int decimals) {
  char buf[64];
  if (decimals >= 0) {
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
  } else {
    snprintf(buf, sizeof buf, "%.6f", v);
    char *end = buf + strlen(buf) - 1; /* trim trailing zeros and the dot */
    while (end > buf && *end == '0')
      *end-- = '\0';
    if (end > buf && *end == '.')
      *end = '\0';
  }
  for (char *c = buf; *c; c++)
    if (*c == '.')
      *c = ',';
  fputs(buf, f);
}

/* "YYYY-MM-DD[THH:MM...]" as "DD/MM/YYYY[ HH:MM]"; other text as is. */
static void put_date(FILE *f, const char *s) {
  if (strlen(s) >= 10 && s[4] == '-' && s[7] == '-') {
    fprintf(f, "%.2s/%.2s/%.4s", s + 8, s + 5, s);
    if (strlen(s) >= 16 && (s[10] == 'T' || s[10] == ' '))
      fprintf(f, " %.5s", s + 11);
    return;
  }
  fputs(s, f);
}

static const char *choice_label(const json_t *field, const json_t *value) {
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(field, "choices"), i, c) {
    if (json_equal(json_object_get(c, "value"), (json_t *)value))
      return json_string_value(json_object_get(c, "label"));
  }
  return NULL;
}

static void put_value(FILE *f, const json_t *field, const json_t *v) {
  const char *type = json_string_value(json_object_get(field, "type"));
  if (!type)
    type = "";
  if (json_is_boolean(v)) {
    fputs(json_is_true(v) ? "Sì" : "No", f);
  } else if (json_is_array(v)) {
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x) {
      if (i)
        fputs(", ", f);
      const char *label = choice_label(field, x);
      if (label)
        fputs(label, f);
      else
        put_value(f, NULL, x);
    }
  } else if (json_is_integer(v)) {
    const char *label = choice_label(field, v);
    if (label)
      fputs(label, f);
    else
      fprintf(f, "%lld", (long long)json_integer_value(v));
  } else if (json_is_real(v)) {
    put_number(f, json_real_value(v), decimals_of(field));
  } else if (json_is_string(v)) {
    const char *label = choice_label(field, v);
    if (label)
      fputs(label, f);
    else if (strcmp(type, "date") == 0 || strcmp(type, "datetime") == 0)
      put_date(f, json_string_value(v));
    else
      fputs(json_string_value(v), f);
  } else {
    fputs("-", f);
  }
  const char *unit = json_string_value(json_object_get(field, "unit"));
  if (unit && *unit && !json_is_boolean(v) && !json_is_null(v))
    fprintf(f, " %s", unit);
}

char *tc_anamnesis_text(const json_t *form, const json_t *answers) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return NULL;
  json_t *seen = json_object();
  size_t i, j;
  const json_t *sec, *field;
  json_array_foreach(json_object_get(form, "sections"), i, sec) {
    bool titled = false;
    json_array_foreach(json_object_get(sec, "fields"), j, field) {
      const char *id = json_string_value(json_object_get(field, "id"));
      const json_t *v = id ? json_object_get(answers, id) : NULL;
      if (id)
        json_object_set_new(seen, id, json_true());
      if (!v || json_is_null(v) ||
          (json_is_string(v) && !*json_string_value(v)) ||
          (json_is_array(v) && json_array_size(v) == 0))
        continue; /* not answered, or not shown to whoever filled it */
      if (!titled) {
        const char *title = json_string_value(json_object_get(sec, "title"));
        fprintf(f, "%s%s\n", ftell(f) > 0 ? "\n" : "", title ? title : "");
        titled = true;
      }
      const char *label = json_string_value(json_object_get(field, "label"));
      fprintf(f, "%s: ", label && *label ? label : id);
      put_value(f, field, v);
      fputc('\n', f);
    }
  }
  /* What the form (of this version) does not describe, by code. */
  const char *key;
  const json_t *v;
  bool extra = false;
  json_object_foreach((json_t *)answers, key, v) {
    if (json_object_get(seen, key) || json_is_null(v))
      continue;
    if (!extra) {
      fprintf(f, "%sAltre risposte\n", ftell(f) > 0 ? "\n" : "");
      extra = true;
    }
    fprintf(f, "%s: ", key);
    put_value(f, NULL, v);
    fputc('\n', f);
  }
  json_decref(seen);
  fclose(f);
  return text;
}
