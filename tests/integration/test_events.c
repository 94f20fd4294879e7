/* The transactional outbox against the real server and PostgreSQL: events
 * exist only if their transaction commits; kill -9 in the middle of
 * dispatch loses nothing and duplicates nothing; two servers share the work
 * with each event handled once; a failing subscriber ends dead and can be
 * replayed; a hospital's webhook receives signed events with retries; the
 * hospital's outbound policy refuses internal webhook URLs when they are
 * saved and again when a delivery connects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define ADMIN_PASSWORD "Regione-Sicilia-2026"
#define CONFIG                                                                 \
  "{\"modules\":[\"relay\"],\"event_workers\":2,\"event_retry_base_ms\":50,"   \
  "\"event_max_attempts\":3,\"module_settings\":{\"relay\":{\"node\":\"%s\"}}" \
  "}"

static th_server a_srv;

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static bool start_node(th_server *s, const char *node) {
  char cfg[512];
  snprintf(cfg, sizeof cfg, CONFIG, node);
  return th_server_start(s, "it_events", cfg, NULL, 30);
}

static int start(void **state) {
  (void)state;
  char url[512];
  th_db_create("it_events", url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok = start_node(&a_srv, "a");
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  return ok ? 0 : -1;
}

static int stop(void **state) {
  (void)state;
  return a_srv.pid > 0 && th_server_stop(&a_srv, 30) != 0 ? -1 : 0;
}

static long publish(th_server *s, int count, int sleep_each, const char *name,
                    bool fail_after) {
  char body[200];
  snprintf(body, sizeof body,
           "{\"count\":%d,\"sleep_ms\":%d,\"name\":\"%s\",\"fail_after\":%s}",
           count, sleep_each, name, fail_after ? "true" : "false");
  th_resp r = th_request(s, "POST", "/api/v1/relay/publish", "application/json",
                         body, NULL);
  long status = r.status;
  th_resp_free(&r);
  return status;
}

static long sql_long(const char *sql) {
  char *v = th_sql("it_events", sql);
  long n = v ? strtol(v, NULL, 10) : -1;
  free(v);
  return n;
}

/* Waits until `sql` returns `want` (bounded); returns the last value. */
static long wait_for(const char *sql, long want, int seconds) {
  long got = -1;
  for (int i = 0; i < seconds * 20 && got != want; i++) {
    got = sql_long(sql);
    if (got != want)
      sleep_ms(50);
  }
  return got;
}

static void delivered_once_and_only_on_commit(void **state) {
  (void)state;
  assert_int_equal(publish(&a_srv, 5, 0, "relay.ping", false), 202);
  assert_int_equal(wait_for("SELECT count(*) FROM relay.effects", 5, 10), 5);
  assert_int_equal(sql_long("SELECT count(*) FROM concerto.event_deliveries "
                            "WHERE state = 'done'"),
                   5);
  /* A request that fails after publishing leaves no event behind. */
  long before = sql_long("SELECT count(*) FROM concerto.events");
  assert_int_equal(publish(&a_srv, 3, 0, "relay.ping", true), 422);
  assert_int_equal(sql_long("SELECT count(*) FROM concerto.events"), before);
  /* Versions are separate subscriptions. */
  th_resp r =
      th_request(&a_srv, "POST", "/api/v1/relay/publish", "application/json",
                 "{\"count\":1,\"name\":\"relay.ping\",\"version\":2}", NULL);
  assert_int_equal(r.status, 202);
  th_resp_free(&r);
  assert_int_equal(
      wait_for("SELECT count(*) FROM relay.effects WHERE kind = 'ping_v2'", 1,
               10),
      1);
  assert_int_equal(sql_long("SELECT count(*) FROM relay.effects WHERE "
                            "kind = 'ping'"),
                   5);
}

/* Events have owners (ABI 1.10): the catalog lists what relay declared and
 * who listens; an undeclared event, or a payload its schema refuses, is
 * not published (400, no outbox row). */
static void events_are_declared_and_checked(void **state) {
  (void)state;
  th_resp r = th_get(&a_srv, "/api/v1/events/catalog");
  /* Staff only. */
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  th_client admin;
  assert_int_equal(th_login(&a_srv, &admin, "admin", ADMIN_PASSWORD, NULL),
                   200);
  r = th_call(&a_srv, &admin, "GET", "/api/v1/events/catalog", NULL);
  assert_int_equal(r.status, 200);
  bool ping = false, mail = false;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r.json, "events"), i, e) {
    const char *name = json_string_value(json_object_get(e, "name"));
    json_int_t v = json_integer_value(json_object_get(e, "version"));
    const char *producer =
        json_string_value(json_array_get(json_object_get(e, "producers"), 0));
    const char *subscriber =
        json_string_value(json_array_get(json_object_get(e, "subscribers"), 0));
    if (strcmp(name, "relay.ping") == 0 && v == 1)
      ping = strcmp(producer, "relay") == 0 &&
             strcmp(subscriber, "relay") == 0 &&
             json_is_object(json_object_get(e, "schema"));
    if (strcmp(name, "mail.send") == 0)
      mail = strcmp(producer, "core") == 0 && strcmp(subscriber, "core") == 0;
  }
  assert_true(ping);
  assert_true(mail);
  assert_non_null(
      strstr(r.body, "\"subscriber_kinds\":[\"webhook:\",\"lua:\"]"));
  th_resp_free(&r);
  long before = sql_long("SELECT count(*) FROM concerto.events");
  r = th_request(&a_srv, "POST", "/api/v1/relay/publish", "application/json",
                 "{\"count\":1,\"name\":\"relay.undeclared\"}", NULL);
  assert_int_equal(r.status, 400);
  th_resp_free(&r);
  assert_true(th_log_count(&a_srv, "relay.undeclared@1 is not declared") >= 1);
  r = th_request(&a_srv, "POST", "/api/v1/relay/publish", "application/json",
                 "{\"count\":1,\"name\":\"relay.ping\",\"payload\":{\"n\":"
                 "\"seven\"}}",
                 NULL);
  assert_int_equal(r.status, 400);
  th_resp_free(&r);
  assert_true(th_log_count(&a_srv, "payload refused: /n: expected integer") >=
              1);
  /* Another module's event is not relay's to publish. */
  r = th_request(&a_srv, "POST", "/api/v1/relay/publish", "application/json",
                 "{\"count\":1,\"name\":\"mail.send\",\"payload\":{\"to\":"
                 "[\"a@b.it\"],\"subject\":\"s\",\"text\":\"t\"}}",
                 NULL);
  assert_int_equal(r.status, 400);
  th_resp_free(&r);
  assert_true(th_log_count(&a_srv, "mail.send@1 is not declared by relay") >=
              1);
  assert_int_equal(sql_long("SELECT count(*) FROM concerto.events"), before);
}

static void kill_9_mid_dispatch_loses_and_duplicates_nothing(void **state) {
  (void)state;
  free(th_sql("it_events", "TRUNCATE relay.effects"));
  long first = sql_long("SELECT coalesce(max(id), 0) FROM concerto.events");
  assert_int_equal(publish(&a_srv, 40, 40, "relay.ping", false), 202);
  sleep_ms(400); /* some delivered, some in a handler right now */
  long partial = sql_long("SELECT count(*) FROM relay.effects");
  assert_true(partial < 40);
  kill(a_srv.pid, SIGKILL);
  assert_int_equal(th_server_wait(&a_srv, 10), 128 + SIGKILL);
  assert_true(start_node(&a_srv, "a"));
  assert_int_equal(wait_for("SELECT count(*) FROM relay.effects", 40, 30), 40);
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT count(DISTINCT event_id) FROM relay.effects WHERE event_id "
           "> %ld",
           first);
  assert_int_equal(sql_long(sql), 40);
  assert_int_equal(sql_long("SELECT count(*) FROM concerto.event_deliveries "
                            "WHERE state <> 'done'"),
                   0);
}

static void two_servers_share_the_work_once(void **state) {
  (void)state;
  free(th_sql("it_events", "TRUNCATE relay.effects"));
  th_server b_srv;
  assert_true(start_node(&b_srv, "b"));
  assert_int_equal(publish(&a_srv, 120, 5, "relay.ping", false), 202);
  assert_int_equal(wait_for("SELECT count(*) FROM relay.effects", 120, 60),
                   120);
  assert_int_equal(
      sql_long("SELECT count(DISTINCT event_id) FROM relay.effects"), 120);
  long on_a = sql_long("SELECT count(*) FROM relay.effects WHERE node = 'a'");
  long on_b = sql_long("SELECT count(*) FROM relay.effects WHERE node = 'b'");
  fprintf(stderr, "handled by a: %ld, by b: %ld\n", on_a, on_b);
  assert_true(on_a > 0 && on_b > 0);
  assert_int_equal(th_server_stop(&b_srv, 30), 0);
}

static void failing_subscriber_goes_dead_and_replays(void **state) {
  (void)state;
  free(th_sql("it_events", "UPDATE relay.switches SET fail = true"));
  assert_int_equal(publish(&a_srv, 1, 0, "relay.fragile", false), 202);
  assert_int_equal(wait_for("SELECT count(*) FROM concerto.event_deliveries "
                            "WHERE state = 'dead'",
                            1, 20),
                   1);
  assert_int_equal(sql_long("SELECT attempts FROM concerto.event_deliveries "
                            "WHERE state = 'dead'"),
                   3);
  th_client admin;
  assert_int_equal(th_login(&a_srv, &admin, "admin", ADMIN_PASSWORD, NULL),
                   200);
  th_resp r = th_call(&a_srv, &admin, "GET",
                      "/api/v1/events/deliveries?state=dead", NULL);
  assert_int_equal(r.status, 200);
  json_t *dead = json_array_get(json_object_get(r.json, "deliveries"), 0);
  assert_non_null(dead);
  assert_string_equal(json_string_value(json_object_get(dead, "name")),
                      "relay.fragile");
  assert_non_null(
      strstr(json_string_value(json_object_get(dead, "last_error")), "status"));
  char body[300];
  snprintf(body, sizeof body, "{\"event_id\":\"%s\",\"subscriber\":\"%s\"}",
           json_string_value(json_object_get(dead, "event_id")),
           json_string_value(json_object_get(dead, "subscriber")));
  th_resp_free(&r);
  /* Still failing: replay puts it back, it dies again. Fix, then replay. */
  free(th_sql("it_events", "UPDATE relay.switches SET fail = false"));
  r = th_call(&a_srv, &admin, "POST", "/api/v1/events/replay", body);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  assert_int_equal(
      wait_for("SELECT count(*) FROM relay.effects WHERE kind = 'fragile'", 1,
               10),
      1);
  r = th_call(&a_srv, &admin, "POST", "/api/v1/events/replay", body);
  assert_int_equal(r.status, 404); /* nothing dead any more */
  th_resp_free(&r);
}

/* ---- a webhook receiver: answers 500 once, then 200 (or always 200) ---- */

typedef struct receiver {
  pthread_mutex_t lock;
  int calls;
  char signature[200], event_id[40], body[2048];
} receiver;

static receiver rx = {PTHREAD_MUTEX_INITIALIZER, 0, "", "", ""};

/* cls: a bool, whether the first call fails. */
static enum MHD_Result on_hook(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *data,
                               size_t *size, void **state) {
  bool fail_first = *(const bool *)cls;
  (void)url;
  (void)method;
  (void)version;
  static int first;
  if (!*state) {
    *state = &first;
    return MHD_YES;
  }
  if (*size) {
    pthread_mutex_lock(&rx.lock);
    size_t used = strlen(rx.body);
    snprintf(rx.body + used, sizeof rx.body - used, "%.*s", (int)*size, data);
    pthread_mutex_unlock(&rx.lock);
    *size = 0;
    return MHD_YES;
  }
  pthread_mutex_lock(&rx.lock);
  int n = ++rx.calls;
  const char *sig =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Concerto-Signature");
  const char *id =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Concerto-Event-Id");
  snprintf(rx.signature, sizeof rx.signature, "%s", sig ? sig : "");
  snprintf(rx.event_id, sizeof rx.event_id, "%s", id ? id : "");
  if (n == 1 && fail_first)
    rx.body[0] = '\0'; /* keep the body of the successful call */
  pthread_mutex_unlock(&rx.lock);
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
  enum MHD_Result ret =
      MHD_queue_response(c, n == 1 && fail_first ? 500 : 200, resp);
  MHD_destroy_response(resp);
  return ret;
}

/* Starts a receiver on a free port (*port); the caller stops it. Counts
 * from zero again. */
static struct MHD_Daemon *start_receiver(const bool *fail_first, int *port) {
  pthread_mutex_lock(&rx.lock);
  rx.calls = 0;
  rx.body[0] = '\0';
  pthread_mutex_unlock(&rx.lock);
  struct MHD_Daemon *d = NULL;
  for (int tries = 0; !d && tries < 20; tries++) {
    *port = 20000 + (int)(getpid() % 20000) + tries;
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)*port, NULL,
                         NULL, on_hook, (void *)fail_first, MHD_OPTION_END);
  }
  assert_non_null(d);
  return d;
}

static int receiver_calls(void) {
  pthread_mutex_lock(&rx.lock);
  int n = rx.calls;
  pthread_mutex_unlock(&rx.lock);
  return n;
}

static const bool fails_once = true, never_fails = false;

static void webhook_receives_signed_events_with_retry(void **state) {
  (void)state;
  int port = 0;
  struct MHD_Daemon *d = start_receiver(&fails_once, &port);
  th_client admin;
  assert_int_equal(th_login(&a_srv, &admin, "admin", ADMIN_PASSWORD, NULL),
                   200);
  th_resp r = th_call(&a_srv, &admin, "POST", "/api/v1/tenants",
                      "{\"code\":\"T1\",\"name\":\"ASP\",\"kind\":\"ASL\"}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  r = th_call(&a_srv, &admin, "PUT", "/api/v1/tenants/T1/modules/relay",
              "{\"enabled\":true}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  /* The receiver is on loopback over plain HTTP: the region allows both
   * for this hospital first (refused by default, see below). */
  r = th_call(&a_srv, &admin, "PUT", "/api/v1/tenants/T1/outbound",
              "{\"allow_cidrs\":[\"127.0.0.0/8\"],\"allow_plaintext\":true}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  char body[256];
  snprintf(body, sizeof body,
           "{\"url\":\"http://127.0.0.1:%d/hook\",\"events\":[\"relay.ping\"]}",
           port);
  r = th_call(&a_srv, &admin, "POST", "/api/v1/tenants/T1/webhooks", body);
  assert_int_equal(r.status, 201);
  char secret[64];
  snprintf(secret, sizeof secret, "%s", th_json_str(&r, "secret"));
  th_resp_free(&r);
  r = th_call(&a_srv, &admin, "GET", "/api/v1/tenants/T1/webhooks", NULL);
  assert_null(strstr(r.body, secret)); /* shown once only */
  th_resp_free(&r);

  strcpy(admin.tenant, "T1");
  r = th_call(&a_srv, &admin, "POST", "/api/v1/relay/publish_tenant",
              "{\"count\":1,\"name\":\"relay.ping\"}");
  assert_int_equal(r.status, 202);
  th_resp_free(&r);
  for (int i = 0; i < 200 && receiver_calls() < 2; i++)
    sleep_ms(50);
  pthread_mutex_lock(&rx.lock);
  assert_int_equal(rx.calls, 2); /* 500 first, retried, then 200 */
  assert_non_null(strstr(rx.body, "\"tenant\":\"T1\""));
  assert_non_null(strstr(rx.body, "\"name\":\"relay.ping\""));
  /* Check the signature as a receiver would. */
  long long t = 0;
  char given[80] = "";
  assert_int_equal(sscanf(rx.signature, "t=%lld,v1=%64s", &t, given), 2);
  char *msg = NULL;
  int mlen = asprintf(&msg, "%lld.%s", t, rx.body);
  unsigned char mac[32];
  unsigned int maclen = 0;
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg,
       (size_t)mlen, mac, &maclen);
  char hex[65];
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  assert_string_equal(hex, given);
  free(msg);
  assert_true(rx.event_id[0] != '\0');
  pthread_mutex_unlock(&rx.lock);
  assert_int_equal(
      wait_for(
          "SELECT count(*) FROM concerto.event_deliveries WHERE "
          "subscriber LIKE 'webhook:%' AND state = 'done' AND attempts = 2",
          1, 10),
      1);
  MHD_stop_daemon(d);
}

/* ---- the outbound policy: save time and connect time ---- */

/* POSTs a webhook for T2 and returns the status; `code` and `address` get
 * the 422's first error code and address (may be NULL). */
static long post_hook(th_client *c, const char *url, char *code, size_t codelen,
                      char *address, size_t addrlen) {
  char body[300];
  snprintf(body, sizeof body, "{\"url\":\"%s\",\"events\":[\"relay.ping\"]}",
           url);
  th_resp r = th_call(&a_srv, c, "POST", "/api/v1/tenants/T2/webhooks", body);
  long status = r.status;
  json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
  if (status == 422) {
    assert_string_equal(json_string_value(json_object_get(e, "field")), "url");
    fprintf(stderr, "%s: %s\n", url,
            json_string_value(json_object_get(e, "message")));
  }
  if (code)
    snprintf(code, codelen, "%s",
             e ? json_string_value(json_object_get(e, "code")) : "");
  if (address) {
    const char *a = json_string_value(json_object_get(e, "address"));
    snprintf(address, addrlen, "%s", a ? a : "");
  }
  th_resp_free(&r);
  return status;
}

static long put_outbound(th_client *c, const char *json) {
  th_resp r = th_call(&a_srv, c, "PUT", "/api/v1/tenants/T2/outbound", json);
  long status = r.status;
  th_resp_free(&r);
  return status;
}

static void webhook_urls_are_checked_when_saved(void **state) {
  (void)state;
  th_client admin, hadmin;
  assert_int_equal(th_login(&a_srv, &admin, "admin", ADMIN_PASSWORD, NULL),
                   200);
  th_resp r = th_call(&a_srv, &admin, "POST", "/api/v1/tenants",
                      "{\"code\":\"T2\",\"name\":\"ASL 2\",\"kind\":\"ASL\"}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  r = th_call(&a_srv, &admin, "POST", "/api/v1/tenants/T2/users",
              "{\"username\":\"hadmin_t2\",\"display_name\":\"Admin T2\","
              "\"password\":\"Amministra-T2-2026\","
              "\"roles\":[\"hospital_admin\"]}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  assert_int_equal(
      th_login(&a_srv, &hadmin, "hadmin_t2", "Amministra-T2-2026", "T2"), 200);

  /* The default: public addresses only, TLS required. */
  r = th_call(&a_srv, &hadmin, "GET", "/api/v1/tenants/T2/outbound", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "allow_cidrs")), 0);
  assert_true(json_is_false(json_object_get(r.json, "allow_plaintext")));
  th_resp_free(&r);

  char code[64], address[64];
  assert_int_equal(
      post_hook(&hadmin, "http://127.0.0.1:9/hook", code, sizeof code, NULL, 0),
      422);
  assert_string_equal(code, "tls_required");
  assert_int_equal(
      post_hook(&hadmin, "http://cup.example/hook", code, sizeof code, NULL, 0),
      422);
  assert_string_equal(code, "tls_required");
  struct {
    const char *url, *address;
  } internal[] = {
      {"https://127.0.0.1:9/hook", "127.0.0.1"},
      {"https://localhost:9/hook", NULL}, /* 127.0.0.1 or ::1 */
      {"https://10.1.2.3/hook", "10.1.2.3"},
      {"https://192.168.0.10/hook", "192.168.0.10"},
      {"https://100.64.0.1/hook", "100.64.0.1"},
      {"https://169.254.169.254/latest/meta-data/", "169.254.169.254"},
      {"https://[::1]/hook", "::1"},
      {"https://[::ffff:127.0.0.1]:9/hook", "::ffff:127.0.0.1"},
      {"https://[fd00::1]/hook", "fd00::1"},
      {"https://0.0.0.0:9/hook", "0.0.0.0"},
      {"https://2130706433:9/hook", "127.0.0.1"},
  };
  for (size_t i = 0; i < sizeof internal / sizeof *internal; i++) {
    assert_int_equal(post_hook(&hadmin, internal[i].url, code, sizeof code,
                               address, sizeof address),
                     422);
    assert_string_equal(code, "destination_refused");
    if (internal[i].address)
      assert_string_equal(address, internal[i].address);
  }
  r = th_call(
      &a_srv, &hadmin, "POST", "/api/v1/tenants/T2/webhooks",
      "{\"url\":\"https://127.0.0.1:9/h\",\"events\":[\"relay.ping\"]}");
  assert_non_null(strstr(r.body, "not allowed for this hospital"));
  assert_non_null(strstr(r.body, "regional administrator can allow"));
  assert_non_null(strstr(r.body, "\"range\":\"loopback\""));
  th_resp_free(&r);
  assert_int_equal(sql_long("SELECT count(*) FROM concerto.webhooks w JOIN "
                            "concerto.tenants t ON t.id = w.tenant_id WHERE "
                            "t.code = 'T2'"),
                   0);
  /* Each refusal is in the audit trail. */
  assert_int_equal(
      sql_long("SELECT count(*) FROM concerto.audit_log WHERE action = "
               "'outbound.refused' AND outcome = 'denied' AND resource = "
               "'webhook:destination_refused:169.254.169.254'"),
      1);

  /* Only the region changes the allow-list. */
  assert_int_equal(put_outbound(&hadmin, "{\"allow_cidrs\":[\"127.0.0.0/8\"],"
                                         "\"allow_plaintext\":true}"),
                   403);
  r = th_call(
      &a_srv, &admin, "PUT", "/api/v1/tenants/T2/outbound",
      "{\"allow_cidrs\":[\"10.1.2.3/8\", 7],\"allow_plaintext\":\"yes\"}");
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "\"field\":\"allow_cidrs\""));
  assert_non_null(strstr(r.body, "did you mean 10.0.0.0/8?"));
  assert_non_null(strstr(r.body, "\"suggestion\":\"10.0.0.0/8\""));
  assert_non_null(strstr(r.body, "\"value\":\"10.1.2.3/8\""));
  assert_non_null(strstr(r.body, "\"field\":\"allow_plaintext\""));
  th_resp_free(&r);
  r = th_call(&a_srv, &admin, "PUT", "/api/v1/tenants/T2/outbound",
              "{\"allow_cidrs\":[\"127.0.0.0/8\",\"fd00:1::/48\","
              "\"127.0.0.0/8\"],\"allow_plaintext\":true}");
  assert_int_equal(r.status, 200);
  json_t *cidrs = json_object_get(r.json, "allow_cidrs");
  assert_int_equal(json_array_size(cidrs), 2); /* stored once each */
  assert_string_equal(json_string_value(json_array_get(cidrs, 0)),
                      "127.0.0.0/8");
  assert_string_equal(th_json_str(&r, "updated_by"), "admin");
  th_resp_free(&r);
  assert_int_equal(
      sql_long("SELECT count(*) FROM concerto.audit_log WHERE action = "
               "'tenant.outbound.update' AND resource LIKE "
               "'outbound:{127.0.0.0/8,%' AND outcome = 'success'"),
      1);
  /* The hospital's administrator reads what the region decided. */
  r = th_call(&a_srv, &hadmin, "GET", "/api/v1/tenants/T2/outbound", NULL);
  assert_int_equal(r.status, 200);
  assert_true(json_is_true(json_object_get(r.json, "allow_plaintext")));
  th_resp_free(&r);
  /* And the regional list shows every hospital, T2's range included. */
  r = th_call(&a_srv, &admin, "GET", "/api/v1/outbound", NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"tenant\":\"T2\""));
  assert_non_null(strstr(r.body, "fd00:1::/48"));
  th_resp_free(&r);
  r = th_call(&a_srv, &hadmin, "GET", "/api/v1/outbound", NULL);
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
  /* Hospital IT creates webhooks too: it reads the policy, no more. */
  th_client it;
  r = th_call(&a_srv, &admin, "POST", "/api/v1/tenants/T2/users",
              "{\"username\":\"it_t2\",\"display_name\":\"IT T2\","
              "\"password\":\"Informatica-T2-2026\","
              "\"roles\":[\"hospital_it\"]}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  assert_int_equal(th_login(&a_srv, &it, "it_t2", "Informatica-T2-2026", "T2"),
                   200);
  r = th_call(&a_srv, &it, "GET", "/api/v1/tenants/T2/outbound", NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  assert_int_equal(put_outbound(&it, "{\"allow_cidrs\":[],"
                                     "\"allow_plaintext\":false}"),
                   403);

  /* Allowed now; other private ranges still are not. */
  assert_int_equal(
      post_hook(&hadmin, "http://127.0.0.1:9/hook", code, sizeof code, NULL, 0),
      201);
  assert_int_equal(post_hook(&hadmin, "http://10.1.2.3/hook", code, sizeof code,
                             address, sizeof address),
                   422);
  assert_string_equal(address, "10.1.2.3");
  r = th_call(&a_srv, &hadmin, "GET", "/api/v1/tenants/T2/webhooks", NULL);
  json_t *hooks = json_object_get(r.json, "webhooks");
  assert_int_equal(json_array_size(hooks), 1);
  char del[100];
  snprintf(del, sizeof del, "/api/v1/tenants/T2/webhooks/%s",
           json_string_value(json_object_get(json_array_get(hooks, 0), "id")));
  th_resp_free(&r);
  r = th_call(&a_srv, &hadmin, "DELETE", del, NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
}

/* Waits for the delivery to webhook `hook_id` to reach `state`; returns
 * "<attempts> <last_error>" (malloc'ed). */
static char *delivery_error(const char *hook_id, const char *state) {
  char sql[400];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.event_deliveries WHERE subscriber = "
           "'webhook:%s' AND state = '%s'",
           hook_id, state);
  assert_int_equal(wait_for(sql, 1, 20), 1);
  snprintf(sql, sizeof sql,
           "SELECT attempts || ' ' || coalesce(last_error, '') FROM "
           "concerto.event_deliveries WHERE subscriber = 'webhook:%s' AND "
           "state = '%s'",
           hook_id, state);
  return th_sql("it_events", sql);
}

/* The URL stays stored when the region narrows the policy afterwards: the
 * delivery is refused on the address it connects to, retried like any
 * failure and ends dead with the reason. */
static void webhook_refused_at_connect_time_ends_dead(void **state) {
  (void)state;
  int port = 0;
  struct MHD_Daemon *d = start_receiver(&never_fails, &port);
  th_client admin, hadmin;
  assert_int_equal(th_login(&a_srv, &admin, "admin", ADMIN_PASSWORD, NULL),
                   200);
  assert_int_equal(
      th_login(&a_srv, &hadmin, "hadmin_t2", "Amministra-T2-2026", "T2"), 200);
  th_resp r = th_call(&a_srv, &admin, "PUT", "/api/v1/tenants/T2/modules/relay",
                      "{\"enabled\":true}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  char url[80], body[200];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", port);
  snprintf(body, sizeof body, "{\"url\":\"%s\",\"events\":[\"relay.ping\"]}",
           url);
  r = th_call(&a_srv, &hadmin, "POST", "/api/v1/tenants/T2/webhooks", body);
  assert_int_equal(r.status, 201);
  char hook_id[24];
  snprintf(hook_id, sizeof hook_id, "%s", th_json_str(&r, "id"));
  th_resp_free(&r);

  /* The region withdraws loopback; plaintext stays allowed. */
  assert_int_equal(
      put_outbound(&admin, "{\"allow_cidrs\":[],\"allow_plaintext\":true}"),
      200);
  strcpy(hadmin.tenant, "T2");
  r = th_call(&a_srv, &hadmin, "POST", "/api/v1/relay/publish_tenant",
              "{\"count\":1,\"name\":\"relay.ping\"}");
  assert_int_equal(r.status, 202);
  th_resp_free(&r);
  char *last = delivery_error(hook_id, "dead");
  assert_string_equal(last, "3 destination 127.0.0.1 is not allowed for this "
                            "hospital (a loopback address)");
  free(last);
  assert_int_equal(receiver_calls(), 0); /* not one request */

  /* Loopback back, plaintext withdrawn: the TLS rule applies at delivery
   * too. Replayed, it dies again, for that reason. */
  assert_int_equal(put_outbound(&admin, "{\"allow_cidrs\":[\"127.0.0.0/8\"],"
                                        "\"allow_plaintext\":false}"),
                   200);
  char *event = NULL;
  char sql[300];
  snprintf(sql, sizeof sql,
           "SELECT event_id FROM concerto.event_deliveries WHERE subscriber = "
           "'webhook:%s'",
           hook_id);
  event = th_sql("it_events", sql);
  snprintf(body, sizeof body,
           "{\"event_id\":\"%s\",\"subscriber\":\"webhook:%s\"}", event,
           hook_id);
  r = th_call(&a_srv, &admin, "POST", "/api/v1/events/replay", body);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  last = delivery_error(hook_id, "dead");
  assert_non_null(strstr(last, "plaintext http:// is not allowed"));
  free(last);
  assert_int_equal(receiver_calls(), 0);

  /* Both allowed again: the same stored webhook is delivered. */
  assert_int_equal(put_outbound(&admin, "{\"allow_cidrs\":[\"127.0.0.0/8\"],"
                                        "\"allow_plaintext\":true}"),
                   200);
  r = th_call(&a_srv, &admin, "POST", "/api/v1/events/replay", body);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  free(delivery_error(hook_id, "done"));
  assert_int_equal(receiver_calls(), 1);
  free(event);
  MHD_stop_daemon(d);
}

/* The hospital's Lua on_event rule reacts to its events: here with a live
 * notification to the hospital's users. */
static void lua_on_event_notifies_the_hospital(void **state) {
  (void)state;
  th_client admin, it;
  assert_int_equal(th_login(&a_srv, &admin, "admin", ADMIN_PASSWORD, "T1"),
                   200);
  th_resp r = th_call(&a_srv, &admin, "POST", "/api/v1/tenants/T1/users",
                      "{\"username\":\"it_t1\",\"display_name\":\"IT\","
                      "\"password\":\"Informatica-T1-2026\","
                      "\"roles\":[\"hospital_it\"]}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  assert_int_equal(th_login(&a_srv, &it, "it_t1", "Informatica-T1-2026", "T1"),
                   200);
  json_t *body = json_pack(
      "{s:b, s:s}", "activate", 1, "source",
      "local rules = {}\n"
      "function rules.on_event(name, payload)\n"
      "  if name == 'relay.ping' then\n"
      "    return { actions = { { type = 'notify', title = 'evento',\n"
      "      body = 'ping ' .. payload.n, level = 'info' } } }\n"
      "  end\n"
      "  return { actions = {} }\n"
      "end\n"
      "return rules\n");
  char *text = json_dumps(body, 0);
  json_decref(body);
  r = th_call(&a_srv, &it, "PUT", "/api/v1/tenants/T1/rules/rules", text);
  free(text);
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  th_stream *st =
      th_stream_start(&a_srv, &admin, "/api/v1/me/notifications", "ping 0", 15);
  sleep_ms(300);
  strcpy(admin.tenant, "T1");
  r = th_call(&a_srv, &admin, "POST", "/api/v1/relay/publish_tenant",
              "{\"count\":1,\"name\":\"relay.ping\"}");
  assert_int_equal(r.status, 202);
  th_resp_free(&r);
  char *got = th_stream_finish(st);
  assert_non_null(strstr(got, "\"title\":\"evento\""));
  assert_non_null(strstr(got, "\"body\":\"ping 0\""));
  free(got);
  assert_int_equal(
      wait_for("SELECT count(*) FROM concerto.event_deliveries WHERE "
               "subscriber = 'lua:on_event' AND state = 'done'",
               1, 10),
      1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(delivered_once_and_only_on_commit),
      cmocka_unit_test(events_are_declared_and_checked),
      cmocka_unit_test(kill_9_mid_dispatch_loses_and_duplicates_nothing),
      cmocka_unit_test(two_servers_share_the_work_once),
      cmocka_unit_test(failing_subscriber_goes_dead_and_replays),
      cmocka_unit_test(webhook_receives_signed_events_with_retry),
      cmocka_unit_test(webhook_urls_are_checked_when_saved),
      cmocka_unit_test(webhook_refused_at_connect_time_ends_dead),
      cmocka_unit_test(lua_on_event_notifies_the_hospital),
  };
  return cmocka_run_group_tests_name("events", tests, start, stop);
}
