/* Core security and integrity against the real server and PostgreSQL
 * (docs/security.md): the application role cannot forge its context, the
 * audit chain holds under concurrency and kill -9, verification and reading
 * are scoped to one's hospital, patient links need a relationship and show
 * the patient only their hospital's trail, staff notifications never reach
 * patients, patient search needs a person, files need a visible row, and
 * every function pins its search_path (a database owner not named
 * "concerto" runs the demo). The tests run in order and build on each
 * other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "harness.h"

#define DB "it_security"
#define ADMIN_PASSWORD "Regione-Sicilia-2026"
#define PASSWORD "Sicurezza-Prima-2026"
#define EXTRA "{\"modules\":[\"ward\",\"files\"]}"

static th_server srv;
static th_client admin, doc_a, doc_b, help_a, help_b, po_a, po_b, patient;
static char hub_id[24], spoke_id[24], p_hub[24], p_spoke[24];

static int start(void **state) {
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  char url[512];
  th_db_create(DB, url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok = th_server_start(&srv, DB, EXTRA, NULL, 30);
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  return ok ? 0 : -1;
}

static int stop(void **state) {
  (void)state;
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static long call(th_client *c, const char *method, const char *path,
                 const char *json) {
  th_resp r = th_call(&srv, c, method, path, json);
  long s = r.status;
  if (s >= 400)
    fprintf(stderr, "%s %s -> %ld %s\n", method, path, s, r.body);
  th_resp_free(&r);
  return s;
}

static void user(const char *tenant, const char *name, const char *role) {
  char path[96], body[256];
  snprintf(path, sizeof path, "/api/v1/tenants/%s/users", tenant);
  snprintf(body, sizeof body,
           "{\"username\":\"%s\",\"display_name\":\"%s\",\"password\":\"%s\","
           "\"roles\":[\"%s\"]}",
           name, name, PASSWORD, role);
  assert_int_equal(call(&admin, "POST", path, body), 201);
}

/* A patient registered by `c`'s hospital; writes its id. */
static void register_patient(th_client *c, const char *cf, const char *surname,
                             const char *given, const char *birth,
                             const char *sex, char out[24]) {
  char body[320];
  snprintf(body, sizeof body,
           "{\"fiscal_code\":\"%s\",\"surname\":\"%s\",\"given_name\":\"%s\","
           "\"birth_date\":\"%s\",\"sex\":\"%s\"}",
           cf, surname, given, birth, sex);
  th_resp r = th_call(&srv, c, "POST", "/api/v1/patients", body);
  assert_int_equal(r.status, 201);
  snprintf(out, 24, "%s", th_json_str(&r, "id"));
  th_resp_free(&r);
}

static void region_with_two_hospitals(void **state) {
  (void)state;
  assert_int_equal(th_login(&srv, &admin, "admin", ADMIN_PASSWORD, NULL), 200);
  assert_int_equal(call(&admin, "POST", "/api/v1/tenants",
                        "{\"code\":\"HUB1\",\"name\":\"Hub\",\"kind\":\"AOU\","
                        "\"hub\":true}"),
                   201);
  assert_int_equal(call(&admin, "POST", "/api/v1/tenants",
                        "{\"code\":\"SPOKE1\",\"name\":\"Spoke\","
                        "\"kind\":\"ASL\"}"),
                   201);
  assert_int_equal(call(&admin, "POST", "/api/v1/tenants/HUB1/sites",
                        "{\"code\":\"PO1\",\"name\":\"Presidio\"}"),
                   201);
  user("HUB1", "doc_a", "specialist");
  user("SPOKE1", "doc_b", "requesting_doctor");
  user("HUB1", "help_a", "helpdesk");
  user("SPOKE1", "help_b", "helpdesk");
  user("HUB1", "po_a", "privacy_officer");
  user("SPOKE1", "po_b", "privacy_officer");
  const char *mods[] = {"/api/v1/tenants/HUB1/modules/ward",
                        "/api/v1/tenants/SPOKE1/modules/ward",
                        "/api/v1/tenants/HUB1/modules/files",
                        "/api/v1/tenants/SPOKE1/modules/files"};
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(call(&admin, "PUT", mods[i], "{\"enabled\":true}"), 200);
  th_client *who[] = {&doc_a, &doc_b, &help_a, &help_b, &po_a, &po_b};
  const char *names[] = {"doc_a", "doc_b", "help_a", "help_b", "po_a", "po_b"};
  for (size_t i = 0; i < 6; i++)
    assert_int_equal(th_login(&srv, who[i], names[i], PASSWORD, NULL), 200);
  char *v = th_sql(DB, "SELECT id FROM concerto.tenants WHERE code = 'HUB1'");
  snprintf(hub_id, sizeof hub_id, "%s", v);
  free(v);
  v = th_sql(DB, "SELECT id FROM concerto.tenants WHERE code = 'SPOKE1'");
  snprintf(spoke_id, sizeof spoke_id, "%s", v);
  free(v);
  register_patient(&doc_a, "RSSMRA80A01H501U", "Rossi", "Mario", "1980-01-01",
                   "M", p_hub);
  register_patient(&doc_b, "BNCLCU90D45A089Z", "Bianchi", "Lucia", "1990-04-05",
                   "F", p_spoke);
}

/* ---- the application role and its context (item 6) ---- */

static void expect_state(const char *sql, const char *state) {
  char got[6];
  free(th_sql_role(DB, "concerto_app", sql, got));
  if (strcmp(got, state) != 0)
    fprintf(stderr, "%s -> SQLSTATE '%s', expected '%s'\n", sql, got, state);
  assert_string_equal(got, state);
}

static void application_role_cannot_forge_its_context(void **state) {
  (void)state;
  /* The server's own connections log in as the application role. */
  char *v = th_sql(DB, "SELECT count(*) FILTER (WHERE usename <> "
                       "'concerto_app') || '/' || count(*) FROM "
                       "pg_stat_activity WHERE datname = '" DB
                       "' AND application_name = 'concerto'");
  assert_non_null(v);
  assert_int_equal(v[0], '0');
  assert_string_not_equal(v, "0/0");
  free(v);
  char st[6];
  /* Logged in as itself, it has no other role to go back to. */
  v = th_sql_role(DB, "concerto_app", "RESET ROLE; SELECT current_user", st);
  assert_string_equal(v, "concerto_app");
  free(v);
  expect_state("SET ROLE concerto", "42501");
  /* The settings that used to decide the scope mean nothing now. */
  char sql[512];
  snprintf(
      sql, sizeof sql,
      "SELECT set_config('app.regional', 'on', false), "
      "set_config('app.tenant_id', '%s', false); SELECT (SELECT count(*) "
      "FROM concerto.sites) + (SELECT count(*) FROM concerto.user_roles) "
      "+ (SELECT count(*) FROM concerto.audit_log) + (SELECT count(*) FROM "
      "concerto.api_tokens)",
      hub_id);
  v = th_sql_role(DB, "concerto_app", sql, st);
  assert_string_equal(st, "");
  assert_string_equal(v, "0");
  free(v);
  /* The context lives in a table only the schema owner writes. */
  snprintf(sql, sizeof sql,
           "INSERT INTO concerto.context_live VALUES (pg_backend_pid(), "
           "pg_current_xact_id(), 'staff', %s, NULL, NULL, true)",
           hub_id);
  expect_state(sql, "42501");
  expect_state("UPDATE concerto.context_live SET regional = true", "42501");
  expect_state("SELECT count(*) FROM concerto.context_live", "42501");
  /* A context ends with its transaction: written and committed, it is
   * nothing to the next transaction of the same connection. */
  snprintf(sql, sizeof sql,
           "BEGIN; SELECT concerto.context_set('staff', %s, NULL, NULL, "
           "false); SET LOCAL ROLE concerto_app; SELECT count(*) FROM "
           "concerto.sites",
           hub_id);
  v = th_sql(DB, sql);
  assert_string_equal(v, "1"); /* within its transaction it applies */
  free(v);
  snprintf(sql, sizeof sql,
           "BEGIN; SELECT concerto.context_set('staff', %s, NULL, NULL, "
           "true); COMMIT; SET ROLE concerto_app; SELECT count(*) FROM "
           "concerto.sites",
           hub_id);
  v = th_sql(DB, sql);
  assert_string_equal(v, "0");
  free(v);
  /* Only the owner's functions may write one, regional scope is for
   * regional administrators, and the system scope needs the server key. */
  expect_state("SELECT concerto.context_set('system', NULL, NULL, NULL, true)",
               "42501");
  expect_state("SELECT concerto.context_guest(1)", "42501");
  expect_state("SELECT concerto.context_regional()", "42501");
  expect_state("SELECT concerto.context_system(repeat('a', 43), NULL, true)",
               "42501");
  expect_state("SELECT key_hash FROM concerto.server_keys", "42501");
  /* The audit trail takes rows only from the core. */
  expect_state("INSERT INTO concerto.audit_log (actor_kind, action, outcome, "
               "chain, prev_hash, hash) VALUES ('user', 'forged.row', "
               "'success', 0, '', '')",
               "42501");
  expect_state("SELECT concerto.audit_append(repeat('a', 43), 'user', NULL, "
               "'x', NULL, NULL, NULL, NULL, 'forged.row', NULL, 'success', "
               "NULL, NULL)",
               "42501");
  /* Temporary tables could stand in for the core's inside functions. */
  expect_state("CREATE TEMP TABLE sessions (x int)", "42501");
}

/* ---- the audit chain (items 2, 3) ---- */

typedef struct load {
  th_client client;
  char path[96];
  int requests, done;
  atomic_bool *stop;
} load;

static void *reader(void *arg) {
  load *l = arg;
  for (int i = 0; i < l->requests && !atomic_load(l->stop); i++) {
    th_resp r = th_call(&srv, &l->client, "GET", l->path, NULL);
    l->done += r.status == 200;
    th_resp_free(&r);
  }
  return NULL;
}

/* n readers of the patient as doc_a, each its own session. */
static void run_readers(load *loads, pthread_t *threads, int n, int requests,
                        atomic_bool *stop) {
  for (int i = 0; i < n; i++) {
    loads[i] = (load){.requests = requests, .stop = stop};
    assert_int_equal(th_login(&srv, &loads[i].client, "doc_a", PASSWORD, NULL),
                     200);
    snprintf(loads[i].path, sizeof loads[i].path, "/api/v1/patients/%s", p_hub);
  }
  for (int i = 0; i < n; i++)
    pthread_create(&threads[i], NULL, reader, &loads[i]);
}

static void expect_intact(th_client *who) {
  th_resp r = th_call(&srv, who, "GET", "/api/v1/audit/verify", NULL);
  assert_int_equal(r.status, 200);
  if (!json_is_true(json_object_get(r.json, "intact")))
    fprintf(stderr, "verify: %s\n", r.body);
  assert_true(json_is_true(json_object_get(r.json, "intact")));
  th_resp_free(&r);
  /* No two rows of a chain name the same predecessor. */
  char *forks = th_sql(DB, "SELECT count(*) FROM (SELECT chain, prev_hash "
                           "FROM concerto.audit_log GROUP BY 1, 2 HAVING "
                           "count(*) > 1) f");
  assert_string_equal(forks, "0");
  free(forks);
}

static void audit_chain_holds_under_concurrent_load(void **state) {
  (void)state;
  char *before = th_sql(DB, "SELECT count(*) FROM concerto.audit_log");
  atomic_bool stop = false;
  load loads[4];
  pthread_t threads[4];
  run_readers(loads, threads, 4, 150, &stop);
  int done = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(threads[i], NULL);
    done += loads[i].done;
  }
  assert_int_equal(done, 600);
  char sql[160];
  snprintf(sql, sizeof sql,
           "SELECT count(*) - %s >= 600 FROM concerto.audit_log", before);
  free(before);
  char *grew = th_sql(DB, sql);
  assert_string_equal(grew, "t");
  free(grew);
  expect_intact(&admin);
}

static void audit_chain_survives_kill_9(void **state) {
  (void)state;
  atomic_bool stop = false;
  load loads[3];
  pthread_t threads[3];
  char *base = th_sql(DB, "SELECT max(id) FROM concerto.audit_log");
  char sql[160];
  snprintf(sql, sizeof sql,
           "SELECT count(*) >= 150 FROM concerto.audit_log WHERE id > %s AND "
           "action = 'patient.read'",
           base);
  free(base);
  run_readers(loads, threads, 3, 100000, &stop);
  /* Let writes pile up, then kill the server in the middle of them. */
  char *n = NULL;
  for (int i = 0; i < 500; i++) {
    free(n);
    n = th_sql(DB, sql);
    if (strcmp(n, "t") == 0)
      break;
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
  }
  free(n);
  kill(srv.pid, SIGKILL);
  int status;
  waitpid(srv.pid, &status, 0);
  atomic_store(&stop, true);
  for (int i = 0; i < 3; i++)
    pthread_join(threads[i], NULL);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  assert_true(th_server_start(&srv, DB, EXTRA, NULL, 30));
  expect_intact(&admin);
}

static int chain_rows(const char *tenant_id) {
  char sql[128];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.audit_log WHERE chain = %s",
           tenant_id);
  char *v = th_sql(DB, sql);
  int n = atoi(v);
  free(v);
  return n;
}

static void verification_and_reading_are_scoped_to_the_hospital(void **state) {
  (void)state;
  /* A privacy officer verifies her hospital's chain, not the region's. */
  th_resp r = th_call(&srv, &po_a, "GET", "/api/v1/audit/verify", NULL);
  assert_int_equal(r.status, 200);
  /* Everything in the chain but the row of this very verification, which
   * was written after it. */
  assert_int_equal(atoi(th_json_str(&r, "rows_checked")) + 1,
                   chain_rows(hub_id));
  th_resp_free(&r);
  /* Break the SPOKE's chain: only the SPOKE (and the region) see it. */
  char sql[240];
  snprintf(sql, sizeof sql,
           "SELECT id || ':' || actor_name FROM concerto.audit_log WHERE chain "
           "= %s ORDER BY seq DESC LIMIT 1",
           spoke_id);
  char *victim = th_sql(DB, sql);
  char *colon = strchr(victim, ':');
  *colon = '\0';
  snprintf(sql, sizeof sql,
           "UPDATE concerto.audit_log SET actor_name = 'forged' WHERE id = %s",
           victim);
  free(th_sql(DB, sql));
  r = th_call(&srv, &po_a, "GET", "/api/v1/audit/verify", NULL);
  assert_true(json_is_true(json_object_get(r.json, "intact")));
  assert_null(th_json_str(&r, "broken_chain"));
  th_resp_free(&r);
  r = th_call(&srv, &po_b, "GET", "/api/v1/audit/verify", NULL);
  assert_false(json_is_true(json_object_get(r.json, "intact")));
  assert_string_equal(th_json_str(&r, "broken_chain"), spoke_id);
  th_resp_free(&r);
  r = th_call(&srv, &admin, "GET", "/api/v1/audit/verify", NULL);
  assert_false(json_is_true(json_object_get(r.json, "intact")));
  th_resp_free(&r);
  /* Put it back (the trail stays verifiable for the later tests). */
  snprintf(sql, sizeof sql,
           "UPDATE concerto.audit_log SET actor_name = '%s' WHERE id = %s",
           colon + 1, victim);
  free(th_sql(DB, sql));
  free(victim);
  expect_intact(&admin);
  /* The listing shows the hospital's rows only. */
  r = th_call(&srv, &po_b, "GET", "/api/v1/audit?limit=500", NULL);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, "\"tenant\":\"HUB1\""));
  assert_non_null(strstr(r.body, "\"tenant\":\"SPOKE1\""));
  th_resp_free(&r);
}

/* ---- patient links and what a patient sees (item 4) ---- */

static void patient_links_need_a_relationship(void **state) {
  (void)state;
  char body[160];
  snprintf(body, sizeof body,
           "{\"patient_id\":\"%s\",\"scope_kind\":\"documents\","
           "\"scope_ref\":\"referti\"}",
           p_hub);
  /* SPOKE1 never registered or named the HUB's patient. */
  th_resp r = th_call(&srv, &help_b, "POST",
                      "/api/v1/tenants/SPOKE1/access-links", body);
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "\"code\":\"no_relationship\""));
  th_resp_free(&r);
  assert_int_equal(
      call(&help_a, "POST", "/api/v1/tenants/HUB1/access-links", body), 201);
  /* A malformed id is a field error, not a failed statement. */
  r = th_call(&srv, &help_a, "POST", "/api/v1/tenants/HUB1/access-links",
              "{\"patient_id\":\"abc\",\"scope_kind\":\"documents\","
              "\"scope_ref\":\"x\"}");
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "\"field\":\"patient_id\""));
  th_resp_free(&r);
}

static void patient_sees_the_trail_of_the_link_hospital(void **state) {
  (void)state;
  /* The HUB reads the SPOKE's patient: first a bare id (not its patient:
   * refused), then after looking her up (a row in the HUB's chain). */
  char path[96];
  snprintf(path, sizeof path, "/api/v1/patients/%s", p_spoke);
  th_resp r = th_call(&srv, &doc_a, "GET", path, NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  assert_int_equal(call(&doc_a, "GET", "/api/v1/patients?q=Bianchi%20Lu", NULL),
                   200);
  assert_int_equal(call(&doc_a, "GET", path, NULL), 200);
  char body[160];
  snprintf(body, sizeof body,
           "{\"patient_id\":\"%s\",\"scope_kind\":\"documents\","
           "\"scope_ref\":\"referti\"}",
           p_spoke);
  r = th_call(&srv, &help_b, "POST", "/api/v1/tenants/SPOKE1/access-links",
              body);
  assert_int_equal(r.status, 201);
  json_t *link = json_pack("{s:s}", "token",
                           json_string_value(json_object_get(r.json, "token")));
  char *text = json_dumps(link, 0);
  json_decref(link);
  th_resp_free(&r);
  memset(&patient, 0, sizeof patient);
  r = th_call(&srv, &patient, "POST", "/api/v1/auth/link", text);
  free(text);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  r = th_call(&srv, &patient, "GET", "/api/v1/patient/access-log", NULL);
  assert_int_equal(r.status, 200);
  json_t *rows = json_object_get(r.json, "accesses");
  assert_true(json_array_size(rows) >= 2); /* registered, the link */
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) assert_string_equal(
      json_string_value(json_object_get(row, "tenant")), "SPOKE1");
  th_resp_free(&r);
  /* The rows are there all the same, in the HUB's trail: the refused read
   * and the one after the search. */
  char sql[300];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FILTER (WHERE outcome = 'denied') || '/' || "
           "count(*) FILTER (WHERE outcome = 'success') FROM "
           "concerto.audit_log WHERE chain = %s AND patient_id = %s AND "
           "action = 'patient.read'",
           hub_id, p_spoke);
  char *v = th_sql(DB, sql);
  assert_string_equal(v, "1/1");
  free(v);
}

/* ---- notifications (item 5) ---- */

static void patients_do_not_hear_staff_notifications(void **state) {
  (void)state;
  th_stream *staff = th_stream_start(&srv, &doc_b, "/api/v1/me/notifications",
                                     "module.disabled", 10);
  th_stream *pat = th_stream_start(&srv, &patient, "/api/v1/me/notifications",
                                   "module.disabled", 3);
  struct timespec ts = {0, 300 * 1000000L}; /* both streams connected */
  nanosleep(&ts, NULL);
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/SPOKE1/modules/ward",
                        "{\"enabled\":false}"),
                   200);
  char *heard = th_stream_finish(staff);
  assert_non_null(strstr(heard, "module.disabled"));
  free(heard);
  /* The hub delivers one message to every matching stream at once: the
   * staff stream has it, so the patient's would have had it too. */
  heard = th_stream_finish(pat);
  assert_non_null(strstr(heard, ": connected"));
  assert_null(strstr(heard, "module.disabled"));
  free(heard);
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/SPOKE1/modules/ward",
                        "{\"enabled\":true}"),
                   200);
}

/* ---- regional data with a boundary (item 7) ---- */

static long search(const char *query, int *count, bool *more) {
  char path[256];
  snprintf(path, sizeof path, "/api/v1/patients?%s", query);
  th_resp r = th_call(&srv, &doc_a, "GET", path, NULL);
  long s = r.status;
  if (count)
    *count = (int)json_array_size(json_object_get(r.json, "patients"));
  if (more)
    *more = json_is_true(json_object_get(r.json, "more"));
  if (s == 422)
    assert_non_null(strstr(r.body, "\"errors\""));
  th_resp_free(&r);
  return s;
}

static void patient_search_needs_a_person(void **state) {
  (void)state;
  int n = -1;
  bool more = false;
  /* Too broad to name anybody: refused, never a list of everyone. */
  assert_int_equal(search("q=%25%25", NULL, NULL), 422);
  assert_int_equal(search("q=__", NULL, NULL), 422);
  assert_int_equal(search("q=ro", NULL, NULL), 422);
  assert_int_equal(search("q=rossi", NULL, NULL), 422);
  assert_int_equal(search("surname=rossi", NULL, NULL), 422);
  assert_int_equal(search("surname=r&given_name=m", NULL, NULL), 422);
  /* What the user typed is text, never a pattern. */
  assert_int_equal(search("q=r%25ss%20ma", &n, NULL), 200);
  assert_int_equal(n, 0);
  assert_int_equal(search("q=r_ssi%20ma", &n, NULL), 200);
  assert_int_equal(n, 0);
  assert_int_equal(search("q=ross%20mar", &n, NULL), 200);
  assert_int_equal(n, 1);
  assert_int_equal(search("q=RSSMRA80A01H501U", &n, NULL), 200);
  assert_int_equal(n, 1);
  assert_int_equal(search("surname=Rossi&birth_date=1980-01-01", &n, NULL),
                   200);
  assert_int_equal(n, 1);
  /* Bounded: 25 namesakes give 20 and "more". */
  free(th_sql(DB, "INSERT INTO concerto.patients (fiscal_code, surname, "
                  "given_name, birth_date, sex) SELECT 'TSTBNC00A01' || "
                  "lpad(i::text, 5, '0'), 'Bianco', 'Test' || i, "
                  "'2000-01-01', 'M' FROM generate_series(1, 25) i"));
  assert_int_equal(search("q=bianco%20te", &n, &more), 200);
  assert_int_equal(n, 20);
  assert_true(more);
  /* Every search is audited with its shape, even one finding nobody. */
  char *v = th_sql(DB, "SELECT count(*) FROM concerto.audit_log WHERE action "
                       "= 'patient.search' AND resource = 'search:name "
                       "matches:0'");
  assert_string_equal(v, "2");
  free(v);
  v = th_sql(DB, "SELECT count(*) FROM concerto.audit_log WHERE action = "
                 "'patient.search' AND resource = 'search:name matches:20+'");
  assert_string_equal(v, "1");
  free(v);
}

static void files_need_a_row_the_caller_may_see(void **state) {
  (void)state;
  th_resp r = th_call(&srv, &doc_a, "POST", "/api/v1/files/put",
                      "{\"text\":\"referto riservato HUB1\"}");
  assert_int_equal(r.status, 201);
  char path[160];
  snprintf(path, sizeof path, "/api/v1/files/%s", th_json_str(&r, "sha256"));
  th_resp_free(&r);
  assert_int_equal(call(&doc_a, "GET", path, NULL), 200);
  /* Knowing the hash is not enough for another hospital. */
  r = th_call(&srv, &doc_b, "GET", path, NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  snprintf(path + strlen(path), sizeof path - strlen(path), "/head");
  r = th_call(&srv, &doc_b, "GET", path, NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  /* Its own copy of the same bytes is its own to read. */
  assert_int_equal(call(&doc_b, "POST", "/api/v1/files/put",
                        "{\"text\":\"referto riservato HUB1\"}"),
                   201);
  assert_int_equal(call(&doc_b, "GET", path, NULL), 200);
}

/* ---- bad input (items 8, 13) ---- */

static const char *first_error_field(const th_resp *r) {
  return json_string_value(json_object_get(
      json_array_get(json_object_get(r->json, "errors"), 0), "field"));
}

static void bad_input_is_a_client_error_naming_the_field(void **state) {
  (void)state;
  int before = th_log_count(&srv, "\"status\":500");
  /* Bytes that are not text, in a query and in a path parameter. */
  th_resp r = th_call(&srv, &doc_a, "GET", "/api/v1/patients?q=%ff%fe", NULL);
  assert_int_equal(r.status, 400);
  assert_string_equal(th_json_str(&r, "code"), "invalid_parameter");
  assert_string_equal(first_error_field(&r), "q");
  th_resp_free(&r);
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB1/users/%ff/roles",
              "{\"roles\":[\"specialist\"]}");
  assert_int_equal(r.status, 400);
  assert_string_equal(first_error_field(&r), "username");
  th_resp_free(&r);
  th_client odd = doc_a;
  snprintf(odd.tenant, sizeof odd.tenant, "\xff\xfe");
  r = th_call(&srv, &odd, "GET", "/api/v1/me", NULL);
  assert_int_equal(r.status, 400);
  assert_string_equal(first_error_field(&r), "X-Concerto-Tenant");
  th_resp_free(&r);
  /* A module's statement failing on the client's value, or on row-level
   * security, handed back unanswered. */
  r = th_call(&srv, &doc_a, "POST", "/api/v1/ward/unanswered?n=abc", "{}");
  assert_int_equal(r.status, 400);
  assert_string_equal(th_json_str(&r, "code"), "invalid_input");
  th_resp_free(&r);
  r = th_call(&srv, &doc_a, "POST", "/api/v1/ward/unanswered", "{}");
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
  /* Quotes and backslashes in a typed username are just characters, and
   * such attempts are throttled like any other. */
  th_client anon;
  memset(&anon, 0, sizeof anon);
  long last = 0;
  for (int i = 0; i < 7; i++) {
    r = th_call(&srv, &anon, "POST", "/api/v1/auth/login",
                "{\"username\":\"a\\\"b\",\"password\":\"nope\"}");
    last = r.status;
    assert_true(last == 401 || (i == 6 && last == 429));
    th_resp_free(&r);
  }
  assert_int_equal(last, 429);
  r = th_call(&srv, &anon, "POST", "/api/v1/auth/login",
              "{\"username\":\"c\\\\\",\"password\":\"nope\"}");
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  /* Spaces are no surname. */
  r = th_call(&srv, &doc_a, "POST", "/api/v1/patients",
              "{\"fiscal_code\":\"CNTSLV62M50G273L\",\"surname\":\" \","
              "\"given_name\":\"Silvia\",\"birth_date\":\"1962-08-10\","
              "\"sex\":\"F\"}");
  assert_int_equal(r.status, 422);
  assert_string_equal(first_error_field(&r), "surname");
  th_resp_free(&r);
  assert_int_equal(th_log_count(&srv, "\"status\":500"), before);
}

/* ---- uploads and connections (item 10) ---- */

static int raw_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads what arrives within timeout_ms (until the peer closes). */
static size_t raw_read(int fd, char *buf, size_t cap, int timeout_ms) {
  size_t n = 0;
  struct pollfd p = {fd, POLLIN, 0};
  while (n + 1 < cap && poll(&p, 1, timeout_ms) > 0) {
    ssize_t got = recv(fd, buf + n, cap - 1 - n, 0);
    if (got <= 0)
      break;
    n += (size_t)got;
    if (strstr(buf, "\r\n\r\n"))
      break;
  }
  buf[n] = '\0';
  return n;
}

static int blob_files(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "find '%s/blobs' -type f 2>/dev/null | wc -l",
           srv.dir);
  FILE *f = popen(cmd, "r");
  int n = -1;
  if (f && fscanf(f, "%d", &n) != 1)
    n = -1;
  if (f)
    pclose(f);
  return n;
}

/* Announces a 64 MiB upload, asks first (Expect: 100-continue) and sends
 * no byte of it: the answer must come at once, from the headers alone. (A
 * client sending its body without asking is answered once the body is
 * drained, within limits.linger_s: test_blobs.c.) */
static void announce_upload(const char *path, const char *cookie,
                            const char *csrf, const char *expect_status) {
  int fd = raw_connect(srv.port);
  assert_true(fd >= 0);
  char head[1024];
  int n = snprintf(head, sizeof head,
                   "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                   "application/octet-stream\r\nContent-Length: 67108864\r\n"
                   "Cookie: concerto_session=%s\r\nX-CSRF-Token: %s\r\nExpect: "
                   "100-continue\r\n\r\n",
                   path, cookie, csrf);
  assert_int_equal(send(fd, head, (size_t)n, 0), n);
  char buf[4096];
  raw_read(fd, buf, sizeof buf, 5000);
  close(fd);
  if (strncmp(buf + 9, expect_status, 3) != 0)
    fprintf(stderr, "upload %s answered: %.200s\n", path, buf);
  assert_true(strncmp(buf, "HTTP/1.1 ", 9) == 0);
  assert_memory_equal(buf + 9, expect_status, 3);
}

static void uploads_are_refused_before_their_bytes(void **state) {
  (void)state;
  int files = blob_files();
  announce_upload("/api/v1/files/upload",
                  "Zm9yZ2VkLWNvb2tpZS1mb3JnZWQtY29va2llLWZvcmdlZA", "x", "401");
  announce_upload("/api/v1/files/upload?note=%ff", doc_a.cookie, doc_a.csrf,
                  "400");
  /* A caller of a hospital where the module is off is refused as early. */
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/SPOKE1/modules/files",
                        "{\"enabled\":false}"),
                   200);
  announce_upload("/api/v1/files/upload", doc_b.cookie, doc_b.csrf, "404");
  assert_int_equal(call(&admin, "PUT", "/api/v1/tenants/SPOKE1/modules/files",
                        "{\"enabled\":true}"),
                   200);
  assert_int_equal(blob_files(), files);
}

/* A keep-alive connection that has been served GET /healthz (so the
 * server admitted it), or -1. A refused one - closed unanswered while an
 * earlier connection of this address is still being released - is
 * replaced after a pause, for at most 2 s. */
static int open_served(int port) {
  const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int attempt = 0; attempt < 40; attempt++) {
    int fd = raw_connect(port);
    if (fd < 0)
      return -1;
    char buf[512];
    send(fd, get, strlen(get), MSG_NOSIGNAL);
    if (raw_read(fd, buf, sizeof buf, 2000) > 0 &&
        strncmp(buf, "HTTP/1.1 200 ", 13) == 0)
      return fd;
    close(fd);
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return -1;
}

static void connections_per_address_are_limited(void **state) {
  (void)state;
  th_server limited;
  assert_true(th_server_start(&limited, DB,
                              "{\"limits\":{\"per_ip_connections\":3,"
                              "\"per_ip_exempt\":[]}}",
                              NULL, 30));
  /* Three connections, each known to be admitted: it answered a request
   * and stays open (keep-alive). Merely connecting is not enough - the
   * start's readiness probe may still hold a place for a moment, so one of
   * three bare connections could be the refused one and the "fourth" then
   * take the freed place (the flake this had). */
  int fds[3];
  for (int i = 0; i < 3; i++) {
    fds[i] = open_served(limited.port);
    assert_true(fds[i] >= 0);
  }
  /* The fourth connection from the same address is closed unanswered. */
  int extra = raw_connect(limited.port);
  char buf[512];
  if (extra >= 0) {
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    send(extra, get, strlen(get), MSG_NOSIGNAL);
    assert_int_equal(raw_read(extra, buf, sizeof buf, 2000), 0);
    close(extra);
  }
  /* One closes, and a new one is served. */
  close(fds[0]);
  th_resp r = {0};
  for (int i = 0; i < 50 && r.status != 200; i++) {
    th_resp_free(&r);
    r = th_get(&limited, "/healthz");
    if (r.status != 200) {
      struct timespec ts = {0, 20 * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  close(fds[1]);
  close(fds[2]);
  assert_int_equal(th_server_stop(&limited, 30), 0);
}

/* ---- search_path (item 12) ---- */

static void every_function_pins_its_search_path(void **state) {
  (void)state;
  char *v = th_sql(
      DB, "SELECT count(*) || ':' || coalesce(string_agg(p.oid::regprocedure"
          "::text, ', '), '') FROM pg_proc p JOIN pg_namespace n ON n.oid = "
          "p.pronamespace WHERE n.nspname IN ('concerto', 'ward', 'files') "
          "AND p.prokind = 'f' AND NOT EXISTS (SELECT 1 FROM "
          "unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE "
          "'search_path=%pg_temp%')");
  assert_string_equal(v, "0:");
  free(v);
}

/* The demo, loaded by a database owner that is neither named "concerto"
 * nor a superuser: before, every function resolved names through the
 * caller's "$user" schema and the demo stopped at the first trigger. */
static void demo_runs_for_an_owner_of_another_name(void **state) {
  (void)state;
  free(th_sql("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles "
                          "WHERE rolname = 'regione_sicilia') THEN CREATE "
                          "ROLE regione_sicilia LOGIN; END IF; END $$"));
  char url[512];
  th_db_create("it_security_owner", url, sizeof url);
  free(th_sql("postgres", "ALTER DATABASE it_security_owner OWNER TO "
                          "regione_sicilia"));
  char config[600], cmd[1400];
  snprintf(config, sizeof config, "%s/owner.json", srv.dir);
  FILE *f = fopen(config, "w");
  assert_non_null(f);
  fprintf(f,
          "{\"database_url\":\"host=%s user=regione_sicilia "
          "dbname=it_security_owner\",\"data_dir\":\"%s/owner-data\","
          "\"scripts_dir\":\"%s/scripts\",\"argon2_t_cost\":1,"
          "\"argon2_m_kib\":8192}",
          th_pg_host(), srv.dir, th_env("CONCERTO_SOURCE_DIR"));
  fclose(f);
  snprintf(cmd, sizeof cmd,
           "'%s' admin --config '%s' demo >'%s/owner.log' 2>&1",
           th_env("CONCERTO_BIN"), config, srv.dir);
  int rc = system(cmd);
  if (rc != 0) {
    snprintf(cmd, sizeof cmd, "cat '%s/owner.log' >&2", srv.dir);
    (void)system(cmd);
  }
  assert_int_equal(rc, 0);
  char *v = th_sql("it_security_owner",
                   "SELECT (SELECT count(*) FROM concerto.script_active) > 0 "
                   "AND (SELECT count(*) FROM concerto.users) > 10 AND "
                   "(SELECT nspowner::regrole::text FROM pg_namespace WHERE "
                   "nspname = 'concerto') = 'regione_sicilia'");
  assert_string_equal(v, "t");
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(region_with_two_hospitals),
      cmocka_unit_test(application_role_cannot_forge_its_context),
      cmocka_unit_test(audit_chain_holds_under_concurrent_load),
      cmocka_unit_test(audit_chain_survives_kill_9),
      cmocka_unit_test(verification_and_reading_are_scoped_to_the_hospital),
      cmocka_unit_test(patient_links_need_a_relationship),
      cmocka_unit_test(patient_sees_the_trail_of_the_link_hospital),
      cmocka_unit_test(patients_do_not_hear_staff_notifications),
      cmocka_unit_test(patient_search_needs_a_person),
      cmocka_unit_test(files_need_a_row_the_caller_may_see),
      cmocka_unit_test(bad_input_is_a_client_error_naming_the_field),
      cmocka_unit_test(uploads_are_refused_before_their_bytes),
      cmocka_unit_test(connections_per_address_are_limited),
      cmocka_unit_test(every_function_pins_its_search_path),
      cmocka_unit_test(demo_runs_for_an_owner_of_another_name),
  };
  return cmocka_run_group_tests_name("security", tests, start, stop);
}
