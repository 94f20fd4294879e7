/* libmicrohttpd's own messages on their way to the log
 * (core/http/mhd_message.c): the formats below are copied from libmicrohttpd
 * 0.9.75's connection.c and daemon.c. The request URL, which can name a
 * patient, never survives; the message's own text, numbers and error
 * descriptions do. Each result is also written as a log line and parsed back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "json_text.h"
#include "mhd_message.h"

#define CF "RSSMRA80A01H501U"

static size_t format(char *out, size_t outlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = mhd_message_format(out, outlen, fmt, ap);
  va_end(ap);
  return n;
}

/* The message as the log writes it must parse back to the same text. */
static void assert_logs_as_json(const char *msg) {
  json_text t;
  json_text_init(&t);
  json_text_key_string(&t, "msg", msg, JSON_TEXT_CAP_MSG);
  json_text_end(&t);
  json_t *o = json_loads(t.buf, 0, NULL);
  assert_non_null(o);
  assert_true(json_is_object(o));
  assert_string_equal(json_string_value(json_object_get(o, "msg")), msg);
  json_decref(o);
}

static void urls_in_send_failures_are_redacted(void **state) {
  (void)state;
  char out[512];
  format(out, sizeof out,
         "Failed to send the response headers for the request for `%s'. "
         "Error: %s\n",
         "/api/v1/patients/" CF "/documents",
         "The connection was forcibly closed by remote peer");
  assert_string_equal(out, "Failed to send the response headers for the "
                           "request for `[redacted]'. Error: The connection "
                           "was forcibly closed by remote peer");
  assert_logs_as_json(out);
  /* Unquoted, the URL still looks like a path and goes. */
  format(out, sizeof out, "Failed to send data in request for %s.\n",
         "/api/v1/patients/" CF);
  assert_string_equal(out, "Failed to send data in request for [redacted].");
  /* A URL without a slash is no better: a codice fiscale has digits. */
  format(out, sizeof out, "Failed to send data in request for %s.\n", CF);
  assert_null(strstr(out, CF));
  /* Quotes inside the URL cannot end the redaction early. */
  format(out, sizeof out,
         "Failed to send the response body for the request for `%s'. "
         "Error: %s\n",
         "/a'b " CF " `x'", "Broken pipe");
  assert_string_equal(out, "Failed to send the response body for the request "
                           "for `[redacted]'. Error: Broken pipe");
  /* A precision bounds what is read of an argument. */
  format(out, sizeof out, "at %.*s end\n", 3, "abcdef");
  assert_string_equal(out, "at abc end");
  assert_logs_as_json(out);
}

static void quoted_arguments_go_and_the_template_stays(void **state) {
  (void)state;
  char out[512];
  format(out, sizeof out,
         "Error processing request (HTTP response code is %u ('%s')). "
         "Closing connection.\n",
         431u, "<html><head><title>Request too big</title></head></html>");
  assert_string_equal(out, "Error processing request (HTTP response code is "
                           "431 ('[redacted]')). Closing connection.");
  assert_logs_as_json(out);
  /* Quotes of the template itself are kept: they are not request text. */
  format(out, sizeof out, "Received HTTP/1.1 request without `Host' header.\n");
  assert_string_equal(out, "Received HTTP/1.1 request without `Host' header.");
  /* Even plain words are redacted where the template quotes them. */
  format(out, sizeof out, "Error during select (%d): `%s'\n", 4,
         "Interrupted system call");
  assert_string_equal(out, "Error during select (4): `[redacted]'");
  /* A whole message handed over as "%s\n" (connection_close_error). */
  format(out, sizeof out, "%s\n",
         "Closing connection (application reported error generating data).");
  assert_string_equal(
      out, "Closing connection (application reported error generating data).");
  format(out, sizeof out, "%s\n", "/api/v1/patients/" CF);
  assert_string_equal(out, MHD_MESSAGE_REDACTED);
}

static void numbers_and_odd_conversions(void **state) {
  (void)state;
  char out[512];
  format(out, sizeof out,
         "Failed to forward to application %" PRIu64
         " bytes of data received from remote side: %s\n",
         (uint64_t)UINT64_MAX, "Connection reset by peer");
  assert_string_equal(out, "Failed to forward to application "
                           "18446744073709551615 bytes of data received from "
                           "remote side: Connection reset by peer");
  format(out, sizeof out, "%d %ld %zu %x %5u%% %c|%s", -7, -8L, (size_t)9, 255u,
         10u, 'A', "ok");
  assert_string_equal(out, "-7 -8 9 ff 10% [redacted]|ok");
  format(out, sizeof out, "ptr %p", (void *)out);
  assert_non_null(strstr(out, "ptr 0x"));
  /* %n (or anything unknown) ends the message: its argument cannot be
   * read safely, nor those after it. */
  format(out, sizeof out, "a %d %n b %s", 1, (int *)NULL, CF);
  assert_string_equal(out, "a 1 [...]");
  format(out, sizeof out, "%s", (const char *)NULL);
  assert_string_equal(out, "(null)");
  format(out, sizeof out, "%s", "");
  assert_string_equal(out, MHD_MESSAGE_REDACTED);
}

static void the_output_is_bounded_and_terminated(void **state) {
  (void)state;
  char small[16];
  memset(small, 'z', sizeof small);
  size_t n = format(small, sizeof small, "Closing connection (out of memory).");
  assert_int_equal(n, sizeof small - 1);
  assert_int_equal(small[sizeof small - 1], '\0');
  assert_string_equal(small, "Closing connect");
  char one[1] = {'z'};
  assert_int_equal(format(one, 1, "abc %s", "def"), 0);
  assert_int_equal(one[0], '\0');
  assert_int_equal(format(one, 0, "abc"), 0);
  /* Newlines inside a message become spaces: one log line stays one. */
  char out[64];
  format(out, sizeof out, "two\nlines\n");
  assert_string_equal(out, "two lines");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(urls_in_send_failures_are_redacted),
      cmocka_unit_test(quoted_arguments_go_and_the_template_stays),
      cmocka_unit_test(numbers_and_odd_conversions),
      cmocka_unit_test(the_output_is_bounded_and_terminated),
  };
  return cmocka_run_group_tests_name("mhd_message", tests, NULL, NULL);
}
