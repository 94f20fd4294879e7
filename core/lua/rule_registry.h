/* The Lua rules hospitals may define: declared by the core (on_event) and by
 * modules (host->register_rule) with their default decision, the sample of
 * their dry run and the check of a decision's shape. One process-wide list,
 * filled before the server serves and read-only afterwards (so readers take
 * no lock); the Lua layer needs it where no app is at hand (loading a
 * hospital's rules into a box). A module's rules are first kept in a list
 * of its own and added when the module is committed. */
#ifndef CONCERTO_CORE_RULE_REGISTRY_H
#define CONCERTO_CORE_RULE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "concerto/host.h"

typedef struct rule_def {
  char *name, *owner, *description;  /* owned; owner "core" or a module */
  json_t *default_decision;          /* owned object */
  json_t *sample_args;               /* owned array of 1-2 arguments */
  concerto_rule_check check;         /* may be NULL */
  concerto_rule_default default_for; /* may be NULL */
} rule_def;

typedef struct rule_list rule_list;

rule_list *rule_list_new(void);
void rule_list_free(rule_list *l);

/* Adds a rule of `owner` (NULL = the core) from `spec` (copied).
 * CONCERTO_ERR_REG_INVALID (with a reason in err) for a malformed name,
 * default or sample; CONCERTO_ERR_REG_DUPLICATE when the name is taken. */
concerto_status rule_list_add(rule_list *l, const char *owner,
                              const concerto_rule_spec *spec, char *err,
                              size_t errlen);
/* Moves every rule of `from` into `to`; false (nothing moved) when a name
 * is taken in `to`, named in err. */
bool rule_list_merge(rule_list *to, rule_list *from, char *err, size_t errlen);

const rule_def *rule_list_find(const rule_list *l, const char *name);
size_t rule_list_count(const rule_list *l);
const rule_def *rule_list_at(const rule_list *l, size_t i);

/* The process's list (created on first use; freed by rule_registry_free). */
rule_list *rule_registry(void);
void rule_registry_free(void);

/* The registered rules as [{name, owner, description, default_decision,
 * sample_args}] (a new reference). */
json_t *rule_registry_json(void);

#endif
