/* Events: subscribers registered by modules, publish into the outbox (in
 * the publisher's transaction), and the dispatchers that deliver due
 * events to module handlers and hospital webhooks with retries, backoff and
 * a dead-letter state. See sql/0005_events.sql and docs/events.md. */
#ifndef CONCERTO_CORE_EVENTS_H
#define CONCERTO_CORE_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "concerto/host.h"

typedef struct app app;
typedef struct events events;

typedef struct event_subscriber {
  char *key; /* "module:<module>:<name>@<version>", the delivery's subscriber */
  char *name;
  uint32_t version;
  concerto_event_handler handler;
  void *userdata;
  const char *module; /* borrowed from the module record */
} event_subscriber;

/* Owned by the app. */
events *events_new(void);
void events_free(events *e);
/* Adds a subscriber (strings copied). False on a duplicate key. */
bool events_add_subscriber(events *e, const char *module, const char *name,
                           uint32_t version, concerto_event_handler handler,
                           void *userdata);
const event_subscriber *events_find(const events *e, const char *key);

/* Starts `workers` dispatcher threads for the app; stops them. */
bool events_start(app *a, unsigned workers);
void events_stop(app *a);

/* Host table entries. */
concerto_status host_publish(concerto_request *req, const char *name,
                             uint32_t version, json_t *payload);
concerto_status host_subscribe(concerto_registrar *reg, const char *name,
                               uint32_t version, concerto_event_handler handler,
                               void *userdata);

/* Event name rule: [a-z][a-z0-9_]* words joined by dots, at least two. */
bool event_name_valid(const char *name);

#endif
