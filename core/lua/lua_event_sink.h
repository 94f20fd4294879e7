/* The hospital's Lua on_event rule, delivered by the outbox like any
 * subscriber (events.h, event_sink). */
#ifndef CONCERTO_CORE_LUA_EVENT_SINK_H
#define CONCERTO_CORE_LUA_EVENT_SINK_H

#include <stdbool.h>

#include "events.h"

/* Adds the kind to e before the dispatchers start. */
bool lua_event_sink_register(events *e);

#endif
