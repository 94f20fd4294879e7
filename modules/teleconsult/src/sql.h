/* SQL fragments several handler files share, as string literals so every
 * statement stays one constant text (one prepared statement each). */
#ifndef TELECONSULT_SQL_H
#define TELECONSULT_SQL_H

/* Whether the caller may see session `s` (the contract's rule); ORG is a
 * boolean parameter: the caller holds role organizer in this hospital. */
#define TC_SEES_SESSION(s, ORG)                                                \
  "(EXISTS (SELECT 1 FROM participants p WHERE p.session_id = " s ".id AND "   \
  "p.user_id = current_user_id()) OR EXISTS (SELECT 1 FROM group_members m "   \
  "WHERE m.group_id = " s ".group_id AND m.user_id = current_user_id()) OR " s \
  ".organizer_user_id = current_user_id() OR (" ORG " AND " s                  \
  ".tenant_id = concerto.current_tenant()))"

/* A group as JSON (g = groups, t = its tenant). */
#define TC_GROUP_JSON                                                          \
  "json_build_object('id', g.id::text, 'slug', g.slug, 'name', g.name, "       \
  "'specialty', g.specialty, 'hospital', json_build_object('code', t.code, "   \
  "'name', t.name), 'consultable', g.consultable, 'members', (SELECT "         \
  "count(*) FROM group_members m WHERE m.group_id = g.id), 'mine', EXISTS "    \
  "(SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = "    \
  "current_user_id()))"

/* The anamnesis linked to session patient sp (its copy), or NULL. */
#define TC_ANAMNESIS_JSON                                                      \
  "CASE WHEN sp.anamnesis_submission_id IS NULL THEN NULL ELSE "               \
  "json_build_object('form_id', sp.anamnesis_form_id, 'submission_id', "       \
  "sp.anamnesis_submission_id::text, 'form_version', "                         \
  "sp.anamnesis_form_version, 'hospital', sp.anamnesis_hospital, "             \
  "'answers', sp.anamnesis_answers, 'linked_at', sp.anamnesis_at, 'form', "    \
  "(SELECT ae.form FROM anamnesis_entries ae WHERE ae.session_patient_id = "   \
  "sp.id ORDER BY ae.id DESC LIMIT 1), 'versions', (SELECT "                   \
  "json_agg(json_build_object('id', ae.id::text, 'form_id', ae.form_id, "      \
  "'form_version', ae.form_version, 'hospital', ae.hospital, 'answers', "      \
  "ae.answers, 'form', ae.form, 'linked_by', ae.linked_by_name, "              \
  "'linked_at', ae.linked_at) ORDER BY ae.id) FROM anamnesis_entries ae "      \
  "WHERE ae.session_patient_id = sp.id)) END"

/* A session summary (s = sessions). */
#define TC_SESSION_SUMMARY_JSON                                                \
  "json_build_object('id', s.id::text, 'theme', s.theme, 'kind', s.kind, "     \
  "'status', s.status, 'starts_at', s.starts_at, 'ends_at', s.ends_at, "       \
  "'group', (SELECT json_build_object('id', g.id::text, 'slug', g.slug, "      \
  "'name', g.name) FROM groups g WHERE g.id = s.group_id), 'hospital', "       \
  "(SELECT t.code FROM concerto.tenants t WHERE t.id = s.tenant_id), "         \
  "'patients', (SELECT count(*) FROM session_patients sp WHERE "               \
  "sp.session_id = s.id))"

/* A request (r = requests). */
#define TC_REQUEST_JSON                                                        \
  "json_build_object('id', r.id::text, 'specialty', r.specialty, 'urgency', "  \
  "r.urgency, 'reason', r.reason, 'question', r.question, 'priority', "        \
  "r.priority, 'sla_hours', r.sla_hours, 'due_at', r.due_at, 'defaulted', "    \
  "r.rule_defaulted, 'status', r.status, 'created_at', r.created_at, "         \
  "'scheduled_at', r.scheduled_at, 'session_id', r.session_id::text, "         \
  "'patient_id', r.patient_id::text, 'group', (SELECT " TC_GROUP_JSON          \
  " FROM groups g JOIN concerto.tenants t ON t.id = g.tenant_id WHERE g.id = " \
  "r.group_id), 'requester', (SELECT json_build_object('id', u.id::text, "     \
  "'display_name', u.display_name) FROM concerto.users u WHERE u.id = "        \
  "r.requester_user_id), 'requester_hospital', (SELECT "                       \
  "json_build_object('code', t2.code, 'name', t2.name) FROM concerto.tenants " \
  "t2 WHERE t2.id = r.requester_tenant_id), 'patient', (SELECT "               \
  "json_build_object('id', pt.id::text, 'fiscal_code', pt.fiscal_code, "       \
  "'surname', pt.surname, 'given_name', pt.given_name, 'birth_date', "         \
  "pt.birth_date) FROM concerto.patients pt WHERE pt.id = r.patient_id), "     \
  "'can_schedule', r.status = 'open' AND r.tenant_id = "                       \
  "concerto.current_tenant() AND (EXISTS (SELECT 1 FROM "                      \
  "concerto.user_roles ur WHERE ur.user_id = current_user_id() AND "           \
  "ur.tenant_id = r.tenant_id AND ur.role = 'organizer') OR EXISTS (SELECT 1 " \
  "FROM group_members m WHERE m.group_id = r.group_id AND m.user_id = "        \
  "current_user_id() AND m.organizer)))"

/* The decision entries of session patient `sp`, oldest first (JSON array;
 * decisions.c). */
#define TC_DECISIONS_JSON                                                      \
  "(SELECT coalesce(json_agg(json_build_object('id', e.id::text, 'body', "     \
  "e.body, 'author', e.author_name, 'created_at', e.created_at, "              \
  "'corrects', e.corrects::text) ORDER BY e.id), '[]'::json) FROM "            \
  "decision_entries e WHERE e.session_patient_id = sp.id)"

/* What a session shows of its request (alias r): the clinical question,
 * urgency and who asked, from where. Copied into sessions.request_summary
 * when the session is created (sessions.c). */
#define TC_REQUEST_SUMMARY_JSON                                                \
  "json_build_object('id', r.id::text, 'specialty', r.specialty, 'urgency', "  \
  "r.urgency, 'reason', r.reason, 'question', r.question, 'priority', "        \
  "r.priority, 'due_at', r.due_at, 'created_at', r.created_at, 'requester', "  \
  "(SELECT u.display_name FROM concerto.users u WHERE u.id = "                 \
  "r.requester_user_id), 'requester_hospital', (SELECT t.code FROM "           \
  "concerto.tenants t WHERE t.id = r.requester_tenant_id), "                   \
  "'requester_hospital_name', (SELECT t.name FROM concerto.tenants t WHERE "   \
  "t.id = r.requester_tenant_id))"

#endif

/* A document (d = documents). patient_id is the patient's own id,
 * session_patient_id the session's patient row. */
#define TC_DOCUMENT_JSON                                                       \
  "json_build_object('id', d.id::text, 'filename', d.filename, "               \
  "'content_type', d.content_type, 'length', d.length, 'sha256', d.sha256, "   \
  "'session_patient_id', d.session_patient_id::text, 'patient_id', (SELECT "   \
  "sp.patient_id::text FROM session_patients sp WHERE sp.id = "                \
  "d.session_patient_id), 'uploaded_by', (SELECT json_build_object('id', "     \
  "u.id::text, 'display_name', u.display_name) FROM concerto.users u WHERE "   \
  "u.id = d.uploaded_by), 'uploaded_at', d.uploaded_at, 'url', "               \
  "'/api/v1/teleconsult/sessions/' || d.session_id || '/documents/' || d.id "  \
  "|| '/content')"

/* A participant (p = participants). */
#define TC_PARTICIPANT_JSON                                                    \
  "json_build_object('id', p.id::text, 'kind', p.kind, 'user_id', "            \
  "p.user_id::text, 'patient_id', p.patient_id::text, 'display_name', "        \
  "coalesce((SELECT u.display_name FROM concerto.users u WHERE u.id = "        \
  "p.user_id), p.name, (SELECT pt.given_name || ' ' || pt.surname FROM "       \
  "concerto.patients pt WHERE pt.id = p.patient_id)), 'email', "               \
  "coalesce(p.email, (SELECT u.email FROM concerto.users u WHERE u.id = "      \
  "p.user_id), (SELECT pt.email FROM concerto.patients pt WHERE pt.id = "      \
  "p.patient_id)), 'phone', p.phone, 'hospital', (SELECT "                     \
  "json_build_object('code', t.code, 'name', t.name) FROM concerto.tenants t " \
  "WHERE t.id = coalesce(p.hospital_id, (SELECT r.tenant_id FROM "             \
  "concerto.user_roles r WHERE r.user_id = p.user_id LIMIT 1))), "             \
  "'organizer', p.organizer, 'invited_at', p.invited_at)"
