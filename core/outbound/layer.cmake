# Where the server may connect: the address policy, hospitals' lists, and
# the HTTP client that calls out on their behalf.
concerto_layer(outbound
  SOURCES outbound_http.c outbound_policy.c outbound_store.c
  LIBS PkgConfig::CURL)
