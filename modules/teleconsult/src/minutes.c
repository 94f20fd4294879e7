/* The minutes (verbale) of one patient of a session (R3.11): who met, for
 * whom, on what evidence, what was decided. Generated as PDF; the final
 * version is stored when the session closes, drafts are marked BOZZA. */
#include <concerto/pdf.h>

#include "sql.h"
#include "tc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_or(const json_t *o, const char *key, const char *dflt) {
  const char *v = json_string_value(json_object_get(o, key));
  return v && *v ? v : dflt;
}

concerto_status tc_minutes_build(concerto_request *req, const char *session_id,
                                 const char *spid, bool draft,
                                 unsigned char **pdf, size_t *len) {
  *pdf = NULL;
  *len = 0;
  const char *p[2] = {session_id, spid};
  json_t *m;
  /* The anamnesis comes from the copy linked onto the session, readable by
   * every participant whichever hospital filled it in. */
  concerto_status st = tc_json_row(
      req,
      "SELECT json_build_object('hospital', t.name, 'hospital_code', t.code, "
      "'theme', s.theme, 'group', g.name, 'status', s.status, 'kind', s.kind, "
      "'request', "
      "coalesce((SELECT " TC_REQUEST_SUMMARY_JSON
      " FROM requests r WHERE r.id = s.request_id), s.request_summary::json), "
      "'end_reason', "
      "s.end_reason, 'outcome', "
      "s.outcome, 'date', to_char(coalesce(s.starts_at, s.created_at) AT "
      "TIME ZONE 'Europe/Rome', 'DD/MM/YYYY HH24:MI'), 'closed', "
      "to_char(s.closed_at AT TIME ZONE 'Europe/Rome', 'DD/MM/YYYY HH24:MI'), "
      "'generated', to_char(now() AT TIME ZONE 'Europe/Rome', 'DD/MM/YYYY "
      "HH24:MI'), 'organizer', (SELECT u.display_name FROM concerto.users u "
      "WHERE u.id = s.organizer_user_id), 'participants', (SELECT "
      "string_agg(coalesce(u.display_name, p.name, pt.given_name || ' ' || "
      "pt.surname) || coalesce(' (' || th.name || ')', '') || CASE p.kind "
      "WHEN 'external' THEN ' - esterno' WHEN 'patient' THEN ' - paziente' "
      "ELSE '' END || CASE WHEN p.organizer THEN ' - organizzatore' ELSE '' "
      "END, E'\\n' ORDER BY p.id) FROM participants p LEFT JOIN "
      "concerto.users u ON u.id = p.user_id LEFT JOIN concerto.patients pt "
      "ON pt.id = p.patient_id LEFT JOIN concerto.tenants th ON th.id = "
      "p.hospital_id WHERE p.session_id = s.id), 'patient', "
      "json_build_object('name', pa.surname || ' ' || pa.given_name, 'cf', "
      "pa.fiscal_code, 'birth', to_char(pa.birth_date, 'DD/MM/YYYY'), "
      "'place', pa.birth_place, 'sex', pa.sex), 'decisions', (SELECT "
      "string_agg(x.n || '. ' || to_char(x.created_at AT TIME ZONE "
      "'Europe/Rome', 'DD/MM/YYYY HH24:MI') || ' - ' || x.author_name || "
      "coalesce(' (rettifica della voce ' || c.n || ')', '') || E':\\n' || "
      "x.body, E'\\n\\n' ORDER BY x.n) FROM (SELECT e.id, e.corrects, e.body, "
      "e.author_name, e.created_at, row_number() OVER (ORDER BY e.id) AS n "
      "FROM decision_entries e WHERE e.session_patient_id = sp.id) x LEFT "
      "JOIN (SELECT e.id, row_number() OVER (ORDER BY e.id) AS n FROM "
      "decision_entries e WHERE e.session_patient_id = sp.id) c ON c.id = "
      "x.corrects), 'anamnesis_linked', "
      "sp.anamnesis_submission_id IS NOT NULL, 'anamnesis_versions', (SELECT "
      "json_agg(json_build_object('form_id', ae.form_id, 'form_version', "
      "ae.form_version, 'hospital', ae.hospital, 'linked_by', "
      "ae.linked_by_name, 'linked_at', to_char(ae.linked_at AT TIME ZONE "
      "'Europe/Rome', 'DD/MM/YYYY HH24:MI'), 'answers', ae.answers, 'form', "
      "ae.form) ORDER BY ae.id) FROM anamnesis_entries ae WHERE "
      "ae.session_patient_id = sp.id), "
      "'documents', (SELECT string_agg(d.filename || ' - ' "
      "|| d.content_type || ' - SHA-256 ' || left(d.sha256, 16), E'\\n' "
      "ORDER BY d.id) FROM documents d WHERE d.session_id = s.id AND "
      "(d.session_patient_id IS NULL OR d.session_patient_id = sp.id)), "
      "'comments', (SELECT string_agg(x.line, E'\\n' ORDER BY x.at) FROM "
      "(SELECT c.created_at AS at, to_char(c.created_at AT TIME ZONE "
      "'Europe/Rome', 'DD/MM HH24:MI') || ' ' || u.display_name || ': ' || "
      "left(c.body, 600) AS line FROM comments c JOIN concerto.users u ON "
      "u.id = c.author_user_id WHERE c.session_id = s.id ORDER BY "
      "c.created_at DESC LIMIT 60) x))::text FROM sessions s JOIN "
      "session_patients sp ON sp.session_id = s.id AND sp.id = $2::bigint "
      "JOIN concerto.patients pa ON pa.id = sp.patient_id JOIN "
      "concerto.tenants t ON t.id = s.tenant_id JOIN groups g ON g.id = "
      "s.group_id WHERE s.id = $1::bigint",
      2, p, &m);
  if (st != CONCERTO_OK)
    return st;
  if (!m)
    return CONCERTO_ERR_NOT_FOUND;
  json_t *pt = json_object_get(m, "patient");
  char header[300];
  snprintf(header, sizeof header, "%s - Verbale di teleconsulto n. %s%s",
           s_or(m, "hospital", ""), session_id,
           draft ? " - BOZZA (non definitivo)" : "");
  concerto_pdf *doc = concerto_pdf_new(header, "Pagina");
  if (!doc) {
    json_decref(m);
    return CONCERTO_ERR_NOMEM;
  }
  concerto_pdf_title(doc, draft ? "BOZZA - Verbale di teleconsulto"
                                : "Verbale di teleconsulto");
  concerto_pdf_field(doc, "Struttura", s_or(m, "hospital", "-"));
  concerto_pdf_field(doc, "Gruppo", s_or(m, "group", "-"));
  concerto_pdf_field(doc, "Tema", s_or(m, "theme", "-"));
  concerto_pdf_field(doc, "Data", s_or(m, "date", "-"));
  concerto_pdf_field(doc, "Organizzatore", s_or(m, "organizer", "-"));
  if (!draft)
    concerto_pdf_field(doc, "Chiuso il", s_or(m, "closed", "-"));

  concerto_pdf_heading(doc, "Paziente");
  concerto_pdf_field(doc, "Cognome e nome", s_or(pt, "name", "-"));
  concerto_pdf_field(doc, "Codice fiscale", s_or(pt, "cf", "-"));
  concerto_pdf_field(doc, "Data di nascita", s_or(pt, "birth", "-"));
  concerto_pdf_field(doc, "Luogo di nascita", s_or(pt, "place", "-"));

  /* The question the consult answers, as the requester asked it. */
  const json_t *rq = json_object_get(m, "request");
  if (json_is_object(rq)) {
    static const char *const urgency_it[][2] = {{"routine", "ordinaria"},
                                                {"urgent", "urgente"},
                                                {"emergency", "emergenza"}};
    const char *u = s_or(rq, "urgency", "-");
    for (size_t i = 0; i < sizeof urgency_it / sizeof urgency_it[0]; i++)
      if (strcmp(u, urgency_it[i][0]) == 0)
        u = urgency_it[i][1];
    char who[400];
    snprintf(who, sizeof who, "%s (%s)", s_or(rq, "requester", "-"),
             s_or(rq, "requester_hospital_name",
                  s_or(rq, "requester_hospital", "-")));
    concerto_pdf_heading(doc, "Richiesta di consulenza");
    concerto_pdf_field(doc, "Richiedente", who);
    concerto_pdf_field(doc, "Specialità", s_or(rq, "specialty", "-"));
    concerto_pdf_field(doc, "Urgenza", u);
    concerto_pdf_field(doc, "Motivo", s_or(rq, "reason", "-"));
    concerto_pdf_field(doc, "Quesito clinico", s_or(rq, "question", "-"));
    if (strcmp(s_or(m, "kind", ""), "immediate") == 0)
      concerto_pdf_field(doc, "Percorso",
                         "teleconsulto immediato, avviato dal richiedente "
                         "senza programmazione (urgenza)");
  }

  concerto_pdf_heading(doc, "Partecipanti");
  concerto_pdf_text(doc, s_or(m, "participants", "-"));

  /* Every version linked, oldest first, in the words of its own form. */
  concerto_pdf_heading(doc, "Anamnesi");
  const json_t *versions = json_object_get(m, "anamnesis_versions");
  if (!json_array_size(versions))
    concerto_pdf_text(doc, "Nessuna scheda anamnestica collegata.");
  size_t vi;
  const json_t *ver;
  json_array_foreach(versions, vi, ver) {
    const json_t *form = json_object_get(ver, "form");
    char head[600];
    snprintf(
        head, sizeof head,
        "Versione %zu - %s (%s, versione %lld della scheda), %s; "
        "collegata da %s il %s",
        vi + 1, s_or(form, "title", s_or(ver, "form_id", "-")),
        s_or(ver, "form_id", "-"),
        (long long)json_integer_value(json_object_get(ver, "form_version")),
        s_or(ver, "hospital", "-"), s_or(ver, "linked_by", "-"),
        s_or(ver, "linked_at", "-"));
    concerto_pdf_text(doc, head);
    char *answers = tc_anamnesis_text(form, json_object_get(ver, "answers"));
    concerto_pdf_text(doc, answers ? answers : "-");
    free(answers);
  }

  concerto_pdf_heading(doc, "Documenti esaminati");
  concerto_pdf_text(doc, s_or(m, "documents", "Nessun documento."));

  concerto_pdf_heading(doc, "Sintesi della discussione");
  concerto_pdf_text(doc, s_or(m, "comments", "Nessun commento."));

  /* Every entry with its author and time, corrections included: the
   * record shows what was decided and what was corrected, by whom. */
  concerto_pdf_heading(doc, "Decisione");
  concerto_pdf_text(doc, s_or(m, "decisions", "Nessuna decisione registrata."));
  if (json_string_value(json_object_get(m, "outcome"))) {
    concerto_pdf_heading(doc, "Esito del teleconsulto");
    concerto_pdf_text(doc, s_or(m, "outcome", "-"));
  }
  if (json_string_value(json_object_get(m, "end_reason"))) {
    /* Closed before the scheduled time: say so, and why. */
    concerto_pdf_heading(doc, "Chiusura anticipata");
    char why[700];
    snprintf(why, sizeof why,
             "La sessione è stata chiusa prima dell'orario previsto. "
             "Motivo: %s",
             s_or(m, "end_reason", "-"));
    concerto_pdf_text(doc, why);
  }
  char foot[200];
  snprintf(foot, sizeof foot, "\nDocumento generato da Concerto il %s%s.",
           s_or(m, "generated", "-"),
           draft ? " - BOZZA: il verbale definitivo è prodotto alla chiusura"
                 : "");
  concerto_pdf_text(doc, foot);
  json_decref(m);
  if (!concerto_pdf_finish(doc, pdf, len)) {
    TC_H->log(tc_self, CONCERTO_LOG_ERROR,
              "session %s: the minutes PDF could not be generated", session_id);
    return CONCERTO_ERR_INTERNAL;
  }
  return CONCERTO_OK;
}
