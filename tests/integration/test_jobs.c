/* Jobs, timers and outbound calls against the real server and PostgreSQL
 * (test module "chores"): a run exists only if the enqueuing request
 * committed; runs happen once across two servers, periodic slots too; a
 * server killed mid-run has its run taken over after the lease, completed
 * once; a failing job is retried, dead, listed, replayed; http_request is
 * refused in a request and inside an open transaction, reaches a local
 * HTTP peer after tx_commit, and refuses an HTTPS peer whose certificate
 * nobody vouches for; commit hooks hear whether the transaction committed;
 * daily slots follow the hospital's zone across daylight saving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define DB "it_jobs"
#define ADMIN_PASSWORD "Regione-Sicilia-2026"
#define CONFIG                                                                 \
  "{\"modules\":[\"chores\"],\"job_workers\":2,\"event_retry_base_ms\":50,"    \
  "\"event_max_attempts\":3,\"module_settings\":{\"chores\":{\"node\":"        \
  "\"%s\"}}}"

static th_server a_srv;
static th_client admin; /* regional administrator, acting for T1 */

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static bool start_node(th_server *s, const char *node) {
  char cfg[512];
  snprintf(cfg, sizeof cfg, CONFIG, node);
  return th_server_start(s, DB, cfg, NULL, 30);
}

static long sql_long(const char *sql) {
  char *v = th_sql(DB, sql);
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

static void call_ok(th_client *c, const char *method, const char *path,
                    const char *body, long want) {
  th_resp r = th_call(&a_srv, c, method, path, body);
  if (r.status != want)
    fprintf(stderr, "%s %s: %ld %s\n", method, path, r.status,
            r.body ? r.body : "");
  assert_int_equal(r.status, want);
  th_resp_free(&r);
}

static int start(void **state) {
  (void)state;
  char url[512];
  th_db_create(DB, url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok = start_node(&a_srv, "a");
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  if (!ok || th_login(&a_srv, &admin, "admin", ADMIN_PASSWORD, NULL) != 200)
    return -1;
  call_ok(&admin, "POST", "/api/v1/tenants",
          "{\"code\":\"T1\",\"name\":\"ASP\",\"kind\":\"ASL\"}", 201);
  call_ok(&admin, "POST", "/api/v1/tenants",
          "{\"code\":\"T2\",\"name\":\"AO\",\"kind\":\"AO\"}", 201);
  call_ok(&admin, "PUT", "/api/v1/tenants/T1/modules/chores",
          "{\"enabled\":true}", 200);
  /* The local peers are on loopback, partly over plain HTTP. */
  call_ok(&admin, "PUT", "/api/v1/tenants/T1/outbound",
          "{\"allow_cidrs\":[\"127.0.0.0/8\"],\"allow_plaintext\":true}", 200);
  strcpy(admin.tenant, "T1");
  return 0;
}

static int stop(void **state) {
  (void)state;
  return a_srv.pid > 0 && th_server_stop(&a_srv, 30) != 0 ? -1 : 0;
}

/* POSTs to /api/v1/chores/enqueue; returns the status, the run's id in
 * id (when 202). */
static long enqueue(const char *body, char *id, size_t idlen) {
  th_resp r = th_call(&a_srv, &admin, "POST", "/api/v1/chores/enqueue", body);
  long status = r.status;
  if (id && status == 202)
    snprintf(id, idlen, "%s", th_json_str(&r, "id"));
  th_resp_free(&r);
  return status;
}

static void runs_only_when_the_request_commits(void **state) {
  (void)state;
  char id[24];
  assert_int_equal(enqueue("{\"n\":1}", id, sizeof id), 202);
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.job_runs WHERE id = %s AND state = "
           "'done'",
           id);
  assert_int_equal(wait_for(sql, 1, 15), 1);
  assert_int_equal(sql_long("SELECT count(*) FROM chores.notes WHERE n = 1"),
                   1);
  /* The run has the hospital of the request, and its context too. */
  assert_int_equal(sql_long("SELECT count(*) FROM chores.notes n JOIN "
                            "concerto.tenants t ON t.id = n.tenant WHERE n.n "
                            "= 1 AND t.code = 'T1'"),
                   1);
  /* A request that fails after enqueuing leaves no run behind. */
  /* (Enqueued runs only: the periodic ones get new slots meanwhile.) */
  const char *enqueued =
      "SELECT count(*) FROM concerto.job_runs WHERE slot IS NULL";
  long before = sql_long(enqueued);
  assert_int_equal(enqueue("{\"n\":2,\"fail_after\":true}", NULL, 0), 422);
  assert_int_equal(sql_long(enqueued), before);
  assert_int_equal(
      sql_long("SELECT count(*) FROM concerto.job_runs WHERE payload->>'n' = "
               "'2'"),
      0);
  /* The commit hooks heard both outcomes, and the job's its own. */
  assert_true(th_log_count(&a_srv, "chores hook request committed=1") >= 1);
  assert_true(th_log_count(&a_srv, "chores hook request committed=0") >= 1);
  assert_true(th_log_count(&a_srv, "chores hook job committed=1") >= 1);
  /* A run that fails rolls back: its hook hears so (in the dead-letter
   * test below as well). */
  /* An unknown job is not queued. */
  assert_int_equal(enqueue("{\"job\":\"nothing\"}", NULL, 0), 404);
}

static void runs_once_across_two_servers(void **state) {
  (void)state;
  th_server b_srv;
  assert_true(start_node(&b_srv, "b"));
  free(th_sql(DB, "TRUNCATE chores.notes"));
  for (int i = 0; i < 30; i++) {
    char body[64];
    snprintf(body, sizeof body, "{\"n\":%d,\"sleep_ms\":20}", 100 + i);
    assert_int_equal(enqueue(body, NULL, 0), 202);
  }
  assert_int_equal(wait_for("SELECT count(*) FROM chores.notes", 30, 30), 30);
  assert_int_equal(sql_long("SELECT count(DISTINCT run_id) FROM chores.notes"),
                   30);
  /* The periodic "tick": one run per slot and hospital however many
   * servers schedule it, and only where the module is enabled. */
  long first = sql_long("SELECT count(*) FROM chores.ticks");
  long got = first;
  for (int i = 0; i < 100 && got < first + 3; i++) {
    sleep_ms(100);
    got = sql_long("SELECT count(*) FROM chores.ticks");
  }
  assert_true(got >= first + 3);
  assert_int_equal(sql_long("SELECT count(*) FROM (SELECT tenant, "
                            "scheduled_at FROM chores.ticks GROUP BY 1, 2 "
                            "HAVING count(*) > 1) d"),
                   0);
  assert_int_equal(sql_long("SELECT count(*) FROM chores.ticks k JOIN "
                            "concerto.tenants t ON t.id = k.tenant WHERE "
                            "t.code <> 'T1'"),
                   0);
  fprintf(stderr, "notes on a: %ld, on b: %ld\n",
          sql_long("SELECT count(*) FROM chores.notes WHERE node = 'a'"),
          sql_long("SELECT count(*) FROM chores.notes WHERE node = 'b'"));
  assert_int_equal(th_server_stop(&b_srv, 30), 0);
}

static void killed_mid_run_is_taken_over_once(void **state) {
  (void)state;
  char id[24], sql[256];
  /* The job's lease is 3 s; this run takes 2 s on its own. */
  assert_int_equal(enqueue("{\"n\":500,\"sleep_ms\":2000}", id, sizeof id),
                   202);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.job_runs WHERE id = %s AND state = "
           "'running'",
           id);
  assert_int_equal(wait_for(sql, 1, 10), 1);
  kill(a_srv.pid, SIGKILL);
  assert_int_equal(th_server_wait(&a_srv, 10), 128 + SIGKILL);
  assert_int_equal(sql_long("SELECT count(*) FROM chores.notes WHERE n = 500"),
                   0);
  assert_true(start_node(&a_srv, "a"));
  assert_int_equal(th_login(&a_srv, &admin, "admin", ADMIN_PASSWORD, NULL),
                   200);
  strcpy(admin.tenant, "T1");
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.job_runs WHERE id = %s AND state = "
           "'done' AND attempts = 2",
           id);
  assert_int_equal(wait_for(sql, 1, 30), 1);
  assert_int_equal(sql_long("SELECT count(*) FROM chores.notes WHERE n = 500"),
                   1);
  assert_int_equal(sql_long("SELECT attempt FROM chores.notes WHERE n = 500"),
                   2);
}

static void failing_job_goes_dead_and_replays(void **state) {
  (void)state;
  free(th_sql(DB, "UPDATE chores.switches SET fail = true"));
  char id[24], sql[256];
  assert_int_equal(enqueue("{\"n\":7}", id, sizeof id), 202);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.job_runs WHERE id = %s AND state = "
           "'dead' AND attempts = 3",
           id);
  assert_int_equal(wait_for(sql, 1, 20), 1);
  assert_true(th_log_count(&a_srv, "chores hook job committed=0") >= 3);
  snprintf(sql, sizeof sql,
           "SELECT last_error FROM concerto.job_runs WHERE id = %s", id);
  char *err = th_sql(DB, sql);
  assert_non_null(strstr(err, "status 900"));
  free(err);
  /* Listed for the region and for the hospital's IT, not for another
   * hospital's. */
  th_client region;
  assert_int_equal(th_login(&a_srv, &region, "admin", ADMIN_PASSWORD, NULL),
                   200);
  th_resp r = th_call(&a_srv, &region, "GET", "/api/v1/jobs?state=dead", NULL);
  assert_int_equal(r.status, 200);
  json_t *dead = json_array_get(json_object_get(r.json, "jobs"), 0);
  assert_non_null(dead);
  assert_string_equal(json_string_value(json_object_get(dead, "id")), id);
  assert_string_equal(json_string_value(json_object_get(dead, "job")), "note");
  assert_string_equal(json_string_value(json_object_get(dead, "tenant")), "T1");
  th_resp_free(&r);
  call_ok(&region, "POST", "/api/v1/tenants/T1/users",
          "{\"username\":\"it_t1\",\"display_name\":\"IT\","
          "\"password\":\"Informatica-T1-2026\",\"roles\":[\"hospital_it\"]}",
          201);
  call_ok(&region, "POST", "/api/v1/tenants/T2/users",
          "{\"username\":\"it_t2\",\"display_name\":\"IT\","
          "\"password\":\"Informatica-T2-2026\",\"roles\":[\"hospital_it\"]}",
          201);
  th_client it1, it2;
  assert_int_equal(th_login(&a_srv, &it1, "it_t1", "Informatica-T1-2026", "T1"),
                   200);
  assert_int_equal(th_login(&a_srv, &it2, "it_t2", "Informatica-T2-2026", "T2"),
                   200);
  r = th_call(&a_srv, &it1, "GET", "/api/v1/jobs?state=dead", NULL);
  assert_int_equal(r.status, 200);
  assert_true(json_array_size(json_object_get(r.json, "jobs")) >= 1);
  th_resp_free(&r);
  r = th_call(&a_srv, &it2, "GET", "/api/v1/jobs", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "jobs")), 0);
  th_resp_free(&r);
  char path[80];
  snprintf(path, sizeof path, "/api/v1/jobs/%s/replay", id);
  /* Another hospital cannot replay it; only a dead run is replayed. */
  call_ok(&it2, "POST", path, NULL, 404);
  free(th_sql(DB, "UPDATE chores.switches SET fail = false"));
  call_ok(&it1, "POST", path, NULL, 200);
  call_ok(&it1, "POST", path, NULL, 404);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.job_runs WHERE id = %s AND state = "
           "'done'",
           id);
  assert_int_equal(wait_for(sql, 1, 15), 1);
  assert_int_equal(sql_long("SELECT count(*) FROM chores.notes WHERE n = 7"),
                   1);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.audit_log WHERE action = "
           "'job.replay' AND resource = 'job:%s:chores:note'",
           id);
  assert_int_equal(sql_long(sql), 1);
}

/* ---- local peers: plain HTTP and HTTPS with a certificate of its own ---- */

static enum MHD_Result on_peer(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *data,
                               size_t *size, void **state) {
  (void)cls;
  (void)url;
  (void)method;
  (void)version;
  (void)data;
  static int first;
  if (!*state) {
    *state = &first;
    return MHD_YES;
  }
  if (*size) {
    *size = 0;
    return MHD_YES;
  }
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(4, "pong", MHD_RESPMEM_PERSISTENT);
  enum MHD_Result ret = MHD_queue_response(c, 200, resp);
  MHD_destroy_response(resp);
  return ret;
}

static struct MHD_Daemon *start_peer(int *port, const char *key,
                                     const char *cert) {
  struct MHD_Daemon *d = NULL;
  for (int tries = 0; !d && tries < 20; tries++) {
    *port = 21000 + (int)(getpid() % 19000) + tries;
    d = key ? MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS,
                               (uint16_t)*port, NULL, NULL, on_peer, NULL,
                               MHD_OPTION_HTTPS_MEM_KEY, key,
                               MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_END)
            : MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)*port,
                               NULL, NULL, on_peer, NULL, MHD_OPTION_END);
  }
  assert_non_null(d);
  return d;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strdup(buf);
}

/* Enqueues the "caller" job for `url` (and `ca`, PEM or NULL); waits for
 * its row in chores.calls; returns "<refused_in_tx> <outcome> <status>
 * <body>" (malloc'ed). */
static char *call_from_job(const char *url, const char *ca) {
  json_t *body =
      json_pack("{s:s, s:s, s:s?}", "job", "caller", "url", url, "ca", ca);
  char *text = json_dumps(body, 0);
  json_decref(body);
  char id[24], sql[256];
  assert_int_equal(enqueue(text, id, sizeof id), 202);
  free(text);
  snprintf(
      sql, sizeof sql,
      "SELECT count(*) FROM chores.calls WHERE run_id = %s AND kind = 'job'",
      id);
  assert_int_equal(wait_for(sql, 1, 20), 1);
  snprintf(sql, sizeof sql,
           "SELECT refused_in_tx || ' ' || outcome || ' ' || "
           "coalesce(http_status::text, '-') || ' ' || coalesce(body, '-') "
           "FROM chores.calls WHERE run_id = %s AND kind = 'job'",
           id);
  return th_sql(DB, sql);
}

static void http_request_only_outside_transactions(void **state) {
  (void)state;
  /* In a request handler: refused, and so is tx_commit. */
  th_resp r = th_call(&a_srv, &admin, "POST", "/api/v1/chores/call",
                      "{\"url\":\"http://127.0.0.1:9/\"}");
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "http_request")),
                   903);
  assert_int_equal(json_integer_value(json_object_get(r.json, "tx_commit")),
                   903);
  th_resp_free(&r);

  int port;
  struct MHD_Daemon *plain = start_peer(&port, NULL, NULL);
  char url[80];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/ping", port);
  char *got = call_from_job(url, NULL);
  /* Refused inside the open transaction, answered after tx_commit. */
  assert_string_equal(got, "true 0 200 pong");
  free(got);
  /* The same from an event handler: its delivery's claim is open until
   * tx_commit, which turns it into a lease; the outcome commits with the
   * delivery's done mark. */
  char body[160];
  snprintf(body, sizeof body, "{\"url\":\"%s\"}", url);
  r = th_call(&a_srv, &admin, "POST", "/api/v1/chores/publish", body);
  assert_int_equal(r.status, 202);
  th_resp_free(&r);
  assert_int_equal(wait_for("SELECT count(*) FROM chores.calls WHERE kind = "
                            "'event'",
                            1, 20),
                   1);
  got = th_sql(DB, "SELECT refused_in_tx || ' ' || outcome || ' ' || "
                   "http_status || ' ' || body FROM chores.calls WHERE kind = "
                   "'event'");
  assert_string_equal(got, "true 0 200 pong");
  free(got);
  assert_int_equal(
      wait_for("SELECT count(*) FROM concerto.event_deliveries WHERE "
               "subscriber = 'module:chores:chores.call@1' AND state = 'done' "
               "AND attempts = 1",
               1, 10),
      1);
  MHD_stop_daemon(plain);

  /* An address the hospital's policy does not allow: refused (403). */
  got = call_from_job("http://10.255.255.1:9/", NULL);
  assert_string_equal(got, "true 107 - -");
  free(got);

  char dir[] = "/tmp/concerto-jobs-tls-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
           "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "
           "%s/key.pem -out %s/cert.pem >/dev/null 2>&1",
           dir, dir);
  assert_int_equal(system(cmd), 0);
  char kp[300], cp[300];
  snprintf(kp, sizeof kp, "%s/key.pem", dir);
  snprintf(cp, sizeof cp, "%s/cert.pem", dir);
  char *key = slurp(kp), *cert = slurp(cp);
  struct MHD_Daemon *tls = start_peer(&port, key, cert);
  snprintf(url, sizeof url, "https://127.0.0.1:%d/ping", port);
  /* A certificate nobody vouches for: refused by default (502). */
  got = call_from_job(url, NULL);
  assert_string_equal(got, "true 110 - -");
  free(got);
  /* Trusted when the module names it as an anchor. */
  got = call_from_job(url, cert);
  assert_string_equal(got, "true 0 200 pong");
  free(got);
  MHD_stop_daemon(tls);
  free(key);
  free(cert);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

/* Daily slots are the hospital's local date and time; PostgreSQL's zone
 * database decides the daylight-saving changes. */
static void daily_slots_follow_the_hospital_zone(void **state) {
  (void)state;
  /* 01:00 in Rome: 00:00 UTC in winter, 23:00 UTC the day before in
   * summer, across the change of 29 March 2026. */
  char *v = th_sql(DB, "SELECT slot || ' ' || to_char(run_at AT TIME ZONE "
                       "'UTC', 'YYYY-MM-DD HH24:MI') FROM "
                       "concerto.job_next_daily('01:00', 'Europe/Rome', "
                       "'2026-03-28 12:00Z')");
  assert_string_equal(v, "2026-03-29 2026-03-29 00:00");
  free(v);
  v = th_sql(DB, "SELECT slot || ' ' || to_char(run_at AT TIME ZONE 'UTC', "
                 "'YYYY-MM-DD HH24:MI') FROM concerto.job_next_daily('01:00', "
                 "'Europe/Rome', '2026-03-29 12:00Z')");
  assert_string_equal(v, "2026-03-30 2026-03-29 23:00");
  free(v);
  /* 02:30 does not exist on 29 March: it runs once that day, an hour
   * later on the clock. */
  v = th_sql(DB, "SELECT slot || ' ' || to_char(run_at AT TIME ZONE 'UTC', "
                 "'YYYY-MM-DD HH24:MI') FROM concerto.job_next_daily('02:30', "
                 "'Europe/Rome', '2026-03-28 12:00Z')");
  assert_string_equal(v, "2026-03-29 2026-03-29 01:30");
  free(v);
  /* 02:30 happens twice on 25 October: PostgreSQL takes the second (CET,
   * 01:30 UTC) whenever asked, and the slot is the date, so once. */
  v = th_sql(DB, "SELECT slot || ' ' || to_char(run_at AT TIME ZONE 'UTC', "
                 "'YYYY-MM-DD HH24:MI') FROM concerto.job_next_daily('02:30', "
                 "'Europe/Rome', '2026-10-24 12:00Z')");
  assert_string_equal(v, "2026-10-25 2026-10-25 01:30");
  free(v);
  v = th_sql(DB, "SELECT slot FROM concerto.job_next_daily('02:30', "
                 "'Europe/Rome', '2026-10-25 01:45Z')");
  assert_string_equal(v, "2026-10-26");
  free(v);
  /* The periodic "daily" run of T1 is scheduled at 03:00 in its zone. */
  assert_int_equal(
      wait_for("SELECT count(*) FROM concerto.job_runs j JOIN "
               "concerto.tenants t ON t.id = j.tenant_id WHERE j.job = "
               "'daily' AND j.state = 'pending' AND t.code = 'T1' AND "
               "to_char(j.scheduled_at AT TIME ZONE 'Europe/Rome', 'HH24:MI') "
               "= '03:00'",
               1, 10),
      1);
  /* Hospitals have a time zone, Europe/Rome unless the region sets
   * another; a name the zone database does not know is refused. */
  v = th_sql(DB, "SELECT time_zone FROM concerto.tenants WHERE code = 'T2'");
  assert_string_equal(v, "Europe/Rome");
  free(v);
  th_client region;
  assert_int_equal(th_login(&a_srv, &region, "admin", ADMIN_PASSWORD, NULL),
                   200);
  call_ok(&region, "PATCH", "/api/v1/tenants/T2",
          "{\"time_zone\":\"Mars/Olympus\"}", 422);
  call_ok(&region, "PATCH", "/api/v1/tenants/T2",
          "{\"time_zone\":\"America/New_York\"}", 200);
  v = th_sql(DB, "SELECT time_zone FROM concerto.tenants WHERE code = 'T2'");
  assert_string_equal(v, "America/New_York");
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(runs_only_when_the_request_commits),
      cmocka_unit_test(runs_once_across_two_servers),
      cmocka_unit_test(killed_mid_run_is_taken_over_once),
      cmocka_unit_test(failing_job_goes_dead_and_replays),
      cmocka_unit_test(http_request_only_outside_transactions),
      cmocka_unit_test(daily_slots_follow_the_hospital_zone),
  };
  return cmocka_run_group_tests_name("jobs", tests, start, stop);
}
