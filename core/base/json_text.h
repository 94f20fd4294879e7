/* A fixed-size writer of one-line JSON objects for the log: no allocation,
 * never fails, and whatever the values hold the line it ends is one valid
 * JSON object. Values often come from clients (a method, a module's message
 * quoting a header), so every value is escaped (controls as \uXXXX, invalid
 * UTF-8 as U+FFFD) and cut at its own cap with a visible marker; a field
 * that no longer fits in the line is dropped whole and the line says
 * "truncated":true. A log line must never fail or block the request that
 * writes it, hence truncation instead of errors. */
#ifndef CONCERTO_CORE_JSON_TEXT_H
#define CONCERTO_CORE_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Appended to a value cut at its cap (inside the string, so the value
 * stays a string). */
#define JSON_TEXT_CUT_MARKER "...[truncated]"

/* Caps on one value's escaped text, marker included. */
#define JSON_TEXT_CAP_WORD 32   /* an HTTP method, a level */
#define JSON_TEXT_CAP_NAME 64   /* a module name, a request id, a key */
#define JSON_TEXT_CAP_ROUTE 256 /* a route template */
#define JSON_TEXT_CAP_MSG 1024  /* a message */

typedef struct json_text {
  char buf[2048];
  size_t len;
  unsigned fields;
  bool truncated; /* a field was dropped for want of room */
} json_text;

/* Starts an object: the buffer holds "{". */
void json_text_init(json_text *t);
/* Appends "key":"value" with value's escaped text cut at `cap` bytes
 * (marker included; at least the marker's length). value may be NULL
 * (written as ""); key and value are only read. */
void json_text_key_string(json_text *t, const char *key, const char *value,
                          size_t cap);
/* The same for `len` bytes that need not be NUL-terminated (a NUL byte is
 * written as U+FFFD). `already_cut` says the caller's text was cut before
 * (a full vsnprintf buffer): the value then ends with the marker too. */
void json_text_key_bytes(json_text *t, const char *key, const char *value,
                         size_t len, size_t cap, bool already_cut);
void json_text_key_uint(json_text *t, const char *key, unsigned long long v);
/* Three decimals; NaN and infinities, which JSON cannot spell, are null. */
void json_text_key_double(json_text *t, const char *key, double v);
/* Closes the object with "}\n" (after "truncated":true when a field was
 * dropped) and returns the line's length. t->buf stays NUL-terminated and
 * owned by t; no more fields may be added. */
size_t json_text_end(json_text *t);

#endif
