/* "Consult now" (R6.4, the emergency room's neurology teleconsult): an
 * urgent or emergency request becomes a session that runs at once, in the
 * group the routing rule chose (the on-call one at night), with every
 * member of that group and the requester invited with their personal link
 * straight away. The requester works in the SPOKE's context, which may
 * write no session of the HUB: the SQL function start_immediate
 * (sql/0008_immediate.sql) is the one narrow door, checking the caller's
 * own request itself. */
#include "tc.h"

#include <string.h>

concerto_status tc_start_immediate(concerto_request *req,
                                   const char *request_id,
                                   const char **session_id, int *invited) {
  *session_id = NULL;
  *invited = 0;
  char room[28];
  if (!tc_room_name(room))
    return CONCERTO_ERR_INTERNAL;
  const char *p[2] = {request_id, room};
  const char *out;
  concerto_status st =
      tc_value(req, "SELECT start_immediate($1::bigint, $2)", 2, p, &out);
  if (st != CONCERTO_OK)
    return st;
  if (!out)
    return CONCERTO_ERR_INTERNAL;
  if (strcmp(out, "not_found") == 0)
    return tc_not_found(req);
  if (strcmp(out, "not_open") == 0)
    return tc_conflict(req, "The request is not open any more: it was "
                            "scheduled or cancelled.");
  if (strcmp(out, "routine") == 0)
    return tc_invalid(req, "urgency", "routine_not_immediate",
                      "urgency: only an urgent or emergency request starts "
                      "a teleconsult at once");
  if (strcmp(out, "no_organizer") == 0)
    return tc_conflict(req, "The chosen group has no organizer to run the "
                            "session: ask its hospital to name one.");
  if (!tc_is_id(out))
    return CONCERTO_ERR_INTERNAL;
  if ((st = tc_invite(req, out, NULL, invited)) != CONCERTO_OK)
    return st;
  const char *q[1] = {out};
  concerto_result *res;
  st = concerto_query_db(
      req,
      "SELECT to_json(s.starts_at)#>>'{}', r.patient_id::text FROM sessions "
      "s JOIN requests r ON r.id = s.request_id WHERE s.id = $1::bigint",
      1, q, &res);
  if (st != CONCERTO_OK)
    return st;
  if (concerto_rows(res) != 1)
    return CONCERTO_ERR_INTERNAL;
  st =
      TC_H->publish(req, "teleconsult.scheduled", 1,
                    json_pack("{s:s, s:s, s:b}", "session_id", out, "starts_at",
                              concerto_value(res, 0, 0), "immediate", 1));
  if (st != CONCERTO_OK)
    return st;
  TC_H->audit(req, "teleconsult.session.immediate",
              TC_H->req_printf(req, "session:%s", out),
              concerto_value(res, 0, 1), NULL);
  *session_id = out;
  return CONCERTO_OK;
}

concerto_status tc_request_immediate(concerto_request *req, void *ud) {
  (void)ud;
  const char *id = concerto_param(req, "id");
  if (!tc_is_id(id))
    return tc_not_found(req);
  const char *session_id;
  int invited;
  concerto_status st = tc_start_immediate(req, id, &session_id, &invited);
  if (st != CONCERTO_OK || !session_id)
    return st;
  return concerto_reply_json(req, 201,
                             json_pack("{s:s, s:s, s:i}", "session_id",
                                       session_id, "status", "in_progress",
                                       "invitations", invited));
}
