/* Live updates of a session page (Server-Sent Events through the core). */
#include "tc.h"

#include <stdatomic.h>

void tc_publish_live(concerto_request *req, const char *session_id,
                     const char *event, const json_t *data) {
  static atomic_int warned;
  const char *topic = TC_H->req_printf(req, "session:%s", session_id);
  concerto_status st = TC_H->publish_live(req, topic, event, data);
  /* Live updates are a convenience: the page reloads on its own too. */
  if (st != CONCERTO_OK && atomic_exchange(&warned, 1) == 0)
    TC_H->log(tc_self, CONCERTO_LOG_WARN,
              "live updates unavailable (status %d); pages must reload",
              (int)st);
}

concerto_status tc_live(concerto_request *req, void *ud) {
  (void)ud;
  tc_access a;
  concerto_status st;
  if (!tc_session_access(req, &a, &st))
    return st;
  return TC_H->respond_live(req,
                            TC_H->req_printf(req, "session:%s", a.session_id));
}
