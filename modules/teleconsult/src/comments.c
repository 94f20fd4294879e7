/* Comments of a session (R3.9): the discussion among participants, also
 * pushed live to every open page of the session. */
#include "tc.h"

#include <string.h>

#define COMMENT_JSON                                                           \
  "json_build_object('id', c.id::text, 'author', json_build_object('id', "     \
  "u.id::text, 'display_name', u.display_name), 'body', c.body, "              \
  "'created_at', c.created_at)"

concerto_status tc_comments_list(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_access(req, &a, &st))
    return st;
  const char *p[1] = {a.session_id};
  json_t *list;
  st = tc_json_rows(req,
                    "SELECT " COMMENT_JSON "::text FROM comments c JOIN "
                    "concerto.users u ON u.id = c.author_user_id WHERE "
                    "c.session_id = $1::bigint ORDER BY c.created_at, c.id",
                    1, p, &list);
  if (st != CONCERTO_OK)
    return st;
  /* Comments discuss the session's patients: a read of patient data. */
  tc_audit(req, &a, "teleconsult.comment.list",
           TC_H->req_printf(req, "session:%s", a.session_id), NULL, NULL);
  return concerto_reply_json(req, 200, json_pack("{s:o}", "comments", list));
}

concerto_status tc_comments_create(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_for_change(req, &a, TC_PARTICIPANTS,
                             "Only participants comment.", &st))
    return st;
  json_t *body;
  if ((st = tc_body(req, &body)) != CONCERTO_OK)
    return st;
  const char *text = tc_str(body, "body");
  if (!text || !*text || strlen(text) > 4000)
    return tc_invalid(req, "body", "invalid", "body: 1-4000 characters");
  const char *p[2] = {a.session_id, text};
  json_t *out;
  st = tc_json_row(req,
                   "WITH c AS (INSERT INTO comments (session_id, "
                   "author_user_id, body) VALUES ($1::bigint, "
                   "current_user_id(), $2) RETURNING *) SELECT " COMMENT_JSON
                   "::text FROM c JOIN concerto.users u ON u.id = "
                   "c.author_user_id",
                   2, p, &out);
  if (st != CONCERTO_OK)
    return st;
  tc_audit(req, &a, "teleconsult.comment.create",
           TC_H->req_printf(req, "session:%s:comment:%s", a.session_id,
                            tc_str(out, "id")),
           NULL, NULL);
  tc_publish_live(req, a.session_id, "comment", out);
  return concerto_reply_json(req, 201, out);
}
