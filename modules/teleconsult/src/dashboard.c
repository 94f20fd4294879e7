/* The caller's overview: agenda, groups, open requests; the calendar; the
 * region's indicators (R3.12). Summaries carry no patient identity, so only
 * the indicators (aggregated times) need no audit either. */
#include "sql.h"
#include "tc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *org_flag(concerto_request *req) {
  return TC_H->req_has_role(req, "organizer") ? "true" : "false";
}

concerto_status tc_dashboard(concerto_request *req, void *ud) {
  (void)ud;
  const char *p[1] = {org_flag(req)};
  json_t *agenda, *groups, *requests;
  concerto_status st = tc_json_rows(
      req,
      "SELECT " TC_SESSION_SUMMARY_JSON "::text FROM sessions s WHERE "
      "s.status NOT IN ('closed', 'cancelled') AND " TC_SEES_SESSION(
          "s", "$1::boolean") " ORDER BY s.starts_at NULLS LAST, s.id",
      1, p, &agenda);
  if (st != CONCERTO_OK)
    return st;
  st = tc_json_rows(req,
                    "SELECT " TC_GROUP_JSON
                    "::text FROM groups g JOIN concerto.tenants t ON t.id = "
                    "g.tenant_id WHERE g.active AND EXISTS (SELECT 1 FROM "
                    "group_members m WHERE m.group_id = g.id AND m.user_id = "
                    "current_user_id()) ORDER BY g.name",
                    0, NULL, &groups);
  if (st != CONCERTO_OK) {
    json_decref(agenda);
    return st;
  }
  /* Open requests I made, or that I may schedule (organizer of my
   * hospital, or organizer member of the target group). */
  st = tc_json_rows(
      req,
      "SELECT " TC_REQUEST_JSON "::text FROM requests r WHERE r.status = "
      "'open' AND (r.requester_user_id = current_user_id() OR (r.tenant_id = "
      "concerto.current_tenant() AND ($1::boolean OR EXISTS (SELECT 1 FROM "
      "group_members m WHERE m.group_id = r.group_id AND m.user_id = "
      "current_user_id())))) ORDER BY r.due_at NULLS LAST, r.id",
      1, p, &requests);
  if (st != CONCERTO_OK) {
    json_decref(agenda);
    json_decref(groups);
    return st;
  }
  TC_H->audit(req, "teleconsult.dashboard.read", "dashboard", NULL, NULL);
  return concerto_reply_json(req, 200,
                             json_pack("{s:o, s:o, s:o}", "agenda", agenda,
                                       "groups", groups, "requests", requests));
}

/* A calendar day YYYY-MM-DD that exists (2026-02-30 does not), as the
 * UTC midnight that starts it. */
static bool iso_day(const char *s, time_t *out) {
  int y, m, d, n = 0;
  if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
      n != 10 || y < 1900 || y > 9999)
    return false;
  struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
  *out = timegm(&tm);
  return tm.tm_year == y - 1900 && tm.tm_mon == m - 1 && tm.tm_mday == d;
}

concerto_status tc_calendar(concerto_request *req, void *ud) {
  (void)ud;
  const char *from = concerto_query(req, "from"),
             *to = concerto_query(req, "to");
  if (!from || !to)
    return tc_invalid(req, from ? "to" : "from", "required",
                      "from and to: dates required");
  time_t t_from, t_to;
  if (!iso_day(from, &t_from) || !iso_day(to, &t_to) || t_to < t_from ||
      t_to - t_from > 62 * 86400)
    return tc_invalid(req, "to", "range",
                      "from, to: ISO dates (YYYY-MM-DD), at most 62 days "
                      "apart");
  const char *p[3] = {org_flag(req), from, to};
  json_t *events;
  concerto_status st = tc_json_rows(
      req,
      "SELECT json_build_object('session_id', s.id::text, 'theme', s.theme, "
      "'starts_at', s.starts_at, 'ends_at', s.ends_at, 'status', "
      "s.status)::text FROM sessions s WHERE s.starts_at >= $2::date AND "
      "s.starts_at < $3::date + 1 AND s.status <> 'cancelled' AND "
      "" TC_SEES_SESSION("s", "$1::boolean") " ORDER BY s.starts_at",
      3, p, &events);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 200, json_pack("{s:o}", "events", events));
}

concerto_status tc_indicators(concerto_request *req, void *ud) {
  (void)ud;
  if (!TC_H->req_has_role(req, "bi_viewer") &&
      !TC_H->req_has_role(req, "hospital_admin") &&
      !TC_H->req_has_role(req, "organizer"))
    return tc_forbidden(req, "Indicators are for BI viewers, hospital "
                             "administrators and organizers.");
  const char *from = concerto_query(req, "from"),
             *to = concerto_query(req, "to");
  const char *p[2] = {from && *from ? from : "1970-01-01",
                      to && *to ? to : "9999-12-31"};
  time_t t;
  if (!iso_day(p[0], &t) || !iso_day(p[1], &t))
    return tc_invalid(req, iso_day(p[0], &t) ? "to" : "from", "invalid",
                      "from, to: ISO dates (YYYY-MM-DD)");
  json_t *rows;
  concerto_status st =
      tc_json_rows(req,
                   "SELECT row_to_json(i)::text FROM indicators i WHERE "
                   "i.requested_at >= $1::date AND i.requested_at < "
                   "$2::date + 1 ORDER BY i.requested_at LIMIT 5000",
                   2, p, &rows);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 200, json_pack("{s:o}", "rows", rows));
}
