# Where the server may connect: the address policy and hospitals' lists.
concerto_layer(outbound
  SOURCES outbound_policy.c outbound_store.c)
