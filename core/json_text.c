#include "json_text.h"

#include <stdio.h>
#include <string.h>

/* Room kept for the closing "}\n" written by the caller. */
#define JSON_TEXT_RESERVE 3

void json_text_init(json_text *t) {
  t->len = 0;
  t->fields = 0;
  t->buf[0] = '\0';
}

static void put_char(json_text *t, char c) {
  if (t->len + JSON_TEXT_RESERVE < sizeof t->buf)
    t->buf[t->len++] = c;
}

void json_text_raw(json_text *t, const char *s) {
  size_t n = strlen(s);
  if (t->len + n < sizeof t->buf) {
    memcpy(t->buf + t->len, s, n);
    t->len += n;
  }
}

static void put_escaped(json_text *t, const char *s) {
  static const char hex[] = "0123456789abcdef";
  put_char(t, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (t->len + JSON_TEXT_RESERVE + 8 >= sizeof t->buf)
      break;
    switch (*p) {
    case '"':
      put_char(t, '\\');
      put_char(t, '"');
      break;
    case '\\':
      put_char(t, '\\');
      put_char(t, '\\');
      break;
    case '\n':
      put_char(t, '\\');
      put_char(t, 'n');
      break;
    default:
      if (*p < 0x20) {
        put_char(t, '\\');
        put_char(t, 'u');
        put_char(t, '0');
        put_char(t, '0');
        put_char(t, hex[*p >> 4]);
        put_char(t, hex[*p & 15]);
      } else {
        put_char(t, (char)*p);
      }
    }
  }
  put_char(t, '"');
}

static void put_key(json_text *t, const char *key) {
  if (t->fields++ > 0)
    put_char(t, ',');
  put_escaped(t, key);
  put_char(t, ':');
}

void json_text_key_string(json_text *t, const char *key, const char *value) {
  put_key(t, key);
  put_escaped(t, value ? value : "");
}

void json_text_key_uint(json_text *t, const char *key, unsigned long long v) {
  char num[32];
  snprintf(num, sizeof num, "%llu", v);
  put_key(t, key);
  json_text_raw(t, num);
}

void json_text_key_double(json_text *t, const char *key, double v) {
  char num[40];
  snprintf(num, sizeof num, "%.3f", v);
  put_key(t, key);
  json_text_raw(t, num);
}
