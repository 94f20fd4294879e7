/* Administration: hospitals and their sites (regional administrators),
 * module enablement per hospital, staff accounts and roles, the hospital's
 * directory settings and API tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_util.h"
#include "ldap_auth.h"
#include "notify.h"
#include "outbound_store.h"
#include "password.h"
#include "roles.h"
#include "module_registry.h"
#include "routes.h"
#include "tenant_cache.h"
#include "tokens.h"
#include "username.h"

/* A role that may be granted now: declared by the core or a running
 * module (a role only the database remembers cannot be granted anew). */
static bool known_role(concerto_request *req, const char *r) {
  const role_def *d = roles_find(req->app->roles, r);
  return d && d->registered;
}

static void notify_tenants_changed(app *a) {
  tenant_cache_reload(a->tenants);
}

/* ---- hospitals ---- */

static concerto_status list_tenants(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st = CONCERTO_OK;
  /* Sites are hospital data (RLS): a regional administrator sees all. */
  if (req->caller.regional_admin &&
      (st = db_regional_scope(req)) != CONCERTO_OK)
    return st;
  PGresult *r = NULL;
  st = request_query(
      req,
      "SELECT t.code, t.name, t.kind, t.hub, t.active, t.time_zone, "
      "coalesce((SELECT "
      "json_agg(json_build_object('code', s.code, 'name', s.name, 'city', "
      "s.city) ORDER BY s.code) FROM concerto.sites s WHERE s.tenant_id = "
      "t.id), '[]') AS sites FROM concerto.tenants t ORDER BY t.code",
      0, NULL, &r);
  return respond_rows(req, st, r, "tenants");
}

static void validate_tenant(json_t *body, bool creating, verrors *v,
                            const char **code, const char **name,
                            const char **kind) {
  *code = creating ? field_str(body, "code", true, 32, v) : NULL;
  *name = field_str(body, "name", creating, 200, v);
  *kind = field_str(body, "kind", creating, 8, v);
  if (*kind && strcmp(*kind, "ASL") && strcmp(*kind, "AO") &&
      strcmp(*kind, "AOU") && strcmp(*kind, "IRCCS"))
    verr_add(v, "kind", "must be one of ASL, AO, AOU, IRCCS");
  if (*code) {
    bool ok = strlen(*code) >= 2;
    for (const char *p = *code; *p && ok; p++)
      ok = (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           (p != *code && (*p == '_' || *p == '-'));
    if (!ok)
      verr_add(v, "code",
               "2-32 upper-case letters, digits, '-' or '_' (e.g. ASP-AG)");
  }
  json_t *hub = json_object_get(body, "hub");
  if (hub && !json_is_boolean(hub))
    verr_add(v, "hub", "must be true or false");
  json_t *active = json_object_get(body, "active");
  if (active && !json_is_boolean(active))
    verr_add(v, "active", "must be true or false");
}

static concerto_status create_tenant(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *code, *name, *kind;
  validate_tenant(body, true, &v, &code, &name, &kind);
  if (verr_end(req, &v, &st))
    return st;
  const char *params[4] = {
      code, name, kind,
      json_is_true(json_object_get(body, "hub")) ? "true" : "false"};
  PGresult *r = NULL;
  st = request_query(req,
                     "INSERT INTO concerto.tenants (code, name, kind, hub) "
                     "VALUES ($1, $2, $3, $4::boolean) ON CONFLICT (code) DO "
                     "NOTHING RETURNING id, code, name, kind, hub, active",
                     4, params, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return request_problem(req, 409, "conflict", NULL,
                           "A hospital with this code exists already.");
  request_audit(req, "tenant.create",
                arena_printf(&req->arena, "tenant:%s", code), NULL, "success",
                PQgetvalue(r, 0, 0));
  json_t *out = row_json(r, 0);
  json_object_del(out, "id");
  return req_respond_json(req, 201, out);
}

static concerto_status update_tenant(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *code, *name, *kind;
  validate_tenant(body, false, &v, &code, &name, &kind);
  /* The zone of the hospital's daily jobs (docs/jobs.md). */
  const char *zone = field_str(body, "time_zone", false, 64, &v);
  PGresult *r = NULL;
  if (zone &&
      request_query(req, "SELECT concerto.time_zone_valid($1)", 1, &zone, &r) ==
          CONCERTO_OK &&
      PQgetvalue(r, 0, 0)[0] != 't')
    verr_add(&v, "time_zone", "not a time zone name such as Europe/Rome");
  if (verr_end(req, &v, &st))
    return st;
  json_t *hub = json_object_get(body, "hub");
  json_t *active = json_object_get(body, "active");
  const char *params[6] = {req_param(req, "tenant"),
                           name,
                           kind,
                           hub ? (json_is_true(hub) ? "true" : "false") : NULL,
                           active ? (json_is_true(active) ? "true" : "false")
                                  : NULL,
                           zone};
  st = request_query(
      req,
      "UPDATE concerto.tenants SET name = coalesce($2, name), kind = "
      "coalesce($3, kind), hub = coalesce($4::boolean, hub), active = "
      "coalesce($5::boolean, active), time_zone = coalesce($6, time_zone) "
      "WHERE code = $1 RETURNING id, code, name, kind, hub, active, "
      "time_zone",
      6, params, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  request_audit(req, "tenant.update",
                arena_printf(&req->arena, "tenant:%s", params[0]), NULL,
                "success", PQgetvalue(r, 0, 0));
  json_t *out = row_json(r, 0);
  json_object_del(out, "id");
  return req_respond_json(req, 200, out);
}

static concerto_status create_site(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *code = field_str(body, "code", true, 32, &v);
  const char *name = field_str(body, "name", true, 200, &v);
  const char *city = field_str(body, "city", false, 100, &v);
  if (verr_end(req, &v, &st))
    return st;
  const char *params[4] = {req->caller.tenant_id, code, name, city};
  PGresult *r = NULL;
  st = request_query(req,
                     "INSERT INTO concerto.sites (tenant_id, code, name, city) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING "
                     "code, name, city",
                     4, params, &r);
  if (st == CONCERTO_ERR_DB_QUERY)
    return request_problem(req, 422, "validation_failed", NULL,
                           "code: 1-32 upper-case letters, digits, '-', '_'");
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return request_problem(req, 409, "conflict", NULL,
                           "This hospital has a site with this code already.");
  request_audit(req, "site.create", arena_printf(&req->arena, "site:%s", code),
                NULL, "success", NULL);
  return req_respond_json(req, 201, row_json(r, 0));
}

/* ---- modules per hospital ---- */

static concerto_status list_tenant_modules(concerto_request *req, void *ud) {
  (void)ud;
  app *a = req->app;
  long long tid = strtoll(req->caller.tenant_id, NULL, 10);
  json_t *list = json_array();
  for (size_t i = 0; i < a->modules->count; i++) {
    module_rec *m = a->modules->mods[i];
    json_array_append_new(
        list, json_pack("{s:s, s:s, s:b}", "module", m->name, "state",
                        module_state_name(m->status), "enabled",
                        tenant_module_enabled(a->tenants, tid, m->name)));
  }
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:o}", "tenant",
                                    req->caller.tenant_code, "modules", list));
}

static concerto_status set_tenant_module(concerto_request *req, void *ud) {
  (void)ud;
  const char *module = req_param(req, "module");
  if (!module_registry_find(req->app->modules, module))
    return request_problem(req, 404, "not_found", NULL,
                           "No module of this name is loaded in the server.");
  concerto_status st;
  json_t *body = body_object(req, &st);
  if (!body)
    return st;
  json_t *enabled = json_object_get(body, "enabled");
  if (!json_is_boolean(enabled)) {
    verrors v;
    verr_init(&v);
    verr_add(&v, "enabled", "must be true or false");
    return verr_respond(req, &v);
  }
  const char *params[4] = {req->caller.tenant_id, module,
                           json_is_true(enabled) ? "true" : "false",
                           req->caller.user_id};
  st = request_query(
      req,
      "INSERT INTO concerto.tenant_modules (tenant_id, module, enabled, "
      "updated_by) VALUES ($1, $2, $3::boolean, $4) ON CONFLICT (tenant_id, "
      "module) DO UPDATE SET enabled = $3::boolean, updated_at = now(), "
      "updated_by = $4",
      4, params, NULL);
  if (st == CONCERTO_OK)
    st = request_query(req, "SELECT pg_notify('concerto_tenants', $1)", 1,
                       (const char *[]){req->caller.tenant_code}, NULL);
  if (st != CONCERTO_OK)
    return st;
  request_audit(req, json_is_true(enabled) ? "module.enable" : "module.disable",
                arena_printf(&req->arena, "module:%s", module), NULL, "success",
                NULL);
  notify_send(req, NULL, req->caller.tenant_id,
              json_is_true(enabled) ? "module.enabled" : "module.disabled",
              module, json_is_true(enabled) ? "success" : "warning");
  /* This server sees the change from its very next request; the others
   * through the notification. */
  req->after_commit = notify_tenants_changed;
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:s, s:b}", "tenant",
                                    req->caller.tenant_code, "module", module,
                                    "enabled", json_is_true(enabled)));
}

/* ---- staff accounts ---- */

static concerto_status list_users(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT u.id::text, u.username, u.display_name, u.email, "
      "u.auth_source, u.disabled, array_agg(r.role ORDER BY r.role) AS roles, "
      "(SELECT t.code FROM concerto.tenants t WHERE t.id = u.home_tenant_id) "
      "AS home, coalesce((SELECT array_agg(t.code ORDER BY t.code) FROM "
      "concerto.user_shares s JOIN concerto.tenants t ON t.id = s.tenant_id "
      "WHERE s.user_id = u.id), '{}')::text[] AS shares FROM concerto.users "
      "u JOIN concerto.user_roles r ON r.user_id = u.id WHERE r.tenant_id = "
      "$1 GROUP BY u.id ORDER BY u.username",
      1, (const char *[]){req->caller.tenant_id}, &r);
  return respond_rows(req, st, r, "users");
}

/* Replaces the user's roles in the request's hospital. */
static concerto_status put_roles(concerto_request *req, const char *uid,
                                 json_t *roles) {
  const char *del[2] = {uid, req->caller.tenant_id};
  concerto_status st = request_query(
      req,
      "DELETE FROM concerto.user_roles WHERE user_id = $1 AND tenant_id = $2",
      2, del, NULL);
  size_t i;
  json_t *role;
  json_array_foreach(roles, i, role) {
    if (st != CONCERTO_OK)
      break;
    const char *ins[3] = {uid, req->caller.tenant_id, json_string_value(role)};
    st = request_query(req,
                       "INSERT INTO concerto.user_roles (user_id, tenant_id, "
                       "role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                       3, ins, NULL);
  }
  return st;
}

static void validate_roles(concerto_request *req, json_t *roles, verrors *v) {
  if (!json_is_array(roles) || json_array_size(roles) == 0) {
    verr_add(v, "roles", "at least one role is required");
    return;
  }
  size_t i;
  json_t *role;
  json_array_foreach(roles, i, role) {
    if (!known_role(req, json_string_value(role))) {
      verr_add(v, "roles",
               "unknown role: GET /api/v1/roles lists those that can be "
               "granted");
      return;
    }
  }
}

/* The {username} of the path as stored: names are lower case, so
 * /users/M.Rossi/roles is m.rossi's. Request memory. */
static const char *username_param(concerto_request *req) {
  char *name = arena_strdup(&req->arena, req_param(req, "username"));
  username_lower(name);
  return name;
}

static concerto_status create_user(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *typed = field_str(body, "username", true, 64, &v);
  const char *display = field_str(body, "display_name", true, 200, &v);
  const char *email = field_str(body, "email", false, 254, &v);
  const char *password = field_str(body, "password", false, 256, &v);
  const char *source = field_str(body, "auth_source", false, 8, &v);
  json_t *roles = json_object_get(body, "roles");
  validate_roles(req, roles, &v);
  bool ldap = source && strcmp(source, "ldap") == 0;
  if (source && !ldap && strcmp(source, "local") != 0)
    verr_add(&v, "auth_source", "must be \"local\" or \"ldap\"");
  /* "M.Rossi" is accepted and stored as "m.rossi": one account however
   * it is typed, at login and in the directory alike. */
  char folded[65];
  const char *username = NULL;
  if (typed && username_fold(typed, folded, sizeof folded))
    username = folded;
  else if (typed)
    verr_add_code(&v, "username", "format", USERNAME_RULE);
  char msg[160];
  if (!ldap && !password)
    verr_add(&v, "password", "required for a local account");
  else if (!ldap && password &&
           !password_policy_check(password, username ? username : "", msg,
                                  sizeof msg))
    verr_add(&v, "password", msg);
  if (verr_end(req, &v, &st))
    return st;
  char *hash = ldap ? NULL : password_hash(password);
  if (!ldap && !hash)
    return CONCERTO_ERR_INTERNAL;
  /* The hospital creating the account owns it: only it (or the region)
   * gives it roles, or shares it with another hospital. A directory
   * account made here is that hospital's directory's, found at login by
   * its login name and bound to its entry then. */
  const char *params[6] = {username,
                           display,
                           email,
                           hash,
                           ldap ? "ldap" : "local",
                           req->caller.tenant_id};
  PGresult *r = NULL;
  st = request_query(
      req,
      "INSERT INTO concerto.users (username, display_name, email, "
      "password_hash, auth_source, home_tenant_id, directory_tenant_id, "
      "directory_login) VALUES ($1, $2, $3, $4, $5, $6::bigint, CASE WHEN $5 "
      "= 'ldap' THEN $6::bigint END, CASE WHEN $5 = 'ldap' THEN lower($1) "
      "END) ON CONFLICT (username) DO NOTHING RETURNING id",
      6, params, &r);
  free(hash);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1) {
    verr_init(&v);
    verr_add_code(&v, "username", "taken",
                  "This username exists already (names are compared "
                  "without regard to case).");
    return verr_respond_as(
        req, &v, 409, "conflict",
        "This username exists already; to give that person roles in this "
        "hospital use PUT .../users/{username}/roles.");
  }
  const char *uid = arena_strdup(&req->arena, PQgetvalue(r, 0, 0));
  if ((st = put_roles(req, uid, roles)) != CONCERTO_OK)
    return st;
  request_audit(req, "user.create",
                arena_printf(&req->arena, "user:%s", username), NULL, "success",
                NULL);
  request_audit(req, "user.roles.change",
                arena_printf(&req->arena, "user:%s", username), NULL, "success",
                NULL);
  return req_respond_json(req, 201,
                          json_pack("{s:s, s:s, s:s, s:O}", "id", uid,
                                    "username", username, "display_name",
                                    display, "roles", roles));
}

/* The account `username` if this request's hospital may give it roles:
 * the hospital owns it or was given it (user_shares), or the caller is a
 * regional administrator. Otherwise answers 404 (no such account) or 403
 * naming the owning hospital, and *uid is NULL. */
static concerto_status owned_account(concerto_request *req,
                                     const char *username, const char **uid) {
  *uid = NULL;
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT u.id::text, u.home_tenant_id = $2::bigint OR EXISTS (SELECT 1 "
      "FROM concerto.user_shares s WHERE s.user_id = u.id AND s.tenant_id = "
      "$2::bigint), (SELECT t.name FROM concerto.tenants t WHERE t.id = "
      "u.home_tenant_id) FROM concerto.users u WHERE u.username = $1",
      2, (const char *[]){username, req->caller.tenant_id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return CONCERTO_ERR_NOT_FOUND;
  bool given = PQgetvalue(r, 0, 1)[0] == 't';
  if (!given && req->caller.regional_admin) {
    /* The region gives the account to this hospital: recorded as a share,
     * so the hospital's administrator manages its roles from now on. */
    *uid = arena_strdup(&req->arena, PQgetvalue(r, 0, 0));
    if ((st = db_regional_scope(req)) != CONCERTO_OK ||
        (st = request_query(
             req,
             "INSERT INTO concerto.user_shares (user_id, "
             "tenant_id, granted_by) VALUES ($1, $2, $3) ON "
             "CONFLICT DO NOTHING",
             3,
             (const char *[]){*uid, req->caller.tenant_id, req->caller.user_id},
             NULL)) != CONCERTO_OK)
      *uid = NULL;
    return st;
  }
  if (!given) {
    request_audit(req, "user.roles.change",
                  arena_printf(&req->arena, "user:%s", username), NULL,
                  "denied", NULL);
    return request_problem(
        req, 403, "account_not_shared", NULL,
        arena_printf(&req->arena,
                     "This account belongs to %s: that hospital's "
                     "administrator can share it with yours first.",
                     PQgetisnull(r, 0, 2) ? "another hospital"
                                          : PQgetvalue(r, 0, 2)));
  }
  *uid = arena_strdup(&req->arena, PQgetvalue(r, 0, 0));
  return CONCERTO_OK;
}

static concerto_status set_user_roles(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  json_t *roles = json_object_get(body, "roles");
  validate_roles(req, roles, &v);
  if (verr_end(req, &v, &st))
    return st;
  const char *username = username_param(req);
  const char *uid;
  if ((st = owned_account(req, username, &uid)) != CONCERTO_OK || !uid)
    return st;
  if ((st = put_roles(req, uid, roles)) != CONCERTO_OK)
    return st;
  request_audit(req, "user.roles.change",
                arena_printf(&req->arena, "user:%s", username), NULL, "success",
                NULL);
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:s, s:O}", "username", username,
                                    "tenant", req->caller.tenant_code, "roles",
                                    roles));
}

/* ---- sharing an account with another hospital ---- */

/* The account owned by this request's hospital (or any, for a regional
 * administrator) and the other hospital of the path; answers 404 itself. */
static concerto_status share_target(concerto_request *req, const char **uid,
                                    const char **target_id) {
  *uid = *target_id = NULL;
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT u.id::text, (SELECT t.id::text FROM concerto.tenants t WHERE "
      "t.code = $3 AND t.active AND t.id <> $2::bigint) FROM concerto.users "
      "u WHERE u.username = $1 AND (u.home_tenant_id = $2::bigint OR "
      "$4::boolean)",
      4,
      (const char *[]){username_param(req), req->caller.tenant_id,
                       req_param(req, "other"),
                       req->caller.regional_admin ? "true" : "false"},
      &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return request_problem(req, 404, "not_found", NULL,
                           "No account of this hospital has this name.");
  if (PQgetisnull(r, 0, 1))
    return request_problem(req, 404, "not_found", NULL,
                           "No other active hospital has this code.");
  *uid = arena_strdup(&req->arena, PQgetvalue(r, 0, 0));
  *target_id = arena_strdup(&req->arena, PQgetvalue(r, 0, 1));
  return CONCERTO_OK;
}

static concerto_status share_user(concerto_request *req, void *ud) {
  (void)ud;
  const char *uid, *target;
  concerto_status st = share_target(req, &uid, &target);
  if (st != CONCERTO_OK || !uid)
    return st;
  if ((st = request_query(req,
                          "INSERT INTO concerto.user_shares (user_id, "
                          "tenant_id, granted_by) VALUES ($1, $2, $3) ON "
                          "CONFLICT DO NOTHING",
                          3, (const char *[]){uid, target, req->caller.user_id},
                          NULL)) != CONCERTO_OK)
    return st;
  const char *who = username_param(req);
  request_audit(req, "user.share",
                arena_printf(&req->arena, "user:%s:with:%s", who,
                             req_param(req, "other")),
                NULL, "success", NULL);
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:s}", "username", who,
                                    "shared_with", req_param(req, "other")));
}

static concerto_status unshare_user(concerto_request *req, void *ud) {
  (void)ud;
  const char *uid, *target;
  concerto_status st = share_target(req, &uid, &target);
  if (st != CONCERTO_OK || !uid)
    return st;
  PGresult *r = NULL;
  if ((st = request_query(req,
                          "SELECT concerto.user_unshare($1::bigint, "
                          "$2::bigint)",
                          2, (const char *[]){uid, target}, &r)) != CONCERTO_OK)
    return st;
  if (PQgetvalue(r, 0, 0)[0] != 't')
    return request_problem(req, 404, "not_found", NULL,
                           "This account is not shared with that hospital.");
  const char *who = username_param(req);
  /* The roles the other hospital gave it went with the share. */
  request_audit(req, "user.unshare",
                arena_printf(&req->arena, "user:%s:with:%s", who,
                             req_param(req, "other")),
                NULL, "success", NULL);
  request_audit(req, "user.roles.change",
                arena_printf(&req->arena, "user:%s", who), NULL, "success",
                target);
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:s}", "username", who,
                                    "unshared_with", req_param(req, "other")));
}

/* ---- directory ---- */

static concerto_status put_ldap(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *url = field_str(body, "url", true, 500, &v);
  const char *bind_dn = field_str(body, "bind_dn", false, 500, &v);
  const char *bind_pw = field_str(body, "bind_password", false, 500, &v);
  const char *user_base = field_str(body, "user_base", true, 500, &v);
  const char *user_filter = field_str(body, "user_filter", false, 200, &v);
  const char *group_base = field_str(body, "group_base", false, 500, &v);
  const char *group_filter = field_str(body, "group_filter", false, 200, &v);
  json_t *group_roles = json_object_get(body, "group_roles");
  if (url && strncmp(url, "ldap://", 7) && strncmp(url, "ldaps://", 8))
    verr_add(&v, "url", "must start with ldap:// or ldaps://");
  if (user_filter && !strstr(user_filter, "%s"))
    verr_add(&v, "user_filter", "must contain %s for the username");
  if (group_filter && !strstr(group_filter, "%s"))
    verr_add(&v, "group_filter", "must contain %s for the user DN");
  if (!json_is_object(group_roles))
    verr_add(&v, "group_roles",
             "an object mapping directory groups to lists of roles");
  const char *gkey;
  json_t *glist;
  json_object_foreach(group_roles, gkey, glist) {
    verrors inner;
    verr_init(&inner);
    validate_roles(req, glist, &inner);
    if (verr_any(&inner))
      verr_add(&v, "group_roles", "each group maps to a list of known roles");
    verr_free(&inner);
  }
  if (verr_end(req, &v, &st))
    return st;
  json_t *tls = json_object_get(body, "start_tls");
  /* Where it points: the hospital's outbound policy on every URL and every
   * address its hosts resolve to now (each login checks again on the
   * connection itself). */
  outbound_policy policy;
  outbound_verdict verdict;
  if ((st = outbound_policy_load(req, &policy)) != CONCERTO_OK)
    return st;
  if (!ldap_url_check(&policy, url, json_is_true(tls), true, &verdict))
    return outbound_refuse(req, "ldap", "url", &verdict);
  char *mapping = json_dumps(group_roles, JSON_COMPACT);
  const char *params[10] = {req->caller.tenant_id,
                            url,
                            bind_dn,
                            bind_pw,
                            user_base,
                            user_filter ? user_filter : "(uid=%s)",
                            group_base,
                            group_filter,
                            mapping,
                            json_is_true(tls) ? "true" : "false"};
  st = request_query(
      req,
      "INSERT INTO concerto.tenant_ldap (tenant_id, url, bind_dn, "
      "bind_password, user_base, user_filter, group_base, group_filter, "
      "group_roles, start_tls) VALUES ($1, $2, $3, $4, $5, $6, $7, "
      "coalesce($8, '(&(objectClass=groupOfNames)(member=%s))'), $9::jsonb, "
      "$10::boolean) ON CONFLICT (tenant_id) DO UPDATE SET url = $2, bind_dn "
      "= $3, bind_password = coalesce($4, tenant_ldap.bind_password), "
      "user_base = $5, user_filter = $6, group_base = $7, group_filter = "
      "coalesce($8, tenant_ldap.group_filter), group_roles = $9::jsonb, "
      "start_tls = $10::boolean, updated_at = now()",
      10, params, NULL);
  free(mapping);
  if (st != CONCERTO_OK)
    return st;
  request_audit(req, "tenant.ldap.update", "ldap", NULL, "success", NULL);
  /* The bind password is write-only: never echoed. */
  return req_respond_json(req, 200,
                          json_pack("{s:s, s:s, s:b}", "tenant",
                                    req->caller.tenant_code, "url", url,
                                    "bind_password_set", bind_pw != NULL));
}

/* The directory settings, without the bind password (write-only). */
static concerto_status get_ldap(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT url, bind_dn, (bind_password IS NOT NULL) AS "
      "bind_password_set, user_base, user_filter, group_base, group_filter, "
      "group_roles, start_tls, timeout_ms::text, updated_at FROM "
      "concerto.tenant_ldap WHERE tenant_id = $1",
      1, (const char *[]){req->caller.tenant_id}, &r);
  if (st != CONCERTO_OK)
    return st;
  if (PQntuples(r) != 1)
    return request_problem(req, 404, "not_found", NULL,
                           "This hospital has no directory configured.");
  return req_respond_json(req, 200, row_json(r, 0));
}

/* For the login page: which hospitals exist (a directory login names one).
 * Public on purpose: the names of a region's hospitals are no secret. */
static concerto_status public_tenants(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  concerto_status st =
      db_system_scope(req, NULL); /* directories are per hospital */
  if (st == CONCERTO_OK)
    st = request_query(
        req,
        "SELECT t.code, t.name, EXISTS (SELECT 1 FROM concerto.tenant_ldap l "
        "WHERE l.tenant_id = t.id) AS directory FROM concerto.tenants t WHERE "
        "t.active ORDER BY t.name",
        0, NULL, &r);
  return respond_rows(req, st, r, "tenants");
}

/* ---- API tokens ---- */

static concerto_status create_token(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  const char *name = field_str(body, "name", true, 100, &v);
  const char *role = field_str(body, "role", true, 40, &v);
  if (role && !known_role(req, role))
    verr_add(&v, "role", "unknown role");
  if (verr_end(req, &v, &st))
    return st;
  char token[TOKEN_TEXT_LEN + 1], hash[65];
  if (!token_new(token) || !token_hash(token, hash))
    return CONCERTO_ERR_INTERNAL;
  const char *params[5] = {req->caller.tenant_id, name, role, hash,
                           req->caller.user_id};
  PGresult *r = NULL;
  st = request_query(req,
                     "INSERT INTO concerto.api_tokens (tenant_id, name, role, "
                     "token_hash, created_by) VALUES ($1, $2, $3, $4, $5) "
                     "RETURNING id::text",
                     5, params, &r);
  if (st != CONCERTO_OK)
    return st;
  request_audit(req, "api_token.create",
                arena_printf(&req->arena, "api_token:%s", PQgetvalue(r, 0, 0)),
                NULL, "success", NULL);
  /* The token is shown once; only its hash is stored. */
  return req_respond_json(req, 201,
                          json_pack("{s:s, s:s, s:s, s:s}", "id",
                                    PQgetvalue(r, 0, 0), "name", name, "role",
                                    role, "token", token));
}

static concerto_status list_tokens(concerto_request *req, void *ud) {
  (void)ud;
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT k.id::text, k.name, k.role, k.created_at, k.last_used_at, "
      "k.revoked_at, u.username AS created_by FROM concerto.api_tokens k "
      "LEFT JOIN concerto.users u ON u.id = k.created_by WHERE k.tenant_id = "
      "$1 ORDER BY k.id DESC",
      1, (const char *[]){req->caller.tenant_id}, &r);
  return respond_rows(req, st, r, "api_tokens");
}

static concerto_status revoke_token(concerto_request *req, void *ud) {
  (void)ud;
  return end_by_id(req,
                   "UPDATE concerto.api_tokens SET revoked_at = now() WHERE "
                   "id = $1 AND revoked_at IS NULL RETURNING id",
                   "api_token.revoke", "api_token", "revoked", false);
}

#define TENANT_ADMIN "regional_admin,hospital_admin"

/* Every role this server knows, for the users page and integrators. */
static concerto_status list_roles(concerto_request *req, void *ud) {
  (void)ud;
  json_t *out = json_array();
  for (size_t i = 0; i < roles_count(req->app->roles); i++) {
    const role_def *d = roles_at(req->app->roles, i);
    json_array_append_new(
        out,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "name", d->name,
                  "label_it", d->label_it, "label_en", d->label_en,
                  "description", d->description, "owners", d->owners,
                  "patient_care", (d->flags & CONCERTO_ROLE_PATIENT_CARE) != 0,
                  "registered", d->registered));
  }
  return req_respond_json(req, 200, out);
}

const route_def routes_admin[] = {
    {"GET", "/api/v1/roles", "authenticated", list_roles},
    {"GET", "/api/v1/tenants", "authenticated", list_tenants},
    {"POST", "/api/v1/tenants", "regional_admin", create_tenant},
    {"PATCH", "/api/v1/tenants/{tenant}", "regional_admin", update_tenant},
    {"POST", "/api/v1/tenants/{tenant}/sites", "regional_admin", create_site},
    {"GET", "/api/v1/tenants/{tenant}/modules", TENANT_ADMIN,
     list_tenant_modules},
    {"PUT", "/api/v1/tenants/{tenant}/modules/{module}", "regional_admin",
     set_tenant_module},
    {"GET", "/api/v1/tenants/{tenant}/users", TENANT_ADMIN, list_users},
    {"POST", "/api/v1/tenants/{tenant}/users", TENANT_ADMIN, create_user},
    {"PUT", "/api/v1/tenants/{tenant}/users/{username}/roles", TENANT_ADMIN,
     set_user_roles},
    {"PUT", "/api/v1/tenants/{tenant}/users/{username}/shares/{other}",
     TENANT_ADMIN, share_user},
    {"DELETE", "/api/v1/tenants/{tenant}/users/{username}/shares/{other}",
     TENANT_ADMIN, unshare_user},
    {"PUT", "/api/v1/tenants/{tenant}/ldap", TENANT_ADMIN, put_ldap},
    {"GET", "/api/v1/tenants/{tenant}/ldap", TENANT_ADMIN, get_ldap},
    {"GET", "/api/v1/auth/tenants", NULL, public_tenants},
    {"POST", "/api/v1/tenants/{tenant}/api-tokens", TENANT_ADMIN, create_token},
    {"GET", "/api/v1/tenants/{tenant}/api-tokens", TENANT_ADMIN, list_tokens},
    {"DELETE", "/api/v1/tenants/{tenant}/api-tokens/{id}", TENANT_ADMIN,
     revoke_token},
    {NULL, NULL, NULL, NULL},
};
