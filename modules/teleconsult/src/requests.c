/* Teleconsult requests (R3.1): a SPOKE doctor asks, the requesting
 * hospital's Lua rule route_teleconsult picks the HUB group, the row
 * belongs to that HUB and stays visible to the SPOKE (see the RLS policy). */
#include "sql.h"
#include "tc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const urgencies[] = {"routine", "urgent", "emergency"};
static const char *const priorities[] = {"normal", "high", "critical"};
static const double sla_defaults[] = {72, 2, 0.25};

static int urgency_index(const char *u) {
  for (int i = 0; i < 3; i++)
    if (u && strcmp(u, urgencies[i]) == 0)
      return i;
  return -1;
}

/* "slug@CODE" -> that consultable group; a bare name -> a consultable HUB
 * group with that slug, else with that specialty. *group_id NULL if none. */
static concerto_status resolve_group(concerto_request *req, const char *target,
                                     const char **group_id) {
  char slug[64] = "", code[40] = "";
  const char *at = strchr(target, '@');
  if (at) {
    snprintf(slug, sizeof slug, "%.*s", (int)(at - target), target);
    snprintf(code, sizeof code, "%s", at + 1);
  } else {
    snprintf(slug, sizeof slug, "%s", target);
  }
  const char *p[2] = {slug, code};
  return tc_value(req,
                  "SELECT g.id::text FROM groups g JOIN concerto.tenants t ON "
                  "t.id = g.tenant_id WHERE g.consultable AND g.active AND "
                  "t.active AND (($2 <> '' AND t.code = $2 AND g.slug = $1) OR "
                  "($2 = '' AND t.hub AND (g.slug = $1 OR g.specialty = $1))) "
                  "ORDER BY (g.slug = $1) DESC, g.id LIMIT 1",
                  2, p, group_id);
}

/* The bell for every organizer of the group; urgent ones also by e-mail. */
static concerto_status tell_organizers(concerto_request *req,
                                       const char *request_id,
                                       const char *group_id, int urgency) {
  const char *p[1] = {group_id};
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req,
      "SELECT u.id::text, u.email, g.name FROM group_members m JOIN "
      "concerto.users u ON u.id = m.user_id JOIN groups g ON g.id = "
      "m.group_id WHERE m.group_id = $1::bigint AND m.organizer AND NOT "
      "u.disabled",
      1, p, &res);
  if (st != CONCERTO_OK)
    return st;
  const char *title = urgency == 2   ? "Teleconsulto in emergenza"
                      : urgency == 1 ? "Teleconsulto urgente"
                                     : "Nuovo teleconsulto";
  json_t *to = json_array();
  for (int i = 0; i < concerto_rows(res); i++) {
    const char *body = TC_H->req_printf(req, "Richiesta n. %s per il gruppo %s",
                                        request_id, concerto_value(res, i, 2));
    TC_H->notify_user(req, concerto_value(res, i, 0), title, body);
    const char *email = concerto_value(res, i, 1);
    if (email && *email)
      json_array_append_new(to, json_string(email));
  }
  if (urgency > 0 && json_array_size(to) > 0) {
    /* No patient data in the mail: the link leads to the audited page. */
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (f) {
      fprintf(f,
              "Buongiorno,\n\nè arrivata una richiesta di teleconsulto %s "
              "(n. %s) per il gruppo %s.\nPer prenderla in carico: "
              "%s/modules/teleconsult/index.html#/requests/%s\n\n"
              "Messaggio automatico di Concerto.\n",
              urgency == 2 ? "IN EMERGENZA" : "URGENTE", request_id,
              concerto_value(res, 0, 2), tc_public_url(req), request_id);
      fclose(f);
      json_t *msg = json_pack("{s:o, s:s, s:s}", "to", to, "subject", title,
                              "text", text);
      to = NULL;
      st = TC_H->send_mail(req, msg);
      json_decref(msg);
      free(text);
      if (st != CONCERTO_OK)
        TC_H->log(tc_self, CONCERTO_LOG_WARN,
                  "request %s: urgent e-mail not queued (status %d)",
                  request_id, (int)st);
    }
  }
  json_decref(to);
  return CONCERTO_OK;
}

concerto_status tc_requests_create(concerto_request *req, void *ud) {
  (void)ud;
  if (!TC_H->req_has_role(req, "requesting_doctor") &&
      !TC_H->req_has_role(req, "specialist") &&
      !TC_H->req_has_role(req, "organizer"))
    return tc_forbidden(req, "Only doctors open teleconsult requests.");
  json_t *body;
  concerto_status st = tc_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  const char *specialty = tc_str(body, "specialty");
  const char *urgency = tc_str(body, "urgency");
  const char *reason = tc_str(body, "reason");
  const char *question = tc_str(body, "question");
  const char *patient_id = tc_str(body, "patient_id");
  const char *origin = tc_str(body, "origin");
  if (!specialty || !*specialty || strlen(specialty) > 100)
    return tc_invalid(req, "specialty", "required", "specialty: required");
  int u = urgency ? urgency_index(urgency) : 0;
  if (u < 0)
    return tc_invalid(req, "urgency", "invalid",
                      "urgency: routine, urgent or emergency");
  if (reason && strlen(reason) > 200)
    return tc_invalid(req, "reason", "too_long", "reason: at most 200");
  if (question && strlen(question) > 4000)
    return tc_invalid(req, "question", "too_long", "question: at most 4000");
  json_t *immediate_j = json_object_get(body, "immediate");
  if (immediate_j && !json_is_boolean(immediate_j))
    return tc_invalid(req, "immediate", "invalid", "immediate: true or false");
  bool immediate = json_is_true(immediate_j);
  if (immediate && u == 0)
    return tc_invalid(req, "urgency", "routine_not_immediate",
                      "urgency: only an urgent or emergency request starts "
                      "a teleconsult at once");
  if (json_is_integer(json_object_get(body, "patient_id")))
    patient_id = TC_H->req_printf(
        req, "%lld",
        (long long)json_integer_value(json_object_get(body, "patient_id")));
  if (patient_id) {
    const char *p[1] = {patient_id}, *found = NULL;
    if (tc_is_id(patient_id) &&
        (st = tc_value(req,
                       "SELECT id::text FROM concerto.patients WHERE id = "
                       "$1::bigint AND concerto.patient_related(id)",
                       1, p, &found)) != CONCERTO_OK)
      return st;
    /* Only a patient the hospital knows: one it registered, found with a
     * search naming them, or already has in its records - never a bare id
     * (docs/security.md, "Regional data"). */
    if (!found)
      return tc_invalid(req, "patient_id", "unknown_patient",
                        "patient_id: no such patient for this hospital; "
                        "search for the patient first");
  }

  /* The SPOKE's own rule, in the SPOKE's context. */
  json_t *input = json_pack("{s:s, s:s, s:s?, s:I, s:s?, s:b}", "specialty",
                            specialty, "urgency", urgencies[u], "reason",
                            reason, "requested_at", (json_int_t)time(NULL),
                            "origin", origin, "immediate", immediate);
  json_t *decision = NULL;
  int defaulted = 0;
  st = TC_H->rule(req, "route_teleconsult", input, &decision, &defaulted);
  json_decref(input);
  if (st != CONCERTO_OK) {
    /* A failing or missing rule must not lose the request: route to the
     * specialty's consultable group and say so (defaulted). */
    TC_H->log(tc_self, CONCERTO_LOG_WARN,
              "route_teleconsult failed (status %d): routing by specialty",
              (int)st);
    decision = json_object();
    defaulted = 1;
  }
  const char *target = tc_str(decision, "group");
  const char *group_id = NULL;
  st = resolve_group(req, target && *target ? target : specialty, &group_id);
  if (st != CONCERTO_OK) {
    json_decref(decision);
    return st;
  }
  if (!group_id) {
    json_decref(decision);
    return tc_invalid(req, "specialty", "no_group",
                      "specialty: no consultable group for this request");
  }
  /* Copied: the decision is released before the insert. */
  const char *priority = tc_str(decision, "priority");
  priority = priority ? TC_H->req_strdup(req, priority) : NULL;
  json_t *sla = json_object_get(decision, "sla_hours");
  char sla_text[32];
  snprintf(sla_text, sizeof sla_text, "%g",
           json_is_number(sla) && json_number_value(sla) > 0
               ? json_number_value(sla)
               : sla_defaults[u]);
  char *decision_text = json_dumps(decision, JSON_COMPACT);
  json_decref(decision);
  const char *p[11] = {group_id,
                       specialty,
                       urgencies[u],
                       reason,
                       question,
                       patient_id,
                       priority && *priority ? priority : priorities[u],
                       sla_text,
                       decision_text ? decision_text : "{}",
                       defaulted ? "true" : "false",
                       TC_H->req_user_id(req)};
  json_t *out;
  st = tc_json_row(
      req,
      "WITH r AS (INSERT INTO requests (tenant_id, requester_tenant_id, "
      "requester_user_id, group_id, specialty, urgency, reason, question, "
      "patient_id, priority, sla_hours, due_at, rule_decision, "
      "rule_defaulted) SELECT g.tenant_id, concerto.current_tenant(), "
      "$11::bigint, g.id, $2, $3, $4, $5, $6::bigint, $7, $8::float8, now() + "
      "$8::float8 * interval '1 hour', $9::jsonb, $10::boolean FROM groups g "
      "WHERE g.id = $1::bigint RETURNING *) SELECT " TC_REQUEST_JSON
      "::text FROM r",
      11, p, &out);
  free(decision_text);
  if (st != CONCERTO_OK)
    return st;
  if (!out)
    return CONCERTO_ERR_INTERNAL;
  const char *id = TC_H->req_strdup(req, tc_str(out, "id"));
  if ((st = tc_audit_request(req, id, "teleconsult.request.create",
                             patient_id)) != CONCERTO_OK) {
    json_decref(out);
    return st;
  }
  json_t *group = json_object_get(out, "group");
  st = TC_H->publish(
      req, "teleconsult.requested", 1,
      json_pack(
          "{s:s, s:s, s:s, s:s}", "request_id", id, "group",
          TC_H->req_printf(req, "%s@%s", tc_str(group, "slug"),
                           tc_str(json_object_get(group, "hospital"), "code")),
          "urgency", urgencies[u], "specialty", specialty));
  if (st == CONCERTO_OK)
    st = tell_organizers(req, id, group_id, u);
  if (st == CONCERTO_OK && immediate) {
    /* All or nothing: a problem answered here rolls the request back too,
     * so the doctor can retry without a stray open request. */
    const char *session_id;
    int invited;
    st = tc_start_immediate(req, id, &session_id, &invited);
    if (st == CONCERTO_OK && !session_id) {
      json_decref(out);
      return st;
    }
    if (st == CONCERTO_OK) {
      json_object_set_new(out, "status", json_string("scheduled"));
      json_object_set_new(out, "session_id", json_string(session_id));
      json_object_set_new(out, "invitations", json_integer(invited));
    }
  }
  if (st != CONCERTO_OK) {
    json_decref(out);
    return st;
  }
  return concerto_reply_json(req, 201, out);
}

/* Audits each patient shown in a list of requests. */
static void audit_patients(concerto_request *req, json_t *list,
                           const char *action) {
  size_t i;
  json_t *r;
  json_array_foreach(list, i, r) {
    const char *pid = tc_str(r, "patient_id");
    if (pid)
      tc_audit_request(req, tc_str(r, "id"), action, pid);
  }
}

concerto_status tc_requests_list(concerto_request *req, void *ud) {
  (void)ud;
  const char *status = concerto_query(req, "status");
  const char *p[1] = {status && *status ? status : NULL};
  json_t *list;
  /* RLS: requested by my hospital or addressed to it. */
  concerto_status st = tc_json_rows(
      req,
      "SELECT " TC_REQUEST_JSON "::text FROM requests r WHERE ($1::text IS "
      "NULL OR r.status = $1) ORDER BY r.created_at DESC LIMIT 500",
      1, p, &list);
  if (st != CONCERTO_OK)
    return st;
  audit_patients(req, list, "teleconsult.request.list");
  return concerto_reply_json(req, 200, json_pack("{s:o}", "requests", list));
}

concerto_status tc_request_get(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = concerto_param(req, "id");
  if (!tc_is_id(id))
    return tc_not_found(req);
  const char *p[1] = {id};
  json_t *r;
  concerto_status st =
      tc_json_row(req,
                  "SELECT " TC_REQUEST_JSON
                  "::text FROM requests r WHERE r.id = $1::bigint",
                  1, p, &r);
  if (st != CONCERTO_OK)
    return st;
  if (!r)
    return tc_not_found(req);
  tc_audit_request(req, id, "teleconsult.request.read",
                   tc_str(r, "patient_id"));
  return concerto_reply_json(req, 200, r);
}

concerto_status tc_request_cancel(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = concerto_param(req, "id");
  if (!tc_is_id(id))
    return tc_not_found(req);
  const char *p[2] = {id,
                      TC_H->req_has_role(req, "organizer") ? "true" : "false"};
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req,
      "SELECT status, requester_user_id = current_user_id() OR (tenant_id = "
      "concerto.current_tenant() AND ($2::boolean OR EXISTS (SELECT 1 FROM "
      "group_members m WHERE m.group_id = requests.group_id AND m.user_id = "
      "current_user_id() AND m.organizer))), patient_id::text FROM requests "
      "WHERE id = $1::bigint",
      2, p, &res);
  if (st != CONCERTO_OK)
    return st;
  if (concerto_rows(res) != 1)
    return tc_not_found(req);
  if (concerto_value(res, 0, 1)[0] != 't')
    return tc_forbidden(req, "Only the requester or the HUB's organizers "
                             "cancel a request.");
  if (strcmp(concerto_value(res, 0, 0), "open") != 0)
    return tc_conflict(req, "Only an open request can be cancelled.");
  const char *pid = concerto_value(res, 0, 2);
  json_t *r;
  st = tc_json_row(req,
                   "WITH r AS (UPDATE requests SET status = 'cancelled' WHERE "
                   "id = $1::bigint RETURNING *) SELECT " TC_REQUEST_JSON
                   "::text FROM r",
                   1, p, &r);
  if (st != CONCERTO_OK)
    return st;
  tc_audit_request(req, id, "teleconsult.request.cancel", pid);
  return concerto_reply_json(req, 200, r);
}
