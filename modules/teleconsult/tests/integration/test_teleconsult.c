/* The teleconsult module end to end against the real server, database,
 * Lua rules and SMTP sink: a SPOKE doctor's request routed by the demo
 * rules to a HUB group, a session scheduled from it with invitations (ICS),
 * live comments, documents typed by content, the decision and the minutes
 * PDF on close, events and audit rows, isolation and module disablement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "jwt_check.h"

#define DB "it_teleconsult"
#define DEMO_PASSWORD "Concerto-Demo-2026"
#define API "/api/v1/teleconsult"
#define HUB_JITSI_SECRET "irccs-jitsi-secret-for-the-tests-0123456789"
#define DECISION                                                               \
  "Indicata trombolisi endovenosa entro 30 minuti; ricovero in stroke unit."

static th_server srv;
static th_smtp_sink sink = {.pid = -1, .out_fd = -1};
static char mailbox[128];

/* Shared by the tests, which run in order. */
static th_client spoke, hub, other, spoke_colleague;
static char request_id[24], group_id[24], session_id[24], slot1[24], slot2[24],
    spid_verdi[24], spid_bianchi[24], pdf_doc[24];
static char verdi_id[24], bianchi_id[24];
/* The external invitee's personal join secret, from the invitation. */
static char guest_token[48];
static time_t slot1_start;
static th_client
    nobody; /* no session: how an invitee without an account comes */

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = calloc(1, 4 << 20);
  size_t n = 0;
  if (f) {
    n = fread(buf, 1, (4 << 20) - 1, f);
    fclose(f);
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

static int count_str(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* Every base64 MIME part of the mailbox decoded and appended, so the
 * tests can search the text bodies and the ICS attachments. */
static int b64val(int c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static char *decoded_mailbox(void) {
  char *raw = read_file(mailbox, NULL);
  size_t cap = strlen(raw) + 16, used = 0;
  char *out = calloc(1, cap);
  const char *marker = "Content-Transfer-Encoding: base64\r\n\r\n";
  for (const char *p = strstr(raw, marker); p; p = strstr(p, marker)) {
    p += strlen(marker);
    unsigned acc = 0;
    int bits = 0;
    for (; *p && !(p[0] == '-' && p[1] == '-') && !(p[0] == '=' && p[1] == '=');
         p++) {
      int v = b64val((unsigned char)*p);
      if (v < 0)
        continue;
      acc = (acc << 6) | (unsigned)v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[used++] = (char)((acc >> bits) & 0xFF);
      }
    }
    out[used++] = '\n';
  }
  out[used] = '\0';
  /* Unfold calendar lines (CRLF + space continues the previous line). */
  size_t j = 0;
  for (size_t i = 0; i < used; i++) {
    if (out[i] == '\r' && out[i + 1] == '\n' && out[i + 2] == ' ') {
      i += 2;
      continue;
    }
    out[j++] = out[i];
  }
  out[j] = '\0';
  free(raw);
  return out;
}

static int admin(const char *args) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' admin --config '%s' %s >/dev/null 2>&1",
           th_env("CONCERTO_BIN"), srv.config, args);
  return system(cmd);
}

/* The real module is built into <build>/modules, beside test-modules. */
static void module_dir(char *out, size_t len) {
  snprintf(out, len, "%s", th_env("CONCERTO_TEST_MODULES"));
  char *slash = strrchr(out, '/');
  if (slash)
    snprintf(slash + 1, len - (size_t)(slash + 1 - out), "modules");
}

static th_resp call(th_client *c, const char *method, const char *path,
                    const char *json) {
  return th_call(&srv, c, method, path, json);
}

static void copy_str(char *dst, size_t cap, const char *src) {
  assert_non_null(src);
  snprintf(dst, cap, "%s", src);
}

/* Uploads raw bytes as the client; *out (may be NULL) the parsed answer. */
static long upload(th_client *c, const char *path, const void *data, size_t len,
                   json_t **out) {
  th_resp r = th_upload(&srv, c, path, data, len, false);
  if (r.status >= 400)
    fprintf(stderr, "upload %s -> %ld %s\n", path, r.status, r.body);
  if (out)
    *out = json_incref(r.json);
  long status = r.status;
  th_resp_free(&r);
  return status;
}

/* pdftotext of a PDF held in memory (malloc'ed text), after a strict
 * structure check: poppler silently repairs what qpdf refuses. */
static char *pdf_text(const char *pdf, size_t len) {
  char path[] = "/tmp/tc-minutes-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, pdf, len), (ssize_t)len);
  close(fd);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "qpdf --check %s >/dev/null", path);
  int checked = system(cmd);
  if (checked != 0)
    fprintf(stderr, "qpdf --check refused the minutes (%d)\n", checked);
  assert_int_equal(checked, 0);
  snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s -", path);
  FILE *f = popen(cmd, "r");
  char *text = calloc(1, 1 << 20);
  size_t n = f ? fread(text, 1, (1 << 20) - 1, f) : 0;
  if (f)
    pclose(f);
  unlink(path);
  text[n] = '\0';
  return text;
}

/* {"starts_at", "ends_at"} in ISO 8601 with an explicit offset. */
static void slot_json(char *out, size_t len, time_t from, time_t to) {
  char a[40], b[40];
  struct tm tm;
  gmtime_r(&from, &tm);
  strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  gmtime_r(&to, &tm);
  strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  snprintf(out, len, "{\"starts_at\":\"%s\",\"ends_at\":\"%s\"}", a, b);
}

/* The join secret in the invitation e-mail that greets `greeting`, from
 * the decoded mailbox (the text part comes before the ICS). */
static bool token_after(const char *text, const char *greeting, char *out,
                        size_t cap) {
  const char *at = strstr(text, greeting);
  const char *marker = "/modules/teleconsult/join.html#";
  const char *link = at ? strstr(at, marker) : NULL;
  if (!link)
    return false;
  link += strlen(marker);
  size_t n = strspn(link, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789-_");
  if (n != 43 || n >= cap)
    return false;
  memcpy(out, link, n);
  out[n] = '\0';
  return true;
}

/* Moves the test's session to [starts, ends) (epoch seconds), as the
 * owner: what a join link answers follows the session's time. */
static void move_session(time_t starts, time_t ends) {
  char sql[400];
  snprintf(sql, sizeof sql,
           "SET app.regional = 'on'; UPDATE teleconsult.sessions SET "
           "starts_at = to_timestamp(%lld), ends_at = to_timestamp(%lld) "
           "WHERE id = %s",
           (long long)starts, (long long)ends, session_id);
  free(th_sql(DB, sql));
}

/* POST /join with `token` as somebody without a session. */
static th_resp join_as_guest(const char *token) {
  char body[128];
  snprintf(body, sizeof body, "{\"token\":\"%s\"}", token);
  return call(&nobody, "POST", API "/join", body);
}

static void login(th_client *c, const char *user) {
  long st = th_login(&srv, c, user, DEMO_PASSWORD, NULL);
  if (st != 200)
    fprintf(stderr, "login %s -> %ld\n", user, st);
  assert_int_equal(st, 200);
}

static int start(void **state) {
  (void)state;
  snprintf(mailbox, sizeof mailbox, "/tmp/concerto-tc-mail-%d.log",
           (int)getpid());
  unlink(mailbox);
  sink = th_smtp_sink_start(mailbox);
  int smtp_port = sink.port;
  char url[512], extra[2048], modules[512];
  module_dir(modules, sizeof modules);
  th_db_create(DB, url, sizeof url);
  snprintf(extra, sizeof extra,
           "{\"modules\":[\"teleconsult\"],\"modules_dir\":\"%s\","
           "\"scripts_dir\":\"%s/scripts\","
           "\"smtp_url\":\"smtp://127.0.0.1:%d\","
           "\"smtp_from\":\"Concerto <noreply@concerto.example>\","
           "\"event_retry_base_ms\":100,"
           "\"video_provider\":\"url\","
           "\"video_base_url\":\"https://meet.example.org\","
           "\"module_settings\":{\"teleconsult\":{\"public_url\":"
           "\"https://concerto.example.it/\"}}}",
           modules, th_env("CONCERTO_SOURCE_DIR"), smtp_port);
  if (!th_server_start(&srv, DB, extra, NULL, 60))
    return -1;
  /* The demo region, then the module's demo data as the CLI would. */
  if (admin("demo") != 0)
    return -1;
  char path[600];
  snprintf(path, sizeof path, "%s/modules/teleconsult/demo/demo.sql",
           th_env("CONCERTO_SOURCE_DIR"));
  char *demo = read_file(path, NULL);
  char *sql = malloc(strlen(demo) + 64);
  sprintf(sql, "SET app.regional = 'on';\n%s", demo);
  free(th_sql(DB, sql));
  free(sql);
  free(demo);
  /* Run twice: the demo data is idempotent. */
  demo = read_file(path, NULL);
  sql = malloc(strlen(demo) + 64);
  sprintf(sql, "SET app.regional = 'on';\n%s", demo);
  free(th_sql(DB, sql));
  free(sql);
  free(demo);
  free(th_sql(DB, "UPDATE concerto.users SET email = username || "
                  "'@example.org' WHERE username IN ('neuro.me', 'pronto.ag', "
                  "'org.pa', 'cardio.pa')"));
  const char *codes[] = {"AOUP-PA", "IRCCS-ME", "ASP-AG"};
  for (int i = 0; i < 3; i++) {
    char args[128];
    snprintf(args, sizeof args, "enable-module %s teleconsult", codes[i]);
    if (admin(args) != 0)
      return -1;
  }
  char *v = th_sql(DB, "SELECT id FROM concerto.patients WHERE fiscal_code = "
                       "'VRDGPP45C12A089J'");
  snprintf(verdi_id, sizeof verdi_id, "%s", v ? v : "");
  free(v);
  v = th_sql(DB, "SELECT id FROM concerto.patients WHERE fiscal_code = "
                 "'BNCLCU90D45A089Z'");
  snprintf(bianchi_id, sizeof bianchi_id, "%s", v ? v : "");
  free(v);
  return 0;
}

static int stop(void **state) {
  (void)state;
  th_smtp_sink_stop(&sink);
  unlink(mailbox);
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static void demo_groups_are_visible(void **state) {
  (void)state;
  login(&spoke, "pronto.ag");
  /* Enablement reaches the server through NOTIFY: wait for it. */
  th_resp r = {0};
  for (int i = 0; i < 50; i++) {
    r = call(&spoke, "GET", API "/groups", NULL);
    if (r.status == 200)
      break;
    th_resp_free(&r);
    sleep_ms(100);
  }
  assert_int_equal(r.status, 200);
  json_t *groups = json_object_get(r.json, "groups");
  assert_int_equal(json_array_size(groups), 6); /* all consultable */
  th_resp_free(&r);
}

static void spoke_request_is_routed_by_lua(void **state) {
  (void)state;
  char body[512];
  snprintf(body, sizeof body,
           "{\"specialty\":\"neurologia\",\"urgency\":\"urgent\","
           "\"reason\":\"ictus\",\"origin\":\"pronto_soccorso\","
           "\"question\":\"Deficit motorio destro da 40 minuti: "
           "trombolisi?\",\"patient_id\":\"%s\"}",
           verdi_id);
  th_resp r = call(&spoke, "POST", API "/requests", body);
  if (r.status != 201)
    fprintf(stderr, "%s\n", r.body);
  assert_int_equal(r.status, 201);
  copy_str(request_id, sizeof request_id, th_json_str(&r, "id"));
  assert_string_equal(th_json_str(&r, "status"), "open");
  assert_string_equal(th_json_str(&r, "priority"), "critical"); /* ictus */
  assert_false(json_is_true(json_object_get(r.json, "defaulted")));
  assert_false(json_is_true(json_object_get(r.json, "can_schedule")));
  json_t *g = json_object_get(r.json, "group");
  const char *slug = json_string_value(json_object_get(g, "slug"));
  assert_true(strcmp(slug, "neurologia-urgenze") == 0 ||
              strcmp(slug, "neuro-stroke") == 0);
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(g, "hospital"), "code")),
                      "IRCCS-ME");
  copy_str(group_id, sizeof group_id,
           json_string_value(json_object_get(g, "id")));
  th_resp_free(&r);
  /* Owned by the HUB, requested by the SPOKE (the RLS insert case). */
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT t.code || '/' || s.code FROM teleconsult.requests r JOIN "
           "concerto.tenants t ON t.id = r.tenant_id JOIN concerto.tenants s "
           "ON s.id = r.requester_tenant_id WHERE r.id = %s",
           request_id);
  char *v = th_sql(DB, sql);
  assert_string_equal(v, "IRCCS-ME/ASP-AG");
  free(v);
  /* Missing specialty and an unknown one. */
  r = call(&spoke, "POST", API "/requests", "{\"urgency\":\"urgent\"}");
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  r = call(&spoke, "POST", API "/requests",
           "{\"specialty\":\"ortopedia\",\"urgency\":\"routine\"}");
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "no_group"));
  th_resp_free(&r);
  /* The HUB organizer sees it. */
  login(&hub, "neuro.me");
  r = call(&hub, "GET", API "/requests?status=open", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "requests")), 1);
  assert_true(json_is_true(json_object_get(
      json_array_get(json_object_get(r.json, "requests"), 0), "can_schedule")));
  th_resp_free(&r);
  r = call(&hub, "GET", API "/dashboard", NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, request_id));
  th_resp_free(&r);
  v = th_sql(DB, "SELECT count(*) FROM concerto.events WHERE name = "
                 "'teleconsult.requested'");
  assert_string_equal(v, "1");
  free(v);
}

static void session_from_request_and_invitations(void **state) {
  (void)state;
  char body[512];
  snprintf(body, sizeof body,
           "{\"request_id\":\"%s\",\"group_id\":\"%s\",\"kind\":\"urgent\","
           "\"theme\":\"Ictus ischemico acuto: valutazione trombolisi\"}",
           request_id, group_id);
  th_resp r = call(&spoke, "POST", API "/sessions", body);
  assert_int_equal(r.status, 403); /* not an organizer of that group */
  th_resp_free(&r);
  r = call(&hub, "POST", API "/sessions", body);
  if (r.status != 201)
    fprintf(stderr, "%s\n", r.body);
  assert_int_equal(r.status, 201);
  copy_str(session_id, sizeof session_id, th_json_str(&r, "id"));
  assert_string_equal(th_json_str(&r, "status"), "draft");
  /* The clinical question, who asked and from where, on the session. */
  assert_string_equal(th_json_str(&r, "request/question"),
                      "Deficit motorio destro da 40 minuti: trombolisi?");
  assert_string_equal(th_json_str(&r, "request/urgency"), "urgent");
  assert_non_null(th_json_str(&r, "request/requester"));
  assert_string_equal(th_json_str(&r, "request/requester_hospital"), "ASP-AG");
  assert_int_equal(json_array_size(json_object_get(r.json, "participants")), 2);
  json_t *patients = json_object_get(r.json, "patients");
  assert_int_equal(json_array_size(patients), 1);
  copy_str(
      spid_verdi, sizeof spid_verdi,
      json_string_value(json_object_get(json_array_get(patients, 0), "id")));
  th_resp_free(&r);
  /* ... and kept with the session for participants who cannot read the
   * request (a specialist of a third hospital). */
  char q[200];
  snprintf(q, sizeof q,
           "SELECT request_summary->>'question' FROM teleconsult.sessions "
           "WHERE id = %s",
           session_id);
  char *kept = th_sql(DB, q);
  assert_string_equal(kept, "Deficit motorio destro da 40 minuti: trombolisi?");
  free(kept);

  char path[200];
  snprintf(path, sizeof path, API "/sessions/%s/patients", session_id);
  snprintf(body, sizeof body, "{\"patient_id\":\"%s\"}", bianchi_id);
  /* A bare id of a patient the HUB has never had to do with is refused;
   * once its organizer has looked her up, she can be added. */
  r = call(&hub, "POST", path, body);
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "unknown_patient"));
  th_resp_free(&r);
  r = call(&hub, "GET", "/api/v1/patients?q=Bianchi%20Lu", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "patients")), 1);
  th_resp_free(&r);
  r = call(&hub, "POST", path, body);
  assert_int_equal(r.status, 201);
  copy_str(spid_bianchi, sizeof spid_bianchi, th_json_str(&r, "id"));
  th_resp_free(&r);

  snprintf(path, sizeof path, API "/sessions/%s/participants", session_id);
  r = call(&hub, "POST", path,
           "{\"kind\":\"external\",\"name\":\"Dott. Bruno Esterno\","
           "\"email\":\"bruno.esterno@example.org\",\"phone\":\"+39 333 "
           "1234567\"}");
  assert_int_equal(r.status, 201);
  assert_false(json_is_true(json_object_get(r.json, "invited"))); /* no date */
  th_resp_free(&r);
  r = call(&hub, "POST", path,
           "{\"kind\":\"external\",\"name\":\"X\",\"email\":\"not-mail\"}");
  assert_int_equal(r.status, 422);
  th_resp_free(&r);

  snprintf(path, sizeof path, API "/sessions/%s/slots", session_id);
  /* Within the video provider's link window (24 h): links are real. */
  time_t t0 = (time(NULL) / 3600 + 3) * 3600;
  slot1_start = t0;
  char slot_body[160], dtstart[40], dtend[40];
  slot_json(slot_body, sizeof slot_body, t0, t0 + 1800);
  r = call(&hub, "POST", path, slot_body);
  assert_int_equal(r.status, 201);
  copy_str(slot1, sizeof slot1, th_json_str(&r, "id"));
  th_resp_free(&r);
  slot_json(slot_body, sizeof slot_body, t0 + 86400, t0 + 86400 + 1800);
  r = call(&hub, "POST", path, slot_body);
  assert_int_equal(r.status, 201);
  copy_str(slot2, sizeof slot2, th_json_str(&r, "id"));
  th_resp_free(&r);
  r = call(&hub, "POST", path,
           "{\"starts_at\":\"domani\",\"ends_at\":\"dopo\"}");
  assert_int_equal(r.status, 422);
  th_resp_free(&r);

  /* Participants answer for themselves. */
  snprintf(path, sizeof path, API "/sessions/%s/slots/%s/availability",
           session_id, slot1);
  r = call(&spoke, "PUT", path, "{\"answer\":\"yes\"}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  r = call(&hub, "PUT", path, "{\"answer\":\"yes\"}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  snprintf(path, sizeof path, API "/sessions/%s/slots/%s/availability",
           session_id, slot2);
  r = call(&spoke, "PUT", path, "{\"answer\":\"no\"}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);

  snprintf(path, sizeof path, API "/sessions/%s", session_id);
  r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200); /* the SPOKE participant, cross-hospital */
  assert_string_equal(th_json_str(&r, "status"), "scheduling");
  assert_non_null(strstr(r.body, "\"no\""));
  th_resp_free(&r);

  snprintf(path, sizeof path, API "/sessions/%s/confirm", session_id);
  snprintf(body, sizeof body, "{\"slot_id\":\"%s\"}", slot1);
  r = call(&spoke, "POST", path, body);
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
  r = call(&hub, "POST", path, body);
  if (r.status != 200)
    fprintf(stderr, "%s\n", r.body);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "status"), "scheduled");
  /* neuro.me, pronto.ag (e-mails set) and the external invitee. */
  assert_int_equal(json_integer_value(json_object_get(r.json, "invitations")),
                   3);
  th_resp_free(&r);

  char *raw = NULL;
  for (int i = 0; i < 150; i++) {
    free(raw);
    raw = read_file(mailbox, NULL);
    if (count_str(raw, "=== MAIL") >= 4)
      break;
    sleep_ms(100);
  }
  /* The urgent request's e-mail to the organizer, then 3 invitations. */
  assert_int_equal(count_str(raw, "=== MAIL"), 4);
  assert_int_equal(count_str(raw, "RCPT TO:<neuro.me@example.org>"), 2);
  assert_non_null(strstr(raw, "RCPT TO:<bruno.esterno@example.org>"));
  assert_non_null(strstr(raw, "RCPT TO:<pronto.ag@example.org>"));
  assert_non_null(strstr(raw, "name=\"invito.ics\""));
  free(raw);
  char *text = decoded_mailbox();
  assert_int_equal(count_str(text, "METHOD:REQUEST"), 3);
  struct tm tm;
  gmtime_r(&t0, &tm);
  strftime(dtstart, sizeof dtstart, "DTSTART:%Y%m%dT%H%M%SZ", &tm);
  time_t t1 = t0 + 1800;
  gmtime_r(&t1, &tm);
  strftime(dtend, sizeof dtend, "DTEND:%Y%m%dT%H%M%SZ", &tm);
  assert_int_equal(count_str(text, dtstart), 3);
  assert_int_equal(count_str(text, dtend), 3);
  /* One attendee per calendar entry: its recipient. The external
   * invitee's entry names the organizer and them, not the SPOKE doctor. */
  assert_int_equal(count_str(text, "ATTENDEE;"), 3);
  const char *bruno = strstr(text, "Gentile Dott. Bruno Esterno");
  assert_non_null(bruno);
  const char *next = strstr(bruno + 1, "Gentile ");
  size_t span = next ? (size_t)(next - bruno) : strlen(bruno);
  char *entry = strndup(bruno, span);
  assert_non_null(strstr(entry, "mailto:bruno.esterno@example.org"));
  assert_null(strstr(entry, "pronto.ag@example.org"));
  free(entry);
  assert_non_null(strstr(text, "\r\nURL:https://"));
  assert_non_null(strstr(text, "Gentile Dott. Bruno Esterno"));
  assert_non_null(strstr(text, "richiesta di teleconsulto URGENTE"));
  char *v = th_sql(DB, "SELECT room FROM teleconsult.sessions ORDER BY id "
                       "DESC LIMIT 1");
  assert_int_equal(strlen(v), 27);
  assert_memory_equal(v, "tc-", 3);
  free(v);
  /* Every invitee gets a personal join link (public_url of the config), in
   * the calendar entry too; only staff also get the session page. */
  assert_int_equal(
      count_str(text, "\r\nURL:https://concerto.example.it/modules/teleconsult/"
                      "join.html#"),
      3);
  assert_int_equal(count_str(text, "Per partecipare apra questo collegamento"),
                   3);
  assert_int_equal(
      count_str(text, "/modules/teleconsult/index.html#/sessions/"), 2);
  assert_null(strstr(text, "meet.example.org")); /* no video token in mail */
  assert_true(token_after(text, "Gentile Dott. Bruno Esterno", guest_token,
                          sizeof guest_token));
  free(text);
  /* Issue 12 item 4: the organizers see what became of each invitation
   * (the core's outbox), not a count of what was queued; the other
   * participants do not. */
  snprintf(path, sizeof path, API "/sessions/%s", session_id);
  int sent_states = 0;
  for (int i = 0; i < 100 && sent_states < 3; i++) {
    r = call(&hub, "GET", path, NULL);
    assert_int_equal(r.status, 200);
    sent_states = 0;
    size_t k;
    json_t *p;
    json_array_foreach(json_object_get(r.json, "participants"), k, p) {
      const char *mail_state = json_string_value(
          json_object_get(json_object_get(p, "delivery"), "state"));
      assert_true(json_is_boolean(json_object_get(p, "reachable")));
      sent_states += mail_state && strcmp(mail_state, "sent") == 0;
    }
    th_resp_free(&r);
    if (sent_states < 3)
      sleep_ms(100);
  }
  assert_int_equal(sent_states, 3);
  r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, "\"delivery\""));
  th_resp_free(&r);
  /* The organizer sends pronto.ag's invitation again: a new mail, a new
   * personal link; a participant may not. */
  char *pid = th_sql(DB, "SELECT p.id FROM teleconsult.participants p JOIN "
                         "concerto.users u ON u.id = p.user_id WHERE "
                         "u.username = 'pronto.ag' ORDER BY p.id DESC LIMIT 1");
  char hq[160];
  snprintf(hq, sizeof hq,
           "SELECT join_hash FROM teleconsult.participants WHERE id = %s", pid);
  char *old_hash = th_sql(DB, hq);
  snprintf(path, sizeof path, API "/sessions/%s/participants/%s/invite",
           session_id, pid);
  r = call(&spoke, "POST", path, "{}");
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
  r = call(&hub, "POST", path, "{}");
  assert_int_equal(r.status, 202);
  assert_true(json_is_true(json_object_get(r.json, "mailed")));
  th_resp_free(&r);
  raw = NULL;
  for (int i = 0; i < 150; i++) {
    free(raw);
    raw = read_file(mailbox, NULL);
    if (count_str(raw, "RCPT TO:<pronto.ag@example.org>") >= 2)
      break;
    sleep_ms(100);
  }
  assert_int_equal(count_str(raw, "RCPT TO:<pronto.ag@example.org>"), 2);
  free(raw);
  raw = NULL;
  char *new_hash = th_sql(DB, hq);
  assert_string_not_equal(old_hash, new_hash);
  free(old_hash);
  free(new_hash);
  free(pid);
  /* Stored as a hash only, one per participant. */
  v = th_sql(DB, "SELECT count(DISTINCT join_hash) FROM "
                 "teleconsult.participants WHERE join_hash IS NOT NULL");
  assert_string_equal(v, "3");
  free(v);
  v = th_sql(DB, "SELECT count(*) FROM concerto.events WHERE name = "
                 "'teleconsult.scheduled'");
  assert_string_equal(v, "1");
  free(v);
  /* The caller's own link. */
  snprintf(path, sizeof path, API "/sessions/%s/join", session_id);
  r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(
      strstr(th_json_str(&r, "url"), "https://meet.example.org/tc-"));
  th_resp_free(&r);
}

/* The invitation's personal link works without an account: it tells the
 * time before the room opens, gives a fresh video link once it is open,
 * is audited as a guest, and dies with the participant. */
static void join_link_for_an_external_invitee(void **state) {
  (void)state;
  th_resp r = join_as_guest("short");
  assert_int_equal(r.status, 422);
  assert_string_equal(
      json_string_value(json_object_get(
          json_array_get(json_object_get(r.json, "errors"), 0), "field")),
      "token");
  th_resp_free(&r);
  r = join_as_guest("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  assert_int_equal(r.status, 404);
  assert_string_equal(th_json_str(&r, "code"), "invitation_invalid");
  th_resp_free(&r);

  /* Three hours ahead: the room is not open yet. */
  r = join_as_guest(guest_token);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "state"), "early");
  assert_string_equal(th_json_str(&r, "name"), "Dott. Bruno Esterno");
  assert_string_equal(th_json_str(&r, "theme"),
                      "Ictus ischemico acuto: valutazione trombolisi");
  assert_non_null(strstr(th_json_str(&r, "hospital"), "Neurolesi"));
  assert_true(json_is_null(json_object_get(r.json, "url")));
  char opens[32];
  struct tm tm;
  gmtime_r(&(time_t){slot1_start - 900}, &tm);
  strftime(opens, sizeof opens, "%Y-%m-%dT%H:%M:%SZ", &tm);
  assert_string_equal(th_json_str(&r, "opens_at"), opens);
  th_resp_free(&r);

  /* The session starts now: a video link made for this guest. */
  move_session(time(NULL) - 300, time(NULL) + 1500);
  r = join_as_guest(guest_token);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "state"), "open");
  char *room = th_sql(DB, "SELECT room FROM teleconsult.sessions ORDER BY id "
                          "DESC LIMIT 1");
  char want[96];
  snprintf(want, sizeof want, "https://meet.example.org/%s", room);
  assert_string_equal(th_json_str(&r, "url"), want);
  free(room);
  th_resp_free(&r);
  /* With the HUB's own Jitsi, the guest's token is signed with the HUB's
   * secret and names the guest: the bound request uses the session
   * hospital's settings (the server default above is a plain URL). */
  th_client hadm;
  login(&hadm, "hadmin.me");
  strcpy(hadm.tenant, "IRCCS-ME");
  const char *video[][2] = {{"provider", "jitsi"},
                            {"base_url", "https://meet.irccs.example.it"},
                            {"app_id", "concerto-irccs"},
                            {"app_secret", HUB_JITSI_SECRET}};
  for (size_t i = 0; i < sizeof video / sizeof *video; i++) {
    char key[120], value[120];
    snprintf(key, sizeof key, "/api/v1/tenants/IRCCS-ME/settings/video/%s",
             video[i][0]);
    snprintf(value, sizeof value, "{\"value\":\"%s\"}", video[i][1]);
    th_resp put = call(&hadm, "PUT", key, value);
    assert_int_equal(put.status, 200);
    th_resp_free(&put);
  }
  r = join_as_guest(guest_token);
  assert_string_equal(th_json_str(&r, "state"), "open");
  char prefix[120];
  room = th_sql(DB, "SELECT room FROM teleconsult.sessions ORDER BY id DESC "
                    "LIMIT 1");
  snprintf(prefix, sizeof prefix,
           "https://meet.irccs.example.it/%s?jwt=", room);
  const char *jitsi = th_json_str(&r, "url");
  assert_non_null(jitsi);
  assert_memory_equal(jitsi, prefix, strlen(prefix));
  json_t *claims = th_jwt_verify(jitsi + strlen(prefix), HUB_JITSI_SECRET);
  assert_non_null(claims);
  assert_string_equal(json_string_value(json_object_get(claims, "room")), room);
  assert_string_equal(json_string_value(json_object_get(claims, "iss")),
                      "concerto-irccs");
  json_t *user = json_object_get(json_object_get(claims, "context"), "user");
  assert_string_equal(json_string_value(json_object_get(user, "name")),
                      "Dott. Bruno Esterno");
  assert_string_equal(json_string_value(json_object_get(user, "moderator")),
                      "false");
  json_decref(claims);
  free(room);
  th_resp_free(&r);
  /* Long over: no room any more. */
  move_session(time(NULL) - 3 * 3600, time(NULL) - 2 * 3600);
  r = join_as_guest(guest_token);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "state"), "over");
  th_resp_free(&r);
  move_session(slot1_start, slot1_start + 1800);

  /* Audited in the HUB's chain as the guest, and the chain still holds. */
  char *v = th_sql(
      DB, "SELECT count(*) FILTER (WHERE action = 'teleconsult.session.join') "
          "|| '/' || count(*) FROM concerto.audit_log WHERE actor_kind = "
          "'guest' AND actor_name = 'Dott. Bruno Esterno' AND tenant_id = "
          "(SELECT id FROM concerto.tenants WHERE code = 'IRCCS-ME')");
  assert_string_equal(v, "2/4"); /* early, open (URL), open (Jitsi), over */
  free(v);
  v = th_sql(DB, "SELECT coalesce(broken_id::text, 'intact') FROM "
                 "concerto.audit_verify()");
  assert_string_equal(v, "intact");
  free(v);

  /* Added after the confirmation: invited at once. */
  char path[200];
  snprintf(path, sizeof path, API "/sessions/%s/participants", session_id);
  r = call(&hub, "POST", path,
           "{\"kind\":\"external\",\"name\":\"Dott.ssa Carla Tardiva\","
           "\"email\":\"carla.tardiva@example.org\"}");
  assert_int_equal(r.status, 201);
  assert_true(json_is_true(json_object_get(r.json, "invited")));
  char late_id[24];
  copy_str(late_id, sizeof late_id, th_json_str(&r, "id"));
  th_resp_free(&r);
  char *raw = NULL;
  for (int i = 0; i < 150; i++) {
    free(raw);
    raw = read_file(mailbox, NULL);
    if (strstr(raw, "RCPT TO:<carla.tardiva@example.org>"))
      break;
    sleep_ms(100);
  }
  assert_non_null(strstr(raw, "RCPT TO:<carla.tardiva@example.org>"));
  /* only her (after 4 and the resent invitation of the first test) */
  assert_int_equal(count_str(raw, "=== MAIL"), 6);
  free(raw);
  char *text = decoded_mailbox();
  char late_token[48];
  assert_true(token_after(text, "Gentile Dott.ssa Carla Tardiva", late_token,
                          sizeof late_token));
  /* Her calendar entry names her (and the organizer only). */
  assert_non_null(strstr(text, "mailto:carla.tardiva@example.org"));
  free(text);
  r = join_as_guest(late_token);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "name"), "Dott.ssa Carla Tardiva");
  th_resp_free(&r);
  /* Removed: her link is dead, Bruno's still works. */
  snprintf(path, sizeof path, API "/sessions/%s/participants/%s", session_id,
           late_id);
  r = call(&hub, "DELETE", path, NULL);
  assert_int_equal(r.status, 204);
  th_resp_free(&r);
  r = join_as_guest(late_token);
  assert_int_equal(r.status, 404);
  assert_string_equal(th_json_str(&r, "code"), "invitation_invalid");
  th_resp_free(&r);
  r = join_as_guest(guest_token);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
}

static void comments_arrive_live(void **state) {
  (void)state;
  char path[200];
  snprintf(path, sizeof path, API "/sessions/%s/live", session_id);
  th_stream *st = th_stream_start(&srv, &spoke, path, "NIHSS 8", 15);
  sleep_ms(700);
  snprintf(path, sizeof path, API "/sessions/%s/comments", session_id);
  th_resp r = call(&hub, "POST", path,
                   "{\"body\":\"Pressione 150/90, NIHSS 8, TC senza "
                   "emorragia: procediamo?\"}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  char *got = th_stream_finish(st);
  if (!strstr(got, "NIHSS 8"))
    fprintf(stderr, "live stream read: %s\n", got);
  assert_non_null(strstr(got, "event: comment"));
  assert_non_null(strstr(got, "NIHSS 8"));
  free(got);
  r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "comments")), 1);
  th_resp_free(&r);
}

static const char small_pdf[] =
    "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    "xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n"
    "0000000052 00000 n \n0000000101 00000 n \n"
    "trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n";

static void documents_typed_by_content(void **state) {
  (void)state;
  char path[300];
  json_t *doc = NULL;
  snprintf(path, sizeof path,
           API "/sessions/%s/documents?filename=referto%%20TC.pdf&patient=%s",
           session_id, spid_verdi);
  long st = upload(&spoke, path, small_pdf, sizeof small_pdf - 1, &doc);
  assert_int_equal(st, 201);
  assert_string_equal(json_string_value(json_object_get(doc, "content_type")),
                      "application/pdf");
  assert_string_equal(json_string_value(json_object_get(doc, "filename")),
                      "referto TC.pdf");
  copy_str(pdf_doc, sizeof pdf_doc,
           json_string_value(json_object_get(doc, "id")));
  json_decref(doc);

  /* Downloaded by the HUB organizer: identical bytes. */
  snprintf(path, sizeof path,
           API "/sessions/%s/documents/%s/content?download=1", session_id,
           pdf_doc);
  th_resp r = call(&hub, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, sizeof small_pdf - 1);
  assert_memory_equal(r.body, small_pdf, sizeof small_pdf - 1);
  th_resp_free(&r);

  static const unsigned char png[] = {
      0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0, 0, 13,
      'I',  'H', 'D', 'R', 0,    0,    0,    1,    0,    0, 0, 1,
      8,    2,   0,   0,   0,    0x90, 0x77, 0x53, 0xde, 0, 0, 0,
      0,    'I', 'E', 'N', 'D',  0xae, 0x42, 0x60, 0x82};
  snprintf(path, sizeof path, API "/sessions/%s/documents?filename=scan.pdf",
           session_id);
  st = upload(&hub, path, png, sizeof png, &doc);
  assert_int_equal(st, 201);
  assert_string_equal(json_string_value(json_object_get(doc, "content_type")),
                      "image/png");
  json_decref(doc);

  snprintf(path, sizeof path, API "/sessions/%s/documents?filename=note.txt",
           session_id);
  static const char text[] = "appunti del medico, solo testo\n";
  st = upload(&hub, path, text, sizeof text - 1, &doc);
  assert_int_equal(st, 415);
  assert_string_equal(json_string_value(json_object_get(doc, "code")),
                      "unsupported_document_type");
  json_decref(doc);

  snprintf(path, sizeof path, API "/sessions/%s/documents", session_id);
  r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "documents")), 2);
  th_resp_free(&r);
  char *v = th_sql(DB, "SELECT count(*) FROM concerto.audit_log WHERE action "
                       "= 'teleconsult.document.read' AND patient_id IS NOT "
                       "NULL");
  assert_int_equal(atoi(v), 1);
  free(v);
}

/* The SPOKE doctor fills the ASP-AG emergency form for the patient and
 * links it to the session: the HUB reads the copy on the session (the
 * submission itself stays under ASP-AG's row-level security). */
static void spoke_anamnesis_is_shared_with_the_session(void **state) {
  (void)state;
  time_t yesterday = time(NULL) - 86400;
  struct tm tm;
  localtime_r(&yesterday, &tm);
  char day[16], body[1024], path[300];
  strftime(day, sizeof day, "%Y-%m-%d", &tm);
  snprintf(body, sizeof body,
           "{\"patient_id\":\"%s\",\"subject\":\"teleconsult:session:%s\","
           "\"values\":{\"tipo_evento\":\"trauma\",\"esordio_certo\":true,"
           "\"data_esordio\":\"%s\",\"ora_esordio\":\"10:00\",\"gcs\":14,"
           "\"pas\":135,\"glicemia\":110,\"dinamica\":\"caduta\","
           "\"perdita_coscienza\":false,\"anticoagulante\":\"nessuno\","
           "\"tc_eseguita\":false}}",
           verdi_id, session_id, day);
  char body_v2[1024];
  snprintf(body_v2, sizeof body_v2, "%s", body);
  char *gcs = strstr(body_v2, "\"gcs\":14");
  memcpy(gcs, "\"gcs\":13", strlen("\"gcs\":13"));
  th_resp r =
      call(&spoke, "POST",
           "/api/v1/tenants/ASP-AG/forms/neuro_urgente/submissions", body);
  if (r.status != 201)
    fprintf(stderr, "submission: %ld %s\n", r.status, r.body);
  assert_int_equal(r.status, 201);
  json_t *id = json_object_get(r.json, "id");
  char sub[24];
  if (json_is_integer(id))
    snprintf(sub, sizeof sub, "%lld", (long long)json_integer_value(id));
  else
    snprintf(sub, sizeof sub, "%s", json_string_value(id));
  th_resp_free(&r);
  /* The HUB cannot link what it cannot see... */
  snprintf(path, sizeof path, API "/sessions/%s/patients/%s/anamnesis",
           session_id, spid_verdi);
  snprintf(body, sizeof body, "{\"submission_id\":\"%s\"}", sub);
  r = call(&hub, "PUT", path, body);
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  /* ...the SPOKE doctor who filled it in links it. */
  r = call(&spoke, "PUT", path, body);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  snprintf(path, sizeof path, API "/sessions/%s", session_id);
  r = call(&hub, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"hospital\":\"ASP-AG\""));
  assert_non_null(strstr(r.body, "\"dinamica\":\"caduta\""));
  /* With the form it was filled with, for the pages to render labels. */
  assert_non_null(strstr(r.body, "\"label\":\"Dinamica\""));
  th_resp_free(&r);
  /* Filled again and linked: a second version, the first one kept. */
  r = call(&spoke, "POST",
           "/api/v1/tenants/ASP-AG/forms/neuro_urgente/submissions", body_v2);
  assert_int_equal(r.status, 201);
  id = json_object_get(r.json, "id");
  if (json_is_integer(id))
    snprintf(sub, sizeof sub, "%lld", (long long)json_integer_value(id));
  else
    snprintf(sub, sizeof sub, "%s", json_string_value(id));
  th_resp_free(&r);
  snprintf(path, sizeof path, API "/sessions/%s/patients/%s/anamnesis",
           session_id, spid_verdi);
  snprintf(body, sizeof body, "{\"submission_id\":\"%s\"}", sub);
  r = call(&spoke, "PUT", path, body);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  char q[200];
  snprintf(q, sizeof q,
           "SELECT count(*) FROM teleconsult.anamnesis_entries WHERE "
           "session_patient_id = %s",
           spid_verdi);
  char *n = th_sql(DB, q);
  assert_string_equal(n, "2");
  free(n);
  snprintf(q, sizeof q,
           "UPDATE teleconsult.anamnesis_entries SET answers = '{}' WHERE "
           "session_patient_id = %s",
           spid_verdi);
  char sqlstate[6];
  free(th_sql_role(DB, "concerto", q, sqlstate));
  assert_string_equal(sqlstate, "42501"); /* versions are never changed */
}

/* What a SPOKE participant reads of the HUB's session is in the HUB's
 * trail (its privacy officer's), naming the SPOKE the reader acted from
 * (whose privacy officer sees it too) - not in the SPOKE's chain only. */
static void participant_access_is_in_the_hub_trail(void **state) {
  (void)state;
  char path[200];
  snprintf(path, sizeof path, API "/sessions/%s", session_id);
  th_resp r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  char *v = th_sql(
      DB, "SELECT count(*) FILTER (WHERE h.code = 'IRCCS-ME' AND s.code = "
          "'ASP-AG') || '/' || count(*) FILTER (WHERE h.code = 'ASP-AG') "
          "FROM concerto.audit_log a JOIN concerto.tenants h ON h.id = "
          "a.tenant_id LEFT JOIN concerto.tenants s ON s.id = "
          "a.actor_tenant_id WHERE a.actor_name = 'pronto.ag' AND a.action "
          "LIKE 'teleconsult.session.%'");
  assert_non_null(v);
  assert_true(v[0] != '0');
  assert_non_null(strstr(v, "/0"));
  free(v);
  /* The SPOKE's privacy officer sees what her colleague did at the HUB;
   * an unrelated hospital's does not. */
  th_client po_ag, po_pa;
  login(&po_ag, "privacy.ag");
  r = call(&po_ag, "GET", "/api/v1/audit?action=teleconsult.session.read",
           NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"actor_name\":\"pronto.ag\""));
  assert_non_null(strstr(r.body, "\"tenant\":\"IRCCS-ME\""));
  th_resp_free(&r);
  login(&po_pa, "privacy.pa");
  r = call(&po_pa, "GET", "/api/v1/audit?action=teleconsult.session.read",
           NULL);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, "pronto.ag"));
  th_resp_free(&r);
}

/* Files in the server's blob store (temporary uploads aside). */
static long blob_files(void) {
  char cmd[700];
  snprintf(cmd, sizeof cmd,
           "find '%s/blobs' -type f -not -path '%s/blobs/tmp/*' | wc -l",
           srv.dir, srv.dir);
  FILE *p = popen(cmd, "r");
  long n = -1;
  if (p && fscanf(p, "%ld", &n) != 1)
    n = -1;
  if (p)
    pclose(p);
  return n;
}

static void expect_sql(const char *tenant, const char *user, const char *sql,
                       const char *want);

static void decision_close_and_minutes(void **state) {
  (void)state;
  char path[300];
  snprintf(path, sizeof path, API "/sessions/%s/patients/%s/decision",
           session_id, spid_verdi);
  th_resp r = call(&spoke, "PUT", path, "{\"decision\":\"" DECISION "\"}");
  assert_int_equal(r.status, 200);
  char first[24];
  snprintf(first, sizeof first, "%s", th_json_str(&r, "id"));
  th_resp_free(&r);

  /* A second participant's decision is a new entry: the first stays. */
  snprintf(path, sizeof path, API "/sessions/%s/patients/%s/decisions",
           session_id, spid_verdi);
  r = call(&hub, "POST", path,
           "{\"text\":\"Parere HUB: controllo TC a 24 ore.\"}");
  assert_int_equal(r.status, 201);
  assert_null(th_json_str(&r, "corrects"));
  th_resp_free(&r);
  r = call(&hub, "POST", path, "{\"text\":\"x\",\"corrects\":\"999999\"}");
  assert_int_equal(r.status, 422);
  assert_string_equal(th_json_str(&r, "errors/0/field"), "corrects");
  th_resp_free(&r);
  char body[200];
  snprintf(body, sizeof body,
           "{\"text\":\"Rettifica: trombolisi alle 14:05.\",\"corrects\":"
           "\"%s\"}",
           first);
  r = call(&spoke, "POST", path, body);
  assert_int_equal(r.status, 201);
  assert_string_equal(th_json_str(&r, "corrects"), first);
  th_resp_free(&r);
  snprintf(path, sizeof path, API "/sessions/%s", session_id);
  r = call(&hub, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  json_t *pts = json_object_get(r.json, "patients"), *decisions = NULL;
  for (size_t i = 0; i < json_array_size(pts); i++)
    if (strcmp(json_string_value(json_object_get(json_array_get(pts, i), "id")),
               spid_verdi) == 0)
      decisions = json_object_get(json_array_get(pts, i), "decisions");
  assert_int_equal(json_array_size(decisions), 3);
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(decisions, 0), "body")),
      DECISION);
  assert_non_null(json_string_value(
      json_object_get(json_array_get(decisions, 1), "author")));
  th_resp_free(&r);
  /* Nobody changes or deletes an entry: not a participant or the HUB
   * under RLS (no such policy), not the table's owner (the trigger). */
  char sql[300];
  snprintf(sql, sizeof sql,
           "UPDATE teleconsult.decision_entries SET body = 'x' WHERE "
           "session_patient_id = %s",
           spid_verdi);
  expect_sql("ASP-AG", "pronto.ag", sql, "0");
  expect_sql("IRCCS-ME", "neuro.me", sql, "0");
  char sqlstate[6];
  free(th_sql_role(DB, "concerto", sql, sqlstate));
  assert_string_equal(sqlstate, "42501");
  snprintf(sql, sizeof sql,
           "DELETE FROM teleconsult.decision_entries WHERE "
           "session_patient_id = %s",
           spid_verdi);
  free(th_sql_role(DB, "concerto", sql, sqlstate));
  assert_string_equal(sqlstate, "42501");
  /* A patient with a recorded decision stays in the session. */
  snprintf(path, sizeof path, API "/sessions/%s/patients/%s", session_id,
           spid_verdi);
  r = call(&hub, "DELETE", path, NULL);
  assert_int_equal(r.status, 409);
  assert_string_equal(th_json_str(&r, "code"), "patient_has_record");
  th_resp_free(&r);

  /* Before close: a draft marked BOZZA. */
  snprintf(path, sizeof path, API "/sessions/%s/patients/%s/minutes.pdf",
           session_id, spid_verdi);
  r = call(&hub, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  char *text = pdf_text(r.body, r.len);
  assert_non_null(strstr(text, "BOZZA"));
  free(text);
  th_resp_free(&r);

  snprintf(path, sizeof path, API "/sessions/%s/close", session_id);
  r = call(&spoke, "POST", path, "{\"outcome\":\"x\"}");
  assert_int_equal(r.status, 403);
  th_resp_free(&r);
  /* A body that is JSON but not an object is refused before anything is
   * done: the session stays open and no minutes are written. */
  char *blobs_before = th_sql(DB, "SELECT count(*) FROM concerto.blobs");
  long files_before = blob_files();
  r = call(&hub, "POST", path, "[]");
  assert_int_equal(r.status, 400);
  th_resp_free(&r);
  snprintf(sql, sizeof sql,
           "SELECT status FROM teleconsult.sessions WHERE id = %s", session_id);
  char *still = th_sql(DB, sql);
  assert_string_not_equal(still, "closed");
  free(still);
  char *blobs_after = th_sql(DB, "SELECT count(*) FROM concerto.blobs");
  assert_string_equal(blobs_before, blobs_after);
  /* Nor on disk: the minutes PDF was never generated. */
  assert_int_equal(blob_files(), files_before);
  free(blobs_before);
  free(blobs_after);
  /* Before its scheduled start the organizer must say whether the consult
   * took place early or is cancelled, and why. */
  r = call(&hub, "POST", path,
           "{\"outcome\":\"Trombolisi eseguita, paziente trasferito in stroke "
           "unit\"}");
  assert_int_equal(r.status, 422);
  assert_string_equal(th_json_str(&r, "errors/0/field"), "early");
  th_resp_free(&r);
  r = call(&hub, "POST", path, "{\"outcome\":\"x\",\"early\":\"close\"}");
  assert_int_equal(r.status, 422);
  assert_string_equal(th_json_str(&r, "errors/0/field"), "reason");
  th_resp_free(&r);
  r = call(&hub, "POST", path,
           "{\"outcome\":\"Trombolisi eseguita, paziente trasferito in stroke "
           "unit\",\"early\":\"close\",\"reason\":\"Paziente instabile, "
           "consulto anticipato\"}");
  if (r.status != 200)
    fprintf(stderr, "%s\n", r.body);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "status"), "closed");
  assert_string_equal(th_json_str(&r, "end_reason"),
                      "Paziente instabile, consulto anticipato");
  th_resp_free(&r);
  r = call(&hub, "POST", path, "{}");
  assert_int_equal(r.status, 409);
  th_resp_free(&r);
  r = join_as_guest(guest_token); /* the invitation now says it is over */
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "state"), "over");
  th_resp_free(&r);

  snprintf(path, sizeof path, API "/sessions/%s/patients/%s/minutes.pdf",
           session_id, spid_verdi);
  r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_memory_equal(r.body, "%PDF-", 5);
  text = pdf_text(r.body, r.len);
  if (!strstr(text, DECISION))
    fprintf(stderr, "minutes text:\n%s\n", text);
  assert_non_null(strstr(text, "Verdi Giuseppe"));
  assert_non_null(strstr(text, "VRDGPP45C12A089J"));
  assert_non_null(strstr(text, DECISION));
  assert_non_null(strstr(text, "Parere HUB: controllo TC a 24 ore."));
  assert_non_null(strstr(text, "(rettifica della voce 1)"));
  assert_non_null(strstr(text, "Rettifica: trombolisi alle 14:05."));
  assert_non_null(strstr(text, "Chiusura anticipata"));
  assert_non_null(strstr(text, "Richiesta di consulenza"));
  assert_non_null(strstr(text, "Quesito clinico: Deficit motorio destro"));
  assert_non_null(strstr(text, "Urgenza: urgente"));
  assert_non_null(strstr(text, "Paziente instabile, consulto anticipato"));
  assert_non_null(strstr(text, "Centro Neurolesi"));
  assert_non_null(strstr(text, "Calabrò")); /* organizer, with its accent */
  assert_non_null(strstr(text, "referto TC.pdf"));
  /* The anamnesis in the words and order of its form: labels, units,
   * choice labels, Sì/No, dates as DD/MM/YYYY - not sorted codes. */
  assert_non_null(
      strstr(text, "Versione 1 - Teleconsulto neurologico urgente"));
  assert_non_null(strstr(text, "(neuro_urgente, versione 1"));
  assert_non_null(strstr(text, "Dinamica: Caduta"));
  assert_non_null(strstr(text, "Pressione sistolica: 135 mmHg"));
  assert_non_null(strstr(text, "Perdita di coscienza: No"));
  assert_null(strstr(text, "dinamica: caduta"));
  const char *evento = strstr(text, "Evento"),
             *trauma = strstr(text, "Trauma cranico");
  assert_true(evento && trauma && evento < trauma); /* the form's order */
  /* The HUB's second filling is a second version beside the first. */
  assert_non_null(
      strstr(text, "Versione 2 - Teleconsulto neurologico urgente"));
  assert_null(strstr(text, "BOZZA"));
  free(text);
  th_resp_free(&r);

  char *v = th_sql(DB, "SELECT count(*) FROM concerto.events WHERE name = "
                       "'teleconsult.closed'");
  assert_string_equal(v, "1");
  free(v);
  v = th_sql(DB, "SELECT count(*) FROM concerto.events WHERE name = "
                 "'document.created' AND payload->>'kind' = "
                 "'teleconsult.minutes' AND payload->>'content_type' = "
                 "'application/pdf'");
  assert_string_equal(v, "2");
  free(v);
  v = th_sql(DB, "SELECT count(*) FROM teleconsult.session_patients WHERE "
                 "minutes_sha256 IS NOT NULL");
  assert_string_equal(v, "2");
  free(v);
  v = th_sql(DB, "SELECT status FROM teleconsult.requests");
  assert_string_equal(v, "closed");
  free(v);
  /* Closed: no more changes. */
  snprintf(path, sizeof path, API "/sessions/%s/patients/%s/decision",
           session_id, spid_verdi);
  r = call(&hub, "PUT", path, "{\"decision\":\"altro\"}");
  assert_int_equal(r.status, 409);
  th_resp_free(&r);
}

/* The calendar shows the session to whoever sees it; the indicators carry
 * the process times of the closed consult (R3.12). */
static void calendar_and_indicators(void **state) {
  (void)state;
  login(&other, "org.pa");
  login(&spoke_colleague, "mmg.ag");
  char from[16], to[16], path[200];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&(time_t){now - 86400}, &tm);
  strftime(from, sizeof from, "%Y-%m-%d", &tm);
  gmtime_r(&(time_t){now + 20 * 86400}, &tm);
  strftime(to, sizeof to, "%Y-%m-%d", &tm);
  snprintf(path, sizeof path, API "/calendar?from=%s&to=%s", from, to);
  char needle[64];
  snprintf(needle, sizeof needle, "\"session_id\":\"%s\"", session_id);
  th_resp r = call(&hub, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, needle));
  th_resp_free(&r);
  r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, needle));
  th_resp_free(&r);
  r = call(&other, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, needle));
  th_resp_free(&r);
  r = call(&hub, "GET", API "/calendar?from=2026-02-30&to=2026-03-02", NULL);
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  r = call(&hub, "GET", API "/calendar?from=2026-01-01&to=2026-06-01", NULL);
  assert_int_equal(r.status, 422); /* more than 62 days */
  th_resp_free(&r);

  r = call(&hub, "GET", API "/indicators", NULL);
  assert_int_equal(r.status, 200);
  json_t *rows = json_object_get(r.json, "rows");
  json_t *row = NULL, *it;
  size_t i;
  json_array_foreach(rows, i, it) {
    if (strcmp(json_string_value(json_object_get(it, "request_id")),
               request_id) == 0)
      row = it;
  }
  assert_non_null(row);
  assert_string_equal(json_string_value(json_object_get(row, "status")),
                      "closed");
  assert_string_equal(
      json_string_value(json_object_get(row, "requester_hospital")), "ASP-AG");
  assert_string_equal(json_string_value(json_object_get(row, "urgency")),
                      "urgent");
  assert_non_null(json_string_value(json_object_get(row, "closed_at")));
  th_resp_free(&r);
  r = call(&spoke_colleague, "GET", API "/indicators", NULL);
  assert_int_equal(r.status, 403); /* a requesting doctor is not BI */
  th_resp_free(&r);
}

static void other_hospitals_see_nothing(void **state) {
  (void)state;
  /* AOUP-PA is unrelated to this neurology case (the demo rules send
   * neurologia to IRCCS-ME). */
  login(&other, "org.pa");
  char path[200];
  snprintf(path, sizeof path, API "/sessions/%s", session_id);
  th_resp r = call(&other, "GET", path, NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  snprintf(path, sizeof path, API "/sessions/%s/documents/%s/content",
           session_id, pdf_doc);
  r = call(&other, "GET", path, NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  r = call(&other, "GET", API "/requests", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "requests")), 0);
  th_resp_free(&r);
  snprintf(path, sizeof path, API "/requests/%s", request_id);
  r = call(&other, "GET", path, NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  /* In SQL as the application role, even without a WHERE: AOUP-PA sees
   * none of it, the SPOKE the request only. */
  /* (AOUP-PA's own demo session is there: count everything else.) */
  char *v = th_sql_as(
      DB, "staff", "AOUP-PA", "org.pa",
      "SELECT (SELECT count(*) FROM teleconsult.sessions WHERE tenant_id "
      "<> concerto.current_tenant()) + (SELECT count(*) FROM "
      "teleconsult.requests) + (SELECT count(*) FROM "
      "teleconsult.documents) + (SELECT count(*) FROM "
      "teleconsult.session_patients sp JOIN teleconsult.sessions s ON "
      "s.id = sp.session_id WHERE s.tenant_id <> "
      "concerto.current_tenant()) + (SELECT count(*) FROM "
      "teleconsult.participants p WHERE p.user_id NOT IN (SELECT id FROM "
      "concerto.users WHERE username IN ('org.pa', 'cardio.pa')))",
      NULL);
  assert_string_equal(v, "0");
  free(v);
  v = th_sql_as(DB, "staff", "ASP-AG", "mmg.ag",
                "SELECT (SELECT count(*) FROM teleconsult.requests) || '/' || "
                "(SELECT count(*) FROM teleconsult.sessions)",
                NULL);
  assert_string_equal(v, "1/0");
  free(v);
  /* A colleague of the SPOKE sees the request, not the HUB's session. */
  login(&spoke_colleague, "mmg.ag");
  r = call(&spoke_colleague, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  snprintf(path, sizeof path, API "/sessions/%s", session_id);
  r = call(&spoke_colleague, "GET", path, NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
}

/* Row-level security by command: in SQL, as the application role in the
 * SPOKE participant's context, every write the handlers do not give a
 * participant is refused (an error, or no row to touch), while the HUB's
 * context may. th_sql_as rolls everything back. */
/* A session that will not take place is cancelled, with its reason: no
 * minutes, the event says so. */
static void cancel_before_start(void **state) {
  (void)state;
  char body[300], path[200];
  snprintf(body, sizeof body,
           "{\"group_id\":\"%s\",\"kind\":\"planned\",\"theme\":\"Da "
           "annullare\"}",
           group_id);
  th_resp r = call(&hub, "POST", API "/sessions", body);
  if (r.status != 201)
    fprintf(stderr, "%s\n", r.body);
  assert_int_equal(r.status, 201);
  char id[32];
  copy_str(id, sizeof id, th_json_str(&r, "id"));
  th_resp_free(&r);
  snprintf(path, sizeof path, API "/sessions/%s/close", id);
  r = call(&hub, "POST", path, "{}");
  assert_int_equal(r.status, 422);
  assert_string_equal(th_json_str(&r, "errors/0/field"), "early");
  th_resp_free(&r);
  r = call(&hub, "POST", path,
           "{\"early\":\"cancel\",\"reason\":\"Paziente dimesso\"}");
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "status"), "cancelled");
  assert_string_equal(th_json_str(&r, "end_reason"), "Paziente dimesso");
  th_resp_free(&r);
  char sql[300];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.events WHERE name = "
           "'teleconsult.closed' AND payload->>'session_id' = '%s' AND "
           "(payload->>'cancelled')::boolean",
           id);
  char *v = th_sql(DB, sql);
  assert_string_equal(v, "1");
  free(v);
  r = call(&hub, "POST", path, "{\"early\":\"close\",\"reason\":\"x\"}");
  assert_int_equal(r.status, 409); /* over is over */
  th_resp_free(&r);
}

/* "Consult now" (R6.4): the ER doctor's emergency request becomes a
 * running session in the routed group at once, everybody invited with a
 * link; a routine request cannot, and nothing is left half-written. */
static void immediate_consult_now(void **state) {
  (void)state;
  char *before = th_sql(DB, "SELECT count(*) FROM teleconsult.requests");
  th_resp r = call(&spoke, "POST", API "/requests",
                   "{\"specialty\":\"neurologia\",\"urgency\":\"routine\","
                   "\"immediate\":true}");
  assert_int_equal(r.status, 422);
  assert_string_equal(th_json_str(&r, "errors/0/field"), "urgency");
  assert_string_equal(th_json_str(&r, "errors/0/code"),
                      "routine_not_immediate");
  th_resp_free(&r);
  char *after = th_sql(DB, "SELECT count(*) FROM teleconsult.requests");
  assert_string_equal(before, after);
  free(before);
  free(after);

  char *mails_before = read_file(mailbox, NULL);
  int n_before = count_str(mails_before, "=== MAIL");
  free(mails_before);
  char body[512];
  snprintf(body, sizeof body,
           "{\"specialty\":\"neurologia\",\"urgency\":\"emergency\","
           "\"reason\":\"ictus\",\"origin\":\"pronto_soccorso\","
           "\"question\":\"Afasia e emiparesi da 50 minuti\","
           "\"patient_id\":\"%s\",\"immediate\":true}",
           verdi_id);
  r = call(&spoke, "POST", API "/requests", body);
  if (r.status != 201)
    fprintf(stderr, "%s\n", r.body);
  assert_int_equal(r.status, 201);
  assert_string_equal(th_json_str(&r, "status"), "scheduled");
  char sid[24], rid[24];
  copy_str(sid, sizeof sid, th_json_str(&r, "session_id"));
  copy_str(rid, sizeof rid, th_json_str(&r, "id"));
  /* neuro.me (the group) and pronto.ag (the requester) have e-mails. */
  assert_int_equal(json_integer_value(json_object_get(r.json, "invitations")),
                   2);
  th_resp_free(&r);

  /* The requester is in the session, which is running already. */
  char path[200];
  snprintf(path, sizeof path, API "/sessions/%s", sid);
  r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "status"), "in_progress");
  assert_string_equal(th_json_str(&r, "kind"), "immediate");
  /* ASP-AG's rule: consult now for a stroke -> the stroke team on call. */
  assert_string_equal(th_json_str(&r, "group/slug"), "neuro-stroke");
  assert_string_equal(th_json_str(&r, "request/question"),
                      "Afasia e emiparesi da 50 minuti");
  assert_int_equal(json_array_size(json_object_get(r.json, "patients")), 1);
  assert_int_equal(json_array_size(json_object_get(r.json, "participants")), 2);
  assert_false(json_is_true(
      json_object_get(json_object_get(r.json, "me"), "organizer")));
  th_resp_free(&r);
  /* The HUB's organizer runs it. */
  r = call(&hub, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_true(json_is_true(
      json_object_get(json_object_get(r.json, "me"), "organizer")));
  th_resp_free(&r);
  char sql[300];
  snprintf(sql, sizeof sql,
           "SELECT t.code || '/' || s.status || '/' || (s.room IS NOT NULL) "
           "FROM teleconsult.sessions s JOIN concerto.tenants t ON t.id = "
           "s.tenant_id WHERE s.id = %s",
           sid);
  char *v = th_sql(DB, sql);
  assert_string_equal(v, "IRCCS-ME/in_progress/true");
  free(v);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.events WHERE name = "
           "'teleconsult.scheduled' AND payload->>'session_id' = '%s' AND "
           "(payload->>'immediate')::boolean",
           sid);
  v = th_sql(DB, sql);
  assert_string_equal(v, "1");
  free(v);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.audit_log WHERE action = "
           "'teleconsult.session.immediate' AND resource = 'session:%s' AND "
           "patient_id = %s",
           sid, verdi_id);
  v = th_sql(DB, sql);
  assert_string_equal(v, "1");
  free(v);

  /* The invitations say "now", with the personal link. */
  char *raw = NULL;
  for (int i = 0; i < 150; i++) {
    free(raw);
    raw = read_file(mailbox, NULL);
    /* the organizers' urgent-request mail, then the two invitations */
    if (count_str(raw, "=== MAIL") >= n_before + 3)
      break;
    sleep_ms(100);
  }
  assert_int_equal(count_str(raw, "=== MAIL"), n_before + 3);
  free(raw);
  char *text = decoded_mailbox();
  assert_non_null(strstr(text, "Si colleghi ora con questo collegamento"));
  free(text);

  /* Once only; never someone else's request. */
  snprintf(path, sizeof path, API "/requests/%s/immediate", rid);
  r = call(&spoke, "POST", path, "{}");
  assert_int_equal(r.status, 409);
  th_resp_free(&r);
  r = call(&spoke, "POST", API "/requests",
           "{\"specialty\":\"neurologia\",\"urgency\":\"urgent\"}");
  assert_int_equal(r.status, 201);
  snprintf(path, sizeof path, API "/requests/%s/immediate",
           th_json_str(&r, "id"));
  th_resp_free(&r);
  r = call(&hub, "POST", path, "{}");
  assert_int_equal(r.status, 404); /* the HUB is not the requester */
  th_resp_free(&r);
  r = call(&spoke_colleague, "POST", path, "{}");
  assert_int_equal(r.status, 404); /* nor is a colleague */
  th_resp_free(&r);
  /* An open urgent request is escalated by its requester. */
  r = call(&spoke, "POST", path, "{}");
  assert_int_equal(r.status, 201);
  assert_string_equal(th_json_str(&r, "status"), "in_progress");
  th_resp_free(&r);
}

static void expect_sql(const char *tenant, const char *user, const char *sql,
                       const char *want) {
  char state[6];
  char *got = th_sql_as(DB, "staff", tenant, user, sql, state);
  const char *seen = state[0] ? state : (got ? got : "");
  if (strcmp(seen, want) != 0)
    fprintf(stderr, "as %s: %s -> %s, expected %s\n", user, sql, seen, want);
  assert_string_equal(seen, want);
  free(got);
}

static void participant_writes_are_limited_by_command(void **state) {
  (void)state;
  char sql[600];
#define AS_SPOKE(want, ...)                                                    \
  do {                                                                         \
    snprintf(sql, sizeof sql, __VA_ARGS__);                                    \
    expect_sql("ASP-AG", "pronto.ag", sql, want);                              \
  } while (0)
  const char *s = session_id;
  AS_SPOKE("42501",
           "INSERT INTO teleconsult.participants (session_id, kind, name, "
           "email) VALUES (%s, 'external', 'x', 'x@example.org')",
           s);
  AS_SPOKE("0", "DELETE FROM teleconsult.participants WHERE session_id = %s",
           s);
  AS_SPOKE("0",
           "UPDATE teleconsult.participants SET organizer = true WHERE "
           "session_id = %s",
           s);
  AS_SPOKE("42501",
           "INSERT INTO teleconsult.slots (session_id, starts_at, ends_at) "
           "VALUES (%s, now(), now() + interval '1 hour')",
           s);
  AS_SPOKE("0",
           "UPDATE teleconsult.slots SET chosen = NOT chosen WHERE "
           "session_id = %s",
           s);
  AS_SPOKE("0", "DELETE FROM teleconsult.slots WHERE session_id = %s", s);
  AS_SPOKE("0",
           "DELETE FROM teleconsult.session_patients WHERE session_id = %s", s);
  AS_SPOKE("42501",
           "UPDATE teleconsult.session_patients SET minutes_sha256 = "
           "repeat('0', 64) WHERE session_id = %s",
           s);
  AS_SPOKE("42501",
           "INSERT INTO teleconsult.session_patients (session_id, "
           "patient_id) VALUES (%s, %s)",
           s, bianchi_id);
  AS_SPOKE("0", "DELETE FROM teleconsult.documents WHERE session_id = %s", s);
  AS_SPOKE("0",
           "UPDATE teleconsult.documents SET filename = 'x.pdf' WHERE "
           "session_id = %s",
           s);
  AS_SPOKE("42501",
           "INSERT INTO teleconsult.comments (session_id, author_user_id, "
           "body) SELECT %s, id, 'forged' FROM concerto.users WHERE "
           "username = 'neuro.me'",
           s);
  AS_SPOKE("0", "DELETE FROM teleconsult.comments WHERE session_id = %s", s);
  AS_SPOKE("0",
           "UPDATE teleconsult.comments SET body = 'x' WHERE session_id = %s",
           s);
  AS_SPOKE("42501",
           "INSERT INTO teleconsult.availability (slot_id, participant_id, "
           "answer) SELECT sl.id, p.id, 'no' FROM teleconsult.slots sl JOIN "
           "teleconsult.participants p ON p.session_id = sl.session_id JOIN "
           "concerto.users u ON u.id = p.user_id WHERE sl.session_id = %s "
           "AND u.username = 'neuro.me' LIMIT 1",
           s);
  AS_SPOKE("0", "DELETE FROM teleconsult.requests WHERE id = %s", request_id);
  AS_SPOKE("0", "DELETE FROM teleconsult.session_access WHERE session_id = %s",
           s);
  AS_SPOKE("0", "DELETE FROM teleconsult.sessions WHERE id = %s", s);
  /* What a participant may write, it may: the decision of a patient. */
  AS_SPOKE("1",
           "UPDATE teleconsult.session_patients SET decision = 'x' WHERE id "
           "= %s",
           spid_verdi);
#undef AS_SPOKE
  /* The HUB's organizer may change its session's rows. */
  snprintf(sql, sizeof sql,
           "DELETE FROM teleconsult.slots WHERE session_id = %s", s);
  char sqlstate[6];
  char *n = th_sql_as(DB, "staff", "IRCCS-ME", "neuro.me", sql, sqlstate);
  assert_string_equal(sqlstate, "");
  assert_true(n && atoi(n) > 0);
  free(n);
  /* Colleagues are found without their e-mail addresses, and a
   * participant who does not organize sees nobody else's contact details. */
  th_resp r = call(&spoke, "GET", API "/colleagues?q=neuro", NULL);
  assert_int_equal(r.status, 200);
  assert_true(json_array_size(json_object_get(r.json, "users")) >= 1);
  assert_null(strstr(r.body, "\"email\""));
  th_resp_free(&r);
  char path[200];
  snprintf(path, sizeof path, API "/sessions/%s", session_id);
  r = call(&spoke, "GET", path, NULL);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, "neuro.me@example.org"));
  th_resp_free(&r);
  r = call(&hub, "GET", path, NULL);
  assert_non_null(strstr(r.body, "pronto.ag@example.org"));
  th_resp_free(&r);
}

static void disabled_module_answers_404(void **state) {
  (void)state;
  assert_int_equal(admin("disable-module AOUP-PA teleconsult"), 0);
  th_resp r = {0};
  for (int i = 0; i < 50; i++) {
    r = call(&other, "GET", API "/dashboard", NULL);
    if (r.status == 404)
      break;
    th_resp_free(&r);
    sleep_ms(100);
  }
  assert_int_equal(r.status, 404);
  assert_string_equal(th_json_str(&r, "code"), "module_not_enabled");
  th_resp_free(&r);
  /* Still on for the others. */
  r = call(&hub, "GET", API "/dashboard", NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  /* Off for the HUB: its invitation links answer nothing either. */
  r = join_as_guest(guest_token);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  assert_int_equal(admin("disable-module IRCCS-ME teleconsult"), 0);
  for (int i = 0; i < 50; i++) {
    r = join_as_guest(guest_token);
    if (r.status == 404)
      break;
    th_resp_free(&r);
    sleep_ms(100);
  }
  assert_int_equal(r.status, 404);
  assert_string_equal(th_json_str(&r, "code"), "invitation_invalid");
  th_resp_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(demo_groups_are_visible),
      cmocka_unit_test(spoke_request_is_routed_by_lua),
      cmocka_unit_test(session_from_request_and_invitations),
      cmocka_unit_test(join_link_for_an_external_invitee),
      cmocka_unit_test(comments_arrive_live),
      cmocka_unit_test(documents_typed_by_content),
      cmocka_unit_test(spoke_anamnesis_is_shared_with_the_session),
      cmocka_unit_test(participant_access_is_in_the_hub_trail),
      cmocka_unit_test(decision_close_and_minutes),
      cmocka_unit_test(calendar_and_indicators),
      cmocka_unit_test(other_hospitals_see_nothing),
      cmocka_unit_test(participant_writes_are_limited_by_command),
      cmocka_unit_test(cancel_before_start),
      cmocka_unit_test(immediate_consult_now),
      cmocka_unit_test(disabled_module_answers_404),
  };
  return cmocka_run_group_tests_name("teleconsult", tests, start, stop);
}
