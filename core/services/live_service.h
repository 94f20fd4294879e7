/* Live topics and personal notifications for modules (plugin ABI 1.7):
 * messages go out with PostgreSQL NOTIFY when the request's transaction
 * commits; a module's topics are prefixed with its name. */
#ifndef CONCERTO_CORE_LIVE_SERVICE_H
#define CONCERTO_CORE_LIVE_SERVICE_H

#include "request.h"

/* Sends `event` with `data` (borrowed) to the streams following the
 * owner's `topic`, at COMMIT. */
concerto_status live_publish(concerto_request *req, const char *topic,
                             const char *event, const json_t *data);
/* Answers with an event stream of the owner's `topic`. */
concerto_status live_respond(concerto_request *req, const char *topic);
/* Sends a notification to one staff user of the caller's hospital. */
concerto_status live_notify_user(concerto_request *req, const char *user_id,
                                 const char *title, const char *body);

#endif
