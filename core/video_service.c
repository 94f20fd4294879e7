/* Video rooms as a core service (plugin ABI 1.6). STUB: being implemented. */
#include "request.h"

concerto_status host_video_room(concerto_request *req, const json_t *spec,
                                json_t **out) {
  (void)req;
  (void)spec;
  (void)out;
  return CONCERTO_ERR_UNSUPPORTED;
}
