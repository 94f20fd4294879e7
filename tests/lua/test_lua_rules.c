/* Rules: the demo hospitals' routing examples decide as documented (an
 * urgent night-time stroke from Agrigento goes to the on-call neurology HUB
 * in Messina), missing rules fall back to the documented defaults, and
 * malformed rules or decisions are refused with a clear error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "events.h"
#include "lua_event_sink.h"
#include "lua_rules.h"
#include "rule_registry.h"
#include "ruled_rules.h"
#include "tc_rules.h"
#include "lua_test_util.h"

#define HOSPITALS CONCERTO_SOURCE_DIR "/scripts/hospitals"
/* 2026-03-10 23:30 and 10:00 Italian time (CET, UTC+1). */
#define NIGHT 1773181800LL
#define DAY 1773133200LL

static char err[512];
static events *outbox;

/* The rules exist because the modules that call them declare them:
 * teleconsult's real declaration, the ticketing and signature modules' (as
 * the test module "ruled" has them) and the core's on_event. */
static int declare_rules(void **state) {
  (void)state;
  char why[200];
  outbox = events_new();
  if (!outbox || !lua_event_sink_register(outbox) ||
      rule_list_add(rule_registry(), "teleconsult", &tc_route_rule, why,
                    sizeof why) != CONCERTO_OK)
    return -1;
  for (int i = 0; i < RULED_RULES; i++)
    if (rule_list_add(rule_registry(), "ruled", &ruled_rules[i], why,
                      sizeof why) != CONCERTO_OK)
      return -1;
  return 0;
}

static int forget_rules(void **state) {
  (void)state;
  events_free(outbox);
  rule_registry_free();
  return 0;
}

typedef struct hospital {
  lua_test_modules modules;
  lua_box *box;
} hospital;

static void open_hospital(hospital *h, const char *code) {
  memset(h, 0, sizeof *h);
  snprintf(h->modules.dir, sizeof h->modules.dir, "%s/%s", HOSPITALS, code);
  h->box = lua_box_new(&LUA_TEST_LIMITS, lua_test_module_source, &h->modules,
                       err, sizeof err);
  assert_non_null(h->box);
  char path[600], chunk[64];
  snprintf(path, sizeof path, "%s/rules.lua", h->modules.dir);
  snprintf(chunk, sizeof chunk, "%s/rules.lua", code);
  size_t len = 0;
  char *src = lua_test_read(path, &len);
  assert_non_null(src);
  if (!lua_rules_load(h->box, chunk, src, len, err, sizeof err))
    fail_msg("%s", err);
  free(src);
}

static void close_hospital(hospital *h) {
  lua_box_free(h->box);
  free(h->modules.last);
}

/* Calls rule with one or two JSON texts; returns the decision. */
static json_t *decide(hospital *h, const char *rule, const char *a,
                      const char *b, bool *defaulted) {
  json_t *args[2] = {json_loads(a, JSON_DECODE_ANY, NULL),
                     b ? json_loads(b, JSON_DECODE_ANY, NULL) : NULL};
  assert_non_null(args[0]);
  json_t *d = NULL;
  lua_box_status st =
      lua_rules_call(h->box, rule, b ? 2 : 1, (const json_t *const *)args, &d,
                     defaulted, err, sizeof err);
  json_decref(args[0]);
  json_decref(args[1]);
  if (st != LUA_BOX_OK)
    fail_msg("%s: %d %s", rule, st, err);
  return d;
}

static const char *str(const json_t *d, const char *key) {
  return json_string_value(json_object_get(d, key));
}

static void agrigento_routes_teleconsults(void **state) {
  (void)state;
  hospital h;
  open_hospital(&h, "ASP-AG");
  bool defaulted;
  char req[256];
  /* An urgent stroke at 23:30: the on-call stroke team of the HUB. */
  snprintf(req, sizeof req,
           "{\"specialty\": \"neurologia\", \"urgency\": \"urgent\","
           " \"reason\": \"ictus\", \"requested_at\": %lld}",
           NIGHT);
  json_t *d = decide(&h, "route_teleconsult", req, NULL, &defaulted);
  assert_false(defaulted);
  assert_string_equal(str(d, "group"), "neuro-stroke@IRCCS-ME");
  assert_true(json_is_true(json_object_get(d, "on_call")));
  assert_string_equal(str(d, "priority"), "critical");
  assert_true(json_number_value(json_object_get(d, "sla_hours")) == 0.25);
  json_decref(d);
  /* The same at 10:00: the daytime group, still critical. */
  snprintf(req, sizeof req,
           "{\"specialty\": \"neurologia\", \"urgency\": \"urgent\","
           " \"reason\": \"ictus\", \"requested_at\": %lld}",
           DAY);
  d = decide(&h, "route_teleconsult", req, NULL, &defaulted);
  assert_string_equal(str(d, "group"), "neurologia-urgenze@IRCCS-ME");
  assert_true(json_is_false(json_object_get(d, "on_call")));
  assert_string_equal(str(d, "priority"), "critical");
  json_decref(d);
  /* The box clock is used when the request carries no time. */
  lua_box_set_now(h.box, NIGHT);
  d = decide(&h, "route_teleconsult",
             "{\"specialty\": \"cardiologia\", \"urgency\": \"urgent\"}", NULL,
             &defaulted);
  assert_string_equal(str(d, "group"), "cardiologia-utic@AOUP-PA");
  assert_string_equal(str(d, "priority"), "high");
  assert_int_equal(json_integer_value(json_object_get(d, "sla_hours")), 2);
  json_decref(d);
  d = decide(&h, "route_teleconsult",
             "{\"specialty\": \"dermatologia\", \"urgency\": \"routine\"}",
             NULL, &defaulted);
  assert_string_equal(str(d, "group"), "dermatologia@AOUP-PA");
  assert_string_equal(str(d, "priority"), "normal");
  assert_int_equal(json_integer_value(json_object_get(d, "sla_hours")), 72);
  json_decref(d);
  d = decide(&h, "route_teleconsult", "{\"specialty\": \"reumatologia\"}", NULL,
             &defaulted);
  assert_string_equal(str(d, "group"), "reumatologia@AOUP-PA");
  json_decref(d);
  close_hospital(&h);
}

static void agrigento_other_rules(void **state) {
  (void)state;
  hospital h;
  open_hospital(&h, "ASP-AG");
  bool defaulted;
  char t[200];
  snprintf(t, sizeof t,
           "{\"category\": \"rete\", \"blocking\": true, \"scope\": "
           "\"hospital\", \"opened_at\": %lld}",
           NIGHT);
  json_t *d = decide(&h, "route_ticket", t, NULL, &defaulted);
  assert_string_equal(str(d, "queue"), "on_call_it");
  assert_string_equal(str(d, "severity"), "critical");
  json_decref(d);
  d = decide(&h, "route_ticket", "{\"category\": \"rete\"}", NULL, &defaulted);
  assert_string_equal(str(d, "queue"), "network");
  assert_string_equal(str(d, "severity"), "normal");
  json_decref(d);
  d = decide(&h, "signature_policy", "{\"qualified\": false}",
             "{\"type\": \"referto\"}", &defaulted);
  assert_true(json_is_false(json_object_get(d, "allow")));
  json_decref(d);
  d = decide(&h, "on_event", "\"teleconsult.closed\"", "{\"id\": 42}",
             &defaulted);
  const json_t *a = json_array_get(json_object_get(d, "actions"), 0);
  assert_string_equal(str(a, "type"), "notify");
  assert_int_equal(json_integer_value(json_object_get(a, "teleconsult")), 42);
  json_decref(d);
  close_hospital(&h);
}

static void missing_rules_use_defaults(void **state) {
  (void)state;
  hospital h;
  open_hospital(&h, "AOUP-PA");
  bool defaulted;
  json_t *d = decide(&h, "route_teleconsult",
                     "{\"specialty\": \"cardiologia\", \"urgent\": true}", NULL,
                     &defaulted);
  assert_true(defaulted);
  assert_string_equal(str(d, "group"), "cardiologia");
  assert_string_equal(str(d, "priority"), "high");
  assert_int_equal(json_integer_value(json_object_get(d, "sla_hours")), 2);
  json_decref(d);
  d = decide(&h, "signature_policy", "{}", "{}", &defaulted);
  assert_true(defaulted);
  assert_true(json_is_true(json_object_get(d, "allow")));
  assert_string_equal(str(d, "reason"), "default policy");
  json_decref(d);
  d = decide(&h, "on_event", "\"x\"", "{}", &defaulted);
  assert_true(defaulted);
  assert_int_equal(json_array_size(json_object_get(d, "actions")), 0);
  json_decref(d);
  /* The rule it does define. */
  d = decide(&h, "route_ticket",
             "{\"module\": \"rispacs\", \"blocking\": true}", NULL, &defaulted);
  assert_false(defaulted);
  assert_string_equal(str(d, "queue"), "pacs");
  assert_string_equal(str(d, "severity"), "high");
  json_decref(d);
  close_hospital(&h);
}

static void defaults_as_documented(void **state) {
  (void)state;
  json_t *in = json_pack("{s:s}", "urgency", "emergency");
  json_t *d = lua_rules_default("route_teleconsult", in);
  assert_string_equal(str(d, "group"), "general");
  assert_string_equal(str(d, "priority"), "high");
  assert_int_equal(json_integer_value(json_object_get(d, "sla_hours")), 2);
  json_decref(d);
  json_decref(in);
  d = lua_rules_default("route_teleconsult", NULL);
  assert_string_equal(str(d, "priority"), "normal");
  assert_int_equal(json_integer_value(json_object_get(d, "sla_hours")), 72);
  json_decref(d);
  d = lua_rules_default("route_ticket", NULL);
  assert_string_equal(str(d, "queue"), "first_level");
  assert_string_equal(str(d, "severity"), "normal");
  json_decref(d);
  assert_null(lua_rules_default("no_such_rule", NULL));
}

static void messina_rules(void **state) {
  (void)state;
  hospital h;
  open_hospital(&h, "IRCCS-ME");
  bool defaulted;
  char req[200];
  snprintf(req, sizeof req,
           "{\"specialty\": \"neurologia\", \"urgency\": \"emergency\","
           " \"requested_at\": %lld}",
           NIGHT);
  json_t *d = decide(&h, "route_teleconsult", req, NULL, &defaulted);
  assert_string_equal(str(d, "group"), "neuro-stroke@IRCCS-ME");
  json_decref(d);
  d = decide(
      &h, "on_event", "\"teleconsult.created\"",
      "{\"priority\": \"critical\", \"group\": \"neuro-stroke@IRCCS-ME\"}",
      &defaulted);
  assert_string_equal(
      str(json_array_get(json_object_get(d, "actions"), 0), "type"), "page");
  json_decref(d);
  close_hospital(&h);
}

static void bad_rules_are_refused(void **state) {
  (void)state;
  lua_box *b = lua_box_new(&LUA_TEST_LIMITS, NULL, NULL, err, sizeof err);
  const char *not_table = "return 42";
  assert_false(lua_rules_load(b, "X/rules.lua", not_table, strlen(not_table),
                              err, sizeof err));
  assert_non_null(strstr(err, "must return a table of functions"));
  const char *not_fn = "return { route_ticket = 'first_level' }";
  assert_false(lua_rules_load(b, "X/rules.lua", not_fn, strlen(not_fn), err,
                              sizeof err));
  assert_non_null(strstr(err, "'route_ticket' must be a function"));
  const char *bad =
      "return { route_teleconsult = function(r) return { group = '' } end,\n"
      "  route_ticket = function(t) return { queue = 'q', severity = 'x' } end,"
      "\n  signature_policy = function(c, d)\n error('no cert') end }";
  assert_true(
      lua_rules_load(b, "X/rules.lua", bad, strlen(bad), err, sizeof err));
  json_t *in = json_object();
  const json_t *args[] = {in, in};
  json_t *d;
  bool defaulted;
  assert_int_equal(lua_rules_call(b, "route_teleconsult", 1, args, &d,
                                  &defaulted, err, sizeof err),
                   LUA_BOX_ERROR);
  assert_non_null(strstr(err, "X/rules.lua: route_teleconsult must return a "
                              "non-empty 'group'"));
  assert_int_equal(lua_rules_call(b, "route_ticket", 1, args, &d, &defaulted,
                                  err, sizeof err),
                   LUA_BOX_ERROR);
  assert_non_null(strstr(err, "severity"));
  assert_int_equal(lua_rules_call(b, "signature_policy", 2, args, &d,
                                  &defaulted, err, sizeof err),
                   LUA_BOX_ERROR);
  assert_non_null(strstr(err, "X/rules.lua:4: no cert"));
  assert_null(d);
  /* Rules as globals work too. */
  const char *globals = "function route_ticket(t)\n"
                        "  return { queue = 'q', severity = 'low' } end";
  assert_true(lua_rules_load(b, "Y/rules.lua", globals, strlen(globals), err,
                             sizeof err));
  assert_int_equal(lua_rules_call(b, "route_ticket", 1, args, &d, &defaulted,
                                  err, sizeof err),
                   LUA_BOX_OK);
  assert_false(defaulted);
  assert_string_equal(str(d, "queue"), "q");
  json_decref(d);
  json_decref(in);
  lua_box_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(agrigento_routes_teleconsults),
      cmocka_unit_test(agrigento_other_rules),
      cmocka_unit_test(missing_rules_use_defaults),
      cmocka_unit_test(defaults_as_documented),
      cmocka_unit_test(messina_rules),
      cmocka_unit_test(bad_rules_are_refused),
  };
  return cmocka_run_group_tests(tests, declare_rules, forget_rules);
}
