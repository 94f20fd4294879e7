#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "blob_store.h"
#include "conn_limit.h"
#include "log.h"
#include "mhd_message.h"
#include "request.h"

struct server {
  app *app;
  struct MHD_Daemon *daemon;
  conn_limit *per_ip;
};

/* Accept policy: the per-address connection limit (conn_limit.h). */
static enum MHD_Result admit(void *cls, const struct sockaddr *addr,
                             socklen_t addrlen) {
  (void)addrlen;
  return conn_limit_admit(cls, addr) ? MHD_YES : MHD_NO;
}

/* Counts a connection while it is open; *socket_context marks the ones
 * counted, so a connection closed before it started is not uncounted. */
static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci ? ci->client_addr : NULL;
  if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
    conn_limit_opened(cls, sa);
    *socket_context = cls;
  } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
    conn_limit_closed(cls, sa);
    *socket_context = NULL;
  }
}

/* Whether a refused body has been read and discarded for longer than
 * limits.linger_s: then the connection is closed without an answer, as
 * nginx's lingering_time ends its lingering close. */
static bool linger_over(const concerto_request *req, unsigned linger_s) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec - req->started.tv_sec >= (time_t)linger_s;
}

/* A client that sent Expect: 100-continue waits for our word before the
 * body: answering at once loses nothing and spares it the upload (reading
 * the body instead would make libmicrohttpd send "100 Continue"). */
static bool expects_continue(struct MHD_Connection *conn) {
  const char *e = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
  return e && strcasecmp(e, "100-continue") == 0;
}

static bool content_length_over(struct MHD_Connection *conn, size_t max) {
  const char *cl =
      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
  if (!cl)
    return false;
  char *end;
  unsigned long long n = strtoull(cl, &end, 10);
  return *end == '\0' && n > max;
}

/* libmicrohttpd calls this once with the headers, then with body chunks,
 * then once more with no data. The response is queued only on that last
 * call: queueing on the first call would make libmicrohttpd 0.9.75 close a
 * keep-alive connection (docs/performance.md). The exceptions, answered at
 * once: a request line or headers over the limit. A refused upload (no
 * credentials, not allowed, a bad parameter) is answered when its body has
 * been read and discarded, for the reason below. A body announced as too large
 * by its Content-Length is read and discarded, never stored, and answered 413
 * when it has arrived: a client still sending - a browser, without Expect:
 * 100-continue - would otherwise get a connection reset, since closing a socket
 * with unread bytes makes the kernel send RST, which can destroy the 413 before
 * the client reads it (nginx's lingering close, for the same reason). The drain
 * is bounded by limits.linger_s from the request's start; past it the
 * connection is closed. A client that asked Expect: 100-continue has sent
 * nothing yet and is answered at once. An upload route's body streams to the
 * blob store's temp folder instead of memory (request_begin_body); a chunked
 * one crossing the limit is dropped and the rest read and discarded the same
 * way, since libmicrohttpd cannot queue a response in the middle of a body. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
  app *a = cls;
  concerto_request *req = *req_cls;
  if (!req) {
    req = request_new(a, conn, method, url);
    if (!req)
      return MHD_NO;
    *req_cls = req;
    atomic_fetch_add(&a->inflight, 1);
    if (request_check_head(req, version))
      return request_send(req);
    if (request_begin_body(req)) {
      /* A refused upload, answered but not yet sent: like a 413, to a
       * client already sending its body the answer goes after the body
       * has been read and discarded (never stored), within linger_s. */
      if (a->cfg.linger_s == 0 || expects_continue(conn))
        return request_send(req);
      req->answer_after_body = true;
      return MHD_YES;
    }
    if (content_length_over(conn, request_body_limit(req))) {
      req->body_too_large = true;
      if (a->cfg.linger_s == 0 || expects_continue(conn)) {
        request_dispatch(req);
        return request_send(req);
      }
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    if (((req->body_too_large && !req->responded) || req->answer_after_body) &&
        linger_over(req, a->cfg.linger_s))
      return MHD_NO; /* drained long enough: close */
    if (!req->responded)
      request_append_body(req, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (req->answer_after_body)
    return request_send(req); /* the refused upload's body is drained */
  if (req->responded)
    return MHD_YES; /* already answered (413 up front) */
  request_dispatch(req);
  return request_send(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)conn;
  (void)toe;
  app *a = cls;
  concerto_request *req = *req_cls;
  if (!req)
    return;
  request_free(req);
  *req_cls = NULL;
  atomic_fetch_sub(&a->inflight, 1);
}

/* libmicrohttpd's own messages can quote the request URL: its arguments
 * are redacted (core/http/mhd_message.c) before the line is written. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char msg[512];
  mhd_message_format(msg, sizeof msg, fmt, ap);
  log_msg(CONCERTO_LOG_WARN, "http", NULL, "%s", msg);
}

server *server_start(app *a) {
  const concerto_config *c = &a->cfg;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                   MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
  if (inet_pton(AF_INET, c->listen_host,
                &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)c->listen_port);
  } else if (inet_pton(AF_INET6, c->listen_host,
                       &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)c->listen_port);
    flags |= MHD_USE_IPv6;
  } else {
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL,
            "listen: %s is not a numeric IPv4 or IPv6 address", c->listen_host);
    return NULL;
  }
  /* Temp files of uploads a crash interrupted; recent ones may belong to
   * another server sharing the store. */
  int swept = blob_store_sweep_tmp(c->blob_dir, 24 * 3600);
  if (swept > 0)
    log_msg(CONCERTO_LOG_INFO, NULL, NULL,
            "blob store: removed %d stale upload temp files", swept);
  server *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->app = a;
  const char *exempt[64];
  size_t nexempt = 0;
  size_t i;
  json_t *e;
  json_array_foreach(c->per_ip_exempt, i, e) if (nexempt < 64)
      exempt[nexempt++] = json_string_value(e);
  s->per_ip = conn_limit_new(c->per_ip_connections, exempt, nexempt,
                             c->max_connections);
  if (!s->per_ip) {
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL,
            "limits.per_ip_exempt: every entry must be a numeric IPv4 or "
            "IPv6 address");
    free(s);
    return NULL;
  }
  /* Twice the header limit: libmicrohttpd must hold a request somewhat
   * over the limit, and its records of each header, for request_check_head
   * to refuse it with a problem+json rather than libmicrohttpd with HTML.
   * Not more: 0.9.75 zeroes the whole of this memory after every request
   * on a keep-alive connection, so each KiB costs time on every request. */
  size_t mhd_memory = 2 * (size_t)c->max_header_bytes;
  s->daemon = MHD_start_daemon(
      flags, (uint16_t)c->listen_port, admit, s->per_ip, on_request, a,
      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
      (unsigned int)c->threads, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned int)c->max_connections, MHD_OPTION_NOTIFY_CONNECTION,
      on_connection, s->per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned int)c->connection_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      mhd_memory, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, a, MHD_OPTION_END);
  if (!s->daemon) {
    log_msg(CONCERTO_LOG_ERROR, NULL, NULL, "cannot listen on %s:%u",
            c->listen_host, c->listen_port);
    conn_limit_free(s->per_ip);
    free(s);
    return NULL;
  }
  log_msg(CONCERTO_LOG_INFO, NULL, NULL,
          "listening on http://%s:%u (%u threads, %u database connections)",
          c->listen_host, c->listen_port, c->threads, c->db_pool_size);
  return s;
}

void server_stop(server *s, unsigned grace_s) {
  if (!s)
    return;
  atomic_store(&s->app->shutting_down, true);
  /* Stop accepting; connections already open finish what they started. */
  MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
  if (listen_fd != MHD_INVALID_SOCKET)
    close(listen_fd);
  /* Event streams never finish by themselves: end them now. */
  if (s->app->hooks.close_streams)
    s->app->hooks.close_streams(s->app);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int inflight = atomic_load(&s->app->inflight);
    clock_gettime(CLOCK_MONOTONIC, &now);
    double waited = (double)(now.tv_sec - start.tv_sec) +
                    (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    if (inflight <= 0)
      break;
    if (waited >= grace_s) {
      log_msg(CONCERTO_LOG_WARN, NULL, NULL,
              "shutdown grace of %us over with %d requests in flight", grace_s,
              inflight);
      break;
    }
    struct timespec tick = {0, 20 * 1000000L};
    nanosleep(&tick, NULL);
  }
  MHD_stop_daemon(s->daemon);
  conn_limit_free(s->per_ip);
  free(s);
}
