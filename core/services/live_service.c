/* Live streams and personal notifications for modules (plugin ABI 1.6).
 *
 * Both ride on the notification hub (notify.c): a message is sent with
 * pg_notify inside the request's transaction, so PostgreSQL delivers it
 * only if the request commits, and every server node of the region
 * receives it and forwards it to the streams it holds. A module's topics
 * are prefixed with its name, so one module can neither read nor forge
 * another's stream. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "live_service.h"
#include "notify.h"
#include "request.h"

#define TOPIC_MAX 80
#define EVENT_MAX 40
#define LIVE_DATA_MAX 6000 /* documented in host.h; NOTIFY allows 8000 */

static bool topic_valid(const char *t) {
  size_t n = t ? strlen(t) : 0;
  if (n == 0 || n > TOPIC_MAX)
    return false;
  return strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_.:-") == n;
}

static bool event_valid(const char *e) {
  size_t n = e ? strlen(e) : 0;
  return n > 0 && n <= EVENT_MAX && e[0] >= 'a' && e[0] <= 'z' &&
         strspn(e, "abcdefghijklmnopqrstuvwxyz0123456789_.") == n;
}

/* "<module>/<topic>" in request memory; NULL when invalid. */
static const char *full_topic(concerto_request *req, const char *topic) {
  if (!topic_valid(topic))
    return NULL;
  const char *owner = req->owner ? req->owner->name : "core";
  return req_printf(req, "%s/%s", owner, topic);
}

concerto_status live_publish(concerto_request *req, const char *topic,
                             const char *event, const json_t *data) {
  const char *full = full_topic(req, topic);
  if (!full || !event_valid(event) || !json_is_object(data))
    return CONCERTO_ERR_INVALID;
  char *text = json_dumps(data, JSON_COMPACT);
  size_t len = text ? strlen(text) : 0;
  free(text);
  if (len == 0 || len > LIVE_DATA_MAX)
    return len == 0 ? CONCERTO_ERR_NOMEM : CONCERTO_ERR_TOO_LARGE;
  return notify_publish(req, full, event, data) ? CONCERTO_OK
                                                : CONCERTO_ERR_DB_QUERY;
}

concerto_status live_respond(concerto_request *req, const char *topic) {
  const char *full = full_topic(req, topic);
  if (!full)
    return CONCERTO_ERR_INVALID;
  if (req->responded)
    return CONCERTO_ERR_CONFLICT;
  req_set_header(req, "Cache-Control", "no-store");
  req_set_header(req, "X-Accel-Buffering", "no"); /* nginx: do not buffer */
  return notify_topic_stream_response(req, req->app->notify, full)
             ? CONCERTO_OK
             : CONCERTO_ERR_NOMEM;
}

concerto_status live_notify_user(concerto_request *req, const char *user_id,
                                 const char *title, const char *body) {
  if (!user_id || !*user_id || strspn(user_id, "0123456789") != strlen(user_id))
    return CONCERTO_ERR_INVALID;
  if (!title || !*title || strlen(title) > 200 || (body && strlen(body) > 1000))
    return CONCERTO_ERR_INVALID;
  return notify_send(req, user_id, NULL, title, body, "info")
             ? CONCERTO_OK
             : CONCERTO_ERR_DB_QUERY;
}
