/* Live streams and personal notifications for modules (plugin ABI 1.6),
 * through the test module "live": an event reaches exactly the streams of
 * its topic, only when the publishing request commits; personal
 * notifications reach the user's bell stream and never a topic stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define ADMIN_PASSWORD "Regione-Sicilia-2026"
#define USER_PASSWORD "Reparto-Live-2026"

static th_server srv;
static th_client ok_a, no_b;
static char ok_a_id[24];

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void create_user(th_client *admin, const char *username, char *id,
                        size_t idlen) {
  char body[256];
  snprintf(body, sizeof body,
           "{\"username\":\"%s\",\"display_name\":\"%s\",\"password\":\"%s\","
           "\"roles\":[\"specialist\"]}",
           username, username, USER_PASSWORD);
  th_resp r = th_call(&srv, admin, "POST", "/api/v1/tenants/T1/users", body);
  assert_int_equal(r.status, 201);
  if (id) {
    json_t *v = json_object_get(r.json, "id");
    snprintf(id, idlen, "%s", json_is_string(v) ? json_string_value(v) : "");
    if (json_is_integer(v))
      snprintf(id, idlen, "%lld", (long long)json_integer_value(v));
  }
  th_resp_free(&r);
}

static int start(void **state) {
  (void)state;
  char url[512];
  th_db_create("it_live", url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok = th_server_start(&srv, "it_live",
                            "{\"modules\":[\"live\",\"ward\"]}", NULL, 30);
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  if (!ok)
    return -1;
  th_client admin;
  if (th_login(&srv, &admin, "admin", ADMIN_PASSWORD, NULL) != 200)
    return -1;
  th_resp r = th_call(&srv, &admin, "POST", "/api/v1/tenants",
                      "{\"code\":\"T1\",\"name\":\"AOU\",\"kind\":\"AOU\"}");
  long st = r.status;
  th_resp_free(&r);
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/T1/modules/live",
              "{\"enabled\":true}");
  st = st == 201 ? r.status : st;
  th_resp_free(&r);
  if (st != 200)
    return -1;
  create_user(&admin, "ok_a", ok_a_id, sizeof ok_a_id);
  create_user(&admin, "no_b", NULL, 0);
  return th_login(&srv, &ok_a, "ok_a", USER_PASSWORD, "T1") == 200 &&
                 th_login(&srv, &no_b, "no_b", USER_PASSWORD, "T1") == 200 &&
                 ok_a_id[0]
             ? 0
             : -1;
}

static int stop(void **state) {
  (void)state;
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static long publish(const char *path, const char *json) {
  th_resp r = th_call(&srv, &no_b, "POST", path, json);
  long st = r.status;
  th_resp_free(&r);
  return st;
}

static void events_reach_their_topic_only_after_commit(void **state) {
  (void)state;
  th_stream *s1 = th_stream_start(&srv, &ok_a, "/api/v1/live/streams/session:1",
                                  "marker", 10);
  th_stream *s2 = th_stream_start(&srv, &ok_a, "/api/v1/live/streams/session:2",
                                  "marker2", 10);
  sleep_ms(400); /* both streams are listed before anything is published */
  assert_int_equal(publish("/api/v1/live/streams/session:1?fail=1",
                           "{\"event\":\"comment\",\"data\":{\"n\":\"lost\"}}"),
                   422);
  assert_int_equal(publish("/api/v1/live/streams/session:1",
                           "{\"event\":\"comment\",\"data\":{\"n\":\"one\"}}"),
                   202);
  assert_int_equal(
      publish("/api/v1/live/streams/session:1",
              "{\"event\":\"status\",\"data\":{\"n\":\"marker\"}}"),
      202);
  assert_int_equal(
      publish("/api/v1/live/streams/session:2",
              "{\"event\":\"status\",\"data\":{\"n\":\"marker2\"}}"),
      202);
  char *got1 = th_stream_finish(s1);
  char *got2 = th_stream_finish(s2);
  assert_non_null(strstr(got1, "event: comment\ndata: {\"n\":\"one\"}\n\n"));
  assert_non_null(strstr(got1, "event: status\ndata: {\"n\":\"marker\"}"));
  assert_null(strstr(got1, "lost"));    /* rolled back: never sent */
  assert_null(strstr(got1, "marker2")); /* another topic */
  assert_null(strstr(got2, "\"one\""));
  assert_non_null(strstr(got2, "marker2"));
  free(got1);
  free(got2);
}

static void streams_and_messages_are_checked(void **state) {
  (void)state;
  /* The module refuses no_b its stream (its own access check). */
  th_resp r =
      th_call(&srv, &no_b, "GET", "/api/v1/live/streams/session:1", NULL);
  assert_int_equal(r.status, 404);
  th_resp_free(&r);
  /* Anonymous: the core refuses before the module runs. */
  r = th_get(&srv, "/api/v1/live/streams/session:1");
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
  assert_int_equal(publish("/api/v1/live/streams/Session1",
                           "{\"event\":\"comment\",\"data\":{}}"),
                   422); /* topic: lower case only */
  assert_int_equal(publish("/api/v1/live/streams/s1",
                           "{\"event\":\"Bad Event\",\"data\":{}}"),
                   422);
  assert_int_equal(publish("/api/v1/live/streams/s1",
                           "{\"event\":\"comment\",\"data\":[1]}"),
                   422);
  char *big = malloc(8000);
  int n = snprintf(big, 8000, "{\"event\":\"comment\",\"data\":{\"t\":\"");
  memset(big + n, 'x', 6500);
  strcpy(big + n + 6500, "\"}}");
  assert_int_equal(publish("/api/v1/live/streams/s1", big), 413);
  free(big);
}

static void personal_notifications_reach_the_bell_only(void **state) {
  (void)state;
  th_stream *bell =
      th_stream_start(&srv, &ok_a, "/api/v1/me/notifications", "Nuova", 10);
  th_stream *topic = th_stream_start(
      &srv, &ok_a, "/api/v1/live/streams/session:9", "never", 3);
  sleep_ms(400);
  char body[256];
  snprintf(body, sizeof body,
           "{\"user_id\":\"%s\",\"title\":\"Nuova richiesta\","
           "\"body\":\"Teleconsulto urgente\"}",
           ok_a_id);
  assert_int_equal(publish("/api/v1/live/notify", body), 202);
  assert_int_equal(
      publish("/api/v1/live/notify",
              "{\"user_id\":\"12; DROP\",\"title\":\"x\",\"body\":\"y\"}"),
      422);
  char *got = th_stream_finish(bell);
  char *none = th_stream_finish(topic);
  assert_non_null(strstr(got, "event: notification"));
  assert_non_null(strstr(got, "\"title\":\"Nuova richiesta\""));
  assert_non_null(strstr(got, "\"id\":\"")); /* the stored row's id */
  assert_null(strstr(none, "Nuova"));
  free(got);
  free(none);
}

/* The first unread inbox item's id titled `title` for client c, or "". */
static void inbox_find(th_client *c, const char *title, char *id, size_t len,
                       long long *unread) {
  th_resp r = th_call(&srv, c, "GET", "/api/v1/me/inbox", NULL);
  assert_int_equal(r.status, 200);
  *unread = (long long)json_integer_value(json_object_get(r.json, "unread"));
  id[0] = 0;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r.json, "items"), i, e) {
    const char *t = json_string_value(json_object_get(e, "title"));
    if (t && strcmp(t, title) == 0 &&
        !json_is_true(json_object_get(e, "read"))) {
      snprintf(id, len, "%s", json_string_value(json_object_get(e, "id")));
      break;
    }
  }
  th_resp_free(&r);
}

/* Issue 12 item 7: a notification sent while its user had no page open is
 * stored, listed with the unread count at the next visit, and marked read
 * by its owner only. */
static void notifications_are_stored_for_their_user(void **state) {
  (void)state;
  char body[256];
  snprintf(body, sizeof body,
           "{\"user_id\":\"%s\",\"title\":\"Mentre eri via\","
           "\"body\":\"Teleconsulto urgente\"}",
           ok_a_id);
  assert_int_equal(publish("/api/v1/live/notify", body), 202);
  char id[32];
  long long unread = 0;
  inbox_find(&ok_a, "Mentre eri via", id, sizeof id, &unread);
  assert_true(id[0] != 0);
  assert_true(unread >= 1);
  /* Another user of the same hospital neither sees it nor can mark it. */
  char other[32];
  long long other_unread = 0;
  inbox_find(&no_b, "Mentre eri via", other, sizeof other, &other_unread);
  assert_string_equal(other, "");
  char mark[96];
  snprintf(mark, sizeof mark, "{\"ids\":[\"%s\"]}", id);
  th_resp r = th_call(&srv, &no_b, "POST", "/api/v1/me/inbox/read", mark);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  long long again = 0;
  inbox_find(&ok_a, "Mentre eri via", other, sizeof other, &again);
  assert_string_equal(other, id);
  /* Its owner marks it read: the count drops by one. */
  r = th_call(&srv, &ok_a, "POST", "/api/v1/me/inbox/read", mark);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "unread")),
                   unread - 1);
  th_resp_free(&r);
  inbox_find(&ok_a, "Mentre eri via", other, sizeof other, &again);
  assert_string_equal(other, "");
  r = th_call(&srv, &ok_a, "POST", "/api/v1/me/inbox/read",
              "{\"ids\":[\"1; DROP\"]}");
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  /* {} marks all. */
  r = th_call(&srv, &ok_a, "POST", "/api/v1/me/inbox/read", "{}");
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "unread")), 0);
  th_resp_free(&r);
  r = th_get(&srv, "/api/v1/me/inbox");
  assert_int_equal(r.status, 401);
  th_resp_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(events_reach_their_topic_only_after_commit),
      cmocka_unit_test(streams_and_messages_are_checked),
      cmocka_unit_test(personal_notifications_reach_the_bell_only),
      cmocka_unit_test(notifications_are_stored_for_their_user),
  };
  return cmocka_run_group_tests_name("live", tests, start, stop);
}
