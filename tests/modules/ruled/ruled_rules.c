#include "ruled_rules.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool one_of(const json_t *v, const char *const *allowed) {
  const char *s = json_string_value(v);
  for (int i = 0; s && allowed[i]; i++)
    if (strcmp(s, allowed[i]) == 0)
      return true;
  return false;
}

static const char *const levels[] = {"low", "normal", "high", "critical", NULL};

static concerto_status ticket_check(const json_t *d, char *err, size_t errlen) {
  const char *queue = json_string_value(json_object_get(d, "queue"));
  if (!queue || !*queue) {
    snprintf(err, errlen, "must return a non-empty 'queue'");
    return CONCERTO_ERR_VALIDATION;
  }
  if (!one_of(json_object_get(d, "severity"), levels)) {
    snprintf(err, errlen,
             "must return 'severity' as low, normal, high or critical");
    return CONCERTO_ERR_VALIDATION;
  }
  return CONCERTO_OK;
}

static concerto_status policy_check(const json_t *d, char *err, size_t errlen) {
  if (!json_is_boolean(json_object_get(d, "allow")) ||
      !json_is_string(json_object_get(d, "reason"))) {
    snprintf(err, errlen, "must return 'allow' (boolean) and 'reason'");
    return CONCERTO_ERR_VALIDATION;
  }
  return CONCERTO_OK;
}

const concerto_rule_spec ruled_rules[RULED_RULES] = {
    {sizeof(concerto_rule_spec), "route_ticket",
     "{\"queue\":\"first_level\",\"severity\":\"normal\"}",
     "{\"category\":\"software\",\"blocking\":false,\"scope\":\"user\"}",
     ticket_check, "Routes a help desk ticket to a queue", NULL},
    {sizeof(concerto_rule_spec), "signature_policy",
     "{\"allow\":true,\"reason\":\"default policy\"}",
     "[{\"subject\":\"CN=Test\",\"qualified\":true},{\"type\":\"referto\"}]",
     policy_check, "Whether a certificate may sign a document", NULL},
};
