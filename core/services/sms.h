/* Outgoing text messages: checking a message and posting it to the region's
 * HTTP SMS gateway with libcurl. Modules never post directly:
 * host->send_sms queues the message as event sms.send@1 in their
 * transaction, so a message leaves only if the change that caused it
 * committed, and the outbox retries it (docs/sms.md). Everything here is
 * pure except sms_post, so the unit tests exercise it without a network. */
#ifndef CONCERTO_CORE_SMS_H
#define CONCERTO_CORE_SMS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "concerto/host.h"

#define SMS_MAX_CHARS 640 /* characters (code points), not bytes */
#define SMS_SENDER_MAX 11 /* an alphanumeric sender id, GSM 03.40 */

typedef enum sms_format {
  SMS_FORMAT_JSON = 0, /* application/json {"from", "to", "text"} */
  SMS_FORMAT_FORM,     /* x-www-form-urlencoded From=&To=&Body= (Twilio) */
} sms_format;

/* The gateway as configured (docs/sms.md); strings are borrowed. */
typedef struct sms_gateway {
  const char *url;    /* http:// or https:// */
  const char *token;  /* sent as "Authorization: Bearer"; NULL = none */
  const char *sender; /* NULL = the gateway's default sender */
  sms_format format;
} sms_gateway;

/* Checks a message ({"to": "+393331234567", "text": "..."}: to is an
 * optional '+' and 8-16 digits, text 1-640 characters); writes the first
 * problem into err. Never copies the number or the text into err. */
bool sms_valid(const json_t *msg, char *err, size_t errlen);

/* "json" or "form" (NULL = json). */
bool sms_format_parse(const char *s, sms_format *out);

/* Checks the server's sms_* keys: url (http or https), token (one line),
 * sender (1-11 letters and digits, or unset), format. Used when the
 * configuration is loaded, so a typo stops the start instead of failing
 * every message. */
bool sms_config_valid(const char *url, const char *token, const char *sender,
                      const char *format, char *err, size_t errlen);

/* The request body for the gateway (malloc'ed, caller frees) and its
 * Content-Type (static). `msg` must be valid (sms_valid). NULL on
 * out-of-memory. */
char *sms_body(const sms_gateway *gw, const json_t *msg,
               const char **content_type);

/* Posts `msg` to the gateway (connect timeout 5 s, total 15 s, no
 * redirects). True on a 2xx answer. *http_status is the answer's status,
 * 0 when none arrived (network error, timeout). err never contains the
 * number or the text. */
bool sms_post(const sms_gateway *gw, const json_t *msg, long *http_status,
              char *err, size_t errlen);

typedef struct app app;
/* Registers the core's sms.send@1 subscriber (sms_service.c). */
bool sms_service_register(app *a);

/* Queues `message` (only read) as event sms.send@1 in the request's
 * transaction, sent by the core's subscriber through the gateway. */
concerto_status sms_queue(concerto_request *req, const json_t *message);

#endif
