/* The patients discussed in a session (R3.6, R3.7, R3.10): adding them,
 * linking an anamnesis, writing the decision, reading the minutes. */
#include "sql.h"
#include "tc.h"

#include <stdlib.h>
#include <string.h>

#define SP_JSON                                                                \
  "json_build_object('id', sp.id::text, 'patient', json_build_object('id', "   \
  "pt.id::text, 'fiscal_code', pt.fiscal_code, 'surname', pt.surname, "        \
  "'given_name', pt.given_name, 'birth_date', pt.birth_date, 'sex', pt.sex), " \
  "'anamnesis', " TC_ANAMNESIS_JSON ", "                                       \
  "'decision', sp.decision, "                                                  \
  "'decided_at', sp.decided_at, 'decisions', " TC_DECISIONS_JSON ", "          \
  "'minutes', NULL)"

/* The session patient {spid} of the session: true with *patient_id its
 * patient; otherwise false with *st to return (a 404 already answered, or
 * a database error). */
static bool session_patient(concerto_request *req, const tc_access *a,
                            const char **patient_id, concerto_status *st) {
  *patient_id = NULL;
  const char *spid = concerto_param(req, "spid");
  const char *p[2] = {a->session_id, spid};
  if (tc_is_id(spid) &&
      (*st = tc_value(req,
                      "SELECT patient_id::text FROM session_patients WHERE "
                      "id = $2::bigint AND session_id = $1::bigint",
                      2, p, patient_id)) != CONCERTO_OK)
    return false;
  if (!*patient_id) {
    *st = tc_not_found(req);
    return false;
  }
  return true;
}

concerto_status tc_patient_add(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_ORGANIZERS,
                             "Only the organizers add patients.", &st))
    return st;
  json_t *body;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *pid = tc_id_member(req, body, "patient_id");
  if (!tc_is_id(pid))
    return tc_invalid(req, "patient_id", "required", "patient_id: required");
  const char *p[2] = {a.session_id, pid};
  json_t *out;
  st = tc_json_row(
      req,
      "WITH sp AS (INSERT INTO session_patients (session_id, patient_id) "
      "SELECT $1::bigint, id FROM concerto.patients WHERE id = $2::bigint AND "
      "concerto.patient_related(id) ON CONFLICT DO NOTHING RETURNING *) "
      "SELECT " SP_JSON "::text FROM sp JOIN concerto.patients pt ON pt.id = "
      "sp.patient_id",
      2, p, &out);
  if (st != CONCERTO_OK)
    return st;
  if (!out) {
    const char *known;
    if ((st = tc_value(req,
                       "SELECT 1 FROM session_patients WHERE session_id = "
                       "$1::bigint AND patient_id = $2::bigint",
                       2, p, &known)) != CONCERTO_OK)
      return st;
    return known ? tc_conflict(req, "The patient is already in the session.")
                 : tc_invalid(req, "patient_id", "unknown_patient",
                              "patient_id: no such patient for this hospital; "
                              "search for the patient first");
  }
  tc_audit(req, &a, "teleconsult.patient.add",
           TC_H->req_printf(req, "session:%s", a.session_id), pid, NULL);
  json_t *data = json_pack("{s:s}", "status", a.status);
  tc_publish_live(req, a.session_id, "status", data);
  json_decref(data);
  return concerto_reply_json(req, 201, out);
}

concerto_status tc_patient_delete(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_ORGANIZERS,
                             "Only the organizers remove patients.", &st))
    return st;
  const char *patient;
  if (!session_patient(req, &a, &patient, &st))
    return st;
  const char *p[2] = {a.session_id, concerto_param(req, "spid")};
  const char *decided = NULL;
  if ((st = tc_value(req,
                     "SELECT 'yes' WHERE EXISTS (SELECT 1 FROM "
                     "decision_entries WHERE session_patient_id = $2::bigint "
                     "AND session_id = $1::bigint) OR EXISTS (SELECT 1 FROM "
                     "anamnesis_entries WHERE session_patient_id = $2::bigint "
                     "AND session_id = $1::bigint)",
                     2, p, &decided)) != CONCERTO_OK)
    return st;
  if (decided) /* the record of what was shared and decided stays */
    return concerto_reply_problem(
        req, 409, "patient_has_record", "Patient has a record in this session",
        "A decision or an anamnesis was recorded for this patient: the "
        "patient stays in the session.");
  if ((st = concerto_query_db(req,
                              "DELETE FROM session_patients WHERE id = "
                              "$2::bigint AND session_id = $1::bigint",
                              2, p, NULL)) != CONCERTO_OK)
    return st;
  tc_audit(req, &a, "teleconsult.patient.delete",
           TC_H->req_printf(req, "session:%s", a.session_id), patient, NULL);
  return TC_H->respond_bytes(req, 204, "text/plain", "", 0);
}

concerto_status tc_anamnesis_put(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_PARTICIPANTS,
                             "Only participants link an anamnesis.", &st))
    return st;
  const char *patient;
  if (!session_patient(req, &a, &patient, &st))
    return st;
  json_t *body;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *form = tc_str(body, "form_id");
  const char *sub = tc_id_member(req, body, "submission_id");
  if (!tc_is_id(sub))
    return tc_invalid(req, "submission_id", "required",
                      "submission_id: required");
  /* The submission must be this patient's and visible to the caller (RLS:
   * made in the caller's current hospital, the SPOKE's or the HUB's). Its
   * answers are copied onto the session, where every participant reads
   * them: sharing the anamnesis with the consulted group is the point of
   * the consult, and participation is explicit. */
  const char *p[2] = {sub, patient};
  const char *found;
  if ((st = tc_value(req,
                     "SELECT form_id FROM concerto.form_submissions WHERE id "
                     "= $1::bigint AND patient_id = $2::bigint",
                     2, p, &found)) != CONCERTO_OK)
    return st;
  if (!found)
    return tc_invalid(req, "submission_id", "unknown_submission",
                      "submission_id: no such submission for this patient");
  if (form && strcmp(form, found) != 0)
    return tc_invalid(req, "form_id", "mismatch",
                      "form_id: not the submission's form");
  const char *q[2] = {concerto_param(req, "spid"), sub};
  concerto_result *res;
  if ((st = concerto_query_db(
           req,
           "UPDATE session_patients sp SET anamnesis_form_id = fs.form_id, "
           "anamnesis_submission_id = fs.id, anamnesis_form_version = "
           "fs.form_version, anamnesis_hospital = t.code, anamnesis_answers = "
           "fs.answers, anamnesis_at = now() FROM concerto.form_submissions "
           "fs JOIN concerto.tenants t ON t.id = fs.tenant_id WHERE sp.id = "
           "$1::bigint AND fs.id = $2::bigint RETURNING sp.id",
           2, q, &res)) != CONCERTO_OK)
    return st;
  if (TC_H->result_rows(res) != 1)
    return tc_not_found(req); /* the session patient is not visible */
  /* A new version beside the earlier ones, with the form it was filled
   * with (readable here: the caller's hospital filled it). */
  const char *e[3] = {a.session_id, concerto_param(req, "spid"), sub};
  if ((st = concerto_query_db(
           req,
           "INSERT INTO anamnesis_entries (session_id, session_patient_id, "
           "submission_id, form_id, form_version, form, hospital, answers, "
           "linked_by, linked_by_name) SELECT $1::bigint, $2::bigint, fs.id, "
           "fs.form_id, fs.form_version, (SELECT sc.rendered FROM "
           "concerto.scripts sc WHERE sc.tenant_id = fs.tenant_id AND sc.kind "
           "= 'form' AND sc.script_id = fs.form_id AND sc.version = "
           "fs.form_version), t.code, fs.answers, current_user_id(), (SELECT "
           "left(coalesce(nullif(u.display_name, ''), u.username), 200) FROM "
           "concerto.users u WHERE u.id = current_user_id()) FROM "
           "concerto.form_submissions fs JOIN concerto.tenants t ON t.id = "
           "fs.tenant_id WHERE fs.id = $3::bigint",
           3, e, NULL)) != CONCERTO_OK)
    return st;
  tc_audit(req, &a, "teleconsult.anamnesis.link",
           TC_H->req_printf(req, "session:%s", a.session_id), patient, NULL);
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s, s:s}", "form_id", found, "submission_id", sub));
}

/* Appends a decision entry (text, optionally the entry it corrects) for
 * the session patient {spid}; the latest entry is the patient's current
 * decision. Never overwrites: the record keeps every entry. */
static concerto_status append_decision(concerto_request *req, const char *text,
                                       const char *corrects, int status) {
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_PARTICIPANTS,
                             "Only participants write the decision.", &st))
    return st;
  const char *patient;
  if (!session_patient(req, &a, &patient, &st))
    return st;
  if (!text || !*text || strlen(text) > 8000)
    return tc_invalid(req, "decision", "invalid",
                      "decision: text, 1 to 8000 characters");
  const char *spid = concerto_param(req, "spid");
  if (corrects) {
    const char *found = NULL;
    const char *q[2] = {spid, corrects};
    if (!tc_is_id(corrects) ||
        ((st = tc_value(req,
                        "SELECT id::text FROM decision_entries WHERE id = "
                        "$2::bigint AND session_patient_id = $1::bigint",
                        2, q, &found)) == CONCERTO_OK &&
         !found))
      return tc_invalid(req, "corrects", "invalid",
                        "corrects: an entry of this patient's decision");
    if (st != CONCERTO_OK)
      return st;
  }
  const char *p[4] = {a.session_id, spid, text, corrects};
  json_t *out;
  st = tc_json_row(
      req,
      "WITH me AS (SELECT left(coalesce(nullif(display_name, ''), username), "
      "200) AS name FROM concerto.users WHERE id = current_user_id()), e AS "
      "(INSERT INTO decision_entries (session_id, session_patient_id, body, "
      "author_user_id, author_name, corrects) SELECT $1::bigint, $2::bigint, "
      "$3, current_user_id(), me.name, $4::bigint FROM me RETURNING *), "
      "latest AS (UPDATE session_patients sp SET decision = e.body, "
      "decided_by = e.author_user_id, decided_at = e.created_at FROM e WHERE "
      "sp.id = e.session_patient_id) SELECT json_build_object('id', "
      "e.id::text, "
      "'session_patient_id', e.session_patient_id::text, 'body', e.body, "
      "'decision', e.body, 'author', e.author_name, 'decided_by', "
      "e.author_name, 'created_at', e.created_at, 'decided_at', e.created_at, "
      "'corrects', e.corrects::text)::text FROM e",
      4, p, &out);
  if (st != CONCERTO_OK)
    return st;
  tc_audit(req, &a,
           corrects ? "teleconsult.decision.correct"
                    : "teleconsult.decision.write",
           TC_H->req_printf(req, "session:%s", a.session_id), patient, NULL);
  tc_publish_live(req, a.session_id, "decision", out);
  return concerto_reply_json(req, status, out);
}

concerto_status tc_decision_add(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  json_t *corrects = json_object_get(body, "corrects");
  if (corrects && !json_is_string(corrects) && !json_is_null(corrects))
    return tc_invalid(req, "corrects", "invalid",
                      "corrects: the id of an entry of this decision");
  return append_decision(req, tc_str(body, "text"), json_string_value(corrects),
                         201);
}

/* Before 1.x of this module the decision was one text, replaced by every
 * save. The old call stays and now appends an entry. */
concerto_status tc_decision_put(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  return append_decision(req, tc_str(body, "decision"), NULL, 200);
}

concerto_status tc_minutes_get(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_access(req, &a, &st))
    return st;
  const char *patient;
  if (!session_patient(req, &a, &patient, &st))
    return st;
  const char *spid = concerto_param(req, "spid");
  const char *p[1] = {spid}, *sha;
  if ((st = tc_value(req,
                     "SELECT minutes_sha256 FROM session_patients WHERE id = "
                     "$1::bigint",
                     1, p, &sha)) != CONCERTO_OK)
    return st;
  const char *resource =
      TC_H->req_printf(req, "session:%s:patient:%s", a.session_id, spid);
  const char *filename = TC_H->req_printf(req, "verbale-teleconsulto-%s-%s.pdf",
                                          a.session_id, spid);
  tc_audit(req, &a, "teleconsult.minutes.read", resource, patient, NULL);
  if (sha) {
    st = TC_H->respond_blob(req, sha, "application/pdf", filename, 1);
    if (st != CONCERTO_ERR_NOT_FOUND && st != CONCERTO_ERR_UNSUPPORTED)
      return st;
  }
  /* Before close: a draft; after close without a stored copy: the same
   * text regenerated from the closed session. */
  unsigned char *pdf = NULL;
  size_t len = 0;
  bool draft = strcmp(a.status, "closed") != 0;
  if ((st = tc_minutes_build(req, a.session_id, spid, draft, &pdf, &len)) !=
      CONCERTO_OK)
    return st;
  TC_H->set_header(
      req, "Content-Disposition",
      TC_H->req_printf(req, "attachment; filename=\"%s\"", filename));
  TC_H->set_header(req, "Cache-Control", "no-store");
  st = TC_H->respond_bytes(req, 200, "application/pdf", pdf, len);
  free(pdf);
  return st;
}
