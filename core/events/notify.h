/* Live notifications to browsers over Server-Sent Events.
 *
 * A notification is sent with pg_notify('concerto_notify', json) inside a
 * transaction, so it leaves only if that transaction commits and reaches
 * every server; each server's hub LISTENs and pushes it to the matching
 * open streams (a user, or every user of a hospital). Streams are suspended
 * libmicrohttpd connections: an idle stream holds no thread. A comment line
 * every 15 s keeps proxies from closing them. */
#ifndef CONCERTO_CORE_NOTIFY_H
#define CONCERTO_CORE_NOTIFY_H

#include <stdbool.h>

#include <jansson.h>
#include <microhttpd.h>

typedef struct app app;
typedef struct notify_hub notify_hub;
typedef struct concerto_request concerto_request;

/* conninfo and app_role (the login role; NULL = the conninfo's) are
 * copied. Owned by the caller. */
notify_hub *notify_hub_new(const char *conninfo, const char *app_role);
/* Before start: `fn(ctx)` runs on the hub's thread for every NOTIFY
 * concerto_tenants (a hospital's modules changed) and after every
 * (re)connection, in order with the other messages, so a notification sent
 * in the same transaction as a change is delivered after `fn` ran. */
void notify_hub_on_tenants(notify_hub *h, void (*fn)(void *ctx), void *ctx);
bool notify_hub_start(notify_hub *h);
/* Ends every stream (at shutdown, before the HTTP server stops). */
void notify_hub_close_all(notify_hub *h);
void notify_hub_free(notify_hub *h);

/* Turns the request's response into an event stream for its caller. */
bool notify_stream_response(concerto_request *req, notify_hub *h);
/* The same, following one module topic ("<module>/<topic>") instead of the
 * caller's notifications. `topic` is copied. */
bool notify_topic_stream_response(concerto_request *req, notify_hub *h,
                                  const char *topic);

/* Queues `event` with `data` (borrowed) for the streams on `topic`, sent by
 * PostgreSQL when the request's transaction commits. False when the message
 * is too large (PostgreSQL's NOTIFY limit) or the query failed. */
bool notify_publish(concerto_request *req, const char *topic, const char *event,
                    const json_t *data);

/* Queues a notification in the request's transaction. user_id or
 * tenant_id (decimal text) selects the audience; one of them must be set.
 * title/body are short texts (English keys or Italian text; the UI shows
 * them as given). level: "info", "warning" or "success". */
bool notify_send(concerto_request *req, const char *user_id,
                 const char *tenant_id, const char *title, const char *body,
                 const char *level);

#endif
