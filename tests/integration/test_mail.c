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
  return th_server_start(&srv, "it_mail", extra, NULL, 30) ? 0 : -1;
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(invitation_reaches_the_smtp_server),
      cmocka_unit_test(rolled_back_request_sends_nothing),
  };
  return cmocka_run_group_tests_name("mail", tests, start, stop);
}
