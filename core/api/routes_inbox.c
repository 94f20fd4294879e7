/* The caller's stored notifications (the console's bell): the latest ones
 * with the unread count, and marking them read. The live stream
 * (GET /api/v1/me/notifications, notify.c) pushes new ones as they are
 * sent; this list is what a user who was away finds at login. Rows are the
 * caller's own by row-level security (sql/0022_notifications.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_util.h"
#include "routes.h"

enum { INBOX_PAGE = 50, MARK_MAX = 200 };

/* Answers 200 with `out` (taken) plus the caller's unread count. */
static concerto_status respond_with_unread(concerto_request *req, json_t *out) {
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT count(*) FROM concerto.notifications WHERE user_id = $1 AND "
      "read_at IS NULL",
      1, (const char *[]){req->caller.user_id}, &r);
  if (st != CONCERTO_OK) {
    json_decref(out);
    return st;
  }
  json_object_set_new(out, "unread",
                      json_integer(strtoll(PQgetvalue(r, 0, 0), NULL, 10)));
  return req_respond_json(req, 200, out);
}

static concerto_status list_inbox(concerto_request *req, void *ud) {
  (void)ud;
  char page[16];
  snprintf(page, sizeof page, "%d", INBOX_PAGE);
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT id::text, title, body, level, created_at, (read_at IS NOT NULL) "
      "AS read FROM concerto.notifications WHERE user_id = $1 ORDER BY id "
      "DESC LIMIT $2::integer",
      2, (const char *[]){req->caller.user_id, page}, &r);
  if (st != CONCERTO_OK)
    return st;
  return respond_with_unread(req, json_pack("{s:o}", "items", rows_json(r)));
}

/* {"ids": ["12", ...]} marks those; {} marks every unread one. */
static concerto_status mark_read(concerto_request *req, void *ud) {
  (void)ud;
  concerto_status st;
  verrors v;
  json_t *body = body_begin(req, &st, &v);
  if (!body)
    return st;
  json_t *ids = json_object_get(body, "ids");
  char *list = NULL;
  if (ids) {
    bool ok = json_is_array(ids) && json_array_size(ids) <= MARK_MAX;
    size_t i;
    json_t *e;
    json_array_foreach(ids, i, e) {
      const char *s = json_string_value(e);
      ok = ok && s && *s && strlen(s) <= 19 &&
           strspn(s, "0123456789") == strlen(s);
    }
    if (!ok)
      verr_add(&v, "ids", "a list of at most 200 notification ids");
    else
      list = json_dumps(ids, JSON_COMPACT);
  }
  if (verr_end(req, &v, &st))
    return st;
  st = request_query(
      req,
      "UPDATE concerto.notifications SET read_at = now() WHERE user_id = $1 "
      "AND read_at IS NULL AND ($2::jsonb IS NULL OR id IN (SELECT "
      "jsonb_array_elements_text($2::jsonb)::bigint))",
      2, (const char *[]){req->caller.user_id, list}, NULL);
  free(list);
  if (st != CONCERTO_OK)
    return st;
  return respond_with_unread(req, json_object());
}

const route_def routes_inbox[] = {
    {"GET", "/api/v1/me/inbox", "authenticated", list_inbox},
    {"POST", "/api/v1/me/inbox/read", "authenticated", mark_read},
    {NULL, NULL, NULL, NULL},
};
