/* Test module "live": live streams and personal notifications (plugin ABI
 * 1.6). A stream is opened only by callers whose username starts with
 * "ok" (the stand-in for a module's own access check); publishing with
 * ?fail=1 answers 422 after publishing, so the transaction rolls back and
 * nothing may reach the streams. */
#include <string.h>

#include <concerto/concerto.h>

static concerto_status stream(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  const char *user = h->req_username(req);
  if (!user || strncmp(user, "ok", 2) != 0)
    return concerto_reply_problem(req, 404, "not_found", "Not Found", NULL);
  return h->respond_live(req, h->req_param(req, "topic"));
}

static concerto_status publish(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  st = h->publish_live(req, h->req_param(req, "topic"),
                       json_string_value(json_object_get(body, "event")),
                       json_object_get(body, "data"));
  if (st != CONCERTO_OK)
    return concerto_reply_problem(req, st == CONCERTO_ERR_TOO_LARGE ? 413 : 422,
                                  "refused", "Refused", NULL);
  const char *fail = concerto_query(req, "fail");
  if (fail && strcmp(fail, "1") == 0)
    return concerto_reply_problem(req, 422, "failed_after_publish",
                                  "Unprocessable Content", NULL);
  return concerto_reply_json(req, 202, json_pack("{s:b}", "queued", 1));
}

static concerto_status notify(concerto_request *req, void *ud) {
  (void)ud;
  const concerto_host *h = concerto_module_host;
  json_t *body;
  concerto_status st = concerto_json_body(req, &body);
  if (st != CONCERTO_OK)
    return st;
  st = h->notify_user(req, json_string_value(json_object_get(body, "user_id")),
                      json_string_value(json_object_get(body, "title")),
                      json_string_value(json_object_get(body, "body")));
  if (st != CONCERTO_OK)
    return concerto_reply_problem(req, 422, "refused", "Refused", NULL);
  return concerto_reply_json(req, 202, json_pack("{s:b}", "queued", 1));
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
  if (!CONCERTO_HOST_HAS(host, respond_live) ||
      !CONCERTO_HOST_HAS(host, notify_user))
    return CONCERTO_ERR_UNSUPPORTED;
  static const struct {
    const char *method, *path;
    concerto_handler handler;
  } routes[] = {
      {"GET", "/api/v1/live/streams/{topic}", stream},
      {"POST", "/api/v1/live/streams/{topic}", publish},
      {"POST", "/api/v1/live/notify", notify},
  };
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
    concerto_route_spec r = CONCERTO_ROUTE_SPEC_INIT_V1;
    r.method = routes[i].method;
    r.path = routes[i].path;
    r.required_role = "authenticated";
    r.handler = routes[i].handler;
    if (host->register_route(reg, &r) != CONCERTO_OK)
      return CONCERTO_ERR_REG_INVALID;
  }
  return CONCERTO_OK;
}

CONCERTO_MODULE("live", "1.0.0", "Concerto tests",
                "Live streams and notifications", NULL, init, NULL, NULL)
