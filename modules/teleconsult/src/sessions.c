/* Sessions (R3.3-R3.5): creation (also from a request), the full view,
 * the caller's video link, start and close (minutes, events). */
#include "sql.h"
#include "tc.h"

#include <stdlib.h>
#include <string.h>

/* The whole session as the page shows it; *out new reference. */
static concerto_status session_json(concerto_request *req, const char *id,
                                    json_t **out) {
  const char *p[1] = {id};
  return tc_json_row(
      req,
      "SELECT json_build_object('id', s.id::text, 'theme', s.theme, 'kind', "
      "s.kind, 'status', s.status, 'group', (SELECT json_build_object('id', "
      "g.id::text, 'slug', g.slug, 'name', g.name, 'specialty', g.specialty) "
      "FROM groups g WHERE g.id = s.group_id), 'hospital', (SELECT "
      "json_build_object('code', t.code, 'name', t.name) FROM "
      "concerto.tenants t WHERE t.id = s.tenant_id), 'organizer', (SELECT "
      "json_build_object('user_id', u.id::text, 'display_name', "
      "u.display_name) FROM concerto.users u WHERE u.id = "
      "s.organizer_user_id), 'starts_at', s.starts_at, 'ends_at', s.ends_at, "
      "'outcome', s.outcome, 'created_at', s.created_at, 'confirmed_at', "
      "s.confirmed_at, 'started_at', s.started_at, 'closed_at', s.closed_at, "
      "'end_reason', s.end_reason, "
      "'request', coalesce((SELECT " TC_REQUEST_SUMMARY_JSON
      " FROM requests r WHERE r.id = s.request_id), s.request_summary::json), "
      "'participants', coalesce((SELECT "
      "json_agg(" TC_PARTICIPANT_JSON " ORDER BY p.id) FROM participants p "
      "WHERE p.session_id = s.id), '[]'), 'slots', coalesce((SELECT "
      "json_agg(json_build_object('id', sl.id::text, 'starts_at', "
      "sl.starts_at, 'ends_at', sl.ends_at, 'chosen', sl.chosen, 'answers', "
      "coalesce((SELECT json_agg(json_build_object('participant_id', "
      "a.participant_id::text, 'answer', a.answer) ORDER BY "
      "a.participant_id) FROM availability a WHERE a.slot_id = sl.id), "
      "'[]')) ORDER BY sl.starts_at, sl.id) FROM slots sl WHERE sl.session_id "
      "= s.id), '[]'), 'patients', coalesce((SELECT "
      "json_agg(json_build_object('id', sp.id::text, 'patient', "
      "json_build_object('id', pt.id::text, 'fiscal_code', pt.fiscal_code, "
      "'surname', pt.surname, 'given_name', pt.given_name, 'birth_date', "
      "pt.birth_date, 'sex', pt.sex), 'anamnesis', " TC_ANAMNESIS_JSON
      ", 'decision', sp.decision, "
      "'decided_at', sp.decided_at, 'decided_by', (SELECT u.display_name "
      "FROM concerto.users u WHERE u.id = sp.decided_by), "
      "'decisions', " TC_DECISIONS_JSON ", 'minutes', CASE "
      "WHEN sp.minutes_sha256 IS NULL THEN NULL ELSE json_build_object('url', "
      "'/api/v1/teleconsult/sessions/' || s.id || '/patients/' || sp.id || "
      "'/minutes.pdf', 'generated_at', sp.minutes_at, 'sha256', "
      "sp.minutes_sha256) END) ORDER BY sp.id) FROM session_patients sp JOIN "
      "concerto.patients pt ON pt.id = sp.patient_id WHERE sp.session_id = "
      "s.id), '[]'), 'documents', coalesce((SELECT json_agg(" TC_DOCUMENT_JSON
      " ORDER BY d.id) FROM documents d WHERE d.session_id = s.id), "
      "'[]'))::text FROM sessions s WHERE s.id = $1::bigint",
      1, p, out);
}

/* One audit row per patient of the session (one without a patient if
 * there is none), as the contract asks for reads of the session. */
static concerto_status audit_session(concerto_request *req, const tc_access *a,
                                     const char *action) {
  const char *id = a->session_id;
  const char *p[1] = {id};
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req,
      "SELECT patient_id::text FROM session_patients WHERE session_id = "
      "$1::bigint ORDER BY id",
      1, p, &res);
  if (st != CONCERTO_OK)
    return st;
  const char *resource = TC_H->req_printf(req, "session:%s", id);
  if (concerto_rows(res) == 0)
    return tc_audit(req, a, action, resource, NULL, NULL);
  for (int i = 0; i < concerto_rows(res); i++)
    tc_audit(req, a, action, resource, concerto_value(res, i, 0), NULL);
  return CONCERTO_OK;
}

static concerto_status add_patient_row(concerto_request *req,
                                       const char *session_id,
                                       const char *patient_id) {
  const char *p[2] = {session_id, patient_id};
  const char *related = NULL;
  concerto_status st =
      tc_value(req,
               "SELECT 't' FROM concerto.patients WHERE id = $1::bigint AND "
               "concerto.patient_related(id)",
               1, p + 1, &related);
  if (st != CONCERTO_OK)
    return st;
  if (!related) {
    /* Answered; the status makes the caller stop and roll back. */
    tc_invalid(req, "patient_ids", "unknown_patient",
               "patient_ids: a patient this hospital does not know; search "
               "for the patient first");
    return CONCERTO_ERR_VALIDATION;
  }
  st = concerto_query_db(
      req,
      "INSERT INTO session_patients (session_id, patient_id) SELECT "
      "$1::bigint, pt.id FROM concerto.patients pt WHERE pt.id = $2::bigint "
      "ON CONFLICT DO NOTHING",
      2, p, NULL);
  if (st == CONCERTO_OK)
    TC_H->audit(req, "teleconsult.patient.add",
                TC_H->req_printf(req, "session:%s", session_id), patient_id,
                NULL);
  return st;
}

concerto_status tc_sessions_create(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = tc_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  const char *theme = tc_str(body, "theme");
  const char *group_id = tc_str(body, "group_id");
  const char *request_id = tc_str(body, "request_id");
  const char *kind = tc_str(body, "kind");
  json_t *patient_ids = json_object_get(body, "patient_ids");
  const char *req_patient = NULL, *req_user = NULL, *req_tenant = NULL;
  bool organizer = false;
  /* Refuse non-organizers before revealing anything about the request. */
  if (tc_is_id(group_id)) {
    if ((st = tc_group_organizer(req, group_id, &organizer)) != CONCERTO_OK)
      return st;
    if (!organizer)
      return tc_forbidden(req, "Only the group's organizers create sessions.");
  }
  if (request_id) {
    if (!tc_is_id(request_id))
      return tc_invalid(req, "request_id", "invalid", "request_id: an id");
    const char *p[1] = {request_id};
    concerto_result *res;
    /* Only the HUB's own requests are scheduled here. */
    st = concerto_query_db(
        req,
        "SELECT group_id::text, status, patient_id::text, "
        "requester_user_id::text, requester_tenant_id::text, urgency, "
        "specialty FROM requests WHERE id = $1::bigint AND tenant_id = "
        "concerto.current_tenant() FOR UPDATE",
        1, p, &res);
    if (st != CONCERTO_OK)
      return st;
    if (concerto_rows(res) != 1)
      return tc_invalid(req, "request_id", "unknown_request",
                        "request_id: no such request for this hospital");
    if (strcmp(concerto_value(res, 0, 1), "open") != 0)
      return tc_conflict(req, "The request is not open.");
    if (!group_id)
      group_id = concerto_value(res, 0, 0);
    req_patient = concerto_value(res, 0, 2);
    req_user = concerto_value(res, 0, 3);
    req_tenant = concerto_value(res, 0, 4);
    if (!kind)
      kind = strcmp(concerto_value(res, 0, 5), "routine") == 0 ? "planned"
                                                               : "urgent";
    if (!theme)
      theme =
          TC_H->req_printf(req, "Teleconsulto %s", concerto_value(res, 0, 6));
  }
  if (!theme || !*theme || strlen(theme) > 300)
    return tc_invalid(req, "theme", "required", "theme: 1-300 characters");
  if (!kind)
    kind = "planned";
  if (strcmp(kind, "planned") != 0 && strcmp(kind, "urgent") != 0)
    return tc_invalid(req, "kind", "invalid", "kind: planned or urgent");
  if (!tc_is_id(group_id))
    return tc_invalid(req, "group_id", "required", "group_id: required");
  if (patient_ids && !json_is_array(patient_ids))
    return tc_invalid(req, "patient_ids", "invalid",
                      "patient_ids: an array of ids");
  if ((st = tc_group_organizer(req, group_id, &organizer)) != CONCERTO_OK)
    return st;
  if (!organizer)
    return tc_forbidden(req, "Only the group's organizers create sessions.");

  const char *p[5] = {group_id, request_id, theme, kind,
                      TC_H->req_user_id(req)};
  const char *id;
  st = tc_value(
      req,
      "INSERT INTO sessions (group_id, request_id, theme, kind, "
      "organizer_user_id, request_summary) VALUES ($1::bigint, "
      "$2::bigint, $3, $4, $5::bigint, (SELECT " TC_REQUEST_SUMMARY_JSON
      "::jsonb FROM requests r WHERE r.id = $2::bigint)) RETURNING "
      "id::text",
      5, p, &id);
  if (st != CONCERTO_OK)
    return st;
  const char *q[2] = {id, TC_H->req_user_id(req)};
  st = concerto_query_db(
      req,
      "INSERT INTO participants (session_id, kind, user_id, organizer, "
      "hospital_id) VALUES ($1::bigint, 'staff', $2::bigint, true, "
      "concerto.current_tenant())",
      2, q, NULL);
  if (st == CONCERTO_OK && req_user) {
    const char *r[3] = {id, req_user, req_tenant};
    st = concerto_query_db(
        req,
        "INSERT INTO participants (session_id, kind, user_id, hospital_id) "
        "VALUES ($1::bigint, 'staff', $2::bigint, $3::bigint) ON CONFLICT DO "
        "NOTHING",
        3, r, NULL);
  }
  if (st == CONCERTO_OK && request_id) {
    const char *r[2] = {request_id, id};
    st = concerto_query_db(
        req,
        "UPDATE requests SET status = 'scheduled', scheduled_at = now(), "
        "session_id = $2::bigint WHERE id = $1::bigint",
        2, r, NULL);
  }
  if (st == CONCERTO_OK && req_patient)
    st = add_patient_row(req, id, req_patient);
  size_t i;
  json_t *v;
  json_array_foreach(patient_ids, i, v) {
    if (st != CONCERTO_OK)
      break;
    const char *pid =
        json_is_string(v) ? json_string_value(v)
        : json_is_integer(v)
            ? TC_H->req_printf(req, "%lld", (long long)json_integer_value(v))
            : NULL;
    if (!tc_is_id(pid))
      return tc_invalid(req, "patient_ids", "invalid",
                        "patient_ids: an array of ids");
    st = add_patient_row(req, id, pid);
  }
  if (st != CONCERTO_OK)
    return st;
  TC_H->audit(req, "teleconsult.session.create",
              TC_H->req_printf(req, "session:%s", id), NULL, NULL);
  json_t *out;
  if ((st = session_json(req, id, &out)) != CONCERTO_OK)
    return st;
  json_object_set_new(
      out, "me",
      json_pack("{s:s?, s:b}", "participant_id", NULL, "organizer", 1));
  return concerto_reply_json(req, 201, out);
}

concerto_status tc_session_get(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_access(req, &a, &st))
    return st;
  json_t *out;
  if ((st = session_json(req, a.session_id, &out)) != CONCERTO_OK)
    return st;
  if ((st = audit_session(req, &a, "teleconsult.session.read")) !=
      CONCERTO_OK) {
    json_decref(out);
    return st;
  }
  json_object_set_new(out, "me",
                      json_pack("{s:s?, s:b, s:b}", "participant_id",
                                a.participant_id, "organizer", a.organizer,
                                "member", a.member));
  /* Contact details are the organizers' to use (invitations, a phone
   * call when someone is missing); the other participants see who takes
   * part, and their own details. */
  if (a.organizer &&
      (st = tc_delivery_states(req, json_object_get(out, "participants"))) !=
          CONCERTO_OK) {
    json_decref(out);
    return st;
  }
  if (!a.organizer) {
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(out, "participants"), i, p) {
      const char *id = json_string_value(json_object_get(p, "id"));
      if (!a.participant_id || !id || strcmp(id, a.participant_id) != 0) {
        json_object_del(p, "email");
        json_object_del(p, "phone");
      }
    }
  }
  return concerto_reply_json(req, 200, out);
}

concerto_status tc_session_join(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_access(req, &a, &st))
    return st;
  const char *p[2] = {a.session_id, TC_H->req_user_id(req)};
  concerto_result *res;
  st = concerto_query_db(
      req,
      "SELECT s.room, extract(epoch FROM s.starts_at)::bigint::text, "
      "extract(epoch FROM s.ends_at)::bigint::text, u.display_name, u.email "
      "FROM sessions s, concerto.users u WHERE s.id = $1::bigint AND u.id = "
      "$2::bigint",
      2, p, &res);
  if (st != CONCERTO_OK)
    return st;
  if (concerto_rows(res) != 1)
    return tc_not_found(req);
  const char *room = concerto_value(res, 0, 0);
  if (!room || tc_session_final(&a))
    return tc_conflict(req, "The session has no video room: confirm a "
                            "slot first (or it is over).");
  tc_video_person who = {TC_H->req_user_id(req), concerto_value(res, 0, 3),
                         concerto_value(res, 0, 4), a.organizer};
  json_t *link;
  st = tc_video_link(req, room, atoll(concerto_value(res, 0, 1)),
                     atoll(concerto_value(res, 0, 2)), &who, &link);
  tc_audit(req, &a, "teleconsult.session.join",
           TC_H->req_printf(req, "session:%s", a.session_id), NULL, NULL);
  if (st == CONCERTO_ERR_UNSUPPORTED) {
    /* No provider for this hospital: the page says the link will follow. */
    return concerto_reply_json(
        req, 200,
        json_pack("{s:s, s:n, s:n}", "url",
                  TC_H->req_printf(
                      req, "%s/modules/teleconsult/index.html#/sessions/%s",
                      tc_public_url(req), a.session_id),
                  "expires_at", "provider"));
  }
  if (st == CONCERTO_ERR_INVALID)
    return tc_conflict(req, "The video link is given closer to the start "
                            "of the session.");
  if (st != CONCERTO_OK)
    return st;
  json_t *exp = json_object_get(link, "expires_at");
  json_t *out = json_pack("{s:O?, s:O?, s:O?}", "url",
                          json_object_get(link, "url"), "expires_at", exp,
                          "provider", json_object_get(link, "provider"));
  json_decref(link);
  return concerto_reply_json(req, 200, out);
}

concerto_status tc_session_start(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_access(req, &a, &st))
    return st;
  if (!a.organizer)
    return tc_forbidden(req, "Only the organizers start the session.");
  if (tc_session_final(&a) || strcmp(a.status, "in_progress") == 0)
    return tc_conflict(req, "The session cannot be started now.");
  const char *p[1] = {a.session_id};
  st = concerto_query_db(req,
                         "UPDATE sessions SET status = 'in_progress', "
                         "started_at = now() WHERE id = $1::bigint",
                         1, p, NULL);
  if (st != CONCERTO_OK)
    return st;
  TC_H->audit(req, "teleconsult.session.start",
              TC_H->req_printf(req, "session:%s", a.session_id), NULL, NULL);
  json_t *data = json_pack("{s:s}", "status", "in_progress");
  tc_publish_live(req, a.session_id, "status", data);
  json_decref(data);
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s, s:s}", "id", a.session_id, "status", "in_progress"));
}

/* Generates, stores and announces the minutes of every patient. */
static concerto_status close_minutes(concerto_request *req, const char *id,
                                     int *npatients) {
  const char *p[1] = {id};
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req,
      "SELECT id::text, patient_id::text FROM session_patients WHERE "
      "session_id = $1::bigint ORDER BY id",
      1, p, &res);
  if (st != CONCERTO_OK)
    return st;
  *npatients = concerto_rows(res);
  for (int i = 0; i < concerto_rows(res); i++) {
    const char *spid = concerto_value(res, i, 0);
    const char *patient = concerto_value(res, i, 1);
    unsigned char *pdf = NULL;
    size_t len = 0;
    if ((st = tc_minutes_build(req, id, spid, false, &pdf, &len)) !=
        CONCERTO_OK)
      return st;
    concerto_blob blob = CONCERTO_BLOB_INIT_V1;
    st = TC_H->blob_put(req, pdf, len, &blob);
    free(pdf);
    if (st == CONCERTO_ERR_UNSUPPORTED) {
      /* A core without the blob store: the minutes route regenerates the
       * final text on demand; nothing stored, nothing announced. */
      TC_H->log(tc_self, CONCERTO_LOG_WARN,
                "session %s: no blob store, minutes not stored", id);
      continue;
    }
    if (st != CONCERTO_OK)
      return st;
    const char *q[2] = {spid, blob.sha256};
    if ((st = concerto_query_db(req,
                                "UPDATE session_patients SET minutes_sha256 = "
                                "$2, minutes_at = now() WHERE id = $1::bigint",
                                2, q, NULL)) != CONCERTO_OK)
      return st;
    TC_H->audit(req, "teleconsult.minutes.create",
                TC_H->req_printf(req, "session:%s:patient:%s", id, spid),
                patient, NULL);
    st = TC_H->publish(req, "document.created", 1,
                       json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind",
                                 "teleconsult.minutes", "session_id", id,
                                 "patient_id", patient, "session_patient_id",
                                 spid, "sha256", blob.sha256, "content_type",
                                 "application/pdf"));
    if (st != CONCERTO_OK)
      return st;
  }
  return CONCERTO_OK;
}

concerto_status tc_session_close(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_ORGANIZERS,
                             "Only the organizers close the session.", &st))
    return st;
  json_t *body;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *outcome = tc_str(body, "outcome");
  if (outcome && strlen(outcome) > 8000)
    return tc_invalid(req, "outcome", "too_long", "outcome: at most 8000");
  /* Before the scheduled start (or with no time yet) the organizer says
   * what is happening: the consult took place early ("close", minutes
   * written) or will not take place ("cancel", no minutes) - and why. */
  const char *early = tc_str(body, "early"), *reason = tc_str(body, "reason");
  const char *before = NULL, *p1[1] = {a.session_id};
  if ((st = tc_value(req,
                     "SELECT 'yes' FROM sessions WHERE id = $1::bigint AND "
                     "(starts_at IS NULL OR starts_at > now())",
                     1, p1, &before)) != CONCERTO_OK)
    return st;
  bool cancel = false;
  if (before) {
    if (!early || (strcmp(early, "close") != 0 && strcmp(early, "cancel") != 0))
      return tc_invalid(req, "early", "required",
                        "the session has not started yet: \"close\" (it "
                        "took place early) or \"cancel\" (it will not "
                        "take place), with a reason");
    if (!reason || !*reason || strlen(reason) > 500)
      return tc_invalid(req, "reason", "required",
                        "why the session ends before its start: 1 to 500 "
                        "characters");
    cancel = strcmp(early, "cancel") == 0;
  } else {
    reason = NULL;
  }
  const char *p[4] = {a.session_id, outcome, cancel ? "cancelled" : "closed",
                      reason};
  const char *closed_at;
  st = tc_value(req,
                "UPDATE sessions SET status = $3, closed_at = now(), "
                "outcome = $2, end_reason = $4 WHERE id = $1::bigint "
                "RETURNING to_json(closed_at)#>>'{}'",
                4, p, &closed_at);
  if (st != CONCERTO_OK)
    return st;
  if ((st = concerto_query_db(req,
                              "UPDATE requests SET status = $2 WHERE "
                              "session_id = $1::bigint AND status <> "
                              "'cancelled'",
                              2, (const char *[]){a.session_id, p[2]}, NULL)) !=
      CONCERTO_OK)
    return st;
  int n = 0;
  if (!cancel && (st = close_minutes(req, a.session_id, &n)) != CONCERTO_OK)
    return st;
  st = TC_H->publish(req, "teleconsult.closed", 1,
                     json_pack("{s:s, s:s, s:s?, s:i, s:b, s:s?}", "session_id",
                               a.session_id, "closed_at", closed_at, "outcome",
                               outcome, "patients", n, "cancelled", cancel,
                               "end_reason", reason));
  if (st != CONCERTO_OK)
    return st;
  audit_session(req, &a,
                cancel ? "teleconsult.session.cancel"
                       : "teleconsult.session.close");
  json_t *data = json_pack("{s:s}", "status", cancel ? "cancelled" : "closed");
  tc_publish_live(req, a.session_id, "status", data);
  json_decref(data);
  json_t *out;
  if ((st = session_json(req, a.session_id, &out)) != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 200, out);
}
