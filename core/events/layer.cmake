# The outbox: publishing, dispatchers, subscriber kinds, webhooks, live
# notifications.
concerto_layer(events
  SOURCES events.c notify.c webhook.c
  LIBS PkgConfig::CURL)
