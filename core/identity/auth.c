#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "roles.h"
#include "tenant_cache.h"
#include "tokens.h"

static const char *dup_value(concerto_request *req, PGresult *r, int col) {
  return PQgetisnull(r, 0, col)
             ? NULL
             : arena_strdup(&req->arena, PQgetvalue(r, 0, col));
}

/* Parses a PostgreSQL text[] literal {a,b} of plain role names. */
static void parse_roles(concerto_request *req, const char *text) {
  caller *c = &req->caller;
  c->nroles = 0;
  if (!text || text[0] != '{')
    return;
  const char *p = text + 1;
  while (*p && *p != '}' && c->nroles < CALLER_MAX_ROLES) {
    const char *end = p + strcspn(p, ",}");
    c->roles[c->nroles++] = arena_strndup(&req->arena, p, (size_t)(end - p));
    p = *end == ',' ? end + 1 : end;
  }
}

/* Fills req->caller from one row of type concerto.caller. */
static void load_caller(concerto_request *req, PGresult *r, caller_kind kind) {
  caller *c = &req->caller;
  c->kind = kind;
  c->session_id = dup_value(req, r, 0);
  c->user_id = dup_value(req, r, 2);
  c->username = dup_value(req, r, 3);
  c->display_name = dup_value(req, r, 4);
  const char *regional = dup_value(req, r, 5);
  c->regional_admin = regional && regional[0] == 't';
  c->language = dup_value(req, r, 6);
  c->patient_id = dup_value(req, r, 7);
  c->scope_kind = dup_value(req, r, 8);
  c->scope_ref = dup_value(req, r, 9);
  c->tenant_id = dup_value(req, r, 10);
  c->tenant_code = dup_value(req, r, 11);
  parse_roles(req, PQgetisnull(r, 0, 12) ? NULL : PQgetvalue(r, 0, 12));
  c->patient_care = roles_any_with(req->app->roles, c->roles, c->nroles,
                                   CONCERTO_ROLE_PATIENT_CARE);
  c->csrf_token = dup_value(req, r, 13);
}

concerto_status auth_load_session(concerto_request *req,
                                  const char *tenant_code) {
  const char *cookie =
      MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
  char hash[65];
  if (!cookie || !token_hash(cookie, hash))
    return CONCERTO_ERR_UNAUTHENTICATED;
  char idle[16];
  snprintf(idle, sizeof idle, "%u", req->app->cfg.session_idle_s);
  const char *params[3] = {hash, tenant_code, idle};
  PGresult *r;
  concerto_status st = request_query(
      req, "SELECT * FROM concerto.auth_session($1, $2, $3::integer)", 3,
      params, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_UNAUTHENTICATED;
  const char *kind = PQgetvalue(r, 0, 1);
  load_caller(req, r,
              strcmp(kind, "patient") == 0 ? CALLER_PATIENT : CALLER_STAFF);
  req->caller.via_cookie = true;
  return CONCERTO_OK;
}

static concerto_status load_token(concerto_request *req, const char *token) {
  char hash[65];
  if (!token_hash(token, hash))
    return CONCERTO_ERR_UNAUTHENTICATED;
  const char *params[1] = {hash};
  PGresult *r;
  concerto_status st = request_query(
      req, "SELECT * FROM concerto.auth_token($1)", 1, params, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_UNAUTHENTICATED;
  load_caller(req, r, CALLER_TOKEN);
  return CONCERTO_OK;
}

static bool unsafe_method(const char *m) {
  return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
         strcmp(m, "OPTIONS") != 0;
}

/* The hospital a request is about: the route's {tenant} parameter, else the
 * X-Concerto-Tenant header, else (NULL) the session's current one. */
static const char *requested_tenant(concerto_request *req) {
  const char *p = req_param(req, "tenant");
  if (p)
    return p;
  return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, TENANT_HEADER);
}

static bool deny(concerto_request *req, unsigned status, const char *code,
                 const char *detail) {
  if (status == 403 && req->caller.kind != CALLER_ANONYMOUS)
    request_audit(req, "access.denied", req->match.template, NULL, "denied",
                  NULL);
  request_problem(req, status, code, NULL, detail);
  return false;
}

bool auth_authorize(concerto_request *req, const route_target *t) {
  const char *tenant = requested_tenant(req);
  const char *authz =
      MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization");
  concerto_status st;
  if (authz && strncasecmp(authz, "Bearer ", 7) == 0)
    st = load_token(req, authz + 7);
  else if (t->auth == CONCERTO_AUTH_API_TOKEN)
    st = CONCERTO_ERR_UNAUTHENTICATED; /* a system's route: no sessions */
  else
    st = auth_load_session(req, tenant);
  if (st == CONCERTO_ERR_DB_UNAVAILABLE) {
    request_problem(req, 503, "db_unavailable", NULL,
                    "The database is not reachable right now; retry shortly.");
    return false;
  }
  if (st != CONCERTO_OK)
    return deny(req, 401, "unauthenticated",
                "Log in first: this resource requires an authenticated "
                "user, and the session is missing, expired or ended.");
  const caller *c = &req->caller;
  /* A hospital named in the path must be one the caller belongs to. */
  if (req_param(req, "tenant") &&
      (!c->tenant_code || strcmp(c->tenant_code, tenant) != 0))
    return deny(req, 404, "not_found", "No such hospital for this user.");
  if (t->owner) {
    long long tid = c->tenant_id ? strtoll(c->tenant_id, NULL, 10) : -1;
    if (!c->tenant_id ||
        !tenant_module_enabled(req->app->tenants, tid, t->owner->name))
      return deny(req, 404, "module_not_enabled",
                  "This module is not enabled for your hospital.");
  }
  if (!caller_satisfies(c, t->required_role))
    return deny(req, 403, "forbidden", "Your role does not allow this action.");
  if (c->via_cookie && unsafe_method(req->method)) {
    const char *sent =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, CSRF_HEADER);
    if (!token_equal(sent, c->csrf_token))
      return deny(req, 403, "csrf_failed",
                  "The request lacks the X-CSRF-Token of this session.");
  }
  return true;
}

const char *auth_cookie(concerto_request *req, const char *token,
                        unsigned max_age_s) {
  return arena_printf(&req->arena,
                      SESSION_COOKIE "=%s; Path=/; Max-Age=%u; HttpOnly; "
                                     "SameSite=Lax%s",
                      token ? token : "", token ? max_age_s : 0,
                      req->app->cfg.cookie_secure ? "; Secure" : "");
}
