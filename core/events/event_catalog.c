#include "event_catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "json_schema.h"

#define DESCRIPTION_MAX 300
#define SCHEMA_TEXT_MAX (64u << 10)

typedef struct event_decl {
  char *name;
  uint32_t version;
  char *description;   /* "" when none */
  json_schema *schema; /* NULL: any object */
  json_t *producers;   /* array of names; "core" for the core */
} event_decl;

struct event_catalog {
  event_decl *decls;
  size_t count;
};

event_catalog *event_catalog_new(void) {
  return calloc(1, sizeof(event_catalog));
}

void event_catalog_free(event_catalog *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->count; i++) {
    free(c->decls[i].name);
    free(c->decls[i].description);
    json_schema_free(c->decls[i].schema);
    json_decref(c->decls[i].producers);
  }
  free(c->decls);
  free(c);
}

static event_decl *find(const event_catalog *c, const char *name,
                        uint32_t version) {
  for (size_t i = 0; c && i < c->count; i++)
    if (c->decls[i].version == version && strcmp(c->decls[i].name, name) == 0)
      return &c->decls[i];
  return NULL;
}

static bool lists(const json_t *producers, const char *who) {
  size_t i;
  json_t *p;
  json_array_foreach(producers, i, p) {
    if (strcmp(json_string_value(p), who) == 0)
      return true;
  }
  return false;
}

static bool same_schema(const json_schema *a, const json_schema *b) {
  if (!a || !b)
    return a == b;
  return json_equal(json_schema_json(a), json_schema_json(b));
}

concerto_status event_catalog_declare(event_catalog *c, const char *producer,
                                      const char *name, uint32_t version,
                                      const char *schema,
                                      const char *description, char *err,
                                      size_t errlen) {
  const char *who = producer ? producer : "core";
  if (!event_name_valid(name) || version < 1 || version > 1000) {
    snprintf(err, errlen, "event %.100s@%u: malformed name or version",
             name ? name : "(null)", version);
    return CONCERTO_ERR_REG_INVALID;
  }
  if ((description && strlen(description) > DESCRIPTION_MAX) ||
      (schema && strlen(schema) > SCHEMA_TEXT_MAX)) {
    snprintf(err, errlen, "event %s@%u: description or schema too long", name,
             version);
    return CONCERTO_ERR_REG_INVALID;
  }
  json_schema *compiled = NULL;
  if (schema) {
    char why[256];
    compiled = json_schema_compile(schema, why, sizeof why);
    if (!compiled) {
      snprintf(err, errlen, "event %s@%u: %s", name, version, why);
      return CONCERTO_ERR_REG_INVALID;
    }
  }
  event_decl *known = find(c, name, version);
  if (known) {
    concerto_status st = CONCERTO_OK;
    if (lists(known->producers, who))
      st = CONCERTO_ERR_REG_DUPLICATE;
    else if (!same_schema(known->schema, compiled))
      st = CONCERTO_ERR_REG_INVALID;
    else if (json_array_append_new(known->producers, json_string(who)) != 0)
      st = CONCERTO_ERR_NOMEM;
    if (st == CONCERTO_ERR_REG_INVALID)
      snprintf(err, errlen,
               "event %s@%u is declared with another schema already", name,
               version);
    json_schema_free(compiled);
    return st;
  }
  event_decl *grown = realloc(c->decls, (c->count + 1) * sizeof *grown);
  if (!grown) {
    json_schema_free(compiled);
    return CONCERTO_ERR_NOMEM;
  }
  c->decls = grown;
  event_decl d = {strdup(name), version, strdup(description ? description : ""),
                  compiled, json_pack("[s]", who)};
  if (!d.name || !d.description || !d.producers) {
    free(d.name);
    free(d.description);
    json_decref(d.producers);
    json_schema_free(compiled);
    return CONCERTO_ERR_NOMEM;
  }
  c->decls[c->count++] = d;
  return CONCERTO_OK;
}

bool event_catalog_allows(const event_catalog *c, const char *producer,
                          const char *name, uint32_t version,
                          const json_t *payload, char *err, size_t errlen) {
  const char *who = producer ? producer : "core";
  const event_decl *d = find(c, name, version);
  if (!d) {
    snprintf(err, errlen, "event %.100s@%u is not declared (register_event)",
             name, version);
    return false;
  }
  if (!lists(d->producers, who)) {
    snprintf(err, errlen, "event %s@%u is not declared by %s", name, version,
             who);
    return false;
  }
  char why[256];
  if (d->schema && !json_schema_check(d->schema, payload, why, sizeof why)) {
    snprintf(err, errlen, "event %s@%u payload refused: %s", name, version,
             why);
    return false;
  }
  return true;
}

static int by_name(const void *a, const void *b) {
  const event_decl *x = *(const event_decl *const *)a,
                   *y = *(const event_decl *const *)b;
  int n = strcmp(x->name, y->name);
  return n ? n : (x->version > y->version) - (x->version < y->version);
}

json_t *event_catalog_json(const event_catalog *c) {
  json_t *out = json_array();
  const event_decl **sorted = calloc(c->count ? c->count : 1, sizeof *sorted);
  if (!out || !sorted) {
    free(sorted);
    return out;
  }
  for (size_t i = 0; i < c->count; i++)
    sorted[i] = &c->decls[i];
  qsort(sorted, c->count, sizeof *sorted, by_name);
  for (size_t i = 0; i < c->count; i++) {
    const event_decl *d = sorted[i];
    json_t *o = json_pack("{s:s, s:i, s:O, s:s}", "name", d->name, "version",
                          (int)d->version, "producers", d->producers,
                          "description", d->description);
    if (o && d->schema)
      json_object_set(o, "schema", (json_t *)json_schema_json(d->schema));
    json_array_append_new(out, o);
  }
  free(sorted);
  return out;
}
