# The audit trail: rows queued by a request, written before its COMMIT.
concerto_layer(audit
  SOURCES audit.c)
