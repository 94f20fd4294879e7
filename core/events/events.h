/* Events: subscribers registered by modules, publish into the outbox (in
 * the publisher's transaction), and the dispatchers that deliver due
 * events to module handlers and hospital webhooks with retries, backoff and
 * a dead-letter state. See sql/0005_events.sql and docs/events.md. */
#ifndef CONCERTO_CORE_EVENTS_H
#define CONCERTO_CORE_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "concerto/host.h"
#include "app.h"
#include "db_pool.h"

typedef struct app app;
typedef struct events events;

typedef struct event_subscriber {
  char *key; /* "module:<module>:<name>@<version>", the delivery's subscriber */
  char *name;
  uint32_t version;
  concerto_event_handler handler;
  void *userdata;
  const route_owner *owner; /* the subscribing module; NULL = the core */
} event_subscriber;

/* Owned by the app. */
events *events_new(void);
void events_free(events *e);
/* Adds a subscriber (strings copied). False on a duplicate key. */
bool events_add_subscriber(events *e, const route_owner *owner,
                           const char *name, uint32_t version,
                           concerto_event_handler handler, void *userdata);
const event_subscriber *events_find(const events *e, const char *key);

/* Starts `workers` dispatcher threads for the app; stops them. */
bool events_start(app *a, unsigned workers);
void events_stop(app *a);

/* Publishes event name@version with `payload` (taken, also on failure)
 * in the request's transaction: one outbox row and one delivery per
 * subscriber (modules, then every sink's fan-out). The host table's
 * publish entry. */
concerto_status events_publish(concerto_request *req, const char *name,
                               uint32_t version, json_t *payload);
/* The same on behalf of `producer` (NULL = the core) rather than the module
 * acting now: the core's services (mail, SMS) publish their own events from
 * a module's request. */
concerto_status events_publish_as(concerto_request *req,
                                  const route_owner *producer, const char *name,
                                  uint32_t version, json_t *payload);

/* The catalog of declared events (event_catalog.h), owned by e. */
struct event_catalog *events_catalog(events *e);
/* {"events": [{name, version, producers, description, schema?,
 * subscribers}], "subscriber_kinds": [...]}: a new reference. */
json_t *events_catalog_json(const events *e);

/* ---- subscriber kinds besides modules ---- */

/* One claimed delivery as a sink sees it; every string is borrowed for the
 * duration of the deliver call. */
typedef struct event_delivery {
  const char *subscriber; /* the sink's prefix and its own id */
  const char *event_id, *name;
  uint32_t version;
  const char *tenant_id; /* "" for a regional event */
  const char *payload;   /* JSON text */
} event_delivery;

/* A kind of subscriber registered by the layer that delivers it (the
 * hospital's webhooks, its Lua on_event rule), so the outbox needs to know
 * none of them by name. */
typedef struct event_sink {
  /* Subscriber keys of this kind start with it ("webhook:"); not "module:". */
  const char *prefix;
  /* One SELECT of (subscriber, event_id, tenant_id) rows, appended to the
   * outbox insert with UNION ALL: it may read the CTE e(id, tenant_id) of
   * the new event and $1, the event's name. */
  const char *fanout_sql;
  /* Delivers d on connection c inside the claimed transaction, after a
   * savepoint (whatever it changes is undone if it fails) and in the
   * regional scope; call events_scope to act for the event's hospital.
   * False with a reason in err: retried with backoff, then dead. */
  bool (*deliver)(app *a, db_conn *c, const event_delivery *d, char *err,
                  size_t errlen);
  /* Instead of deliver, for kinds that call out over the network, so no
   * row stays locked while a remote peer takes its time: `prepare` runs in
   * the claim (like deliver) and returns one malloc'ed block of what
   * `call` needs, or NULL: with *skip nothing is left to deliver (done),
   * else it failed (reason in err). The claim then becomes a lease and
   * commits; `call` runs with no transaction open (state borrowed, freed
   * by the outbox afterwards) and its outcome is recorded in a short
   * transaction of its own. */
  void *(*prepare)(app *a, db_conn *c, const event_delivery *d, bool *skip,
                   char *err, size_t errlen);
  bool (*call)(app *a, const void *state, const event_delivery *d, char *err,
               size_t errlen);
} event_sink;

/* Adds a kind before events_start; `sink` is borrowed for the life of e
 * (make it static). False on a duplicate or reserved prefix, or when full. */
bool events_add_sink(events *e, const event_sink *sink);

/* Sets the transaction's context on c as the server itself: for the
 * hospital tenant_id (NULL or "" = none), or region-wide when `regional`. */
bool events_scope(app *a, db_conn *c, const char *tenant_id, bool regional);

/* BEGIN on c with the region-wide scope of the server itself (to claim
 * and record deliveries and runs across hospitals); false (rolled back)
 * when either fails. */
bool events_begin_regional(app *a, db_conn *c);

/* Event name rule: [a-z][a-z0-9_]* words joined by dots, at least two. */
bool event_name_valid(const char *name);

#endif
