/* Concurrent connections per client address, counted by the core instead
 * of libmicrohttpd so that some addresses can be exempt: a reverse proxy in
 * front of Concerto (the documented deployment) carries every user's
 * connections from one address, and a per-address limit must not cap the
 * whole hospital there. The proxy limits its own clients. */
#ifndef CONCERTO_CORE_CONN_LIMIT_H
#define CONCERTO_CORE_CONN_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct conn_limit conn_limit;

/* `per_ip` connections per address at most (0: no limit); `exempt` are
 * numeric IPv4/IPv6 addresses (copied) never limited. `capacity` bounds
 * the distinct addresses tracked at once (the server's connection limit).
 * NULL on a malformed exempt address or out of memory. Owned by the
 * caller (conn_limit_free). */
conn_limit *conn_limit_new(unsigned per_ip, const char *const *exempt,
                           size_t nexempt, size_t capacity);
void conn_limit_free(conn_limit *l);

/* Whether a new connection from `addr` may be accepted now; an admitted
 * one counts at once, before conn_limit_opened (which takes its place). */
bool conn_limit_admit(conn_limit *l, const struct sockaddr *addr);
/* A connection from `addr` opened / closed (every opened one is closed
 * exactly once). */
void conn_limit_opened(conn_limit *l, const struct sockaddr *addr);
void conn_limit_closed(conn_limit *l, const struct sockaddr *addr);

#endif
