/* The HTTP server: libmicrohttpd with its internal epoll polling and a
 * thread pool, request size and time limits, and graceful shutdown. */
#ifndef CONCERTO_CORE_SERVER_H
#define CONCERTO_CORE_SERVER_H

#include <stdbool.h>

#include "app.h"

typedef struct server server;

/* Starts listening; NULL (with a log line) if the address cannot be bound. */
server *server_start(app *a);
/* Stops accepting, waits up to grace_s for in-flight requests, stops. */
void server_stop(server *s, unsigned grace_s);

#endif
