/* libFuzzer target: arbitrary bytes as log values (core/base/json_text.c) and
 * as the arguments of libmicrohttpd's messages (core/http/mhd_message.c). The
 * line must always be one JSON object on one line that jansson parses,
 * and no value may come out longer than its cap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_text.h"
#include "mhd_message.h"

static const size_t caps[] = {JSON_TEXT_CAP_WORD,
                              JSON_TEXT_CAP_NAME,
                              JSON_TEXT_CAP_ROUTE,
                              JSON_TEXT_CAP_MSG,
                              1,
                              4096};

/* Ends the line and checks it; returns the parsed object. */
static json_t *end_and_check(json_text *t) {
  size_t n = json_text_end(t);
  if (n >= sizeof t->buf || n != strlen(t->buf) || n < 3 ||
      memcmp(t->buf + n - 2, "}\n", 2) != 0 ||
      strchr(t->buf, '\n') != t->buf + n - 1)
    abort();
  json_t *o = json_loads(t->buf, 0, NULL);
  if (!json_is_object(o))
    abort();
  return o;
}

static void check_cap(json_t *o, const char *key, size_t cap) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return; /* dropped whole: the line was full */
  size_t min = sizeof JSON_TEXT_CUT_MARKER - 1;
  /* Decoded text is never longer than its escaped form. */
  if (!json_is_string(v) || json_string_length(v) > (cap > min ? cap : min))
    abort();
}

static void fuzz_values(const uint8_t *data, size_t size) {
  json_text t;
  json_text_init(&t);
  /* The first byte says how many pieces; each next byte where the next
   * piece starts, relative to the rest. */
  size_t pieces = size ? (data[0] % 8) + 1 : 1, pos = size ? 1 : 0;
  for (size_t i = 0; i < pieces; i++) {
    size_t left = size - pos;
    size_t len = i + 1 == pieces || left == 0 ? left : data[pos] % (left + 1);
    char key[8];
    snprintf(key, sizeof key, "v%zu", i);
    json_text_key_bytes(&t, key, (const char *)data + pos, len,
                        caps[i % (sizeof caps / sizeof *caps)], i % 3 == 2);
    pos += len;
  }
  double d = 0;
  if (size >= sizeof d)
    memcpy(&d, data + size - sizeof d, sizeof d); /* NaN, infinities too */
  json_text_key_double(&t, "d", d);
  json_text_key_uint(&t, "n", (unsigned long long)size);
  json_t *o = end_and_check(&t);
  for (size_t i = 0; i < pieces; i++) {
    char key[8];
    snprintf(key, sizeof key, "v%zu", i);
    check_cap(o, key, caps[i % (sizeof caps / sizeof *caps)]);
  }
  json_decref(o);
}

/* mhd_message_format takes a va_list, as libmicrohttpd's logger does. */
static void format(char *out, size_t outlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  mhd_message_format(out, outlen, fmt, ap);
  va_end(ap);
}

/* The whole input as a key, and as the argument of libmicrohttpd's
 * templates, quoted and not. */
static void fuzz_key_and_message(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    return;
  memcpy(s, data, size);
  s[size] = '\0';
  char msg[512];
  json_text t;
  json_text_init(&t);
  json_text_key_string(&t, s, "key", JSON_TEXT_CAP_WORD);
  format(msg, sizeof msg,
         "Failed to send the response body for the request for "
         "`%s'. Error: %s\n",
         s, s);
  if (strchr(msg, '\n'))
    abort();
  json_text_key_string(&t, "quoted", msg, JSON_TEXT_CAP_MSG);
  format(msg, sizeof msg, "%s\n", s);
  json_text_key_string(&t, "whole", msg, JSON_TEXT_CAP_MSG);
  json_decref(end_and_check(&t));
  free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_values(data, size);
  fuzz_key_and_message(data, size);
  return 0;
}
