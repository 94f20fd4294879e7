/* Live streams and user notifications for modules (plugin ABI 1.6).
 * STUB: being implemented. */
#include "request.h"

concerto_status host_publish_live(concerto_request *req, const char *topic,
                                  const char *event, const json_t *data) {
  (void)req;
  (void)topic;
  (void)event;
  (void)data;
  return CONCERTO_ERR_UNSUPPORTED;
}

concerto_status host_respond_live(concerto_request *req, const char *topic) {
  (void)req;
  (void)topic;
  return CONCERTO_ERR_UNSUPPORTED;
}

concerto_status host_notify_user(concerto_request *req, const char *user_id,
                                 const char *title, const char *body) {
  (void)req;
  (void)user_id;
  (void)title;
  (void)body;
  return CONCERTO_ERR_UNSUPPORTED;
}
