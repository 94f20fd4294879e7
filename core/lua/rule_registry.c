#include "rule_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "struct_compat.h"

#define RULE_NAME_MAX 64
#define RULE_JSON_MAX (16u << 10)

struct rule_list {
  rule_def *rules;
  size_t count;
};

static rule_list *the_registry;

rule_list *rule_list_new(void) {
  return calloc(1, sizeof(rule_list));
}

static void def_free(rule_def *d) {
  free(d->name);
  free(d->owner);
  free(d->description);
  json_decref(d->default_decision);
  json_decref(d->sample_args);
}

void rule_list_free(rule_list *l) {
  if (!l)
    return;
  for (size_t i = 0; i < l->count; i++)
    def_free(&l->rules[i]);
  free(l->rules);
  free(l);
}

static bool name_ok(const char *n) {
  if (!n || !(*n >= 'a' && *n <= 'z') || strlen(n) > RULE_NAME_MAX)
    return false;
  for (; *n; n++)
    if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '_'))
      return false;
  return true;
}

static json_t *parse(const char *text) {
  if (!text || strlen(text) > RULE_JSON_MAX)
    return NULL;
  return json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
}

const rule_def *rule_list_find(const rule_list *l, const char *name) {
  for (size_t i = 0; l && name && i < l->count; i++)
    if (strcmp(l->rules[i].name, name) == 0)
      return &l->rules[i];
  return NULL;
}

concerto_status rule_list_add(rule_list *l, const char *owner,
                              const concerto_rule_spec *given, char *err,
                              size_t errlen) {
  concerto_rule_spec copy;
  const concerto_rule_spec *spec =
      STRUCT_IMPORT(&copy, given, RULE_SPEC_V1_SIZE);
  if (!spec || !name_ok(spec->name)) {
    snprintf(err, errlen, "rule: name [a-z][a-z0-9_]{0,63} required");
    return CONCERTO_ERR_REG_INVALID;
  }
  if (rule_list_find(l, spec->name) ||
      (l != the_registry && rule_list_find(the_registry, spec->name))) {
    snprintf(err, errlen, "rule %s is declared already", spec->name);
    return CONCERTO_ERR_REG_DUPLICATE;
  }
  json_t *def = parse(spec->default_decision);
  json_t *sample = parse(spec->sample_input);
  if (sample && !json_is_array(sample)) {
    json_t *one = json_pack("[o]", sample);
    sample = one;
  }
  if (!json_is_object(def) || !sample || json_array_size(sample) < 1 ||
      json_array_size(sample) > 2 ||
      (spec->description && strlen(spec->description) > 300)) {
    json_decref(def);
    json_decref(sample);
    snprintf(err, errlen,
             "rule %s: default_decision must be a JSON object and "
             "sample_input one argument or a list of up to two",
             spec->name);
    return CONCERTO_ERR_REG_INVALID;
  }
  char why[200] = "";
  if (spec->check && spec->check(def, why, sizeof why) != CONCERTO_OK) {
    json_decref(def);
    json_decref(sample);
    snprintf(err, errlen, "rule %s: its own check refuses its default: %s",
             spec->name, why);
    return CONCERTO_ERR_REG_INVALID;
  }
  rule_def *grown = realloc(l->rules, (l->count + 1) * sizeof *grown);
  if (!grown) {
    json_decref(def);
    json_decref(sample);
    return CONCERTO_ERR_NOMEM;
  }
  l->rules = grown;
  rule_def d = {strdup(spec->name),
                strdup(owner ? owner : "core"),
                strdup(spec->description ? spec->description : ""),
                def,
                sample,
                spec->check,
                spec->default_for};
  if (!d.name || !d.owner || !d.description) {
    def_free(&d);
    return CONCERTO_ERR_NOMEM;
  }
  l->rules[l->count++] = d;
  return CONCERTO_OK;
}

bool rule_list_merge(rule_list *to, rule_list *from, char *err, size_t errlen) {
  if (!from || from->count == 0)
    return true;
  for (size_t i = 0; i < from->count; i++)
    if (rule_list_find(to, from->rules[i].name)) {
      snprintf(err, errlen, "rule %s is declared already", from->rules[i].name);
      return false;
    }
  rule_def *grown =
      realloc(to->rules, (to->count + from->count) * sizeof *grown);
  if (!grown) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  to->rules = grown;
  memcpy(to->rules + to->count, from->rules, from->count * sizeof *grown);
  to->count += from->count;
  free(from->rules);
  from->rules = NULL;
  from->count = 0;
  return true;
}

size_t rule_list_count(const rule_list *l) {
  return l ? l->count : 0;
}

const rule_def *rule_list_at(const rule_list *l, size_t i) {
  return l && i < l->count ? &l->rules[i] : NULL;
}

rule_list *rule_registry(void) {
  if (!the_registry)
    the_registry = rule_list_new();
  return the_registry;
}

void rule_registry_free(void) {
  rule_list_free(the_registry);
  the_registry = NULL;
}

json_t *rule_registry_json(void) {
  json_t *out = json_array();
  for (size_t i = 0; i < rule_list_count(the_registry); i++) {
    const rule_def *d = &the_registry->rules[i];
    json_array_append_new(
        out,
        json_pack("{s:s, s:s, s:s, s:O, s:O}", "name", d->name, "owner",
                  d->owner, "description", d->description, "default_decision",
                  d->default_decision, "sample_args", d->sample_args));
  }
  return out;
}
