/* Outbound webhooks: one event POSTed as JSON to a hospital's URL, signed
 * with HMAC-SHA256 so the receiver can check it came from Concerto. */
#ifndef CONCERTO_CORE_WEBHOOK_H
#define CONCERTO_CORE_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db_pool.h"

#define WEBHOOK_TIMEOUT_S 5

/* Delivers the event to webhook `webhook_id` (read on connection c, inside
 * the caller's transaction). True on a 2xx answer, or when the webhook was
 * removed or deactivated meanwhile (nothing left to deliver). */
bool webhook_deliver(db_conn *c, const char *webhook_id, const char *event_id,
                     const char *name, uint32_t version, const char *payload,
                     char *err, size_t errlen);

/* The signature header value "t=<unix time>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with secret>" written into out. */
bool webhook_signature(const char *secret, long long t, const char *body,
                       char *out, size_t outlen);

#endif
