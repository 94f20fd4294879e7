# The outbox: publishing, dispatchers, subscriber kinds, webhooks, live
# notifications.
concerto_layer(events
  SOURCES event_catalog.c events.c notify.c webhook.c
  LIBS PkgConfig::CURL)
