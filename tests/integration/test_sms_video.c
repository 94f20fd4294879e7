/* SMS and video rooms as core services (plugin ABI 1.6), through the test
 * module "relay" and the real server:
 * - SMS: the region's gateway is a commercial service that cannot run
 *   here, so a TEST DOUBLE of it (an HTTP server inside this process)
 *   records each request and can answer 500 before 200. The exact wire
 *   format of both gateway formats, the bearer token, the outbox's retry,
 *   and that a rolled-back request sends nothing.
 * - Video: a hospital administrator sets the Jitsi provider through the
 *   settings API (which never shows the secret again); the link's JWT
 *   verifies with HMAC-SHA256 and the configured secret and carries the
 *   claims of ../shared/docs/standards.md §9, also for npm's jsonwebtoken
 *   (tests/browser/package.json). Another hospital falls back to the
 *   server's default provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "jwt_check.h"

#define ADMIN_PASSWORD "Regione-Sicilia-2026"
#define USER_PASSWORD "Cardiologia-Hub-42"
#define TOKEN "gw-token-7f3a9c"
#define JITSI_SECRET "aou-jitsi-secret-for-tests-only"
#define SMS_TEXT                                                               \
  "Promemoria: televisita \xc3\xa8 domani alle 9:30 & porta i referti"

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* ---- the SMS gateway test double ---- */

typedef struct gw_call {
  char path[128], query[128], content_type[128], authorization[128];
  char body[4096];
} gw_call;

static struct {
  pthread_mutex_t lock;
  int ncalls;
  int fail_next; /* answer 500 to this many calls first */
  gw_call calls[16];
} gw = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct MHD_Daemon *gw_daemon;
static int gw_port;

static enum MHD_Result on_gateway(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **state) {
  (void)cls;
  (void)method;
  (void)version;
  gw_call *call = *state;
  if (!call) { /* headers arrived: take a slot */
    pthread_mutex_lock(&gw.lock);
    call = &gw.calls[gw.ncalls < 15 ? gw.ncalls : 15];
    memset(call, 0, sizeof *call);
    pthread_mutex_unlock(&gw.lock);
    const char *type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *auth =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *account =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "account");
    snprintf(call->path, sizeof call->path, "%s", url);
    snprintf(call->query, sizeof call->query, "%s", account ? account : "");
    snprintf(call->content_type, sizeof call->content_type, "%s",
             type ? type : "");
    snprintf(call->authorization, sizeof call->authorization, "%s",
             auth ? auth : "");
    *state = call;
    return MHD_YES;
  }
  if (*size) {
    size_t used = strlen(call->body);
    snprintf(call->body + used, sizeof call->body - used, "%.*s", (int)*size,
             data);
    *size = 0;
    return MHD_YES;
  }
  pthread_mutex_lock(&gw.lock);
  gw.ncalls++;
  bool fail = gw.fail_next > 0;
  if (fail)
    gw.fail_next--;
  pthread_mutex_unlock(&gw.lock);
  static const char ok[] = "{\"id\":\"SM0001\",\"status\":\"queued\"}";
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      fail ? 5 : sizeof ok - 1, fail ? (void *)"oops!" : (void *)ok,
      MHD_RESPMEM_PERSISTENT);
  enum MHD_Result ret = MHD_queue_response(c, fail ? 500 : 200, resp);
  MHD_destroy_response(resp);
  return ret;
}

static int gw_calls(void) {
  pthread_mutex_lock(&gw.lock);
  int n = gw.ncalls;
  pthread_mutex_unlock(&gw.lock);
  return n;
}

static int wait_calls(int want, int seconds) {
  for (int i = 0; i < seconds * 20 && gw_calls() < want; i++)
    sleep_ms(50);
  return gw_calls();
}

static int start(void **state) {
  (void)state;
  for (int tries = 0; !gw_daemon && tries < 20; tries++) {
    gw_port = 22000 + (int)(getpid() % 20000) + tries;
    gw_daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)gw_port,
                         NULL, NULL, on_gateway, NULL, MHD_OPTION_END);
  }
  return gw_daemon ? 0 : -1;
}

static int stop(void **state) {
  (void)state;
  if (gw_daemon)
    MHD_stop_daemon(gw_daemon);
  return 0;
}

static void start_server(th_server *s, const char *db, const char *extra) {
  char url[512];
  th_db_create(db, url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok = th_server_start(s, db, extra, NULL, 30);
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  assert_true(ok);
}

static long post_sms(th_server *s, const char *query, const char *json) {
  char path[80];
  snprintf(path, sizeof path, "/api/v1/relay/sms%s", query);
  th_resp r = th_request(s, "POST", path, "application/json", json, NULL);
  long status = r.status;
  th_resp_free(&r);
  return status;
}

static char *sql1(const char *db, const char *sql) {
  char *v = th_sql(db, sql);
  assert_non_null(v);
  return v;
}

static void json_gateway_gets_the_message_after_a_retry(void **state) {
  (void)state;
  th_server s;
  char extra[512];
  snprintf(extra, sizeof extra,
           "{\"modules\":[\"relay\"],\"event_retry_base_ms\":100,"
           "\"sms_url\":\"http://127.0.0.1:%d/v1/sms?account=aou\","
           "\"sms_token\":\"" TOKEN "\",\"sms_sender\":\"AOUPalermo\"}",
           gw_port);
  start_server(&s, "it_sms_json", extra);
  pthread_mutex_lock(&gw.lock);
  gw.ncalls = 0;
  gw.fail_next = 1;
  pthread_mutex_unlock(&gw.lock);
  assert_int_equal(
      post_sms(&s, "", "{\"to\":\"+393331234567\",\"text\":\"" SMS_TEXT "\"}"),
      202);
  assert_int_equal(wait_calls(2, 10), 2); /* 500, retried, 200 */
  for (int i = 0; i < 2; i++) {
    gw_call *c = &gw.calls[i];
    assert_string_equal(c->path, "/v1/sms");
    assert_string_equal(c->query, "aou");
    assert_string_equal(c->content_type, "application/json");
    assert_string_equal(c->authorization, "Bearer " TOKEN);
    assert_string_equal(c->body,
                        "{\"from\":\"AOUPalermo\",\"to\":"
                        "\"+393331234567\",\"text\":\"" SMS_TEXT "\"}");
  }
  for (int i = 0; i < 50; i++) {
    char *done = sql1("it_sms_json",
                      "SELECT count(*) FROM concerto.event_deliveries WHERE "
                      "subscriber LIKE 'module:concerto:sms.send%' AND state "
                      "= 'done' AND attempts = 2");
    bool ok = strcmp(done, "1") == 0;
    free(done);
    if (ok)
      break;
    sleep_ms(100);
  }
  char *done = sql1("it_sms_json",
                    "SELECT count(*) FROM concerto.event_deliveries WHERE "
                    "subscriber LIKE 'module:concerto:sms.send%' AND state = "
                    "'done' AND attempts = 2");
  assert_string_equal(done, "1");
  free(done);

  /* A request that fails after queueing sends nothing; a malformed message
   * is refused. */
  assert_int_equal(
      post_sms(&s, "?fail=1", "{\"to\":\"+393339999999\",\"text\":\"no\"}"),
      422);
  assert_int_equal(post_sms(&s, "", "{\"to\":\"12\",\"text\":\"x\"}"), 400);
  assert_int_equal(post_sms(&s, "", "{\"to\":\"+393331234567\",\"text\":\"\"}"),
                   400);
  sleep_ms(1000);
  assert_int_equal(gw_calls(), 2);
  char *n =
      sql1("it_sms_json", "SELECT count(*) FROM concerto.events WHERE name = "
                          "'sms.send'");
  assert_string_equal(n, "1");
  free(n);
  assert_int_equal(th_server_stop(&s, 30), 0);
  /* The log names the event and the status, never the number or text. */
  assert_int_equal(th_log_count(&s, "3331234567"), 0);
  assert_int_equal(th_log_count(&s, "3339999999"), 0);
  assert_int_equal(th_log_count(&s, "Promemoria"), 0);
  assert_true(th_log_count(&s, "HTTP 500") >= 1);
}

static void form_gateway_gets_twilio_style_fields(void **state) {
  (void)state;
  th_server s;
  char extra[512];
  snprintf(extra, sizeof extra,
           "{\"modules\":[\"relay\"],\"event_retry_base_ms\":100,"
           "\"sms_url\":\"http://127.0.0.1:%d/2010-04-01/Messages\","
           "\"sms_token\":\"" TOKEN "\",\"sms_sender\":\"AOUPalermo\","
           "\"sms_format\":\"form\"}",
           gw_port);
  start_server(&s, "it_sms_form", extra);
  pthread_mutex_lock(&gw.lock);
  gw.ncalls = 0;
  gw.fail_next = 0;
  pthread_mutex_unlock(&gw.lock);
  assert_int_equal(
      post_sms(&s, "", "{\"to\":\"+393331234567\",\"text\":\"" SMS_TEXT "\"}"),
      202);
  assert_int_equal(wait_calls(1, 10), 1);
  gw_call *c = &gw.calls[0];
  assert_string_equal(c->path, "/2010-04-01/Messages");
  assert_string_equal(c->content_type, "application/x-www-form-urlencoded");
  assert_string_equal(c->authorization, "Bearer " TOKEN);
  assert_string_equal(c->body,
                      "From=AOUPalermo&To=%2B393331234567&Body=Promemoria%3A%"
                      "20televisita%20%C3%A8%20domani%20alle%209%3A30%20%26%"
                      "20porta%20i%20referti");
  assert_int_equal(th_server_stop(&s, 30), 0);
}

/* ---- video rooms ---- */

/* The same token through npm's jsonwebtoken (tests/browser/package.json),
 * as standards §9 says to check it: the claims with the right secret,
 * audience and issuer; an exception otherwise. Returns node's output. */
static char *jsonwebtoken_verify(const char *token, const char *secret) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cd '%s/tests/browser' && node -e \"try { const c = "
           "require('jsonwebtoken').verify(process.argv[1], process.argv[2], "
           "{algorithms: ['HS256'], audience: 'jitsi', issuer: "
           "'concerto-aou'}); console.log('OK ' + c.room + ' ' + "
           "c.context.user.moderator) } catch (e) { console.log('THROW ' + "
           "e.message) }\" '%s' '%s' 2>&1",
           th_env("CONCERTO_SOURCE_DIR"), token, secret);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char *out = calloc(1, 512);
  size_t n = fread(out, 1, 511, p);
  out[n] = '\0';
  pclose(p);
  return out;
}

static long call_status(const th_server *s, th_client *c, const char *method,
                        const char *path, const char *json) {
  th_resp r = th_call(s, c, method, path, json);
  long status = r.status;
  th_resp_free(&r);
  return status;
}

static void video_link_from_hospital_settings(void **state) {
  (void)state;
  th_server s;
  start_server(&s, "it_video",
               "{\"modules\":[\"relay\"],\"video_provider\":\"url\","
               "\"video_base_url\":\"https://meet.jit.si\"}");
  /* No SMS gateway configured: the service says so (501). */
  assert_int_equal(
      post_sms(&s, "", "{\"to\":\"+393331234567\",\"text\":\"x\"}"), 501);

  th_client admin, hadm, doc;
  assert_int_equal(th_login(&s, &admin, "admin", ADMIN_PASSWORD, NULL), 200);
  const char *const hospitals[] = {"T1", "T2"};
  for (int i = 0; i < 2; i++) {
    char path[80], body[200];
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"name\":\"AOU %s\",\"kind\":\"AO\"}",
             hospitals[i], hospitals[i]);
    assert_int_equal(call_status(&s, &admin, "POST", "/api/v1/tenants", body),
                     201);
    snprintf(path, sizeof path, "/api/v1/tenants/%s/modules/relay",
             hospitals[i]);
    assert_int_equal(call_status(&s, &admin, "PUT", path, "{\"enabled\":true}"),
                     200);
  }
  assert_int_equal(call_status(&s, &admin, "POST", "/api/v1/tenants/T1/users",
                               "{\"username\":\"hadm\",\"display_name\":"
                               "\"Aldo Admin\",\"password\":\"" USER_PASSWORD
                               "\",\"roles\":[\"hospital_admin\"]}"),
                   201);
  assert_int_equal(call_status(&s, &admin, "POST", "/api/v1/tenants/T2/users",
                               "{\"username\":\"doc\",\"display_name\":"
                               "\"Anna Cardio\",\"password\":\"" USER_PASSWORD
                               "\",\"roles\":[\"helpdesk\"]}"),
                   201);
  assert_int_equal(th_login(&s, &hadm, "hadm", USER_PASSWORD, "T1"), 200);
  assert_int_equal(th_login(&s, &doc, "doc", USER_PASSWORD, "T2"), 200);
  strcpy(hadm.tenant, "T1");
  strcpy(doc.tenant, "T2");

  /* The hospital administrator chooses Jitsi with tokens. */
  const char *base = "/api/v1/tenants/T1/settings/video/";
  char path[160];
  snprintf(path, sizeof path, "%sprovider", base);
  assert_int_equal(call_status(&s, &hadm, "PUT", path, "{\"value\":\"zoom\"}"),
                   422);
  assert_int_equal(call_status(&s, &hadm, "PUT", path, "{\"value\":\"jitsi\"}"),
                   200);
  snprintf(path, sizeof path, "%sbase_url", base);
  assert_int_equal(call_status(&s, &hadm, "PUT", path,
                               "{\"value\":\"https://meet.aou.example.it\"}"),
                   200);
  snprintf(path, sizeof path, "%sapp_id", base);
  assert_int_equal(
      call_status(&s, &hadm, "PUT", path, "{\"value\":\"concerto-aou\"}"), 200);
  snprintf(path, sizeof path, "%sapp_secret", base);
  assert_int_equal(call_status(&s, &hadm, "PUT", path, "{\"value\":\"short\"}"),
                   422);
  th_resp r =
      th_call(&s, &hadm, "PUT", path, "{\"value\":\"" JITSI_SECRET "\"}");
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, JITSI_SECRET));
  th_resp_free(&r);
  /* The settings API never shows the secret again, only that it is set. */
  r = th_call(&s, &hadm, "GET", "/api/v1/tenants/T1/settings", NULL);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, JITSI_SECRET));
  json_t *item;
  size_t i;
  bool seen = false;
  json_array_foreach(json_object_get(r.json, "settings"), i, item) {
    const char *module = json_string_value(json_object_get(item, "module"));
    const char *key = json_string_value(json_object_get(item, "key"));
    if (strcmp(module, "video") == 0 && strcmp(key, "app_secret") == 0) {
      seen = true;
      assert_true(json_is_true(json_object_get(item, "secret")));
      assert_true(json_is_true(json_object_get(item, "customized")));
      json_t *value = json_object_get(item, "value");
      assert_true(!value || json_is_null(value));
      assert_non_null(json_object_get(item, "label_it"));
    }
  }
  assert_true(seen);
  th_resp_free(&r);

  long long now = (long long)time(NULL);
  char spec[512];
  snprintf(spec, sizeof spec,
           "{\"room\":\"tv-7Hq2kP9xWz\",\"user\":{\"id\":\"42\",\"name\":"
           "\"Anna Rossi\",\"email\":\"anna.rossi@example.it\"},"
           "\"moderator\":true,\"starts_at\":%lld,\"ends_at\":%lld}",
           now + 600, now + 2400);
  r = th_call(&s, &hadm, "POST", "/api/v1/relay/video", spec);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "provider"), "jitsi");
  assert_string_equal(th_json_str(&r, "room"), "tv-7Hq2kP9xWz");
  const char *url = th_json_str(&r, "url");
  const char *prefix = "https://meet.aou.example.it/tv-7Hq2kP9xWz?jwt=";
  assert_memory_equal(url, prefix, strlen(prefix));
  json_t *claims = th_jwt_verify(url + strlen(prefix), JITSI_SECRET);
  assert_non_null(claims);
  assert_null(th_jwt_verify(url + strlen(prefix), "not-the-secret-at-all"));
  assert_string_equal(json_string_value(json_object_get(claims, "iss")),
                      "concerto-aou");
  assert_string_equal(json_string_value(json_object_get(claims, "aud")),
                      "jitsi");
  assert_string_equal(json_string_value(json_object_get(claims, "sub")),
                      "meet.aou.example.it");
  assert_string_equal(json_string_value(json_object_get(claims, "room")),
                      "tv-7Hq2kP9xWz");
  assert_int_equal(json_integer_value(json_object_get(claims, "nbf")),
                   now + 600 - 900);
  assert_int_equal(json_integer_value(json_object_get(claims, "exp")),
                   now + 2400 + 1800);
  assert_int_equal(json_integer_value(json_object_get(r.json, "expires_at")),
                   now + 2400 + 1800);
  long long iat = json_integer_value(json_object_get(claims, "iat"));
  assert_true(iat >= now && iat <= now + 5);
  json_t *user = json_object_get(json_object_get(claims, "context"), "user");
  assert_string_equal(json_string_value(json_object_get(user, "id")), "42");
  assert_string_equal(json_string_value(json_object_get(user, "name")),
                      "Anna Rossi");
  assert_string_equal(json_string_value(json_object_get(user, "email")),
                      "anna.rossi@example.it");
  assert_string_equal(json_string_value(json_object_get(user, "moderator")),
                      "true");
  json_decref(claims);
  char *node = jsonwebtoken_verify(url + strlen(prefix), JITSI_SECRET);
  assert_non_null(strstr(node, "OK tv-7Hq2kP9xWz true"));
  free(node);
  node = jsonwebtoken_verify(url + strlen(prefix), "not-the-secret-at-all");
  assert_non_null(strstr(node, "THROW invalid signature"));
  free(node);
  th_resp_free(&r);

  /* A bad spec is refused. */
  assert_int_equal(call_status(&s, &hadm, "POST", "/api/v1/relay/video",
                               "{\"room\":\"x\",\"user\":{\"id\":\"1\","
                               "\"name\":\"A\"},\"starts_at\":1,"
                               "\"ends_at\":2}"),
                   400);
  /* Another hospital without settings: the server's default, a plain link. */
  r = th_call(&s, &doc, "POST", "/api/v1/relay/video", spec);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_json_str(&r, "provider"), "url");
  assert_string_equal(th_json_str(&r, "url"),
                      "https://meet.jit.si/tv-7Hq2kP9xWz");
  th_resp_free(&r);
  assert_int_equal(th_server_stop(&s, 30), 0);
  assert_int_equal(th_log_count(&s, JITSI_SECRET), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(json_gateway_gets_the_message_after_a_retry),
      cmocka_unit_test(form_gateway_gets_twilio_style_fields),
      cmocka_unit_test(video_link_from_hospital_settings),
  };
  return cmocka_run_group_tests_name("sms_video", tests, start, stop);
}
