/* Login, logout, the caller's own profile and sessions. Staff log in with
 * a local password (argon2id) or their hospital's directory (LDAP); both
 * give a server-side session in PostgreSQL, a random cookie and a CSRF
 * token. Failures look the same whether or not the account exists, and are
 * throttled per typed username and per client address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "handler_util.h"
#include "ldap_auth.h"
#include "log.h"
#include "notify.h"
#include "outbound_store.h"
#include "password.h"
#include "routes.h"
#include "tenant_cache.h"
#include "tokens.h"
#include "username.h"

/* Throttling: per typed username and per client address. */
#define USER_FREE_FAILURES 5
#define USER_MAX_BLOCK_S (15 * 60)
#define ADDR_FREE_FAILURES 30
#define ADDR_MAX_BLOCK_S (60 * 60)

static const char *const bad_credentials = "Invalid username or password.";

static concerto_status too_many(concerto_request *req, int wait_s) {
  char retry[16];
  snprintf(retry, sizeof retry, "%d", wait_s > 0 ? wait_s : 1);
  req_set_header(req, "Retry-After", retry);
  char detail[160];
  snprintf(detail, sizeof detail,
           "Too many failed attempts. Try again in %d seconds.", wait_s);
  return request_problem(req, 429, "rate_limited", NULL, detail);
}

/* Seconds the keys are still blocked, -1 on database failure. */
static int throttle_wait(concerto_request *req, const char *user_key,
                         const char *addr_key) {
  /* Parameters, never a text[] literal built from what was typed (a quote
   * or backslash in it made the literal malformed: 503, and no throttle). */
  const char *params[2] = {user_key, addr_key};
  PGresult *r = NULL;
  if (request_query(req, "SELECT concerto.throttle_wait(ARRAY[$1, $2])", 2,
                    params, &r) != CONCERTO_OK)
    return -1;
  return atoi(PQgetvalue(r, 0, 0));
}

static void throttle_fail(concerto_request *req, const char *key, int free_n,
                          int cap) {
  char f[16], c[16];
  snprintf(f, sizeof f, "%d", free_n);
  snprintf(c, sizeof c, "%d", cap);
  const char *params[3] = {key, f, c};
  request_query(req,
                "SELECT concerto.throttle_fail($1, $2::integer, $3::integer)",
                3, params, NULL);
}

/* A failed login: recorded (throttle + audit) and committed on purpose,
 * because the 401 answer would otherwise roll it back. */
static concerto_status login_failed(concerto_request *req, const char *username,
                                    const char *user_key, const char *addr_key,
                                    unsigned status, const char *code,
                                    const char *detail) {
  throttle_fail(req, user_key, USER_FREE_FAILURES, USER_MAX_BLOCK_S);
  throttle_fail(req, addr_key, ADDR_FREE_FAILURES, ADDR_MAX_BLOCK_S);
  request_audit(req, "auth.login",
                arena_printf(&req->arena, "user:%s", username), NULL, "failure",
                NULL);
  request_end_tx(req, true);
  return request_problem(req, status, code, NULL, detail);
}

typedef struct ldap_row {
  const char *tenant_id;
  ldap_settings s;        /* s.policy points at policy below */
  outbound_policy policy; /* the hospital's, read with the settings */
  json_t *group_roles;    /* directory group -> [roles]; the caller decrefs */
} ldap_row;

/* The hospital's directory settings and outbound policy, if it has a
 * directory (regional scope). */
static bool load_ldap(concerto_request *req, const char *tenant_code,
                      ldap_row *out) {
  const char *params[1] = {tenant_code};
  PGresult *r = NULL;
  if (request_query(
          req,
          "SELECT l.tenant_id, l.url, l.bind_dn, l.bind_password, l.user_base, "
          "l.user_filter, l.group_base, l.group_filter, l.timeout_ms, "
          "l.start_tls, l.group_roles::text, array_to_string(o.allow_cidrs, "
          "' '), o.allow_plaintext FROM concerto.tenant_ldap l JOIN "
          "concerto.tenants t ON t.id = l.tenant_id LEFT JOIN "
          "concerto.tenant_outbound o ON o.tenant_id = l.tenant_id WHERE "
          "t.code = $1 AND t.active",
          1, params, &r) != CONCERTO_OK ||
      PQntuples(r) != 1)
    return false;
#define COL(i)                                                                 \
  (PQgetisnull(r, 0, i) ? NULL : arena_strdup(&req->arena, PQgetvalue(r, 0, i)))
  memset(out, 0, sizeof *out);
  out->tenant_id = COL(0);
  out->s.url = COL(1);
  out->s.bind_dn = COL(2);
  out->s.bind_password = COL(3);
  out->s.user_base = COL(4);
  out->s.user_filter = COL(5);
  out->s.group_base = COL(6);
  out->s.group_filter = COL(7);
  out->s.timeout_ms = atoi(PQgetvalue(r, 0, 8));
  out->s.start_tls = PQgetvalue(r, 0, 9)[0] == 't';
  out->group_roles = json_loads(PQgetvalue(r, 0, 10), 0, NULL);
  outbound_policy_from_row(&out->policy, COL(11), COL(12));
  out->s.policy = &out->policy;
#undef COL
  return true;
}

/* The account of this directory entry (concerto.directory_account: bound
 * by hospital and entry, never matched by name across hospitals), with its
 * roles in that hospital replaced by the ones the directory groups map to.
 * Returns the user id (arena), or NULL with *conflict set when no account
 * name was free; *nroles gets how many roles were granted. */
static const char *provision_ldap_user(concerto_request *req, const ldap_row *l,
                                       const ldap_identity *id, int *nroles,
                                       bool *conflict) {
  *nroles = 0;
  *conflict = false;
  const char *entry =
      id->entry_id ? id->entry_id : arena_printf(&req->arena, "dn:%s", id->dn);
  const char *params[6] = {l->tenant_id,     entry,     id->username,
                           id->display_name, id->email, id->fiscal_code};
  PGresult *r = NULL;
  /* Two statements: the account the function may create is visible only
   * to statements that start after it. */
  if (request_query(req,
                    "SELECT concerto.directory_account($1::bigint, $2, $3, $4, "
                    "$5, $6)::text",
                    6, params, &r) != CONCERTO_OK)
    return NULL;
  if (PQgetisnull(r, 0, 0)) {
    *conflict = true; /* no free name for a new account */
    return NULL;
  }
  const char *found = arena_strdup(&req->arena, PQgetvalue(r, 0, 0));
  if (request_query(req,
                    "SELECT id::text FROM concerto.users WHERE id = "
                    "$1::bigint AND NOT disabled",
                    1, (const char *[]){found}, &r) != CONCERTO_OK ||
      PQntuples(r) != 1)
    return NULL; /* disabled: no role, no session */
  const char *uid = arena_strdup(&req->arena, PQgetvalue(r, 0, 0));
  const char *del[2] = {uid, l->tenant_id};
  request_query(req,
                "DELETE FROM concerto.user_roles WHERE user_id = $1 AND "
                "tenant_id = $2",
                2, del, NULL);
  for (size_t g = 0; g < id->ngroups; g++) {
    json_t *roles = json_object_get(l->group_roles, id->groups[g]);
    size_t i;
    json_t *role;
    json_array_foreach(roles, i, role) {
      const char *ins[3] = {uid, l->tenant_id, json_string_value(role)};
      if (ins[2] &&
          request_query(req,
                        "INSERT INTO concerto.user_roles (user_id, tenant_id, "
                        "role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        3, ins, NULL) == CONCERTO_OK)
        (*nroles)++;
    }
  }
  return uid;
}

/* Starts a staff session and answers like GET /api/v1/me does. */
static concerto_status start_session(concerto_request *req, const char *uid,
                                     const char *tenant_code);

static concerto_status login(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *typed = field_str(body, "username", true, 64, &v);
  const char *password = field_str(body, "password", true, 256, &v);
  const char *tenant = field_str(body, "tenant", false, 32, &v);
  if (verr_end(req, &v, &st))
    return st;
  char *username = arena_strdup(&req->arena, typed);
  username_lower(username); /* M.ROSSI logs in as m.rossi */
  const char *user_key = arena_printf(&req->arena, "user:%s", username);
  const char *addr_key = arena_printf(&req->arena, "addr:%s", req->client_addr);

  /* Before a caller exists the core reads the accounts and directories of
   * every hospital itself. */
  if ((st = db_system_scope(req, NULL)) != CONCERTO_OK)
    return st;
  int wait = throttle_wait(req, user_key, addr_key);
  if (wait < 0)
    return CONCERTO_ERR_DB_UNAVAILABLE;
  if (wait > 0) {
    request_audit(req, "auth.login", user_key, NULL, "denied", NULL);
    request_end_tx(req, true);
    return too_many(req, wait);
  }

  /* A local account by that name is checked first; the hospital's
   * directory, when a hospital is named and has one, is asked when there
   * is no such local account or its password did not match. A directory
   * account is never looked up by name: only the directory's entry finds it
   * (provision_ldap_user). */
  const char *params[1] = {username};
  PGresult *r = NULL;
  if ((st = request_query(req,
                          "SELECT id, password_hash FROM concerto.users WHERE "
                          "username = $1 AND auth_source = 'local' AND NOT "
                          "disabled AND password_hash IS NOT NULL",
                          1, params, &r)) != CONCERTO_OK)
    return st;
  const char *uid =
      PQntuples(r) == 1 ? arena_strdup(&req->arena, PQgetvalue(r, 0, 0)) : NULL;
  const char *hash =
      uid ? arena_strdup(&req->arena, PQgetvalue(r, 0, 1)) : NULL;
  ldap_row l;
  bool has_ldap = tenant && load_ldap(req, tenant, &l);
  /* The slow part (argon2id, the directory) runs outside any transaction so
   * a burst of logins cannot hold the pool's connections. */
  request_end_tx(req, true);

  bool local_ok = hash && password_verify(hash, password);
  if (!hash && !has_ldap)
    password_verify_dummy(password); /* same time as a real check */
  if (local_ok && has_ldap)
    json_decref(l.group_roles);
  if (!local_ok && has_ldap) {
    ldap_identity id;
    char err[256] = "";
    ldap_auth_status ls =
        ldap_authenticate(&l.s, typed, password, &id, err, sizeof err);
    if (ls == LDAP_AUTH_UNAVAILABLE || ls == LDAP_AUTH_ERROR) {
      json_decref(l.group_roles);
      log_msg(CONCERTO_LOG_WARN, NULL, req->id, "directory of %s: %s", tenant,
              err);
      db_system_scope(req, NULL);
      request_audit(req, "auth.login", user_key, NULL, "failure", l.tenant_id);
      request_end_tx(req, true);
      return request_problem(
          req, 503, "directory_unavailable", NULL,
          "The hospital's directory cannot be reached; try again shortly. "
          "Local accounts are not affected.");
    }
    if (ls != LDAP_AUTH_OK) {
      json_decref(l.group_roles);
      db_system_scope(req, NULL);
      return login_failed(req, username, user_key, addr_key, 401,
                          "invalid_credentials", bad_credentials);
    }
    db_system_scope(req, NULL);
    int nroles = 0;
    bool conflict = false;
    uid = provision_ldap_user(req, &l, &id, &nroles, &conflict);
    ldap_identity_free(&id);
    json_decref(l.group_roles);
    if (conflict) {
      request_audit(req, "auth.login", user_key, NULL, "denied", l.tenant_id);
      request_end_tx(req, true);
      return request_problem(
          req, 409, "username_conflict", NULL,
          "Another account of the region already uses this name; ask the "
          "regional administrator to rename one of them.");
    }
    if (!uid || nroles == 0) {
      request_audit(req, "auth.login", user_key, NULL, "denied", l.tenant_id);
      request_end_tx(req, true);
      return request_problem(
          req, 403, "no_role", NULL,
          "Your directory account has no Concerto role in this "
          "hospital; ask the hospital administrator.");
    }
    request_audit(req, "user.roles.sync", user_key, NULL, "success",
                  l.tenant_id);
    return start_session(req, uid, tenant);
  }

  db_system_scope(req, NULL);
  if (!local_ok)
    return login_failed(req, username, user_key, addr_key, 401,
                        "invalid_credentials", bad_credentials);
  if (password_needs_rehash(hash)) {
    char *fresh = password_hash(password);
    const char *rp[2] = {fresh, uid};
    if (fresh)
      request_query(
          req, "UPDATE concerto.users SET password_hash = $1 WHERE id = $2", 2,
          rp, NULL);
    free(fresh);
  }
  return start_session(req, uid, tenant);
}

/* The caller's profile: hospitals with roles and enabled modules. */
static json_t *profile_json(concerto_request *req, const char *uid,
                            const char *current_code, const char *csrf) {
  const char *params[1] = {uid};
  PGresult *u, *t;
  if (request_query(req,
                    "SELECT id::text, username, display_name, email, language, "
                    "regional_admin FROM concerto.users WHERE id = $1",
                    1, params, &u) != CONCERTO_OK ||
      PQntuples(u) != 1 ||
      request_query(
          req,
          "SELECT t.id, t.code, t.name, t.kind, t.hub, "
          "coalesce(array_agg(r.role "
          "ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles "
          "FROM concerto.tenants t LEFT JOIN concerto.user_roles r ON "
          "r.tenant_id = t.id AND r.user_id = $1 WHERE t.active AND (r.role IS "
          "NOT NULL OR (SELECT regional_admin FROM concerto.users WHERE id = "
          "$1)) GROUP BY t.id ORDER BY t.code",
          1, params, &t) != CONCERTO_OK)
    return NULL;
  json_t *me = row_json(u, 0);
  json_t *tenants = json_array();
  json_t *roles = json_object();
  for (int i = 0; i < PQntuples(t); i++) {
    json_t *row = row_json(t, i);
    long long tid = strtoll(PQgetvalue(t, i, 0), NULL, 10);
    json_object_del(row, "id");
    json_object_set_new(row, "modules",
                        tenant_enabled_modules(req->app->tenants, tid));
    json_object_set(roles, PQgetvalue(t, i, 1), json_object_get(row, "roles"));
    json_array_append_new(tenants, row);
  }
  json_object_set_new(me, "roles", roles);
  json_object_set_new(me, "tenants", tenants);
  json_object_set_new(me, "current_tenant",
                      current_code ? json_string(current_code) : json_null());
  json_object_set_new(me, "csrf_token", csrf ? json_string(csrf) : json_null());
  return me;
}

static concerto_status start_session(concerto_request *req, const char *uid,
                                     const char *tenant_code) {
  const concerto_config *cfg = &req->app->cfg;
  char token[TOKEN_TEXT_LEN + 1], csrf[TOKEN_TEXT_LEN + 1], hash[65];
  if (!token_new(token) || !token_new(csrf) || !token_hash(token, hash))
    return CONCERTO_ERR_INTERNAL;
  char ttl[16];
  snprintf(ttl, sizeof ttl, "%u", cfg->session_absolute_s);
  const char *agent = req_header(req, "User-Agent");
  const char *params[7] = {hash,
                           uid,
                           tenant_code,
                           csrf,
                           req->client_addr[0] ? req->client_addr : NULL,
                           agent ? arena_strndup(&req->arena, agent, 200)
                                 : NULL,
                           ttl};
  PGresult *r = NULL;
  /* The current hospital: the one asked for if the user works there (or is
   * a regional administrator), else the first one they work for. */
  concerto_status st = request_query(
      req,
      "WITH pick AS (SELECT t.id, t.code FROM concerto.tenants t WHERE "
      "t.active AND (EXISTS (SELECT 1 FROM concerto.user_roles r WHERE "
      "r.tenant_id = t.id AND r.user_id = $2) OR (t.code = $3 AND (SELECT "
      "regional_admin FROM concerto.users WHERE id = $2))) ORDER BY (t.code "
      "= $3) DESC NULLS LAST, t.code LIMIT 1) "
      "INSERT INTO concerto.sessions (token_hash, kind, user_id, "
      "current_tenant_id, csrf_token, client_addr, user_agent, expires_at) "
      "SELECT $1, 'staff', $2, (SELECT id FROM pick), $4, $5::inet, $6, "
      "now() + make_interval(secs => $7::integer) "
      "RETURNING id, (SELECT code FROM pick), current_tenant_id",
      7, params, &r);
  if (st != CONCERTO_OK)
    return st;
  const char *current = PQgetisnull(r, 0, 1)
                            ? NULL
                            : arena_strdup(&req->arena, PQgetvalue(r, 0, 1));
  const char *current_id = PQgetisnull(r, 0, 2)
                               ? NULL
                               : arena_strdup(&req->arena, PQgetvalue(r, 0, 2));
  req->caller.kind = CALLER_STAFF;
  req->caller.user_id = uid;
  req->caller.username = arena_strdup(&req->arena, uid);
  const char *up[1] = {uid};
  PGresult *name;
  if (request_query(req, "SELECT username FROM concerto.users WHERE id = $1", 1,
                    up, &name) == CONCERTO_OK &&
      PQntuples(name) == 1)
    req->caller.username = arena_strdup(&req->arena, PQgetvalue(name, 0, 0));
  request_audit(req, "auth.login",
                arena_printf(&req->arena, "session:%s", PQgetvalue(r, 0, 0)),
                NULL, "success", current_id);
  request_query(req, "DELETE FROM concerto.login_throttle WHERE key = $1", 1,
                (const char *[]){
                    arena_printf(&req->arena, "user:%s", req->caller.username)},
                NULL);
  json_t *me = profile_json(req, uid, current, csrf);
  if (!me)
    return CONCERTO_ERR_DB_UNAVAILABLE;
  req_set_header(req, "Set-Cookie",
                 auth_cookie(req, token, cfg->session_absolute_s));
  return req_respond_json(
      req, 200, json_pack("{s:o, s:s}", "user", me, "csrf_token", csrf));
}

static concerto_status me(concerto_request *req, void *ud) {
  (void)ud;
  if (req->caller.kind == CALLER_TOKEN)
    return req_respond_json(
        req, 200,
        json_pack("{s:s, s:s?, s:s?, s:[s?]}", "kind", "token", "name",
                  req->caller.display_name, "current_tenant",
                  req->caller.tenant_code, "roles",
                  req->caller.nroles ? req->caller.roles[0] : NULL));
  json_t *profile =
      profile_json(req, req->caller.user_id, req->caller.tenant_code,
                   req->caller.csrf_token);
  if (!profile)
    return CONCERTO_ERR_DB_UNAVAILABLE;
  return req_respond_json(req, 200, profile);
}

static concerto_status update_me(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *language = field_str(body, "language", false, 2, &v);
  const char *tenant = field_str(body, "current_tenant", false, 32, &v);
  if (language && strcmp(language, "it") != 0 && strcmp(language, "en") != 0)
    verr_add(&v, "language", "must be \"it\" or \"en\"");
  if (verr_end(req, &v, &st))
    return st;
  if (language) {
    const char *p[2] = {language, req->caller.user_id};
    if ((st = request_query(
             req, "UPDATE concerto.users SET language = $1 WHERE id = $2", 2, p,
             NULL)) != CONCERTO_OK)
      return st;
  }
  const char *current = req->caller.tenant_code;
  if (tenant) {
    const char *p[3] = {tenant, req->caller.user_id, req->caller.session_id};
    PGresult *r;
    if ((st = request_query(
             req,
             "UPDATE concerto.sessions s SET current_tenant_id = t.id FROM "
             "concerto.tenants t WHERE s.id = $3 AND t.code = $1 AND t.active "
             "AND (EXISTS (SELECT 1 FROM concerto.user_roles r WHERE "
             "r.tenant_id = t.id AND r.user_id = $2) OR (SELECT regional_admin "
             "FROM concerto.users WHERE id = $2)) RETURNING t.code",
             3, p, &r)) != CONCERTO_OK)
      return st;
    if (PQntuples(r) != 1)
      return request_problem(req, 404, "not_found", NULL,
                             "No such hospital for this user.");
    current = tenant;
  }
  json_t *profile =
      profile_json(req, req->caller.user_id, current, req->caller.csrf_token);
  if (!profile)
    return CONCERTO_ERR_DB_UNAVAILABLE;
  return req_respond_json(req, 200, profile);
}

static concerto_status logout(concerto_request *req, void *ud) {
  (void)ud;
  const char *p[1] = {req->caller.session_id};
  concerto_status st = request_query(
      req, "UPDATE concerto.sessions SET revoked_at = now() WHERE id = $1", 1,
      p, NULL);
  if (st != CONCERTO_OK)
    return st;
  request_audit(req, "auth.logout",
                arena_printf(&req->arena, "session:%s", req->caller.session_id),
                req->caller.patient_id, "success", NULL);
  req_set_header(req, "Set-Cookie", auth_cookie(req, NULL, 0));
  return req_respond_json(req, 200, json_pack("{s:b}", "logged_out", 1));
}

static concerto_status list_sessions(concerto_request *req, void *ud) {
  (void)ud;
  const char *p[2] = {req->caller.user_id, req->caller.session_id};
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT id::text, created_at, last_seen_at, expires_at, "
      "host(client_addr) AS client_addr, user_agent, (id = $2::bigint) AS "
      "current FROM concerto.sessions WHERE user_id = $1 AND revoked_at IS "
      "NULL AND expires_at > now() ORDER BY last_seen_at DESC",
      2, p, &r);
  return respond_rows(req, st, r, "sessions");
}

static concerto_status revoke_session(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = id_param(req, "id");
  if (!id)
    return CONCERTO_ERR_NOT_FOUND;
  const char *p[2] = {id, req->caller.user_id};
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "UPDATE concerto.sessions SET revoked_at = now() WHERE id = $1 AND "
      "user_id = $2 AND revoked_at IS NULL RETURNING id",
      2, p, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  request_audit(req, "auth.session.revoke",
                arena_printf(&req->arena, "session:%s", id), NULL, "success",
                NULL);
  return req_respond_json(req, 200, json_pack("{s:s}", "revoked", id));
}

/* Live notifications for the caller (Server-Sent Events). */
static concerto_status notifications(concerto_request *req, void *ud) {
  (void)ud;
  return notify_stream_response(req, req->app->notify) ? CONCERTO_OK
                                                       : CONCERTO_ERR_NOMEM;
}

const route_def routes_auth[] = {
    {"GET", "/api/v1/me/notifications", "authenticated,patient", notifications},
    {"POST", "/api/v1/auth/login", NULL, login},
    {"POST", "/api/v1/auth/logout", "authenticated,patient", logout},
    {"GET", "/api/v1/me", "authenticated", me},
    {"PATCH", "/api/v1/me", "authenticated", update_me},
    {"GET", "/api/v1/me/sessions", "authenticated", list_sessions},
    {"DELETE", "/api/v1/me/sessions/{id}", "authenticated", revoke_session},
    {NULL, NULL, NULL, NULL},
};
