/* HUB groups and their members, and the staff search used to invite
 * colleagues. Groups hold no patient data: no audit needed. */
#include "sql.h"
#include "tc.h"

#include <string.h>

static bool slug_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 2 || n > 40)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
      return false;
  return true;
}

static bool may_admin_groups(concerto_request *req) {
  return TC_H->req_has_role(req, "organizer") ||
         TC_H->req_has_role(req, "hospital_admin");
}

concerto_status tc_groups_list(concerto_request *req, void *ud) {
  (void)ud;
  json_t *groups;
  /* RLS: own hospital's groups plus every consultable one. */
  concerto_status st = tc_json_rows(
      req,
      "SELECT " TC_GROUP_JSON "::text FROM groups g JOIN concerto.tenants t ON "
      "t.id = g.tenant_id WHERE g.active ORDER BY t.code, g.name",
      0, NULL, &groups);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 200, json_pack("{s:o}", "groups", groups));
}

concerto_status tc_groups_create(concerto_request *req, void *ud) {
  (void)ud;
  if (!may_admin_groups(req))
    return tc_forbidden(req, "Only organizers and hospital administrators "
                             "create groups.");
  json_t *body;
  concerto_status st = tc_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  const char *slug = tc_str(body, "slug"), *name = tc_str(body, "name"),
             *specialty = tc_str(body, "specialty");
  if (!slug_ok(slug))
    return tc_invalid(req, "slug", "invalid",
                      "slug: 2-40 characters a-z, 0-9 and '-'");
  if (!name || !*name || strlen(name) > 200)
    return tc_invalid(req, "name", "required", "name: 1-200 characters");
  if (!specialty || !*specialty || strlen(specialty) > 100)
    return tc_invalid(req, "specialty", "required",
                      "specialty: 1-100 characters");
  const char *p[4] = {
      slug, name, specialty,
      json_is_true(json_object_get(body, "consultable")) ? "true" : "false"};
  const char *exists;
  st = tc_value(req,
                "SELECT 1 FROM groups WHERE tenant_id = "
                "concerto.current_tenant() AND slug = $1",
                1, p, &exists);
  if (st != CONCERTO_OK)
    return st;
  if (exists)
    return tc_conflict(req, "A group with this slug already exists.");
  json_t *g;
  st = tc_json_row(
      req,
      "WITH g AS (INSERT INTO groups (slug, name, specialty, consultable) "
      "VALUES ($1, $2, $3, $4::boolean) RETURNING *) SELECT " TC_GROUP_JSON
      "::text FROM g JOIN concerto.tenants t ON t.id = g.tenant_id",
      4, p, &g);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 201, g);
}

concerto_status tc_group_get(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = concerto_param(req, "id");
  if (!tc_is_id(id))
    return tc_not_found(req);
  const char *p[1] = {id};
  json_t *g;
  concerto_status st = tc_json_row(
      req,
      "SELECT (" TC_GROUP_JSON "::jsonb || jsonb_build_object('members', "
      "coalesce((SELECT jsonb_agg(jsonb_build_object('user_id', u.id::text, "
      "'username', u.username, 'display_name', u.display_name, 'specialty', "
      "m.specialty, 'organizer', m.organizer) ORDER BY u.display_name) FROM "
      "group_members m JOIN concerto.users u ON u.id = m.user_id WHERE "
      "m.group_id = g.id), '[]'::jsonb), 'members_count', (SELECT count(*) "
      "FROM group_members m WHERE m.group_id = g.id)))::text FROM groups g "
      "JOIN concerto.tenants t ON t.id = g.tenant_id WHERE g.id = $1::bigint",
      1, p, &g);
  if (st != CONCERTO_OK)
    return st;
  if (!g)
    return tc_not_found(req);
  return concerto_reply_json(req, 200, g);
}

/* The group must be this hospital's and the caller may manage it. */
static concerto_status own_group(concerto_request *req, const char *id,
                                 bool *ok) {
  *ok = false;
  if (!tc_is_id(id))
    return tc_not_found(req);
  bool organizer;
  concerto_status st = tc_group_organizer(req, id, &organizer);
  if (st != CONCERTO_OK)
    return st;
  const char *p[1] = {id}, *home;
  st = tc_value(req,
                "SELECT 1 FROM groups WHERE id = $1::bigint AND tenant_id = "
                "concerto.current_tenant()",
                1, p, &home);
  if (st != CONCERTO_OK)
    return st;
  if (!home)
    return tc_not_found(req);
  if (!organizer && !TC_H->req_has_role(req, "hospital_admin"))
    return tc_forbidden(req, "Only the group's organizers manage members.");
  *ok = true;
  return CONCERTO_OK;
}

concerto_status tc_group_member_add(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = concerto_param(req, "id");
  bool ok;
  concerto_status st = own_group(req, id, &ok);
  if (!ok)
    return st;
  json_t *body;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *username = tc_str(body, "username");
  const char *specialty = tc_str(body, "specialty");
  if (!username || !*username)
    return tc_invalid(req, "username", "required", "username: required");
  if (specialty && strlen(specialty) > 100)
    return tc_invalid(req, "specialty", "too_long",
                      "specialty: at most 100 characters");
  const char *p[4] = {
      id, username, specialty,
      json_is_true(json_object_get(body, "organizer")) ? "true" : "false"};
  json_t *m;
  st = tc_json_row(
      req,
      "WITH u AS (SELECT id, display_name FROM concerto.users WHERE username "
      "= $2 AND NOT disabled), ins AS (INSERT INTO group_members (group_id, "
      "user_id, specialty, organizer) SELECT $1::bigint, u.id, $3, "
      "$4::boolean FROM u ON CONFLICT (group_id, user_id) DO UPDATE SET "
      "specialty = EXCLUDED.specialty, organizer = EXCLUDED.organizer "
      "RETURNING user_id, specialty, organizer) SELECT "
      "json_build_object('user_id', ins.user_id::text, 'display_name', "
      "u.display_name, 'specialty', ins.specialty, 'organizer', "
      "ins.organizer)::text FROM ins JOIN u ON u.id = ins.user_id",
      4, p, &m);
  if (st != CONCERTO_OK)
    return st;
  if (!m)
    return tc_invalid(req, "username", "unknown_user",
                      "username: no such user");
  return concerto_reply_json(req, 201, m);
}

concerto_status tc_group_member_delete(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = concerto_param(req, "id");
  const char *uid = concerto_param(req, "user_id");
  bool ok;
  concerto_status st = own_group(req, id, &ok);
  if (!ok)
    return st;
  if (!tc_is_id(uid))
    return tc_not_found(req);
  const char *p[2] = {id, uid}, *gone;
  st = tc_value(req,
                "DELETE FROM group_members WHERE group_id = $1::bigint AND "
                "user_id = $2::bigint RETURNING 1",
                2, p, &gone);
  if (st != CONCERTO_OK)
    return st;
  if (!gone)
    return tc_not_found(req);
  return TC_H->respond_bytes(req, 204, "text/plain", "", 0);
}

concerto_status tc_colleagues(concerto_request *req, void *ud) {
  (void)ud;
  const char *q = concerto_query(req, "q");
  if (!q || strlen(q) < 2 || strlen(q) > 100)
    return tc_invalid(req, "q", "too_short", "q: at least 2 characters");
  const char *p[1] = {q};
  json_t *users;
  /* strpos, not LIKE: the text typed is never a pattern. The hospital is
   * known only where user_roles is visible (RLS): the caller's own. No
   * e-mail addresses: finding a colleague to invite needs none (the
   * invitation goes out from the server). */
  concerto_status st = tc_json_rows(
      req,
      "SELECT json_build_object('id', u.id::text, 'username', u.username, "
      "'display_name', u.display_name, 'hospital', (SELECT "
      "t.code FROM concerto.user_roles r JOIN concerto.tenants t ON t.id = "
      "r.tenant_id WHERE r.user_id = u.id LIMIT 1))::text FROM concerto.users "
      "u WHERE NOT u.disabled AND NOT u.regional_admin AND "
      "(strpos(lower(u.username), lower($1)) > 0 OR "
      "strpos(lower(u.display_name), lower($1)) > 0) ORDER BY u.display_name "
      "LIMIT 20",
      1, p, &users);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 200, json_pack("{s:o}", "users", users));
}
