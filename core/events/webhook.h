/* Outbound webhooks: one event POSTed as JSON to a hospital's URL, signed
 * with HMAC-SHA256 so the receiver can check it came from Concerto. */
#ifndef CONCERTO_CORE_WEBHOOK_H
#define CONCERTO_CORE_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db_pool.h"
#include "events.h"
#include "outbound_policy.h"

#define WEBHOOK_TIMEOUT_S 5

/* Delivers the event to webhook `webhook_id` (read on connection c, inside
 * the caller's transaction, with the hospital's outbound policy). True on a
 * 2xx answer, or when the webhook was removed or deactivated meanwhile
 * (nothing left to deliver). Every address libcurl is about to connect to
 * is checked against the policy first, so a name that resolves elsewhere
 * since it was saved (DNS rebinding) is refused before any byte is sent:
 * err then reads "destination 10.1.2.3 is not allowed for this hospital
 * (...)". No proxy is used, so the checked address is the receiver's. */
bool webhook_deliver(db_conn *c, const char *webhook_id, const char *event_id,
                     const char *name, uint32_t version, const char *payload,
                     char *err, size_t errlen);

/* Whether `url` may be a webhook of a hospital with policy `p` (NULL: the
 * default): http:// needs allow_plaintext; with `resolve` (save time) its
 * host is resolved and every address checked. libcurl's own URL parser
 * reads the host, so the check sees what a delivery would. On refusal *v
 * says why. */
bool webhook_url_check(const outbound_policy *p, const char *url, bool resolve,
                       outbound_verdict *v);

/* The signature header value "t=<unix time>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with secret>" written into out. */
bool webhook_signature(const char *secret, long long t, const char *body,
                       char *out, size_t outlen);

/* Adds the hospital's webhooks to e as a kind of subscriber (one delivery
 * per active webhook that lists the event's name), before events_start. */
bool webhook_sink_register(events *e);

#endif
