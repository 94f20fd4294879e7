#include "notify.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_pool.h"
#include "log.h"
#include "request.h"

#define HEARTBEAT_S 15
#define CLIENT_QUEUE_MAX (64u << 10) /* bytes waiting per stream */
#define NOTIFY_PAYLOAD_MAX 7000      /* under PostgreSQL's 8000-byte limit */

typedef struct sse_client {
  struct MHD_Connection *conn;
  notify_hub *hub;
  char user_id[24], tenant_id[24], patient_id[24];
  bool staff;      /* a staff session: hears its hospital's notifications */
  char topic[128]; /* "<module>/<topic>" for a module's live stream, else "" */
  char *queue;     /* pending "event: ...\ndata: ...\n\n" text */
  size_t len;
  bool suspended, closed, listed;
  struct sse_client *next;
} sse_client;

struct notify_hub {
  char *conninfo, *app_role;
  void (*on_tenants)(void *ctx); /* NOTIFY concerto_tenants, and reconnects */
  void *on_tenants_ctx;
  pthread_mutex_t lock; /* guards the list and every client's fields */
  sse_client *clients;
  pthread_t thread;
  bool running;
  atomic_bool stop;
};

notify_hub *notify_hub_new(const char *conninfo, const char *app_role) {
  notify_hub *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  h->conninfo = strdup(conninfo);
  h->app_role = app_role && *app_role ? strdup(app_role) : NULL;
  pthread_mutex_init(&h->lock, NULL);
  return h;
}

/* With the lock held: appends text and wakes the stream. */
static void enqueue(sse_client *c, const char *text) {
  size_t n = strlen(text);
  if (c->closed || c->len + n > CLIENT_QUEUE_MAX)
    return; /* a stalled reader loses messages, not the server's memory */
  char *grown = realloc(c->queue, c->len + n + 1);
  if (!grown)
    return;
  memcpy(grown + c->len, text, n + 1);
  c->queue = grown;
  c->len += n;
  if (c->suspended) {
    c->suspended = false;
    MHD_resume_connection(c->conn);
  }
}

/* A message is either a notification for the console's bell, addressed to
 * one audience - {user_id} one staff user, {tenant_id} the staff of a
 * hospital, {patient_id} one patient's sessions - or a module's live event
 * ({topic, event, data}) for the streams open on that topic only. A
 * hospital's notifications never reach a patient's (or anybody else's
 * non-staff) stream, whatever hospital that session belongs to. */
static void deliver(notify_hub *h, const char *payload) {
  json_t *msg = json_loads(payload, 0, NULL);
  const char *user = json_string_value(json_object_get(msg, "user_id"));
  const char *tenant = json_string_value(json_object_get(msg, "tenant_id"));
  const char *patient = json_string_value(json_object_get(msg, "patient_id"));
  const char *topic = json_string_value(json_object_get(msg, "topic"));
  const char *name = json_string_value(json_object_get(msg, "event"));
  json_t *data = json_object_get(msg, "data");
  char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
  char *event = NULL;
  if (text && asprintf(&event, "event: %s\ndata: %s\n\n",
                       topic && name ? name : "notification", text) < 0)
    event = NULL;
  pthread_mutex_lock(&h->lock);
  for (sse_client *c = h->clients; event && c; c = c->next) {
    bool wanted =
        topic ? strcmp(topic, c->topic) == 0
              : c->topic[0] == '\0' &&
                    ((c->staff && user && strcmp(user, c->user_id) == 0) ||
                     (c->staff && !user && tenant &&
                      strcmp(tenant, c->tenant_id) == 0) ||
                     (!c->staff && patient &&
                      strcmp(patient, c->patient_id) == 0));
    if (wanted)
      enqueue(c, event);
  }
  pthread_mutex_unlock(&h->lock);
  free(event);
  free(text);
  json_decref(msg);
}

static void heartbeat(notify_hub *h) {
  pthread_mutex_lock(&h->lock);
  for (sse_client *c = h->clients; c; c = c->next)
    enqueue(c, ": ping\n\n");
  pthread_mutex_unlock(&h->lock);
}

static PGconn *listen_conn(notify_hub *h) {
  PGconn *pg = db_connect(h->conninfo, h->app_role, "concerto-notify", NULL, 0);
  PGresult *r = NULL;
  if (pg)
    r = PQexec(pg, "LISTEN concerto_notify; LISTEN concerto_tenants");
  bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    PQfinish(pg);
    return NULL;
  }
  return pg;
}

static void *hub_loop(void *arg) {
  notify_hub *h = arg;
  PGconn *pg = NULL;
  time_t last_beat = time(NULL);
  while (!atomic_load(&h->stop)) {
    if (time(NULL) - last_beat >= HEARTBEAT_S) {
      heartbeat(h);
      last_beat = time(NULL);
    }
    if (!pg) {
      if (!(pg = listen_conn(h))) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        continue;
      }
      if (h->on_tenants) /* changes may have been missed while away */
        h->on_tenants(h->on_tenants_ctx);
    }
    struct pollfd pfd = {PQsocket(pg), POLLIN, 0};
    if (poll(&pfd, 1, 500) <= 0)
      continue;
    if (!PQconsumeInput(pg)) {
      PQfinish(pg);
      pg = NULL;
      continue;
    }
    PGnotify *n;
    while ((n = PQnotifies(pg))) {
      /* In the order they were sent: a change of module enablement reaches
       * this node's cache before the notification announcing it reaches a
       * stream, so a browser reloading its profile on it sees the change. */
      if (strcmp(n->relname, "concerto_tenants") == 0) {
        if (h->on_tenants)
          h->on_tenants(h->on_tenants_ctx);
      } else {
        deliver(h, n->extra);
      }
      PQfreemem(n);
    }
  }
  PQfinish(pg);
  return NULL;
}

void notify_hub_on_tenants(notify_hub *h, void (*fn)(void *ctx), void *ctx) {
  h->on_tenants = fn;
  h->on_tenants_ctx = ctx;
}

bool notify_hub_start(notify_hub *h) {
  h->running = pthread_create(&h->thread, NULL, hub_loop, h) == 0;
  return h->running;
}

void notify_hub_close_all(notify_hub *h) {
  if (!h)
    return;
  pthread_mutex_lock(&h->lock);
  for (sse_client *c = h->clients; c; c = c->next) {
    c->closed = true;
    if (c->suspended) {
      c->suspended = false;
      MHD_resume_connection(c->conn);
    }
  }
  pthread_mutex_unlock(&h->lock);
}

void notify_hub_free(notify_hub *h) {
  if (!h)
    return;
  atomic_store(&h->stop, true);
  if (h->running)
    pthread_join(h->thread, NULL);
  pthread_mutex_destroy(&h->lock);
  free(h->conninfo);
  free(h->app_role);
  free(h);
}

/* ---- one stream ---- */

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  sse_client *c = cls;
  notify_hub *h = c->hub;
  pthread_mutex_lock(&h->lock);
  ssize_t n;
  if (c->len > 0) {
    size_t take = c->len < max ? c->len : max;
    memcpy(buf, c->queue, take);
    memmove(c->queue, c->queue + take, c->len - take);
    c->len -= take;
    n = (ssize_t)take;
  } else if (c->closed) {
    n = MHD_CONTENT_READER_END_OF_STREAM;
  } else {
    /* Nothing to send: park the connection until a message or the next
     * heartbeat resumes it. */
    c->suspended = true;
    MHD_suspend_connection(c->conn);
    n = 0;
  }
  pthread_mutex_unlock(&h->lock);
  return n;
}

static void free_stream(void *cls) {
  sse_client *c = cls;
  notify_hub *h = c->hub;
  pthread_mutex_lock(&h->lock);
  for (sse_client **p = &h->clients; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      break;
    }
  pthread_mutex_unlock(&h->lock);
  free(c->queue);
  free(c);
}

/* Builds the response of a stream request; libmicrohttpd owns c after. */
static struct MHD_Response *make_stream_response(void *state) {
  return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream,
                                           state, free_stream);
}

bool notify_stream_response(concerto_request *req, notify_hub *h) {
  return notify_topic_stream_response(req, h, NULL);
}

bool notify_topic_stream_response(concerto_request *req, notify_hub *h,
                                  const char *topic) {
  sse_client *c = calloc(1, sizeof *c);
  if (!c)
    return false;
  c->conn = req->conn;
  c->hub = h;
  snprintf(c->user_id, sizeof c->user_id, "%s",
           req->caller.user_id ? req->caller.user_id : "-");
  snprintf(c->tenant_id, sizeof c->tenant_id, "%s",
           req->caller.tenant_id ? req->caller.tenant_id : "-");
  snprintf(c->patient_id, sizeof c->patient_id, "%s",
           req->caller.patient_id ? req->caller.patient_id : "-");
  c->staff = req->caller.kind == CALLER_STAFF;
  snprintf(c->topic, sizeof c->topic, "%s", topic ? topic : "");
  /* The first bytes tell the browser how long to wait before reconnecting. */
  c->queue = strdup("retry: 5000\n: connected\n\n");
  c->len = c->queue ? strlen(c->queue) : 0;
  pthread_mutex_lock(&h->lock);
  c->next = h->clients;
  h->clients = c;
  pthread_mutex_unlock(&h->lock);
  req->stream = (request_stream){c, make_stream_response, free_stream};
  req->responded = true;
  req->status = 200;
  req->content_type = "text/event-stream; charset=utf-8";
  return true;
}

bool notify_send(concerto_request *req, const char *user_id,
                 const char *tenant_id, const char *title, const char *body,
                 const char *level) {
  if (!user_id && !tenant_id)
    return false;
  /* A personal notification is stored first (the bell lists it at the next
   * login); the live message carries the stored id, so marking it read in
   * one tab marks the same row. */
  const char *stored = NULL;
  if (user_id) {
    PGresult *r = NULL;
    if (request_query(
            req,
            "SELECT concerto.notification_add($1::bigint, $2, $3, "
            "$4)::text",
            4, (const char *[]){user_id, title, body, level ? level : "info"},
            &r) != CONCERTO_OK)
      return false;
    if (PQgetisnull(r, 0, 0))
      return true; /* a disabled account: nobody to tell */
    stored = PQgetvalue(r, 0, 0);
  }
  json_t *msg =
      json_pack("{s:s?, s:s?, s:{s:s, s:s?, s:s, s:s?}}", "user_id", user_id,
                "tenant_id", tenant_id, "data", "title", title, "body", body,
                "level", level ? level : "info", "id", stored);
  char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  bool ok = text && strlen(text) < NOTIFY_PAYLOAD_MAX &&
            request_query(req, "SELECT pg_notify('concerto_notify', $1)", 1,
                          (const char *[]){text}, NULL) == CONCERTO_OK;
  free(text);
  return ok;
}

bool notify_publish(concerto_request *req, const char *topic, const char *event,
                    const json_t *data) {
  json_t *msg = json_pack("{s:s, s:s, s:O}", "topic", topic, "event", event,
                          "data", data);
  char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  bool ok = text && strlen(text) < NOTIFY_PAYLOAD_MAX &&
            request_query(req, "SELECT pg_notify('concerto_notify', $1)", 1,
                          (const char *[]){text}, NULL) == CONCERTO_OK;
  free(text);
  return ok;
}
