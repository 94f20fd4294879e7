/* Log lines as the server writes them (core/base/log.c): whatever a client puts
 * in a value - a 2000-byte method, invalid UTF-8, control characters - every
 * line on stderr must be one JSON object, and values stay bounded. stderr is
 * redirected to a file for each test and read back line by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

typedef struct capture {
  char path[64];
  int saved_stderr;
} capture;

static void capture_start(capture *c) {
  snprintf(c->path, sizeof c->path, "/tmp/concerto-test-log-XXXXXX");
  int fd = mkstemp(c->path);
  assert_true(fd >= 0);
  fflush(stderr);
  c->saved_stderr = dup(STDERR_FILENO);
  assert_true(dup2(fd, STDERR_FILENO) >= 0);
  close(fd);
}

/* Restores stderr; returns how many lines were written, each parsed into
 * lines[] (NULL where a line is not a JSON object). */
static int capture_end(capture *c, json_t **lines, int max) {
  dup2(c->saved_stderr, STDERR_FILENO);
  close(c->saved_stderr);
  FILE *f = fopen(c->path, "r");
  assert_non_null(f);
  static char line[1 << 16];
  int n = 0;
  while (n < max && fgets(line, sizeof line, f)) {
    assert_non_null(strchr(line, '\n')); /* one whole line, not a fragment */
    json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
      json_decref(j);
      j = NULL;
    }
    if (!j)
      fprintf(stdout, "not one JSON object: %.300s\n", line);
    lines[n++] = j;
  }
  fclose(f);
  unlink(c->path);
  return n;
}

static const char *str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static void free_lines(json_t **lines, int n) {
  for (int i = 0; i < n; i++)
    json_decref(lines[i]);
}

static void long_method_stays_one_bounded_object(void **state) {
  (void)state;
  static char method[2001];
  memset(method, 'X', 2000);
  capture c;
  capture_start(&c);
  log_access("abc-1", method, "-", 405, 0.25);
  json_t *lines[4];
  int n = capture_end(&c, lines, 4);
  assert_int_equal(n, 1);
  assert_non_null(lines[0]);
  /* The fields after the method survive it. */
  assert_int_equal(json_integer_value(json_object_get(lines[0], "status")),
                   405);
  assert_string_equal(str(lines[0], "route"), "-");
  assert_non_null(json_object_get(lines[0], "duration_ms"));
  const char *m = str(lines[0], "method");
  assert_non_null(m);
  assert_true(strlen(m) <= 32);
  assert_non_null(strstr(m, "[truncated]"));
  free_lines(lines, n);
}

static void invalid_utf8_and_controls_are_escaped(void **state) {
  (void)state;
  capture c;
  capture_start(&c);
  log_access("abc-2", "G\xffT", "-", 405, 0.1);
  log_access("abc-3", "G\x01\x1b[31mT\r\n", "-", 405, 0.1);
  log_msg(CONCERTO_LOG_WARN, "http", NULL, "bad \xc3 \xe2\x82 \xed\xa0\x80 %s",
          "\xf4\x90\x80\x80 end");
  json_t *lines[8];
  int n = capture_end(&c, lines, 8);
  assert_int_equal(n, 3);
  for (int i = 0; i < n; i++)
    assert_non_null(lines[i]);
  assert_string_equal(str(lines[0], "method"), "G\xef\xbf\xbdT"); /* U+FFFD */
  assert_string_equal(str(lines[1], "method"), "G\x01\x1b[31mT\r\n");
  /* One U+FFFD per maximal invalid subpart (Unicode 15, 3.9): a lone lead
   * byte, a truncated sequence, each byte of an encoded surrogate and of a
   * code point above U+10FFFF. */
#define FFFD "\xef\xbf\xbd"
  assert_string_equal(str(lines[2], "msg"),
                      "bad " FFFD " " FFFD " " FFFD FFFD FFFD
                      " " FFFD FFFD FFFD FFFD " end");
#undef FFFD
  free_lines(lines, n);
}

static void long_message_is_cut_visibly(void **state) {
  (void)state;
  static char big[5000];
  memset(big, 'm', sizeof big - 1);
  capture c;
  capture_start(&c);
  log_msg(CONCERTO_LOG_ERROR, "mod", "abc-4", "%s", big);
  /* Escaping multiplies a control character by six. */
  memset(big, '\x02', sizeof big - 1);
  log_msg(CONCERTO_LOG_ERROR, "mod", "abc-5", "%s", big);
  json_t *lines[4];
  int n = capture_end(&c, lines, 4);
  assert_int_equal(n, 2);
  for (int i = 0; i < n; i++) {
    assert_non_null(lines[i]);
    const char *msg = str(lines[i], "msg");
    assert_non_null(msg);
    assert_true(strlen(msg) <= 1024);
    assert_non_null(strstr(msg, "[truncated]"));
    assert_string_equal(str(lines[i], "module"), "mod");
  }
  free_lines(lines, n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(long_method_stays_one_bounded_object),
      cmocka_unit_test(invalid_utf8_and_controls_are_escaped),
      cmocka_unit_test(long_message_is_cut_visibly),
  };
  return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
