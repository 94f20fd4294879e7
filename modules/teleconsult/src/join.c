/* The personal join link (R3.5): POST /api/v1/teleconsult/join {"token"}
 * from the page the invitation links to (web/join.html, the secret in the
 * URL fragment so it never reaches a server log or a Referer). Public: the
 * secret is the credential. The answer says whether the room is open - with
 * a video link made now, for this person - or when it opens. */
#include "tc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The video room opens this long before the start and closes this long
 * after the end: the same window the video tokens carry (docs/video.md). */
#define OPENS_BEFORE_S (15 * 60)
#define CLOSES_AFTER_S (30 * 60)

/* One answer for every bad link, so a guesser learns nothing. */
static concerto_status link_invalid(concerto_request *req) {
  return concerto_reply_problem(
      req, 404, "invitation_invalid", "Not Found",
      "This invitation link is not valid: a newer invitation replaced it, or "
      "you are no longer a participant. Ask the organizer for a new one.");
}

static const char *iso_utc(concerto_request *req, long long epoch) {
  time_t t = (time_t)epoch;
  struct tm tm;
  char buf[32];
  if (!gmtime_r(&t, &tm) ||
      !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
    return NULL;
  return TC_H->req_strdup(req, buf);
}

/* The row of guest_invitation() (sql/0002_join_links.sql). */
enum {
  J_PARTICIPANT,
  J_KIND,
  J_NAME,
  J_EMAIL,
  J_PATIENT,
  J_ORGANIZER,
  J_SESSION,
  J_TENANT,
  J_STATUS,
  J_THEME,
  J_ROOM,
  J_STARTS_EPOCH,
  J_ENDS_EPOCH,
  J_STARTS_AT,
  J_ENDS_AT,
  J_HOSPITAL,
  J_ORGANIZER_NAME,
};

/* A video link for the guest now; *state "open" with *url, or "no_video". */
static concerto_status room_link(concerto_request *req, concerto_result *res,
                                 const char **state, const char **url) {
  const char *v = concerto_value(res, 0, J_ORGANIZER);
  tc_video_person who = {
      TC_H->req_printf(req, "participant-%s",
                       concerto_value(res, 0, J_PARTICIPANT)),
      concerto_value(res, 0, J_NAME), concerto_value(res, 0, J_EMAIL),
      v && v[0] == 't'};
  json_t *link;
  concerto_status st =
      tc_video_link(req, concerto_value(res, 0, J_ROOM),
                    atoll(concerto_value(res, 0, J_STARTS_EPOCH)),
                    atoll(concerto_value(res, 0, J_ENDS_EPOCH)), &who, &link);
  const char *made = json_string_value(json_object_get(link, "url"));
  *state = st == CONCERTO_OK && made ? "open" : "no_video";
  if (st == CONCERTO_OK && made)
    *url = TC_H->req_strdup(req, made);
  json_decref(link);
  /* UNSUPPORTED (no platform) and INVALID (the provider refused the
   * window) both mean "no room to offer": the page says so. */
  return st == CONCERTO_OK || st == CONCERTO_ERR_UNSUPPORTED ||
                 st == CONCERTO_ERR_INVALID
             ? CONCERTO_OK
             : st;
}

concerto_status tc_join(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = tc_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  char hash[65];
  if (!tc_join_hash(tc_str(body, "token"), hash))
    return tc_invalid(req, "token", "invalid",
                      "token: the 43 characters after # in the invitation "
                      "link");
  const char *p[1] = {hash};
  concerto_result *res;
  if ((st = concerto_query_db(req, "SELECT * FROM guest_invitation($1)", 1, p,
                              &res)) != CONCERTO_OK)
    return st;
  if (concerto_rows(res) != 1)
    return link_invalid(req);
  st = TC_H->req_bind_guest(req, concerto_value(res, 0, J_TENANT),
                            concerto_value(res, 0, J_NAME));
  if (st == CONCERTO_ERR_NOT_FOUND)
    return link_invalid(req); /* the module is off for that hospital */
  if (st != CONCERTO_OK)
    return st;
  const char *status = concerto_value(res, 0, J_STATUS);
  const char *room = concerto_value(res, 0, J_ROOM);
  const char *starts = concerto_value(res, 0, J_STARTS_EPOCH);
  const char *ends = concerto_value(res, 0, J_ENDS_EPOCH);
  long long now = (long long)time(NULL);
  const char *state, *url = NULL, *opens_at = NULL;
  if (strcmp(status, "closed") == 0 || strcmp(status, "cancelled") == 0)
    state = "over";
  else if (!room || !starts || !ends ||
           (strcmp(status, "scheduled") != 0 &&
            strcmp(status, "in_progress") != 0))
    state = "not_scheduled";
  else if (now > atoll(ends) + CLOSES_AFTER_S)
    state = "over";
  else if (now < atoll(starts) - OPENS_BEFORE_S)
    state = "early";
  else if ((st = room_link(req, res, &state, &url)) != CONCERTO_OK)
    return st;
  if (starts)
    opens_at = iso_utc(req, atoll(starts) - OPENS_BEFORE_S);
  const char *kind = concerto_value(res, 0, J_KIND);
  TC_H->audit(req,
              strcmp(state, "open") == 0 ? "teleconsult.session.join"
                                         : "teleconsult.session.join_link",
              TC_H->req_printf(req, "session:%s:participant:%s",
                               concerto_value(res, 0, J_SESSION),
                               concerto_value(res, 0, J_PARTICIPANT)),
              strcmp(kind, "patient") == 0 ? concerto_value(res, 0, J_PATIENT)
                                           : NULL,
              NULL);
  return concerto_reply_json(
      req, 200,
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "state",
                state, "name", concerto_value(res, 0, J_NAME), "theme",
                concerto_value(res, 0, J_THEME), "hospital",
                concerto_value(res, 0, J_HOSPITAL), "organizer",
                concerto_value(res, 0, J_ORGANIZER_NAME), "starts_at",
                concerto_value(res, 0, J_STARTS_AT), "ends_at",
                concerto_value(res, 0, J_ENDS_AT), "opens_at", opens_at, "url",
                url));
}
