/* Teleconsult module: registration only (routes, configuration, migrations,
 * web pages). The handlers live one job per file. */
#include "tc.h"
#include "tc_rules.h"

#include <stdio.h>

static const struct {
  const char *method, *path;
  concerto_handler handler;
  uint32_t flags;
} routes[] = {
    {"GET", "/dashboard", tc_dashboard, 0},
    {"GET", "/calendar", tc_calendar, 0},
    {"GET", "/indicators", tc_indicators, 0},
    {"GET", "/groups", tc_groups_list, 0},
    {"POST", "/groups", tc_groups_create, 0},
    {"GET", "/groups/{id}", tc_group_get, 0},
    {"POST", "/groups/{id}/members", tc_group_member_add, 0},
    {"DELETE", "/groups/{id}/members/{user_id}", tc_group_member_delete, 0},
    {"GET", "/colleagues", tc_colleagues, 0},
    {"POST", "/requests", tc_requests_create, 0},
    {"GET", "/requests", tc_requests_list, 0},
    {"GET", "/requests/{id}", tc_request_get, 0},
    {"POST", "/requests/{id}/cancel", tc_request_cancel, 0},
    {"POST", "/requests/{id}/immediate", tc_request_immediate, 0},
    {"POST", "/sessions", tc_sessions_create, 0},
    {"GET", "/sessions/{id}", tc_session_get, 0},
    {"GET", "/sessions/{id}/join", tc_session_join, 0},
    {"POST", "/sessions/{id}/start", tc_session_start, 0},
    {"POST", "/sessions/{id}/close", tc_session_close, 0},
    {"POST", "/sessions/{id}/participants", tc_participant_add, 0},
    {"DELETE", "/sessions/{id}/participants/{pid}", tc_participant_delete, 0},
    {"POST", "/sessions/{id}/participants/{pid}/invite",
     tc_participant_reinvite, 0},
    {"POST", "/sessions/{id}/slots", tc_slot_add, 0},
    {"PUT", "/sessions/{id}/slots/{slot}/availability", tc_availability_put, 0},
    {"POST", "/sessions/{id}/confirm", tc_confirm, 0},
    {"POST", "/sessions/{id}/patients", tc_patient_add, 0},
    {"DELETE", "/sessions/{id}/patients/{spid}", tc_patient_delete, 0},
    {"PUT", "/sessions/{id}/patients/{spid}/anamnesis", tc_anamnesis_put, 0},
    {"PUT", "/sessions/{id}/patients/{spid}/decision", tc_decision_put, 0},
    {"POST", "/sessions/{id}/patients/{spid}/decisions", tc_decision_add, 0},
    {"GET", "/sessions/{id}/patients/{spid}/minutes.pdf", tc_minutes_get, 0},
    {"POST", "/sessions/{id}/documents", tc_documents_upload,
     CONCERTO_ROUTE_UPLOAD},
    {"GET", "/sessions/{id}/documents", tc_documents_list, 0},
    {"GET", "/sessions/{id}/documents/{doc}/content", tc_document_content, 0},
    {"GET", "/sessions/{id}/documents/{doc}/dicom", tc_document_dicom, 0},
    {"GET", "/sessions/{id}/comments", tc_comments_list, 0},
    {"POST", "/sessions/{id}/comments", tc_comments_create, 0},
    {"GET", "/sessions/{id}/live", tc_live, 0},
};

static concerto_status add_route(const concerto_host *host,
                                 concerto_registrar *reg, const char *method,
                                 const char *path, concerto_handler handler,
                                 uint32_t flags, const char *role) {
  char full[160];
  snprintf(full, sizeof full, "/api/v1/teleconsult%s", path);
  concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
  spec.method = method;
  spec.path = full;
  spec.required_role = role;
  spec.flags = flags;
  spec.handler = handler;
  return host->register_route(reg, &spec);
}

/* The roles teleconsult gives meaning to (docs/modules/teleconsult.md). */
static const concerto_role_spec roles[] = {
    {sizeof(concerto_role_spec), "organizer", "Organizzatore", "Organizer",
     "Schedules teleconsult sessions and manages specialist groups.",
     CONCERTO_ROLE_PATIENT_CARE},
    {sizeof(concerto_role_spec), "specialist", "Specialista", "Specialist",
     "Answers teleconsult requests as a member of a specialist group.",
     CONCERTO_ROLE_PATIENT_CARE},
    {sizeof(concerto_role_spec), "requesting_doctor", "Medico richiedente",
     "Requesting doctor",
     "Asks a specialist group for a teleconsult about a patient.",
     CONCERTO_ROLE_PATIENT_CARE},
};

static const concerto_problem_spec problems[] = {
#define X(status, code, title, when)                                           \
  {sizeof(concerto_problem_spec), #code, status, title, when},
#include "problems.def"
#undef X
};

/* What teleconsult publishes (README.md "Events out"). */
#define ID "{\"type\":\"string\",\"minLength\":1}"
static const concerto_event_spec events[] = {
    {sizeof(concerto_event_spec), "teleconsult.requested", 1,
     "{\"type\":\"object\",\"required\":[\"request_id\",\"group\","
     "\"urgency\"],\"properties\":{\"request_id\":" ID ",\"group\":" ID
     ",\"urgency\":{\"enum\":[\"routine\",\"urgent\",\"emergency\"]},"
     "\"specialty\":{\"type\":\"string\"}}}",
     "A SPOKE doctor asked a HUB specialist group for a teleconsult"},
    {sizeof(concerto_event_spec), "teleconsult.scheduled", 1,
     "{\"type\":\"object\",\"required\":[\"session_id\",\"starts_at\"],"
     "\"properties\":{\"session_id\":" ID ",\"starts_at\":{\"type\":"
     "\"string\",\"format\":\"date-time\"},\"immediate\":{\"type\":"
     "\"boolean\"}}}",
     "A session's slot was confirmed and the participants invited, or "
     "(immediate true) an urgent request started a session at once"},
    {sizeof(concerto_event_spec), "teleconsult.closed", 1,
     "{\"type\":\"object\",\"required\":[\"session_id\",\"closed_at\","
     "\"patients\"],\"properties\":{\"session_id\":" ID ",\"closed_at\":{"
     "\"type\":\"string\"},\"outcome\":{\"type\":[\"string\",\"null\"]},"
     "\"patients\":{\"type\":\"integer\",\"minimum\":0},\"cancelled\":{"
     "\"type\":\"boolean\"},\"end_reason\":{\"type\":[\"string\",\"null\"]}}}",
     "A session was closed (its minutes are written) or, before its start, "
     "cancelled (no minutes; cancelled true, with end_reason)"},
    {sizeof(concerto_event_spec), "document.created", 1,
     "{\"type\":\"object\",\"required\":[\"kind\",\"patient_id\","
     "\"sha256\",\"content_type\"],\"properties\":{\"kind\":" ID
     ",\"session_id\":" ID ",\"patient_id\":" ID ",\"session_patient_id\":" ID
     ",\"sha256\":{\"type\":\"string\",\"minLength\":64,\"maxLength\":64},"
     "\"content_type\":{\"type\":\"string\"}}}",
     "A clinical document about a patient was stored (here: teleconsult "
     "minutes), for the repository to index"},
};
#undef ID

/* Roles, problem codes and events: a core before 1.10 knows the roles
 * itself, lists no module codes and takes undeclared events. */
static concerto_status register_declarations(const concerto_host *host,
                                             concerto_registrar *reg) {
  if (!CONCERTO_HOST_HAS(host, register_role) ||
      !CONCERTO_HOST_HAS(host, register_problem))
    return CONCERTO_OK;
  for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
    if (host->register_role(reg, &roles[i]) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  for (size_t i = 0; i < sizeof problems / sizeof *problems; i++)
    if (host->register_problem(reg, &problems[i]) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  for (size_t i = 0; i < sizeof events / sizeof *events; i++)
    if (host->register_event(reg, &events[i]) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  return host->register_rule(reg, &tc_route_rule);
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  /* Uploads, live streams, SMS and video rooms arrived in ABI 1.6, guests
   * (join links) in 1.8. */
  if (!CONCERTO_HOST_HAS(host, video_room) || !CONCERTO_HOST_HAS(host, rule) ||
      !CONCERTO_HOST_HAS(host, req_bind_guest) ||
      !CONCERTO_HOST_HAS(host, audit_for))
    return CONCERTO_ERR_UNSUPPORTED;
  tc_self = host->module_self(reg);
  concerto_config_spec url = CONCERTO_CONFIG_SPEC_INIT_V1;
  url.key = "public_url";
  url.default_value = "http://127.0.0.1:8080";
  url.help = "Base URL of the console used in invitation links";
  if (host->register_config(reg, &url) != CONCERTO_OK ||
      register_declarations(host, reg) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
    if (add_route(host, reg, routes[i].method, routes[i].path,
                  routes[i].handler, routes[i].flags,
                  "authenticated") != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  /* Public: the invitation's own secret is the credential (join.c). */
  if (add_route(host, reg, "POST", "/join", tc_join, 0, NULL) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  if (host->register_migrations(reg, "sql") != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  /* The pages are written separately (web/); serve them when present. */
  host->register_static(reg, "web");
  return CONCERTO_OK;
}

CONCERTO_MODULE("teleconsult", "1.0.0", "Concerto",
                "Teleconsults between SPOKE doctors and HUB specialist groups",
                NULL, init, NULL, NULL)
