/* A bare libmicrohttpd + libpq server for tests/bench/run.sh: the smallest
 * program with Concerto's architecture (epoll thread pool, blocking libpq
 * calls on the worker thread) serving the benchmark's database route. It is
 * an informational yardstick, not a reference: it splits the gap between
 * Concerto and pgbench into what the architecture costs and what Concerto's
 * own work (routing, JSON, the per-request transaction) costs.
 *
 *   bare_mhd_pq PORT THREADS CONNINFO MODE
 *
 * MODE "single": one prepared SELECT per request (autocommit).
 * MODE "tx":     what Concerto sends: "BEGIN; SET LOCAL search_path ..." as
 *                one simple query, the prepared SELECT, "COMMIT".
 * MODE "auth":   what Concerto sends for an authenticated read
 *                (tests/bench/auth_read.sh), with a 5th argument, the
 *                session's token hash: "BEGIN; SELECT ... auth_session(...)"
 *                as one simple query (the session check, which also sets
 *                the hospital for row-level security), the prepared
 *                primary-key SELECT on bench_notes.notes, "COMMIT". Connect
 *                as the application role, so the policies apply.
 * Every worker thread owns one PostgreSQL connection (so connections =
 * THREADS). Any path answers with the greeting for 'it'. */
#include <microhttpd.h>
#include <libpq-fe.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *conninfo;
static int tx_mode, auth_mode;
static char auth_sql[256];
static __thread PGconn *pg;
static int marker;

static PGconn *thread_conn(void) {
  if (pg && PQstatus(pg) == CONNECTION_OK)
    return pg;
  if (pg)
    PQfinish(pg);
  pg = PQconnectdb(conninfo);
  if (PQstatus(pg) != CONNECTION_OK)
    return NULL;
  PGresult *r =
      auth_mode
          ? PQprepare(
                pg, "greet",
                "SELECT text FROM bench_notes.notes WHERE id = $1::bigint", 1,
                NULL)
          : PQprepare(pg, "greet",
                      "SELECT text FROM hello_vendor.greetings WHERE lang = $1",
                      1, NULL);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  return ok ? pg : NULL;
}

static int command(PGconn *c, const char *sql) {
  PGresult *r = PQexec(c, sql);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  return ok;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *body) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(resp, "Content-Type", "application/json");
  enum MHD_Result ret = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls) {
  (void)cls, (void)url, (void)method, (void)version, (void)upload;
  (void)upload_size;
  /* Queue the response on the second call: libmicrohttpd 0.9.75 drops
   * keep-alive when it is queued on the first. */
  if (*req_cls == NULL) {
    *req_cls = &marker;
    return MHD_YES;
  }
  PGconn *c = thread_conn();
  if (!c)
    return reply(conn, 503, "{\"error\":\"database\"}");
  if (tx_mode &&
      !command(c, "BEGIN; SET LOCAL search_path TO hello_vendor, public"))
    return reply(conn, 500, "{\"error\":\"begin\"}");
  if (auth_mode) {
    PGresult *s = PQexec(c, auth_sql);
    int ok = PQresultStatus(s) == PGRES_TUPLES_OK && PQntuples(s) == 1;
    PQclear(s);
    if (!ok) {
      command(c, "ROLLBACK");
      return reply(conn, 401, "{\"error\":\"session\"}");
    }
  }
  const char *params[1] = {auth_mode ? "1" : "it"};
  PGresult *r = PQexecPrepared(c, "greet", 1, params, NULL, NULL, 0);
  char body[256];
  unsigned status = 200;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    status = 500;
    snprintf(body, sizeof body, "{\"error\":\"query\"}");
  } else if (PQntuples(r) == 0) {
    status = 404;
    snprintf(body, sizeof body, "{\"error\":\"not found\"}");
  } else {
    snprintf(body, sizeof body, "{\"lang\":\"it\",\"text\":\"%s\"}",
             PQgetvalue(r, 0, 0));
  }
  PQclear(r);
  if ((tx_mode || auth_mode) &&
      !command(c, status == 200 ? "COMMIT" : "ROLLBACK"))
    status = 500;
  return reply(conn, status, body);
}

int main(int argc, char **argv) {
  if (argc != 5 && !(argc == 6 && strcmp(argv[4], "auth") == 0)) {
    fprintf(stderr, "usage: %s PORT THREADS CONNINFO single|tx|auth [HASH]\n",
            argv[0]);
    return 2;
  }
  conninfo = argv[3];
  tx_mode = strcmp(argv[4], "tx") == 0;
  auth_mode = strcmp(argv[4], "auth") == 0;
  /* The hash is hex (checked by the script), safe as a literal. */
  if (auth_mode)
    snprintf(auth_sql, sizeof auth_sql,
             "BEGIN; SELECT * FROM concerto.auth_session('%s', NULL, 1800)",
             argv[5]);
  /* Signals go to main only: block them before the worker threads start. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)atoi(argv[1]))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0,
      NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
      (unsigned)atoi(argv[2]), MHD_OPTION_CONNECTION_LIMIT, 1024u,
      MHD_OPTION_CONNECTION_TIMEOUT, 15u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
      MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "cannot start the daemon\n");
    return 1;
  }
  int sig;
  sigwait(&set, &sig);
  MHD_stop_daemon(d);
  return 0;
}
