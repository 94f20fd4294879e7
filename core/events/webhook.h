/* Outbound webhooks: one event POSTed as JSON to a hospital's URL, signed
 * with HMAC-SHA256 so the receiver can check it came from Concerto. The
 * webhook is read in the delivery's claim; the POST goes out after the
 * claim committed (a lease), through the outbound HTTP client with the
 * hospital's policy checked on every address it connects to
 * (outbound_http.h), and its outcome is recorded in a short transaction. */
#ifndef CONCERTO_CORE_WEBHOOK_H
#define CONCERTO_CORE_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db_pool.h"
#include "events.h"
#include "outbound_policy.h"

#define WEBHOOK_TIMEOUT_S 5

/* The signature header value "t=<unix time>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with secret>" written into out. */
bool webhook_signature(const char *secret, long long t, const char *body,
                       char *out, size_t outlen);

/* Adds the hospital's webhooks to e as a kind of subscriber (one delivery
 * per active webhook that lists the event's name), before events_start. */
bool webhook_sink_register(events *e);

#endif
