/* The Lua rule teleconsult calls, route_teleconsult(request) -> {group,
 * priority, sla_hours}, declared by the module (register_rule): its
 * default, its dry-run sample and the check of a decision's shape live
 * here, not in the core (README.md "Rules"). */
#include "tc_rules.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool urgent(const json_t *input) {
  if (json_is_true(json_object_get(input, "urgent")))
    return true;
  const char *u = json_string_value(json_object_get(input, "urgency"));
  return u && (strcmp(u, "urgent") == 0 || strcmp(u, "emergency") == 0);
}

/* No rule of the hospital: the requested specialty's group, high priority
 * and a 2-hour SLA when urgent, else normal and 72 hours. */
static json_t *route_default(const json_t *input) {
  const char *specialty =
      json_string_value(json_object_get(input, "specialty"));
  bool u = urgent(input);
  return json_pack("{s:s, s:s, s:i}", "group",
                   specialty && *specialty ? specialty : "general", "priority",
                   u ? "high" : "normal", "sla_hours", u ? 2 : 72);
}

static concerto_status route_check(const json_t *d, char *err, size_t errlen) {
  static const char *const levels[] = {"low", "normal", "high", "critical",
                                       NULL};
  const char *group = json_string_value(json_object_get(d, "group"));
  const char *priority = json_string_value(json_object_get(d, "priority"));
  const json_t *sla = json_object_get(d, "sla_hours");
  bool known = false;
  for (int i = 0; priority && levels[i]; i++)
    known |= strcmp(priority, levels[i]) == 0;
  if (!group || !*group)
    snprintf(err, errlen, "must return a non-empty 'group'");
  else if (!known)
    snprintf(err, errlen,
             "must return 'priority' as low, normal, high or critical");
  else if (!json_is_number(sla) || json_number_value(sla) <= 0)
    snprintf(err, errlen, "must return a positive 'sla_hours'");
  else
    return CONCERTO_OK;
  return CONCERTO_ERR_VALIDATION;
}

const concerto_rule_spec tc_route_rule = {
    sizeof(concerto_rule_spec),
    "route_teleconsult",
    "{\"group\":\"general\",\"priority\":\"normal\",\"sla_hours\":72}",
    "{\"specialty\":\"cardiologia\",\"urgency\":\"routine\",\"reason\":"
    "\"controllo\"}",
    route_check,
    "Picks the HUB group, priority and SLA of a new teleconsult request "
    "(input: specialty, urgency, reason, requested_at, origin, immediate "
    "- true when the doctor starts the consult at once)",
    route_default};
