/* SMS as a core service (plugin ABI 1.6): host->send_sms queues the message
 * as event sms.send@1 in the caller's transaction; a core subscriber posts
 * it to the region's HTTP gateway (sms.c), with the outbox's retries and
 * dead letters. Logs name the event and the HTTP status only: a phone
 * number or a message text is patient data. */
#include <stdio.h>

#include "app.h"
#include "event_catalog.h"
#include "events.h"
#include "log.h"
#include "request.h"
#include "sms.h"

static bool gateway_of(const concerto_config *cfg, sms_gateway *gw) {
  *gw = (sms_gateway){cfg->sms_url, cfg->sms_token, cfg->sms_sender,
                      SMS_FORMAT_JSON};
  /* The format was checked when the configuration was loaded. */
  return cfg->sms_url && *cfg->sms_url &&
         sms_format_parse(cfg->sms_format, &gw->format);
}

concerto_status sms_queue(concerto_request *req, const json_t *message) {
  sms_gateway gw;
  if (!gateway_of(&req->app->cfg, &gw))
    return CONCERTO_ERR_UNSUPPORTED; /* SMS is optional: docs/sms.md */
  char err[160];
  if (!sms_valid(message, err, sizeof err)) {
    log_msg(CONCERTO_LOG_WARN, NULL, req->id, "sms refused: %s", err);
    return CONCERTO_ERR_INVALID;
  }
  /* Only the two fields travel: a module's extra keys never reach the
   * outbox or the gateway. */
  return events_publish_as(req, NULL, "sms.send", 1,
                           json_pack("{s:O, s:O}", "to",
                                     json_object_get(message, "to"), "text",
                                     json_object_get(message, "text")));
}

static concerto_status on_sms(concerto_request *ctx, const concerto_event *ev,
                              void *userdata) {
  (void)ctx;
  app *a = userdata;
  char err[160] = "";
  sms_gateway gw;
  if (!gateway_of(&a->cfg, &gw)) {
    /* Queued while a gateway was configured, then it was removed. */
    log_msg(CONCERTO_LOG_WARN, "sms", NULL, "event %s: no sms_url configured",
            ev->id);
    return CONCERTO_ERR_UNSUPPORTED; /* retried, then dead: not lost */
  }
  if (!sms_valid(ev->payload, err, sizeof err)) {
    log_msg(CONCERTO_LOG_ERROR, "sms", NULL, "event %s: %s", ev->id, err);
    return CONCERTO_ERR_INVALID;
  }
  long status = 0;
  if (!sms_post(&gw, ev->payload, &status, err, sizeof err)) {
    log_msg(CONCERTO_LOG_WARN, "sms", NULL, "event %s: HTTP %ld (%s)", ev->id,
            status, err);
    return CONCERTO_ERR_UNSUPPORTED;
  }
  log_msg(CONCERTO_LOG_INFO, "sms", NULL, "event %s: sent, HTTP %ld", ev->id,
          status);
  return CONCERTO_OK;
}

bool sms_service_register(app *a) {
  char err[256];
  return event_catalog_declare(
             events_catalog(a->events), NULL, "sms.send", 1,
             "{\"type\":\"object\",\"required\":[\"to\",\"text\"],"
             "\"properties\":{\"to\":{\"type\":\"string\"},\"text\":{"
             "\"type\":\"string\",\"maxLength\":640}},"
             "\"additionalProperties\":false}",
             "A text message a module queued, sent through the region's "
             "gateway",
             err, sizeof err) == CONCERTO_OK &&
         events_add_subscriber(a->events, NULL, "sms.send", 1, on_sms, a);
}
