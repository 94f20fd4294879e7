/* Who may see and change a session. RLS already hides other hospitals'
 * sessions; this adds the finer rule of the contract: within the owning
 * HUB only its organizers, the group's members and the participants. */
#include "tc.h"

#include <string.h>

static bool yes(const char *v) {
  return v && v[0] == 't';
}

bool tc_session_access(concerto_request *req, tc_access *a,
                       concerto_status *st) {
  memset(a, 0, sizeof *a);
  const char *id = concerto_param(req, "id");
  if (!tc_is_id(id)) {
    *st = tc_not_found(req);
    return false;
  }
  const char *p[1] = {id};
  concerto_result *res;
  *st = concerto_query_db(
      req,
      "SELECT s.id::text, s.tenant_id::text, s.status, "
      "(SELECT p.id::text FROM participants p WHERE p.session_id = s.id AND "
      "p.user_id = current_user_id()), "
      "coalesce((SELECT p.organizer FROM participants p WHERE p.session_id = "
      "s.id AND p.user_id = current_user_id()), false), "
      "EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = s.group_id "
      "AND m.user_id = current_user_id()), "
      "EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = s.group_id "
      "AND m.user_id = current_user_id() AND m.organizer), "
      "s.organizer_user_id = current_user_id() "
      "FROM sessions s WHERE s.id = $1::bigint",
      1, p, &res);
  if (*st != CONCERTO_OK)
    return false;
  if (concerto_rows(res) != 1) {
    *st = tc_not_found(req);
    return false;
  }
  a->session_id = concerto_value(res, 0, 0);
  a->tenant_id = concerto_value(res, 0, 1);
  a->status = concerto_value(res, 0, 2);
  a->participant_id = concerto_value(res, 0, 3);
  const char *mine = TC_H->req_tenant_id(req);
  bool home = mine && strcmp(mine, a->tenant_id) == 0;
  bool hub_organizer = home && TC_H->req_has_role(req, "organizer");
  a->member = yes(concerto_value(res, 0, 5));
  /* Changes to the session row need the owning hospital's context (RLS),
   * so an organizer acting from another hospital is a participant only. */
  a->organizer = home && (hub_organizer || yes(concerto_value(res, 0, 4)) ||
                          yes(concerto_value(res, 0, 6)) ||
                          yes(concerto_value(res, 0, 7)));
  if (!a->participant_id && !a->member && !a->organizer) {
    *st = tc_not_found(req);
    return false;
  }
  *st = CONCERTO_OK;
  return true;
}

concerto_status tc_group_organizer(concerto_request *req, const char *group_id,
                                   bool *out) {
  *out = false;
  const char *p[1] = {group_id};
  concerto_result *res;
  concerto_status st = concerto_query_db(
      req,
      "SELECT g.tenant_id::text, EXISTS (SELECT 1 FROM group_members m WHERE "
      "m.group_id = g.id AND m.user_id = current_user_id() AND m.organizer) "
      "FROM groups g WHERE g.id = $1::bigint",
      1, p, &res);
  if (st != CONCERTO_OK || concerto_rows(res) != 1)
    return st;
  const char *mine = TC_H->req_tenant_id(req);
  bool home = mine && strcmp(mine, concerto_value(res, 0, 0)) == 0;
  *out = home && (TC_H->req_has_role(req, "organizer") ||
                  yes(concerto_value(res, 0, 1)));
  return CONCERTO_OK;
}

bool tc_session_final(const tc_access *a) {
  return strcmp(a->status, "closed") == 0 ||
         strcmp(a->status, "cancelled") == 0;
}

bool tc_session_for_change(concerto_request *req, tc_access *a, tc_changer who,
                           const char *forbidden, concerto_status *st) {
  if (!tc_session_access(req, a, st))
    return false;
  bool allowed =
      a->organizer || (who == TC_PARTICIPANTS && a->participant_id != NULL);
  if (!allowed) {
    *st = tc_forbidden(req, forbidden);
    return false;
  }
  if (tc_session_final(a)) {
    *st = tc_conflict(req, "The session is closed.");
    return false;
  }
  return true;
}
