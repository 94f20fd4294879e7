/* E-mail as a core service (plugin ABI 1.5): host->send_mail queues the
 * message as event mail.send@1 in the caller's transaction; a core
 * subscriber sends it over SMTP, with the outbox's retries and dead
 * letters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "event_catalog.h"
#include "events.h"
#include "log.h"
#include "mail.h"
#include "request.h"
#include "arena.h"

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
    /* The delivery's last_error, which the sender's page shows (no
     * addresses in it: mail_send names the server, not the recipient). */
    ctx->fail_reason = arena_strdup(&ctx->arena, err);
    return CONCERTO_ERR_UNSUPPORTED;
  }
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

concerto_status mail_deliveries(concerto_request *req, const json_t *tags,
                                json_t **out) {
  *out = NULL;
  if (!json_is_array(tags) || json_array_size(tags) > 200)
    return CONCERTO_ERR_INVALID;
  size_t i;
  json_t *t;
  json_array_foreach(tags, i, t) if (!mail_tag_valid(json_string_value(t))) {
    return CONCERTO_ERR_INVALID;
  }
  char *list = json_dumps(tags, JSON_COMPACT);
  if (!list)
    return CONCERTO_ERR_NOMEM;
  /* The latest mail of each tag, in the request's hospital (RLS on the
   * outbox), with the core mailer's delivery of it. */
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT DISTINCT ON (e.payload->>'tag') e.payload->>'tag', CASE WHEN "
      "d.state = 'done' THEN 'sent' WHEN d.state = 'dead' THEN 'failed' WHEN "
      "d.attempts > 0 THEN 'retrying' ELSE 'queued' END, d.attempts, "
      "d.last_error, e.created_at, d.done_at FROM concerto.events e JOIN "
      "concerto.event_deliveries d ON d.event_id = e.id AND d.subscriber = "
      "'module:concerto:mail.send@1' WHERE e.name = 'mail.send' AND "
      "e.payload->>'tag' IN (SELECT jsonb_array_elements_text($1::jsonb)) "
      "ORDER BY e.payload->>'tag', e.id DESC",
      1, (const char *[]){list}, &r);
  free(list);
  if (st != CONCERTO_OK)
    return st;
  json_t *o = json_object();
  for (int row = 0; o && row < PQntuples(r); row++) {
    json_t *one =
        json_pack("{s:s, s:I, s:s*, s:s, s:s*}", "state", PQgetvalue(r, row, 1),
                  "attempts", (json_int_t)atoll(PQgetvalue(r, row, 2)), "error",
                  PQgetisnull(r, row, 3) ? NULL : PQgetvalue(r, row, 3),
                  "queued_at", PQgetvalue(r, row, 4), "sent_at",
                  PQgetisnull(r, row, 5) ? NULL : PQgetvalue(r, row, 5));
    json_object_set_new(o, PQgetvalue(r, row, 0), one);
  }
  if (!o)
    return CONCERTO_ERR_NOMEM;
  *out = o;
  return CONCERTO_OK;
}
