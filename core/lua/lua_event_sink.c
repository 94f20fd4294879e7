/* The hospital's Lua on_event rule as a kind of event subscriber: one
 * delivery "lua:on_event" per event of a hospital whose active rules
 * mention on_event; the actions it returns are carried out in the claimed
 * transaction. */
#include "lua_event_sink.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "lua_rules.h"
#include "rule_registry.h"
#include "notify.h"
#include "request.h"
#include "scripts.h"

/* Runs the hospital's Lua on_event(name, payload) rule and carries out the
 * actions it returns: {"type": "notify", "title", "body", "level"} to the
 * hospital's users, {"type": "log", "message"}. */
static bool deliver_on_event(app *a, db_conn *c, const event_delivery *d,
                             char *err, size_t errlen) {
  if (!events_scope(a, c, d->tenant_id, false)) {
    snprintf(err, errlen, "cannot prepare the delivery transaction");
    return false;
  }
  concerto_request *ctx = request_new(a, NULL, "EVENT", d->name);
  json_t *payload = json_loads(d->payload, 0, NULL);
  json_t *name = json_string(d->name);
  bool ok = ctx && payload && name;
  if (ok) {
    ctx->db = c;
    ctx->in_tx = true;
    ctx->db_lent = true;
    ctx->caller.tenant_id = d->tenant_id;
    ctx->caller.username = "lua:on_event";
  }
  lua_box *b = ok ? scripts_box(ctx, NULL, NULL, err, errlen) : NULL;
  json_t *decision = NULL;
  bool defaulted = false;
  const json_t *args[2] = {name, payload};
  lua_box_status st = b ? lua_rules_call(b, "on_event", 2, args, &decision,
                                         &defaulted, err, errlen)
                        : LUA_BOX_ERROR;
  ok = st == LUA_BOX_OK;
  size_t i;
  json_t *action;
  json_array_foreach(ok ? json_object_get(decision, "actions") : NULL, i,
                     action) {
    const char *type = json_string_value(json_object_get(action, "type"));
    if (type && strcmp(type, "notify") == 0)
      ok &= notify_send(ctx, NULL, d->tenant_id,
                        json_string_value(json_object_get(action, "title")),
                        json_string_value(json_object_get(action, "body")),
                        json_string_value(json_object_get(action, "level")));
    else if (type && strcmp(type, "log") == 0)
      log_msg(CONCERTO_LOG_INFO, "lua", NULL, "on_event %s: %.300s", d->name,
              json_string_value(json_object_get(action, "message")));
    else
      log_msg(CONCERTO_LOG_WARN, "lua", NULL,
              "on_event %s: unknown action ignored", d->name);
  }
  if (!ok && !err[0])
    snprintf(err, errlen, "on_event failed");
  ok = ok && events_scope(a, c, NULL, true);
  if (ctx) {
    ctx->db = NULL;
    request_free(ctx);
  }
  json_decref(decision);
  json_decref(payload);
  json_decref(name);
  return ok;
}

static const event_sink on_event_sink = {
    .prefix = "lua:",
    .fanout_sql =
        "SELECT 'lua:on_event', e.id, e.tenant_id FROM e WHERE EXISTS "
        "(SELECT 1 FROM concerto.script_active a JOIN concerto.scripts s "
        "USING (tenant_id, kind, script_id, version) WHERE a.tenant_id = "
        "e.tenant_id AND a.kind = 'rules' AND s.source LIKE '%on_event%')",
    .deliver = deliver_on_event,
};

/* on_event(name, payload) -> {actions = {{type = "notify" | "log", ...}}} */
static concerto_status check_actions(const json_t *decision, char *err,
                                     size_t errlen) {
  const json_t *actions = json_object_get(decision, "actions");
  if (!json_is_array(actions)) {
    snprintf(err, errlen, "must return 'actions' as a list");
    return CONCERTO_ERR_VALIDATION;
  }
  for (size_t i = 0; i < json_array_size(actions); i++)
    if (!json_is_string(json_object_get(json_array_get(actions, i), "type"))) {
      snprintf(err, errlen,
               "must return actions as tables with a 'type' string");
      return CONCERTO_ERR_VALIDATION;
    }
  return CONCERTO_OK;
}

static const concerto_rule_spec on_event_rule = {
    sizeof(concerto_rule_spec),
    "on_event",
    "{\"actions\":[]}",
    "[\"teleconsult.closed\",{\"session_id\":\"1\",\"patients\":1}]",
    check_actions,
    "Called with (name, payload) for every event of the hospital; returns "
    "actions: notify the hospital's staff, or log",
    NULL};

bool lua_event_sink_register(events *e) {
  char err[200];
  return rule_list_add(rule_registry(), NULL, &on_event_rule, err,
                       sizeof err) == CONCERTO_OK &&
         events_add_sink(e, &on_event_sink);
}
