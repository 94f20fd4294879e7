/* Teleconsult module: what the handler files share. Every handler runs
 * inside the request's transaction; memory comes from the request arena or
 * is a json_t the handler owns until it hands it to the core. */
#ifndef TELECONSULT_TC_H
#define TELECONSULT_TC_H

#include <concerto/concerto.h>

#include <stdbool.h>
#include <stddef.h>

#define TC_H concerto_module_host

/* The module handle, set in init (process lifetime). */
extern const concerto_module *tc_self;

/* ---- util.c ---- */

/* Runs `sql` whose single column is JSON text; *out is a new reference
 * (NULL when no row). Errors are the core's database statuses. */
concerto_status tc_json_row(concerto_request *req, const char *sql, int n,
                            const char *const *params, json_t **out);
/* Like tc_json_row but the first value of every row into a new array. */
concerto_status tc_json_rows(concerto_request *req, const char *sql, int n,
                             const char *const *params, json_t **out);
/* One text value (request-owned) or NULL when no row / SQL NULL. */
concerto_status tc_value(concerto_request *req, const char *sql, int n,
                         const char *const *params, const char **out);
/* 422 validation_failed with one {field, code, message}. */
concerto_status tc_invalid(concerto_request *req, const char *field,
                           const char *code, const char *message);
concerto_status tc_not_found(concerto_request *req);
concerto_status tc_conflict(concerto_request *req, const char *detail);
concerto_status tc_forbidden(concerto_request *req, const char *detail);
/* The JSON body as an object; on failure the core has answered. */
concerto_status tc_body(concerto_request *req, json_t **out);
/* A string member, NULL when absent or not a string (borrowed). */
const char *tc_str(const json_t *obj, const char *key);
/* An id from a JSON member given as string or integer (request memory or
 * borrowed from `body`); NULL when absent. */
const char *tc_id_member(concerto_request *req, const json_t *body,
                         const char *key);
/* Whether `s` is a positive decimal id. */
bool tc_is_id(const char *s);
/* A room name "tc-" + 24 random [a-z2-7] characters into buf[28]. */
bool tc_room_name(char buf[28]);
/* Personal join links (made by invitations.c, answered by join.c): the
 * secret is TC_JOIN_TOKEN_LEN base64url characters; only its SHA-256
 * (lower-case hex) is stored. */
#define TC_JOIN_TOKEN_LEN 43
bool tc_join_token(char token[TC_JOIN_TOKEN_LEN + 1], char hash[65]);
/* False when `token` is not a well-formed join secret. */
bool tc_join_hash(const char *token, char hash[65]);
/* One person's link to a session's video room, from the provider of the
 * request's hospital (host->video_room, docs/video.md); *link is a new
 * reference or NULL. The provider's status comes back as it is:
 * UNSUPPORTED (no platform) and INVALID (no link for that time window)
 * are answers each caller words for itself. */
typedef struct tc_video_person {
  const char *id, *name, *email; /* email may be NULL */
  bool moderator;
} tc_video_person;
concerto_status tc_video_link(concerto_request *req, const char *room,
                              long long starts, long long ends,
                              const tc_video_person *who, json_t **link);
/* Standard base64 of `len` bytes, malloc'ed (caller frees); NULL on OOM. */
char *tc_base64(const void *data, size_t len);
/* The public base URL without trailing slash (request memory). */
const char *tc_public_url(concerto_request *req);

/* ---- access.c ---- */

/* What the caller is to one session (after RLS made it visible at all). */
typedef struct tc_access {
  const char *session_id;
  const char *tenant_id; /* owning HUB */
  const char *status;
  const char *participant_id; /* the caller's own participant row or NULL */
  bool organizer; /* may schedule: HUB organizer or group organizer */
  bool member;    /* member of the session's group */
} tc_access;
/* Loads the session {id} of the path and decides whether the caller may
 * see it. Answers 404 itself (returns CONCERTO_ERR_NOT_FOUND already
 * answered -> the caller returns CONCERTO_OK) when not visible. Returns
 * true when the handler may continue. */
bool tc_session_access(concerto_request *req, tc_access *a,
                       concerto_status *st);
/* Whether the caller organizes group `group_id` (role organizer in the
 * group's hospital or flagged organizer in the group). */
concerto_status tc_group_organizer(concerto_request *req, const char *group_id,
                                   bool *out);
/* Whether the session is closed or cancelled (no more changes). */
bool tc_session_final(const tc_access *a);
/* Who may change a session: its organizers, or any participant (the
 * organizers included). */
typedef enum tc_changer { TC_ORGANIZERS, TC_PARTICIPANTS } tc_changer;
/* The preamble of every handler that changes session {id}: visible (else
 * 404), the caller is one of `who` (else 403 with `forbidden`, a sentence),
 * not closed (else 409). True when the handler may go on; otherwise the
 * answer is given and the handler returns *st. */
bool tc_session_for_change(concerto_request *req, tc_access *a, tc_changer who,
                           const char *forbidden, concerto_status *st);

/* ---- audit (util.c) ---- */

/* An audit row for session data: in the trail of the hospital owning the
 * session (a->tenant_id), which names the caller's hospital too
 * (host->audit_for, ABI 1.9). */
concerto_status tc_audit(concerto_request *req, const tc_access *a,
                         const char *action, const char *resource,
                         const char *patient_id, const char *outcome);
/* The same for request `request_id`, in the trail of the HUB it is
 * addressed to. */
concerto_status tc_audit_request(concerto_request *req, const char *request_id,
                                 const char *action, const char *patient_id);

/* ---- handlers ---- */
concerto_status tc_dashboard(concerto_request *req, void *ud);
concerto_status tc_calendar(concerto_request *req, void *ud);
concerto_status tc_indicators(concerto_request *req, void *ud);
concerto_status tc_groups_list(concerto_request *req, void *ud);
concerto_status tc_groups_create(concerto_request *req, void *ud);
concerto_status tc_group_get(concerto_request *req, void *ud);
concerto_status tc_group_member_add(concerto_request *req, void *ud);
concerto_status tc_group_member_delete(concerto_request *req, void *ud);
concerto_status tc_colleagues(concerto_request *req, void *ud);

concerto_status tc_requests_create(concerto_request *req, void *ud);
concerto_status tc_requests_list(concerto_request *req, void *ud);
concerto_status tc_request_get(concerto_request *req, void *ud);
concerto_status tc_request_cancel(concerto_request *req, void *ud);
concerto_status tc_request_immediate(concerto_request *req, void *ud);

/* ---- immediate.c ---- */
/* Turns the caller's own open urgent request into a running session and
 * invites everybody (sql/0008_immediate.sql). *session_id (request
 * memory) is NULL when a problem was answered instead (not found, not
 * open, routine, no organizer); *invited counts the e-mails queued. */
concerto_status tc_start_immediate(concerto_request *req,
                                   const char *request_id,
                                   const char **session_id, int *invited);

concerto_status tc_sessions_create(concerto_request *req, void *ud);
concerto_status tc_session_get(concerto_request *req, void *ud);
concerto_status tc_session_join(concerto_request *req, void *ud);
concerto_status tc_session_start(concerto_request *req, void *ud);
concerto_status tc_session_close(concerto_request *req, void *ud);

concerto_status tc_participant_add(concerto_request *req, void *ud);
concerto_status tc_participant_delete(concerto_request *req, void *ud);
concerto_status tc_participant_reinvite(concerto_request *req, void *ud);
concerto_status tc_slot_add(concerto_request *req, void *ud);
concerto_status tc_availability_put(concerto_request *req, void *ud);
concerto_status tc_confirm(concerto_request *req, void *ud);

concerto_status tc_patient_add(concerto_request *req, void *ud);
concerto_status tc_patient_delete(concerto_request *req, void *ud);
concerto_status tc_anamnesis_put(concerto_request *req, void *ud);
concerto_status tc_decision_put(concerto_request *req, void *ud);
concerto_status tc_decision_add(concerto_request *req, void *ud);
concerto_status tc_minutes_get(concerto_request *req, void *ud);

concerto_status tc_documents_upload(concerto_request *req, void *ud);
concerto_status tc_documents_list(concerto_request *req, void *ud);
concerto_status tc_document_content(concerto_request *req, void *ud);
concerto_status tc_document_dicom(concerto_request *req, void *ud);

concerto_status tc_comments_list(concerto_request *req, void *ud);
concerto_status tc_comments_create(concerto_request *req, void *ud);
concerto_status tc_live(concerto_request *req, void *ud);

/* ---- live.c ---- */
/* Publishes `event` with `data` (borrowed) on the session's topic; a core
 * without live streams is not an error (the page polls instead). */
void tc_publish_live(concerto_request *req, const char *session_id,
                     const char *event, const json_t *data);

/* ---- invitations.c ---- */
/* Invites the participants of a scheduled session (all, or only
 * `only_participant`): a new personal join link each, e-mail with ICS,
 * SMS. *sent counts the e-mails queued. Nothing is sent (CONCERTO_OK, 0)
 * while the session has no confirmed time. */
/* The tag of a participant's invitation mails (request memory). */
const char *tc_invitation_tag(concerto_request *req,
                              const char *participant_id);
/* Adds "reachable" and, for each participant with an invitation mail,
 * "delivery" (its state in the core's outbox) to the JSON array
 * `participants` (borrowed, modified in place). */
concerto_status tc_delivery_states(concerto_request *req, json_t *participants);
concerto_status tc_invite(concerto_request *req, const char *session_id,
                          const char *only_participant, int *sent);

/* ---- join.c ---- */
concerto_status tc_join(concerto_request *req, void *ud);

/* ---- anamnesis_text.c ---- */
/* The answers of an anamnesis as text in the order and words of `form`
 * (its rendered JSON, may be NULL: codes then); malloc'ed, NULL on
 * out-of-memory. Both borrowed. */
char *tc_anamnesis_text(const json_t *form, const json_t *answers);

/* ---- minutes.c ---- */
/* Builds the minutes PDF of session patient `spid` of the session; *pdf is
 * malloc'ed (caller frees). `draft` marks it BOZZA. */
concerto_status tc_minutes_build(concerto_request *req, const char *session_id,
                                 const char *spid, bool draft,
                                 unsigned char **pdf, size_t *len);

#endif
