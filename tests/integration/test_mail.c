/* E-mail as a core service against a real SMTP server (npm smtp-server, the
 * sink of ../shared/peers/smtp): queued in the module's transaction, sent
 * by the outbox, MIME with an encoded subject and an ICS attachment; a
 * rolled-back request sends nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static th_server srv;
static th_smtp_sink sink = {.pid = -1, .out_fd = -1};
static char mailbox[128];
static int smtp_port;
static th_client doctor;
#define ADMIN_PASSWORD "Posta-Regione-2026!"
#define USER_PASSWORD "Posta-Reparto-2026!"

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static char *read_mailbox(void) {
  FILE *f = fopen(mailbox, "r");
  char *buf = calloc(1, 1 << 20);
  if (f) {
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
  }
  return buf;
}

static int mails(void) {
  char *text = read_mailbox();
  int n = 0;
  for (char *p = strstr(text, "=== MAIL"); p; p = strstr(p + 1, "=== MAIL"))
    n++;
  free(text);
  return n;
}

static int start(void **state) {
  (void)state;
  snprintf(mailbox, sizeof mailbox, "/tmp/concerto-mail-%d.log", (int)getpid());
  unlink(mailbox);
  sink = th_smtp_sink_start(mailbox);
  smtp_port = sink.port;
  char url[512], extra[512];
  th_db_create("it_mail", url, sizeof url);
  snprintf(extra, sizeof extra,
           "{\"modules\":[\"relay\"],\"smtp_url\":\"smtp://127.0.0.1:%d\","
           "\"smtp_from\":\"Concerto AOU <noreply@aou.example>\","
           "\"event_retry_base_ms\":100}",
           smtp_port);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok = th_server_start(&srv, "it_mail", extra, NULL, 30);
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  if (!ok) {
    fprintf(stderr, "mail test setup: the server did not start\n");
    return -1;
  }
  /* A doctor of hospital T1: the delivery states of a hospital's mails are
   * read in that hospital's scope (RLS on the outbox). */
  th_client admin;
  long adm = th_login(&srv, &admin, "admin", ADMIN_PASSWORD, NULL);
  if (adm != 200) {
    fprintf(stderr, "mail test setup: admin login %ld\n", adm);
    return -1;
  }
  th_resp r = th_call(&srv, &admin, "POST", "/api/v1/tenants",
                      "{\"code\":\"T1\",\"name\":\"AOU\",\"kind\":\"AOU\"}");
  long st = r.status;
  th_resp_free(&r);
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/T1/modules/relay",
              "{\"enabled\":true}");
  st = st == 201 ? r.status : st;
  th_resp_free(&r);
  char body[256];
  snprintf(body, sizeof body,
           "{\"username\":\"dott.rossi\",\"display_name\":\"Dott. Rossi\","
           "\"password\":\"%s\",\"roles\":[\"hospital_it\"]}",
           USER_PASSWORD);
  r = th_call(&srv, &admin, "POST", "/api/v1/tenants/T1/users", body);
  st = st == 200 ? r.status : st;
  th_resp_free(&r);
  long in = th_login(&srv, &doctor, "dott.rossi", USER_PASSWORD, "T1");
  if (st != 201 || in != 200)
    fprintf(stderr, "mail test setup: %ld, login %ld\n", st, in);
  return st == 201 && in == 200 ? 0 : -1;
}

static int stop(void **state) {
  (void)state;
  th_smtp_sink_stop(&sink);
  unlink(mailbox);
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static void invitation_reaches_the_smtp_server(void **state) {
  (void)state;
  th_resp r = th_request(&srv, "POST", "/api/v1/relay/mail", "application/json",
                         "{\"to\":[\"dott.rossi@example.org\"]}", NULL);
  assert_int_equal(r.status, 202);
  th_resp_free(&r);
  for (int i = 0; i < 100 && mails() < 1; i++)
    sleep_ms(100);
  assert_int_equal(mails(), 1);
  char *text = read_mailbox();
  assert_non_null(strstr(
      text,
      "MAIL FROM:<noreply@aou.example> RCPT TO:<dott.rossi@example.org>"));
  assert_non_null(strstr(text, "From: Concerto AOU <noreply@aou.example>"));
  /* A non-ASCII subject travels as an RFC 2047 encoded word. */
  assert_non_null(strstr(text, "Subject: =?UTF-8?B?"));
  assert_non_null(strstr(
      text,
      "Content-Type: text/calendar; method=REQUEST; name=\"invito.ics\""));
  assert_non_null(strstr(text, "QkVHSU46VkNBTEVOREFS")); /* BEGIN:VCALENDAR */
  free(text);
  char *done =
      th_sql("it_mail", "SELECT count(*) FROM concerto.event_deliveries "
                        "WHERE subscriber LIKE 'module:concerto:mail.send%' "
                        "AND state = 'done'");
  assert_string_equal(done, "1");
  free(done);
}

static void rolled_back_request_sends_nothing(void **state) {
  (void)state;
  th_resp r = th_request(
      &srv, "POST", "/api/v1/relay/mail", "application/json",
      "{\"to\":[\"dott.bianchi@example.org\"],\"fail_after\":true}", NULL);
  assert_int_equal(r.status, 422);
  th_resp_free(&r);
  r = th_request(&srv, "POST", "/api/v1/relay/mail", "application/json",
                 "{\"to\":[\"not an address\"]}", NULL);
  assert_int_equal(r.status, 400);
  th_resp_free(&r);
  sleep_ms(1000);
  assert_int_equal(mails(), 1);
  char *n =
      th_sql("it_mail",
             "SELECT count(*) FROM concerto.events WHERE name = 'mail.send'");
  assert_string_equal(n, "1");
  free(n);
}

/* The state of tag's latest mail, as the sending module reads it (ABI
 * 1.11); NULL when the outbox has none. */
static json_t *mail_state(const char *tag) {
  char body[200];
  snprintf(body, sizeof body, "{\"tags\":[\"%s\"]}", tag);
  th_resp r = th_call(&srv, &doctor, "POST", "/api/v1/relay/mail-states", body);
  assert_int_equal(r.status, 200);
  json_t *one = json_incref(json_object_get(r.json, tag));
  th_resp_free(&r);
  return one;
}

/* Issue 12 item 4: a sender learns what became of a mail - sent, or
 * retried with the mail server's reason - instead of counting what it
 * queued. Runs last: it stops the SMTP server. */
static void delivery_states_name_the_reason(void **state) {
  (void)state;
  th_resp r = th_call(&srv, &doctor, "POST", "/api/v1/relay/hospital-mail",
                      "{\"to\":[\"dott.verdi@example.org\"],\"tag\":"
                      "\"relay:invite:1\"}");
  assert_int_equal(r.status, 202);
  th_resp_free(&r);
  json_t *s = NULL;
  for (int i = 0; i < 100; i++) {
    json_decref(s);
    s = mail_state("relay:invite:1");
    if (s &&
        strcmp(json_string_value(json_object_get(s, "state")), "sent") == 0)
      break;
    sleep_ms(100);
  }
  assert_non_null(s);
  assert_string_equal(json_string_value(json_object_get(s, "state")), "sent");
  assert_non_null(json_object_get(s, "sent_at"));
  json_decref(s);
  assert_null(mail_state("relay:invite:none"));
  r = th_call(&srv, &doctor, "POST", "/api/v1/relay/mail-states",
              "{\"tags\":[\"bad tag\"]}");
  assert_true(r.status >= 400 && r.status < 500);
  th_resp_free(&r);
  r = th_call(&srv, &doctor, "POST", "/api/v1/relay/hospital-mail",
              "{\"to\":[\"dott.verdi@example.org\"],\"tag\":\"a b\"}");
  assert_int_equal(r.status, 400); /* a malformed tag is refused */
  th_resp_free(&r);

  /* The SMTP server goes away: the mail is retried, and its state says
   * why, in the words of the mail library. */
  th_smtp_sink_stop(&sink);
  r = th_call(&srv, &doctor, "POST", "/api/v1/relay/hospital-mail",
              "{\"to\":[\"dott.verdi@example.org\"],\"tag\":"
              "\"relay:invite:2\"}");
  assert_int_equal(r.status, 202);
  th_resp_free(&r);
  s = NULL;
  for (int i = 0; i < 150; i++) {
    json_decref(s);
    s = mail_state("relay:invite:2");
    if (s && json_is_string(json_object_get(s, "error")))
      break;
    sleep_ms(100);
  }
  assert_non_null(s);
  const char *st = json_string_value(json_object_get(s, "state"));
  assert_true(strcmp(st, "retrying") == 0 || strcmp(st, "failed") == 0);
  const char *why = json_string_value(json_object_get(s, "error"));
  assert_non_null(why);
  assert_non_null(strstr(why, "SMTP"));
  assert_null(strstr(why, "dott.verdi")); /* no address in the reason */
  json_decref(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(invitation_reaches_the_smtp_server),
      cmocka_unit_test(rolled_back_request_sends_nothing),
      cmocka_unit_test(delivery_states_name_the_reason),
  };
  return cmocka_run_group_tests_name("mail", tests, start, stop);
}
