/* Who is making a request: filled by the authentication step of the
 * dispatcher from a session cookie or an API token, and read by core
 * handlers and (through the host table) by modules. Strings live in the
 * request arena. */
#ifndef CONCERTO_CORE_CALLER_H
#define CONCERTO_CORE_CALLER_H

#include <stdbool.h>

#define CALLER_MAX_ROLES 16

typedef enum caller_kind {
  CALLER_ANONYMOUS = 0,
  CALLER_STAFF,
  CALLER_PATIENT,
  CALLER_TOKEN,
  CALLER_GUEST,  /* an invitee without an account, vouched for by a module
                  * on a public route (host->req_bind_guest, ABI 1.8) */
  CALLER_CLIENT, /* an external system whose own credential a module
                  * verified (host->req_bind_client, ABI 1.10) */
} caller_kind;

typedef struct caller {
  caller_kind kind;
  const char *session_id; /* session (or token) row id */
  const char *user_id;    /* staff only */
  const char *username;
  const char *display_name;
  const char *language;
  bool regional_admin;
  const char *patient_id; /* patient sessions only */
  const char *scope_kind, *scope_ref;
  const char *tenant_id; /* the hospital of this request, or NULL */
  const char *tenant_code;
  const char *roles[CALLER_MAX_ROLES]; /* roles in tenant_id */
  int nroles;
  /* Holds a role that works with patients (CONCERTO_ROLE_PATIENT_CARE),
   * set by the identity layer with the roles: the pseudo-role
   * "patient_care". */
  bool patient_care;
  const char *csrf_token; /* cookie sessions only */
  bool via_cookie;
} caller;

/* Whether the caller satisfies a route's requirement: a comma-separated
 * list of roles, any of which suffices; "authenticated" accepts any staff
 * or token caller, "regional_admin" the regional flag, "patient" a patient
 * session, "patient_care" any role that works with patients, "guest" a
 * bound guest (never a route's requirement: guests
 * exist only on public routes). */
bool caller_satisfies(const caller *c, const char *required);
bool caller_has_role(const caller *c, const char *role);

#endif
