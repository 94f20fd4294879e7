/* SMS as a core service (plugin ABI 1.6). STUB: being implemented. */
#include "request.h"

concerto_status host_send_sms(concerto_request *req, const json_t *message) {
  (void)req;
  (void)message;
  return CONCERTO_ERR_UNSUPPORTED;
}
