/* Scheduling (R3.4, R3.5): participants, proposed slots, availability
 * answers and the confirmation that sends the invitations. */
#include "sql.h"
#include "tc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ORGANIZERS_ONLY "Only the session's organizers do this."

static bool email_ok(const char *e) {
  const char *at = e ? strchr(e, '@') : NULL;
  return at && at != e && strchr(at + 1, '.') && strlen(e) <= 254 &&
         !strpbrk(e, " \t\r\n<>,;\"");
}

concerto_status tc_participant_add(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_ORGANIZERS, ORGANIZERS_ONLY, &st))
    return st;
  json_t *body;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *kind = tc_str(body, "kind");
  const char *user_id = tc_id_member(req, body, "user_id");
  const char *patient_id = tc_id_member(req, body, "patient_id");
  const char *name = tc_str(body, "name"), *email = tc_str(body, "email");
  const char *phone = tc_str(body, "phone");
  if (!kind || (strcmp(kind, "staff") != 0 && strcmp(kind, "external") != 0 &&
                strcmp(kind, "patient") != 0))
    return tc_invalid(req, "kind", "invalid",
                      "kind: staff, external or patient");
  if (strcmp(kind, "staff") == 0) {
    if (!tc_is_id(user_id))
      return tc_invalid(req, "user_id", "required", "user_id: required");
    name = email = NULL;
    patient_id = NULL;
  } else if (strcmp(kind, "external") == 0) {
    if (!name || !*name || strlen(name) > 200)
      return tc_invalid(req, "name", "required", "name: 1-200 characters");
    if (!email_ok(email))
      return tc_invalid(req, "email", "invalid", "email: an e-mail address");
    user_id = patient_id = NULL;
  } else {
    if (!tc_is_id(patient_id))
      return tc_invalid(req, "patient_id", "required", "patient_id: required");
    user_id = NULL;
    name = email = NULL;
  }
  if (phone && *phone) {
    size_t n = strlen(phone), digits = 0;
    for (size_t i = 0; i < n; i++)
      digits += phone[i] >= '0' && phone[i] <= '9';
    if (n > 20 || digits < 6 || strspn(phone, "+0123456789 ") != n ||
        strchr(phone + 1, '+'))
      return tc_invalid(req, "phone", "invalid", "phone: +39 333 1234567");
  } else {
    phone = NULL;
  }
  const char *p[7] = {a.session_id, kind,  user_id, patient_id,
                      name,         email, phone};
  const char *exists;
  /* The referenced person must exist (a clean 422, not a foreign key 409). */
  st = tc_value(req,
                "SELECT CASE WHEN $1::text = 'staff' THEN (SELECT 't' FROM "
                "concerto.users WHERE id = $2::bigint AND NOT disabled) WHEN "
                "$1 = 'patient' THEN (SELECT 't' FROM concerto.patients WHERE "
                "id = $3::bigint AND concerto.patient_related(id)) ELSE 't' "
                "END",
                3, p + 1, &exists);
  if (st != CONCERTO_OK)
    return st;
  if (!exists)
    return tc_invalid(req, user_id ? "user_id" : "patient_id", "unknown",
                      "no such person");
  json_t *out;
  st = tc_json_row(
      req,
      "WITH p AS (INSERT INTO participants (session_id, kind, user_id, "
      "patient_id, name, email, phone, hospital_id) VALUES ($1::bigint, $2, "
      "$3::bigint, $4::bigint, $5, $6, $7, (SELECT r.tenant_id FROM "
      "concerto.user_roles r WHERE r.user_id = $3::bigint LIMIT 1)) ON "
      "CONFLICT DO NOTHING RETURNING *) SELECT " TC_PARTICIPANT_JSON
      "::text FROM p",
      7, p, &out);
  if (st != CONCERTO_OK)
    return st;
  if (!out)
    return tc_conflict(req, "Already a participant.");
  tc_audit(req, &a, "teleconsult.participant.add",
           TC_H->req_printf(req, "session:%s", a.session_id), patient_id, NULL);
  if (user_id)
    TC_H->notify_user(req, user_id, "Invito a un teleconsulto",
                      "Sei stato aggiunto ai partecipanti di un teleconsulto.");
  /* Added after the confirmation: invited at once, like the others were. */
  int sent = 0;
  st = tc_invite(req, a.session_id, tc_str(out, "id"), &sent);
  if (st != CONCERTO_OK) {
    json_decref(out);
    return st;
  }
  json_object_set_new(out, "invited", json_boolean(sent > 0));
  return concerto_reply_json(req, 201, out);
}

concerto_status tc_participant_delete(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_ORGANIZERS, ORGANIZERS_ONLY, &st))
    return st;
  const char *pid = concerto_param(req, "pid");
  if (!tc_is_id(pid))
    return tc_not_found(req);
  const char *p[2] = {a.session_id, pid}, *gone;
  st = tc_value(req,
                "DELETE FROM participants WHERE session_id = $1::bigint AND id "
                "= $2::bigint RETURNING coalesce(patient_id::text, '')",
                2, p, &gone);
  if (st != CONCERTO_OK)
    return st;
  if (!gone)
    return tc_not_found(req);
  tc_audit(req, &a, "teleconsult.participant.delete",
           TC_H->req_printf(req, "session:%s", a.session_id),
           *gone ? gone : NULL, NULL);
  return TC_H->respond_bytes(req, 204, "text/plain", "", 0);
}

/* The organizer sends a participant's invitation again (the mail failed,
 * or it went to spam): a fresh personal link replaces the old one, by mail
 * and SMS as at the confirmation. Only once the session is scheduled:
 * before, there is no time to invite to. */
concerto_status tc_participant_reinvite(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_ORGANIZERS, ORGANIZERS_ONLY, &st))
    return st;
  const char *pid = concerto_param(req, "pid");
  if (!tc_is_id(pid))
    return tc_not_found(req);
  const char *p[2] = {a.session_id, pid};
  concerto_result *res;
  st = concerto_query_db(
      req,
      "SELECT coalesce(p.email, u.email, pt.email, p.phone, pt.phone) IS NOT "
      "NULL, s.status IN ('scheduled', 'in_progress') AND s.starts_at IS NOT "
      "NULL FROM participants p JOIN sessions s ON s.id = p.session_id LEFT "
      "JOIN concerto.users u ON u.id = p.user_id LEFT JOIN concerto.patients "
      "pt ON pt.id = p.patient_id WHERE p.session_id = $1::bigint AND p.id = "
      "$2::bigint",
      2, p, &res);
  if (st != CONCERTO_OK)
    return st;
  if (concerto_rows(res) != 1)
    return tc_not_found(req);
  if (strcmp(concerto_value(res, 0, 1), "t") != 0)
    return tc_conflict(req, "The session is not scheduled yet: invitations "
                            "leave when a time is confirmed.");
  if (strcmp(concerto_value(res, 0, 0), "t") != 0)
    return tc_invalid(req, "pid", "unreachable",
                      "this participant has neither an e-mail address nor a "
                      "phone number");
  int sent = 0;
  if ((st = tc_invite(req, a.session_id, pid, &sent)) != CONCERTO_OK)
    return st;
  tc_audit(req, &a, "teleconsult.participant.reinvite",
           TC_H->req_printf(req, "session:%s", a.session_id), NULL, NULL);
  return concerto_reply_json(
      req, 202,
      json_pack("{s:s, s:b}", "participant_id", pid, "mailed", sent > 0));
}

concerto_status tc_slot_add(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_ORGANIZERS, ORGANIZERS_ONLY, &st))
    return st;
  json_t *body;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *p[3] = {a.session_id, tc_str(body, "starts_at"),
                      tc_str(body, "ends_at")};
  concerto_result *res;
  st = concerto_query_db(
      req,
      "SELECT try_timestamptz($1) IS NOT NULL, try_timestamptz($2) > "
      "try_timestamptz($1), try_timestamptz($2) - try_timestamptz($1) <= "
      "interval '12 hours'",
      2, p + 1, &res);
  if (st != CONCERTO_OK)
    return st;
  const char *v0 = concerto_value(res, 0, 0), *v1 = concerto_value(res, 0, 1),
             *v2 = concerto_value(res, 0, 2);
  if (!v0 || v0[0] != 't')
    return tc_invalid(req, "starts_at", "invalid", "starts_at: ISO 8601 time");
  if (!v1 || v1[0] != 't' || !v2 || v2[0] != 't')
    return tc_invalid(req, "ends_at", "invalid",
                      "ends_at: after starts_at, at most 12 hours later");
  json_t *out;
  st = tc_json_row(
      req,
      "WITH sl AS (INSERT INTO slots (session_id, starts_at, ends_at) VALUES "
      "($1::bigint, try_timestamptz($2), try_timestamptz($3)) RETURNING *), "
      "up AS (UPDATE sessions SET status = 'scheduling' WHERE id = $1::bigint "
      "AND status = 'draft') SELECT json_build_object('id', sl.id::text, "
      "'starts_at', sl.starts_at, 'ends_at', sl.ends_at, 'chosen', sl.chosen, "
      "'answers', '[]'::json)::text FROM sl",
      3, p, &out);
  if (st != CONCERTO_OK)
    return st;
  /* Staff participants are asked for their availability. */
  concerto_result *who;
  if (concerto_query_db(req,
                        "SELECT user_id::text FROM participants WHERE "
                        "session_id = $1::bigint AND user_id IS NOT NULL AND "
                        "user_id <> current_user_id()",
                        1, p, &who) == CONCERTO_OK)
    for (int i = 0; i < concerto_rows(who); i++)
      TC_H->notify_user(req, concerto_value(who, i, 0),
                        "Teleconsulto: indica la tua disponibilità",
                        "È stata proposta una nuova data per un teleconsulto.");
  json_t *data = json_pack("{s:s, s:O}", "status", "scheduling", "slot", out);
  tc_publish_live(req, a.session_id, "status", data);
  json_decref(data);
  return concerto_reply_json(req, 201, out);
}

concerto_status tc_availability_put(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_access(req, &a, &st))
    return st;
  if (!a.participant_id)
    return tc_forbidden(req, "Only participants answer.");
  if (tc_session_final(&a))
    return tc_conflict(req, "The session is closed.");
  json_t *body;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *answer = tc_str(body, "answer");
  if (!answer || (strcmp(answer, "yes") != 0 && strcmp(answer, "no") != 0 &&
                  strcmp(answer, "maybe") != 0))
    return tc_invalid(req, "answer", "invalid", "answer: yes, no or maybe");
  const char *slot = concerto_param(req, "slot");
  if (!tc_is_id(slot))
    return tc_not_found(req);
  const char *p[4] = {a.session_id, slot, a.participant_id, answer};
  json_t *out;
  st = tc_json_row(
      req,
      "INSERT INTO availability (slot_id, participant_id, answer) SELECT "
      "sl.id, $3::bigint, $4 FROM slots sl WHERE sl.id = $2::bigint AND "
      "sl.session_id = $1::bigint ON CONFLICT (slot_id, participant_id) DO "
      "UPDATE SET answer = EXCLUDED.answer, answered_at = now() RETURNING "
      "json_build_object('slot_id', slot_id::text, 'participant_id', "
      "participant_id::text, 'answer', answer, 'answered_at', "
      "answered_at)::text",
      4, p, &out);
  if (st != CONCERTO_OK)
    return st;
  if (!out)
    return tc_not_found(req);
  tc_publish_live(req, a.session_id, "availability", out);
  return concerto_reply_json(req, 200, out);
}

/* ---- confirmation ---- */

concerto_status tc_confirm(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_ORGANIZERS, ORGANIZERS_ONLY, &st))
    return st;
  json_t *body;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *slot = tc_id_member(req, body, "slot_id");
  if (!tc_is_id(slot))
    return tc_invalid(req, "slot_id", "required", "slot_id: required");
  char fresh[28];
  if (!tc_room_name(fresh))
    return CONCERTO_ERR_INTERNAL;
  const char *p[3] = {a.session_id, slot, fresh};
  const char *starts_iso;
  /* One statement: choose the slot, set the time and keep an existing room
   * (people already in it stay in the same room). */
  st = tc_value(
      req,
      "WITH sl AS (SELECT id, starts_at, ends_at FROM slots WHERE id = "
      "$2::bigint AND session_id = $1::bigint), mark AS (UPDATE slots SET "
      "chosen = (id = $2::bigint) WHERE session_id = $1::bigint AND EXISTS "
      "(SELECT 1 FROM sl)), s AS (UPDATE sessions SET starts_at = "
      "sl.starts_at, ends_at = sl.ends_at, room = coalesce(room, $3), status "
      "= 'scheduled', confirmed_at = now() FROM sl WHERE sessions.id = "
      "$1::bigint RETURNING sessions.starts_at) SELECT to_json(starts_at)#>>"
      "'{}' FROM s",
      3, p, &starts_iso);
  if (st != CONCERTO_OK)
    return st;
  if (!starts_iso)
    return tc_invalid(req, "slot_id", "unknown_slot",
                      "slot_id: not a slot of this session");
  int sent = 0;
  if ((st = tc_invite(req, a.session_id, NULL, &sent)) != CONCERTO_OK)
    return st;
  st = TC_H->publish(req, "teleconsult.scheduled", 1,
                     json_pack("{s:s, s:s}", "session_id", a.session_id,
                               "starts_at", starts_iso));
  if (st != CONCERTO_OK)
    return st;
  tc_audit(req, &a, "teleconsult.session.confirm",
           TC_H->req_printf(req, "session:%s", a.session_id), NULL, NULL);
  json_t *data =
      json_pack("{s:s, s:s}", "status", "scheduled", "starts_at", starts_iso);
  tc_publish_live(req, a.session_id, "status", data);
  json_decref(data);
  return concerto_reply_json(req, 200,
                             json_pack("{s:s, s:i, s:s}", "status", "scheduled",
                                       "invitations", sent, "starts_at",
                                       starts_iso));
}
