/* Outgoing e-mail: composing an RFC 5322 / MIME message (text and
 * attachments such as an ICS invitation) and sending it over SMTP with
 * libcurl. Modules never send directly: host->send_mail queues the message
 * as an event in their transaction, so a mail leaves only if the change that
 * caused it committed, and the outbox retries it (docs/mail.md). */
#ifndef CONCERTO_CORE_MAIL_H
#define CONCERTO_CORE_MAIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "concerto/host.h"

#define MAIL_MAX_RECIPIENTS 50
#define MAIL_MAX_BYTES (10u << 20)

/* Checks a message description ({to: [addresses], subject, text,
 * attachments?: [{filename, content_type, content_base64}]}); writes the
 * first problem into err. */
bool mail_valid(const json_t *msg, char *err, size_t errlen);

/* The full message text (headers + MIME body), malloc'ed (caller frees).
 * `from` is "Name <address>" or an address; `now` the Date header's time. */
char *mail_compose(const char *from, const json_t *msg, long long now,
                   const char *message_id);

/* Sends over SMTP (smtp:// or smtps:// URL; user/password may be NULL).
 * True on the server's acceptance. */
bool mail_send(const char *url, const char *user, const char *password,
               const char *from, const json_t *msg, char *err, size_t errlen);

typedef struct app app;
/* Registers the core's mail.send@1 subscriber (mail_service.c). */
bool mail_service_register(app *a);

/* Queues `message` (only read; see mail_valid) as event mail.send@1 in the
 * request's transaction: the core's subscriber sends it over SMTP with the
 * outbox's retries. CONCERTO_ERR_INVALID when it is malformed. */
concerto_status mail_queue(concerto_request *req, const json_t *message);

/* A message's optional "tag": 1-MAIL_TAG_MAX bytes of [A-Za-z0-9:._-],
 * the sender's own reference ("teleconsult:participant:42"). */
#define MAIL_TAG_MAX 120
bool mail_tag_valid(const char *tag);

/* host->mail_deliveries (ABI 1.11): *out (new reference) maps each tag of
 * `tags` (an array of strings, borrowed, at most 200) with a mail in the
 * request's hospital to the state of its latest mail: {"state": "queued" |
 * "sent" | "retrying" | "failed", "attempts", "error" (the SMTP server's
 * reason, when it failed), "queued_at", "sent_at"}. Tags without a mail
 * are absent. CONCERTO_ERR_INVALID for a malformed list. */
concerto_status mail_deliveries(concerto_request *req, const json_t *tags,
                                json_t **out);

#endif
