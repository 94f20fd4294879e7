#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "backoff.h"
#include "event_catalog.h"
#include "log.h"
#include "request.h"

#define EVENT_PAYLOAD_MAX (256u << 10)
/* How long a delivery whose claim became a lease (a webhook being
 * called, a handler that committed its work so far) is out of other
 * dispatchers' reach: a dispatcher that died meanwhile is taken over after
 * it. */
#define EVENT_LEASE "120 seconds"

#define SINKS_MAX 8

struct events {
  event_subscriber *subs;
  size_t count;
  const event_sink *sinks[SINKS_MAX]; /* borrowed, static in their layers */
  size_t nsinks;
  char *publish_sql; /* rebuilt when a sink is added */
  event_catalog *catalog;
  pthread_t *threads;
  unsigned nthreads;
  atomic_bool stop;
};

static char *build_publish_sql(const events *e);

events *events_new(void) {
  events *e = calloc(1, sizeof(events));
  if (e && (!(e->publish_sql = build_publish_sql(e)) ||
            !(e->catalog = event_catalog_new()))) {
    free(e->publish_sql);
    free(e);
    return NULL;
  }
  return e;
}

void events_free(events *e) {
  if (!e)
    return;
  for (size_t i = 0; i < e->count; i++) {
    free(e->subs[i].key);
    free(e->subs[i].name);
  }
  free(e->subs);
  free(e->threads);
  free(e->publish_sql);
  event_catalog_free(e->catalog);
  free(e);
}

event_catalog *events_catalog(events *e) {
  return e ? e->catalog : NULL;
}

bool event_name_valid(const char *name) {
  if (!name || !(*name >= 'a' && *name <= 'z') || strlen(name) > 100)
    return false;
  int dots = 0;
  for (const char *p = name; *p; p++) {
    if (*p == '.') {
      if (!(p[1] >= 'a' && p[1] <= 'z'))
        return false;
      dots++;
    } else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                 *p == '_')) {
      return false;
    }
  }
  return dots >= 1;
}

bool events_add_subscriber(events *e, const route_owner *owner,
                           const char *name, uint32_t version,
                           concerto_event_handler handler, void *userdata) {
  char key[200];
  snprintf(key, sizeof key, "module:%s:%s@%u", owner ? owner->name : "concerto",
           name, version);
  if (events_find(e, key))
    return false;
  event_subscriber *grown = realloc(e->subs, (e->count + 1) * sizeof *grown);
  if (!grown)
    return false;
  e->subs = grown;
  e->subs[e->count++] = (event_subscriber){strdup(key), strdup(name), version,
                                           handler,     userdata,     owner};
  return true;
}

const event_subscriber *events_find(const events *e, const char *key) {
  for (size_t i = 0; i < e->count; i++)
    if (strcmp(e->subs[i].key, key) == 0)
      return &e->subs[i];
  return NULL;
}

/* ---- subscriber kinds ---- */

/* The outbox insert: the event, one delivery per module subscriber ($5),
 * and what each sink's fan-out selects from "e". No RETURNING: RLS would
 * then also apply the read policy, which a regional event (no hospital)
 * does not pass. */
static char *build_publish_sql(const events *e) {
  size_t len = 1024;
  for (size_t i = 0; i < e->nsinks; i++)
    len += strlen(e->sinks[i]->fanout_sql) + 16;
  char *sql = malloc(len);
  if (!sql)
    return NULL;
  snprintf(sql, len, "%s",
           "WITH e AS (SELECT nextval('concerto.events_id_seq') AS id, "
           "concerto.current_tenant() AS tenant_id), ins AS (INSERT INTO "
           "concerto.events (id, name, version, tenant_id, payload, "
           "request_id) SELECT id, $1, $2::integer, tenant_id, $3::jsonb, $4 "
           "FROM e) INSERT INTO concerto.event_deliveries (subscriber, "
           "event_id, tenant_id) SELECT s, e.id, e.tenant_id FROM e, "
           "unnest($5::text[]) AS s");
  for (size_t i = 0; i < e->nsinks; i++) {
    strcat(sql, " UNION ALL ");
    strcat(sql, e->sinks[i]->fanout_sql);
  }
  return sql;
}

bool events_add_sink(events *e, const event_sink *sink) {
  if (!sink || !sink->prefix || !sink->fanout_sql ||
      !(sink->deliver || (sink->prepare && sink->call)) ||
      e->nsinks == SINKS_MAX || strncmp(sink->prefix, "module:", 7) == 0)
    return false;
  for (size_t i = 0; i < e->nsinks; i++)
    if (strcmp(e->sinks[i]->prefix, sink->prefix) == 0)
      return false;
  e->sinks[e->nsinks++] = sink;
  char *sql = build_publish_sql(e);
  if (!sql) {
    e->nsinks--;
    return false;
  }
  free(e->publish_sql);
  e->publish_sql = sql;
  return true;
}

static const event_sink *sink_of(const events *e, const char *subscriber) {
  for (size_t i = 0; i < e->nsinks; i++)
    if (strncmp(subscriber, e->sinks[i]->prefix, strlen(e->sinks[i]->prefix)) ==
        0)
      return e->sinks[i];
  return NULL;
}

/* ---- the catalog, with who listens ---- */

static json_t *subscribers_of(const events *e, const char *name,
                              uint32_t version) {
  json_t *list = json_array();
  for (size_t i = 0; i < e->count; i++)
    if (e->subs[i].version == version && strcmp(e->subs[i].name, name) == 0)
      json_array_append_new(
          list,
          json_string(e->subs[i].owner ? e->subs[i].owner->name : "core"));
  return list;
}

static bool in_list(const json_t *list, const char *name, uint32_t version) {
  size_t i;
  json_t *d;
  json_array_foreach(list, i, d) {
    if ((uint32_t)json_integer_value(json_object_get(d, "version")) ==
            version &&
        strcmp(json_string_value(json_object_get(d, "name")), name) == 0)
      return true;
  }
  return false;
}

json_t *events_catalog_json(const events *e) {
  json_t *list = event_catalog_json(e->catalog);
  size_t i;
  json_t *d;
  json_array_foreach(list, i, d) {
    json_object_set_new(
        d, "subscribers",
        subscribers_of(
            e, json_string_value(json_object_get(d, "name")),
            (uint32_t)json_integer_value(json_object_get(d, "version"))));
  }
  /* Subscribed to, produced by no module loaded here (yet). */
  for (size_t s = 0; s < e->count; s++)
    if (!in_list(list, e->subs[s].name, e->subs[s].version))
      json_array_append_new(
          list,
          json_pack("{s:s, s:i, s:[], s:s, s:o}", "name", e->subs[s].name,
                    "version", (int)e->subs[s].version, "producers",
                    "description", "", "subscribers",
                    subscribers_of(e, e->subs[s].name, e->subs[s].version)));
  /* Kinds that take any event of a hospital: its webhooks choose by name,
   * its on_event rule sees all. */
  json_t *kinds = json_array();
  for (size_t k = 0; k < e->nsinks; k++)
    json_array_append_new(kinds, json_string(e->sinks[k]->prefix));
  return json_pack("{s:o, s:o}", "events", list, "subscriber_kinds", kinds);
}

/* ---- publishing ---- */

concerto_status events_publish(concerto_request *req, const char *name,
                               uint32_t version, json_t *payload) {
  return events_publish_as(req, req->owner, name, version, payload);
}

concerto_status events_publish_as(concerto_request *req,
                                  const route_owner *producer, const char *name,
                                  uint32_t version, json_t *payload) {
  concerto_status st = CONCERTO_OK;
  char *text = NULL;
  if (!event_name_valid(name) || version < 1 || version > 1000 ||
      !json_is_object(payload)) {
    st = CONCERTO_ERR_INVALID;
    goto out;
  }
  /* Modules built before ABI 1.10 could not declare what they publish. */
  char why[400];
  if ((!producer || producer->abi_minor >= 10) &&
      !event_catalog_allows(req->app->events->catalog,
                            producer ? producer->name : NULL, name, version,
                            payload, why, sizeof why)) {
    log_msg(CONCERTO_LOG_ERROR, producer ? producer->name : NULL, req->id,
            "publish refused: %s", why);
    st = CONCERTO_ERR_INVALID;
    goto out;
  }
  text = json_dumps(payload, JSON_COMPACT);
  if (!text || strlen(text) > EVENT_PAYLOAD_MAX) {
    st = text ? CONCERTO_ERR_TOO_LARGE : CONCERTO_ERR_NOMEM;
    goto out;
  }
  /* The module subscribers of this name and version, as a text[] literal:
   * keys are [a-z0-9_.:@] only, so no quoting is needed. */
  const events *e = req->app->events;
  size_t cap = 3;
  for (size_t i = 0; i < e->count; i++)
    cap += strlen(e->subs[i].key) + 1;
  char *keys = arena_alloc(&req->arena, cap);
  if (!keys) {
    st = CONCERTO_ERR_NOMEM;
    goto out;
  }
  strcpy(keys, "{");
  for (size_t i = 0; i < e->count; i++)
    if (e->subs[i].version == version && strcmp(e->subs[i].name, name) == 0) {
      if (keys[1])
        strcat(keys, ",");
      strcat(keys, e->subs[i].key);
    }
  strcat(keys, "}");
  char vtext[16];
  snprintf(vtext, sizeof vtext, "%u", version);
  const char *params[5] = {name, vtext, text, req->id, keys};
  st = request_query(req, e->publish_sql, 5, params, NULL);
  if (st == CONCERTO_OK)
    st = request_query(req, "SELECT pg_notify('concerto_events', '')", 0, NULL,
                       NULL);
out:
  free(text);
  json_decref(payload);
  return st;
}

/* ---- dispatching ---- */

typedef struct delivery {
  char subscriber[200];
  char event_id[24];
  int attempts; /* as claimed */
  char name[104];
  uint32_t version;
  char tenant_id[24]; /* "" = regional */
  char *payload;      /* malloc'ed JSON text */
  /* The claim became a lease (attempts + 1 already stored, the row no
   * longer locked): what records the outcome checks the row still has
   * that attempt number, so a dispatcher that took over after the lease
   * expired wins. */
  bool leased;
} delivery;

static bool exec_cmd(db_conn *c, const char *sql) {
  return db_conn_command(c, sql) == CONCERTO_OK;
}

static bool exec_params(db_conn *c, const char *sql, int n,
                        const char *const *p) {
  PGresult *r = NULL;
  concerto_status st = db_conn_exec(c, sql, n, p, &r, NULL);
  if (r)
    PQclear(r);
  return st == CONCERTO_OK;
}

/* The dispatcher acts for itself (the server key): across hospitals to
 * claim and record deliveries, for the event's hospital (none for a
 * regional event) while a subscriber runs. */
bool events_scope(app *a, db_conn *c, const char *tenant_id, bool regional) {
  const char *p[3] = {a->server_key, tenant_id && *tenant_id ? tenant_id : NULL,
                      regional ? "true" : "false"};
  return exec_params(
      c, "SELECT concerto.context_system($1, $2::bigint, $3::boolean)", 3, p);
}

bool events_begin_regional(app *a, db_conn *c) {
  if (!exec_cmd(c, "BEGIN"))
    return false;
  if (events_scope(a, c, NULL, true))
    return true;
  exec_cmd(c, "ROLLBACK");
  return false;
}

/* The module subscribers this server has, as a text[] literal (keys are
 * [a-z0-9_.:@] only): deliveries to modules loaded elsewhere are left to
 * the servers that run them. */
static char *loaded_keys(const events *e) {
  size_t cap = 3;
  for (size_t i = 0; i < e->count; i++)
    cap += strlen(e->subs[i].key) + 1;
  char *keys = malloc(cap);
  if (!keys)
    return NULL;
  strcpy(keys, "{");
  for (size_t i = 0; i < e->count; i++) {
    if (i)
      strcat(keys, ",");
    strcat(keys, e->subs[i].key);
  }
  strcat(keys, "}");
  return keys;
}

/* Claims the most overdue pending delivery (row locked until the end of
 * the transaction left open on success). */
static bool claim(app *a, db_conn *c, const char *keys, delivery *d) {
  if (!events_begin_regional(a, c))
    return false;
  PGresult *r = NULL;
  concerto_status st = db_conn_exec(
      c,
      "SELECT d.subscriber, d.event_id::text, d.attempts, e.name, e.version, "
      "coalesce(e.tenant_id::text, ''), e.payload::text FROM "
      "concerto.event_deliveries d JOIN concerto.events e ON e.id = "
      "d.event_id WHERE d.state = 'pending' AND d.next_attempt_at <= now() "
      "AND (d.subscriber NOT LIKE 'module:%' OR d.subscriber = ANY "
      "($1::text[])) ORDER BY d.next_attempt_at, d.event_id LIMIT 1 FOR "
      "UPDATE OF d SKIP LOCKED",
      1, (const char *[]){keys}, &r, NULL);
  if (st != CONCERTO_OK || PQntuples(r) != 1) {
    if (r)
      PQclear(r);
    exec_cmd(c, "ROLLBACK");
    return false;
  }
  snprintf(d->subscriber, sizeof d->subscriber, "%s", PQgetvalue(r, 0, 0));
  snprintf(d->event_id, sizeof d->event_id, "%s", PQgetvalue(r, 0, 1));
  d->attempts = atoi(PQgetvalue(r, 0, 2));
  snprintf(d->name, sizeof d->name, "%s", PQgetvalue(r, 0, 3));
  d->version = (uint32_t)atoi(PQgetvalue(r, 0, 4));
  snprintf(d->tenant_id, sizeof d->tenant_id, "%s", PQgetvalue(r, 0, 5));
  d->payload = strdup(PQgetvalue(r, 0, 6));
  PQclear(r);
  return true;
}

/* In the claiming transaction, before it commits: the attempt is counted
 * and the row put out of reach for EVENT_LEASE_S, after which another
 * dispatcher may take it over (this one presumed dead). */
static bool lease(db_conn *c, delivery *d) {
  char att[16];
  snprintf(att, sizeof att, "%d", d->attempts + 1);
  const char *p[3] = {d->subscriber, d->event_id, att};
  bool ok = exec_params(
      c,
      "UPDATE concerto.event_deliveries SET attempts = "
      "$3::integer, next_attempt_at = now() + interval '" EVENT_LEASE
      "' WHERE subscriber = $1 AND event_id = $2::bigint",
      3, p);
  d->leased = ok;
  return ok;
}

/* The "done" mark, then COMMIT. Under a lease it applies only while the
 * row still has this attempt's number. */
static bool mark_done(db_conn *c, const delivery *d) {
  char att[16], fence[16];
  snprintf(att, sizeof att, "%d", d->attempts + 1);
  snprintf(fence, sizeof fence, "%d",
           d->leased ? d->attempts + 1 : d->attempts);
  const char *p[4] = {d->subscriber, d->event_id, att, fence};
  PGresult *r = NULL;
  concerto_status st = db_conn_exec(
      c,
      "UPDATE concerto.event_deliveries SET state = 'done', done_at = now(), "
      "attempts = $3::integer, last_error = NULL WHERE subscriber = $1 AND "
      "event_id = $2::bigint AND state = 'pending' AND attempts = $4::integer",
      4, p, &r, NULL);
  bool mine = st == CONCERTO_OK && strcmp(PQcmdTuples(r), "1") == 0;
  if (r)
    PQclear(r);
  if (!mine) {
    exec_cmd(c, "ROLLBACK");
    if (st == CONCERTO_OK)
      log_msg(CONCERTO_LOG_WARN, "events", NULL,
              "delivery of event %s to %s was taken over after its lease",
              d->event_id, d->subscriber);
    return st == CONCERTO_OK; /* not ours any more: nothing to retry */
  }
  return exec_cmd(c, "COMMIT");
}

/* Records a failed attempt: retry later with exponential backoff, or dead
 * after the last attempt. With `claimed`, in the claiming transaction
 * (the handler's effects already undone to a savepoint): the row stays
 * locked from the claim to this record, so no other dispatcher can take
 * the delivery in between and send it twice. Otherwise (the claim became a
 * lease, or its transaction is gone, e.g. its COMMIT failed) in a
 * transaction of its own, changing the row only if nobody has moved it on
 * meanwhile. */
static void mark_failed(app *a, db_conn *c, const delivery *d,
                        const char *error, bool claimed) {
  int attempts = d->attempts + 1;
  unsigned long long delay =
      backoff_ms(a->cfg.event_retry_base_ms, (unsigned)attempts);
  bool dead = (unsigned)attempts >= a->cfg.event_max_attempts;
  char att[16], ms[24], before[16];
  snprintf(att, sizeof att, "%d", attempts);
  snprintf(ms, sizeof ms, "%llu", delay);
  snprintf(before, sizeof before, "%d", d->leased ? attempts : d->attempts);
  const char *p[7] = {
      d->subscriber, d->event_id, att, error, dead ? "dead" : "pending", ms,
      before};
  if ((claimed || events_begin_regional(a, c)) &&
      exec_params(c,
                  "UPDATE concerto.event_deliveries SET attempts = "
                  "$3::integer, last_error = left($4, 500), state = $5, "
                  "next_attempt_at = now() + make_interval(secs => "
                  "$6::double precision / 1000) WHERE subscriber = $1 AND "
                  "event_id = $2::bigint AND state = 'pending' AND attempts "
                  "= $7::integer",
                  7, p))
    exec_cmd(c, "COMMIT");
  else
    exec_cmd(c, "ROLLBACK");
  log_msg(dead ? CONCERTO_LOG_ERROR : CONCERTO_LOG_WARN, "events", NULL,
          "delivery of event %s to %s failed (attempt %d%s): %s", d->event_id,
          d->subscriber, attempts, dead ? ", now dead" : "", error);
}

/* tx_commit from a module handler: the claim becomes a lease committed
 * together with the handler's work so far. */
static bool lease_on_commit(concerto_request *ctx, void *arg) {
  delivery *d = arg;
  return d->leased ||
         (events_scope(ctx->app, ctx->db, NULL, true) && lease(ctx->db, d));
}

/* Runs a module handler in the claimed transaction, scoped to the event's
 * hospital and the module's schema, and records the outcome. A handler
 * that commits its work so far (tx_commit) turns the claim into a lease;
 * the outcome is then recorded in its next transaction or a short one. */
static void deliver_module(app *a, db_conn *c, delivery *d,
                           const event_subscriber *s) {
  char err[512] = "";
  json_t *payload = json_loads(d->payload, 0, NULL);
  concerto_request *ctx =
      request_bg_new(a, "EVENT", d->name, s->owner, d->tenant_id, false, c);
  bool ok = payload && ctx && events_scope(a, c, d->tenant_id, false);
  if (!ok)
    snprintf(err, sizeof err, "cannot prepare the delivery transaction");
  if (ok) {
    char *scope = NULL;
    if (asprintf(&scope, "SET LOCAL search_path TO %s, public",
                 s->owner ? s->owner->name : "concerto") < 0)
      scope = NULL;
    ok = scope && exec_cmd(c, scope);
    free(scope);
  }
  if (ok) {
    ctx->db = c;
    ctx->in_tx = true;
    ctx->tx_schema = s->owner ? s->owner->name : "concerto";
    ctx->caller.username = "events";
    ctx->bg_before_commit = lease_on_commit;
    ctx->bg_arg = d;
    concerto_event ev = {sizeof ev,
                         d->event_id,
                         d->name,
                         d->version,
                         d->tenant_id[0] ? d->tenant_id : NULL,
                         payload};
    concerto_status st = s->handler(ctx, &ev, s->userdata);
    ok = st == CONCERTO_OK;
    if (!ok && ctx->fail_reason)
      snprintf(err, sizeof err, "%s", ctx->fail_reason);
    else if (!ok)
      snprintf(err, sizeof err, "handler returned status %d", (int)st);
  }
  /* Audit rows of a handler with no transaction open get one. */
  if (ok && !ctx->in_tx && ctx->audit_head &&
      request_bg_begin(ctx) != CONCERTO_OK) {
    ok = false;
    snprintf(err, sizeof err, "cannot open the delivery transaction");
  }
  bool in_tx = ctx && ctx->in_tx;
  /* The handler's audit rows commit with its effects. */
  if (ok && in_tx && ctx->audit_head &&
      a->hooks.flush_audit(ctx, c, false) != CONCERTO_OK) {
    ok = false;
    snprintf(err, sizeof err, "audit rows could not be written");
  }
  bool committed = false;
  if (ok &&
      (in_tx ? events_scope(a, c, NULL, true) : events_begin_regional(a, c)))
    committed = mark_done(c, d);
  else if (!ok && in_tx && !d->leased &&
           exec_cmd(c, "ROLLBACK TO SAVEPOINT delivery")) {
    /* The rollback to the savepoint also undoes the subscriber's scope
     * (SET LOCAL), back to the claim's. */
    mark_failed(a, c, d, err[0] ? err : "the subscriber failed", true);
  } else {
    exec_cmd(c, "ROLLBACK");
    mark_failed(a, c, d, err[0] ? err : "commit failed", false);
  }
  if (ctx) {
    ctx->in_tx = false;
    ctx->db = NULL;
    request_run_commit_hooks(ctx, committed);
    request_free(ctx);
  }
  json_decref(payload);
}

/* A sink that calls out: prepared in the claim, called with no
 * transaction open, the outcome recorded in a short transaction. */
static void deliver_remote(app *a, db_conn *c, delivery *d,
                           const event_sink *sink, const event_delivery *view) {
  char err[512] = "";
  bool skip = false;
  void *state = sink->prepare(a, c, view, &skip, err, sizeof err);
  if (!state && !skip) {
    if (exec_cmd(c, "ROLLBACK TO SAVEPOINT delivery"))
      mark_failed(a, c, d, err[0] ? err : "the subscriber failed", true);
    else
      exec_cmd(c, "ROLLBACK");
    return;
  }
  if (skip) {
    mark_done(c, d);
    return;
  }
  if (!lease(c, d) || !exec_cmd(c, "COMMIT")) {
    exec_cmd(c, "ROLLBACK");
    free(state);
    return; /* still pending: due again once its lease expired */
  }
  bool ok = sink->call(a, state, view, err, sizeof err);
  free(state);
  if (ok && events_begin_regional(a, c))
    mark_done(c, d);
  else if (!ok)
    mark_failed(a, c, d, err[0] ? err : "the subscriber failed", false);
}

static void dispatch_one(app *a, db_conn *c, delivery *d) {
  char err[512] = "";
  bool ok;
  const event_sink *sink;
  /* What the subscriber does can be undone without losing the claim. */
  if (!exec_cmd(c, "SAVEPOINT delivery")) {
    exec_cmd(c, "ROLLBACK");
    return;
  }
  if (strncmp(d->subscriber, "module:", 7) == 0) {
    const event_subscriber *s = events_find(a->events, d->subscriber);
    if (s) {
      deliver_module(a, c, d, s);
      return;
    }
    ok = false;
    snprintf(err, sizeof err, "subscriber not loaded on this server");
  } else if ((sink = sink_of(a->events, d->subscriber))) {
    event_delivery view = {d->subscriber, d->event_id,  d->name,
                           d->version,    d->tenant_id, d->payload};
    if (sink->prepare) {
      deliver_remote(a, c, d, sink, &view);
      return;
    }
    ok = sink->deliver(a, c, &view, err, sizeof err);
  } else {
    ok = false;
    snprintf(err, sizeof err, "unknown subscriber kind");
  }
  if (ok && mark_done(c, d))
    return;
  /* The rollback to the savepoint also undoes the subscriber's scope
   * (SET LOCAL), back to the claim's. */
  if (!ok && exec_cmd(c, "ROLLBACK TO SAVEPOINT delivery")) {
    mark_failed(a, c, d, err[0] ? err : "the subscriber failed", true);
    return;
  }
  exec_cmd(c, "ROLLBACK");
  mark_failed(a, c, d, err[0] ? err : "commit failed", false);
}

static void *worker(void *arg) {
  app *a = arg;
  db_conn *c = NULL;
  char *keys = loaded_keys(a->events);
  while (keys && !atomic_load(&a->events->stop)) {
    if (!(c = db_pool_listening(a->event_pool, c, "concerto_events")))
      continue;
    delivery d = {0};
    if (claim(a, c, keys, &d)) {
      dispatch_one(a, c, &d);
      free(d.payload);
      continue;
    }
    /* Nothing due: sleep until a NOTIFY or a retry may be due. */
    db_conn_wait_notify(c, a->cfg.event_retry_base_ms < 1000
                               ? a->cfg.event_retry_base_ms
                               : 1000);
  }
  if (c)
    db_pool_release(a->event_pool, c, false);
  free(keys);
  return NULL;
}

bool events_start(app *a, unsigned workers) {
  events *e = a->events;
  if (workers == 0 || !a->event_pool)
    return true;
  e->threads = calloc(workers, sizeof *e->threads);
  if (!e->threads)
    return false;
  for (unsigned i = 0; i < workers; i++)
    if (pthread_create(&e->threads[e->nthreads], NULL, worker, a) == 0)
      e->nthreads++;
  return e->nthreads == workers;
}

void events_stop(app *a) {
  if (!a->events)
    return;
  atomic_store(&a->events->stop, true);
  for (unsigned i = 0; i < a->events->nthreads; i++)
    pthread_join(a->events->threads[i], NULL);
  a->events->nthreads = 0;
}
