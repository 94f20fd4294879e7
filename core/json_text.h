/* A fixed-size JSON text writer for log lines: no allocation, silently
 * truncates (keeping the line valid up to the cut) past its buffer, because a
 * log line must never fail or block the request that writes it. */
#ifndef CONCERTO_CORE_JSON_TEXT_H
#define CONCERTO_CORE_JSON_TEXT_H

#include <stddef.h>

typedef struct json_text {
  char buf[2048];
  size_t len;
  int fields;
} json_text;

void json_text_init(json_text *t);
void json_text_raw(json_text *t, const char *s);
/* Appends ,"key":"escaped value" (the comma only after the first field). */
void json_text_key_string(json_text *t, const char *key, const char *value);
void json_text_key_uint(json_text *t, const char *key, unsigned long long v);
void json_text_key_double(json_text *t, const char *key, double v);

#endif
