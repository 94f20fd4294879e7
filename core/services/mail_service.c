/* E-mail as a core service (plugin ABI 1.5): host->send_mail queues the
 * message as event mail.send@1 in the caller's transaction; a core
 * subscriber sends it over SMTP, with the outbox's retries and dead
 * letters. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "event_catalog.h"
#include "events.h"
#include "log.h"
#include "mail.h"
#include "request.h"

concerto_status mail_queue(concerto_request *req, const json_t *message) {
  char err[160];
  if (!mail_valid(message, err, sizeof err)) {
    log_msg(CONCERTO_LOG_WARN, NULL, req->id, "mail refused: %s", err);
    return CONCERTO_ERR_INVALID;
  }
  return events_publish_as(req, NULL, "mail.send", 1, json_deep_copy(message));
}

static concerto_status on_mail(concerto_request *ctx, const concerto_event *ev,
                               void *userdata) {
  app *a = userdata;
  char err[256] = "";
  if (!mail_valid(ev->payload, err, sizeof err)) {
    log_msg(CONCERTO_LOG_ERROR, "mail", NULL, "event %s: %s", ev->id, err);
    return CONCERTO_ERR_INVALID; /* retried, then dead: visible to admins */
  }
  if (!mail_send(a->cfg.smtp_url, a->cfg.smtp_user, a->cfg.smtp_password,
                 a->cfg.smtp_from, ev->payload, err, sizeof err)) {
    log_msg(CONCERTO_LOG_WARN, "mail", NULL, "event %s: %s", ev->id, err);
    return CONCERTO_ERR_UNSUPPORTED;
  }
  (void)ctx;
  return CONCERTO_OK;
}

/* The outbox event's shape; mail_valid checks the finer rules (addresses,
 * one-line subject, attachment types) before anything is queued. */
#define MAIL_SCHEMA                                                            \
  "{\"type\":\"object\",\"required\":[\"to\",\"subject\",\"text\"],"           \
  "\"properties\":{\"to\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}" \
  ","                                                                          \
  "\"minItems\":1},\"subject\":{\"type\":\"string\"},\"text\":{\"type\":"      \
  "\"string\"},\"attachments\":{\"type\":\"array\",\"items\":{\"type\":"       \
  "\"object\",\"required\":[\"filename\",\"content_type\",\"content_base64\"]" \
  "}}}}"

bool mail_service_register(app *a) {
  char err[256];
  return event_catalog_declare(events_catalog(a->events), NULL, "mail.send", 1,
                               MAIL_SCHEMA,
                               "An e-mail a module queued, sent over SMTP by "
                               "the core",
                               err, sizeof err) == CONCERTO_OK &&
         events_add_subscriber(a->events, NULL, "mail.send", 1, on_mail, a);
}
