/* Test module "relay": publishes events and handles them, recording each
 * handled event as a row, so the tests can count effects: exactly once per
 * event across crashes and across servers. "relay.fragile" fails while its
 * switch is on, to drive a delivery into the dead-letter state. It also
 * calls the core services with the request's JSON body (mail, SMS, video
 * rooms), so the tests drive them over HTTP. */
#include <concerto/concerto.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const concerto_module *self;

static concerto_status publish(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  json_int_t count = json_integer_value(json_object_get(body, "count"));
  json_int_t sleep_ms = json_integer_value(json_object_get(body, "sleep_ms"));
  const char *name = json_string_value(json_object_get(body, "name"));
  json_int_t version = json_integer_value(json_object_get(body, "version"));
  if (!name)
    name = "relay.ping";
  if (count < 1 || count > 1000)
    count = 1;
  /* "payload": publish that object as it is (to test the schema check). */
  const json_t *given = json_object_get(body, "payload");
  for (json_int_t i = 0; i < count; i++) {
    st = concerto_module_host->publish(
        req, name, version > 0 ? (uint32_t)version : 1,
        given ? json_deep_copy(given)
              : json_pack("{s:I, s:I}", "n", i, "sleep_ms", sleep_ms));
    if (st != CONCERTO_OK)
      return st;
  }
  if (json_is_true(json_object_get(body, "fail_after")))
    return concerto_reply_problem(req, 422, "validation_failed",
                                  "Unprocessable Content",
                                  "asked to fail after publishing");
  return concerto_reply_json(req, 202, json_pack("{s:I}", "published", count));
}

/* Records the effect of one event, in the delivery's transaction. */
static concerto_status record(concerto_request *ctx, const concerto_event *ev,
                              const char *kind) {
  json_int_t sleep_ms =
      json_integer_value(json_object_get(ev->payload, "sleep_ms"));
  if (sleep_ms > 0 && sleep_ms < 10000) {
    struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  char n[24], v[16];
  snprintf(n, sizeof n, "%lld",
           (long long)json_integer_value(json_object_get(ev->payload, "n")));
  snprintf(v, sizeof v, "%u", ev->version);
  const char *params[5] = {
      ev->id, n, concerto_module_host->config_string(self, "node"), kind, v};
  return concerto_query_db(ctx,
                           "INSERT INTO effects (event_id, n, node, kind, "
                           "version) VALUES ($1::bigint, $2::integer, $3, $4, "
                           "$5::integer)",
                           5, params, NULL);
}

static concerto_status on_ping(concerto_request *ctx, const concerto_event *ev,
                               void *ud) {
  (void)ud;
  return record(ctx, ev, "ping");
}

static concerto_status on_ping_v2(concerto_request *ctx,
                                  const concerto_event *ev, void *ud) {
  (void)ud;
  return record(ctx, ev, "ping_v2");
}

static concerto_status on_fragile(concerto_request *ctx,
                                  const concerto_event *ev, void *ud) {
  (void)ud;
  concerto_result *res;
  concerto_status st = concerto_query_db(
      ctx, "SELECT fail FROM switches WHERE name = 'fragile'", 0, NULL, &res);
  if (st != CONCERTO_OK)
    return st;
  if (concerto_rows(res) == 1 && concerto_value(res, 0, 0)[0] == 't')
    return CONCERTO_ERR_INTERNAL;
  return record(ctx, ev, "fragile");
}

/* Queues an invitation e-mail with a calendar attachment (ABI 1.5). */
static concerto_status mail(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  /* BEGIN:VCALENDAR ... END:VCALENDAR, base64 */
  static const char ics[] =
      "QkVHSU46VkNBTEVOREFSDQpWRVJTSU9OOjIuMA0KUFJPRElEOi0vL0NvbmNlcnRvLy9UZX"
      "N0cy8vSVQNCk1FVEhPRDpSRVFVRVNUDQpCRUdJTjpWRVZFTlQNClVJRDp0ZXN0LTFAY29u"
      "Y2VydG8NCkRUU1RBUlQ6MjAyNjEyMDFUMDkwMDAwWg0KRFRFTkQ6MjAyNjEyMDFUMDkzMD"
      "AwWg0KU1VNTUFSWTpUZWxlY29uc3VsdG8NCkVORDpWRVZFTlQNCkVORDpWQ0FMRU5EQVIN"
      "Cg==";
  json_t *msg = json_pack(
      "{s:O, s:s, s:s, s:[{s:s, s:s, s:s}]}", "to", json_object_get(body, "to"),
      "subject", "Invito al teleconsulto \xe2\x80\x93 cardiologia", "text",
      "Buongiorno,\nil teleconsulto \xc3\xa8 fissato per il 1 dicembre.\n",
      "attachments", "filename", "invito.ics", "content_type",
      "text/calendar; method=REQUEST", "content_base64", ics);
  const json_t *tag = json_object_get(body, "tag");
  if (tag)
    json_object_set(msg, "tag", (json_t *)tag);
  st = concerto_module_host->send_mail(req, msg);
  json_decref(msg);
  if (st != CONCERTO_OK)
    return st;
  if (json_is_true(json_object_get(body, "fail_after")))
    return concerto_reply_problem(req, 422, "validation_failed",
                                  "Unprocessable Content",
                                  "asked to fail after queueing the mail");
  return concerto_reply_json(req, 202, json_pack("{s:b}", "queued", 1));
}

/* The delivery states of the tags in the body's "tags" (ABI 1.11). */
static concerto_status mail_states(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  json_t *out = NULL;
  st = concerto_module_host->mail_deliveries(req, json_object_get(body, "tags"),
                                             &out);
  if (st != CONCERTO_OK)
    return st;
  return concerto_reply_json(req, 200, out);
}

/* Queues the body as a text message (ABI 1.6); ?fail=1 answers 422 after
 * queueing, so the transaction rolls back and nothing may be sent. */
static concerto_status sms(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  st = concerto_module_host->send_sms(req, body);
  if (st != CONCERTO_OK)
    return st; /* 400 for a bad message, 501 without a gateway */
  const char *fail = concerto_module_host->req_query(req, "fail");
  if (fail && fail[0] == '1')
    return concerto_reply_problem(req, 422, "validation_failed",
                                  "Unprocessable Content",
                                  "asked to fail after queueing the SMS");
  return concerto_reply_json(req, 202, json_pack("{s:b}", "queued", 1));
}

/* The caller's link to the video room described by the body (ABI 1.6). */
static concerto_status video(concerto_request *req, void *ud) {
  (void)ud;
  json_t *body, *link = NULL;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  st = concerto_module_host->video_room(req, body, &link);
  if (st != CONCERTO_OK)
    return st; /* 400 for a bad spec, 501 without a provider */
  return concerto_reply_json(req, 200, link);
}

static concerto_status add_route(const concerto_host *host,
                                 concerto_registrar *reg, const char *path,
                                 const char *role, concerto_handler handler) {
  concerto_route_spec r = CONCERTO_ROUTE_SPEC_INIT_V1;
  r.method = "POST";
  r.path = path;
  r.required_role = role;
  r.handler = handler;
  return host->register_route(reg, &r);
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  self = host->module_self(reg);
  if (!CONCERTO_HOST_HAS(host, publish) || !CONCERTO_HOST_HAS(host, send_mail))
    return CONCERTO_ERR_UNSUPPORTED;
  concerto_route_spec mail_route = CONCERTO_ROUTE_SPEC_INIT_V1;
  mail_route.method = "POST";
  mail_route.path = "/api/v1/relay/mail";
  mail_route.handler = mail;
  if (host->register_route(reg, &mail_route) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  /* A hospital's mails and their states: signed in, so the outbox rows
   * carry the caller's hospital (ABI 1.11). */
  concerto_route_spec staff_mail = mail_route;
  staff_mail.path = "/api/v1/relay/hospital-mail";
  staff_mail.required_role = "authenticated";
  concerto_route_spec states_route = CONCERTO_ROUTE_SPEC_INIT_V1;
  states_route.method = "POST";
  states_route.path = "/api/v1/relay/mail-states";
  states_route.required_role = "authenticated";
  states_route.handler = mail_states;
  if (CONCERTO_HOST_HAS(host, mail_deliveries) &&
      (host->register_route(reg, &staff_mail) != CONCERTO_OK ||
       host->register_route(reg, &states_route) != CONCERTO_OK))
    return CONCERTO_ERR_REG_INVALID;
  concerto_route_spec open_route = CONCERTO_ROUTE_SPEC_INIT_V1;
  open_route.method = "POST";
  open_route.path = "/api/v1/relay/publish";
  open_route.handler = publish;
  concerto_route_spec hospital_route = CONCERTO_ROUTE_SPEC_INIT_V1;
  hospital_route.method = "POST";
  hospital_route.path = "/api/v1/relay/publish_tenant";
  hospital_route.required_role = "authenticated,regional_admin";
  hospital_route.handler = publish;
  concerto_config_spec node = CONCERTO_CONFIG_SPEC_INIT_V1;
  node.key = "node";
  node.default_value = "a";
  /* What relay publishes (ABI 1.10: undeclared events are refused). */
  static const char ping_schema[] =
      "{\"type\":\"object\",\"required\":[\"n\"],\"properties\":{"
      "\"n\":{\"type\":\"integer\",\"minimum\":0},\"sleep_ms\":{"
      "\"type\":\"integer\",\"minimum\":0,\"maximum\":60000}},"
      "\"additionalProperties\":false}";
  static const concerto_event_spec events[] = {
      {sizeof(concerto_event_spec), "relay.ping", 1, ping_schema,
       "A test ping; its handler records it"},
      {sizeof(concerto_event_spec), "relay.ping", 2, ping_schema,
       "The same, payload version 2"},
      {sizeof(concerto_event_spec), "relay.fragile", 1, ping_schema,
       "Fails while the switch is on"},
  };
  for (size_t i = 0; i < sizeof events / sizeof *events; i++)
    if (host->register_event(reg, &events[i]) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  if (host->register_route(reg, &open_route) != CONCERTO_OK ||
      host->register_route(reg, &hospital_route) != CONCERTO_OK ||
      host->register_config(reg, &node) != CONCERTO_OK ||
      host->subscribe(reg, "relay.ping", 1, on_ping, NULL) != CONCERTO_OK ||
      host->subscribe(reg, "relay.ping", 2, on_ping_v2, NULL) != CONCERTO_OK ||
      host->subscribe(reg, "relay.fragile", 1, on_fragile, NULL) != CONCERTO_OK)
    return CONCERTO_ERR_REG_INVALID;
  /* The video room is the hospital's: that route needs a signed-in caller. */
  if (CONCERTO_HOST_HAS(host, send_sms) &&
      CONCERTO_HOST_HAS(host, video_room) &&
      (add_route(host, reg, "/api/v1/relay/sms", NULL, sms) != CONCERTO_OK ||
       add_route(host, reg, "/api/v1/relay/video", "authenticated", video) !=
           CONCERTO_OK))
    return CONCERTO_ERR_REG_INVALID;
  return host->register_migrations(reg, "sql");
}

CONCERTO_MODULE("relay", "1.0.0", "Concerto tests",
                "Publishes and handles events", NULL, init, NULL, NULL)
