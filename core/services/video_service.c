/* Video rooms as a core service (plugin ABI 1.6): host->video_room makes a
 * participant's link with the provider of the request's hospital (its
 * "video" settings, else the server's video_* defaults). Nothing is
 * stored: the link is derived from the spec, the settings and the clock. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "request.h"
#include "video.h"

/* The hospital's settings when it chose a provider, else the server's.
 * Never mixed: a hospital's server must not receive tokens signed with the
 * region's secret, nor the reverse. Strings live as long as the request. */
static concerto_status settings_of(concerto_request *req, video_settings *vs,
                                   const char **source) {
  const concerto_config *cfg = &req->app->cfg;
  *vs = (video_settings){cfg->video_provider,
                         cfg->video_base_url,
                         cfg->video_app_id,
                         cfg->video_app_secret,
                         NULL,
                         0};
  *source = "server configuration";
  if (!req->caller.tenant_id)
    return CONCERTO_OK;
  PGresult *r = NULL;
  concerto_status st = request_query(
      req,
      "SELECT key, value FROM concerto.tenant_settings WHERE tenant_id = $1 "
      "AND module = '" VIDEO_SETTINGS_MODULE "'",
      1, (const char *[]){req->caller.tenant_id}, &r);
  if (st != CONCERTO_OK)
    return st;
  video_settings own = {NULL, NULL, NULL, NULL, NULL, 0};
  for (int i = 0; i < PQntuples(r); i++) {
    const char *key = PQgetvalue(r, i, 0), *value = PQgetvalue(r, i, 1);
    const char *v = *value ? value : NULL; /* "" = cleared */
    if (strcmp(key, "provider") == 0)
      own.provider = v;
    else if (strcmp(key, "base_url") == 0)
      own.base_url = v;
    else if (strcmp(key, "app_id") == 0)
      own.app_id = v;
    else if (strcmp(key, "app_secret") == 0)
      own.app_secret = v;
    else if (strcmp(key, "audience") == 0)
      own.audience = v;
    else if (strcmp(key, "token_minutes") == 0)
      own.token_minutes = v ? strtoll(v, NULL, 10) : 0;
  }
  if (own.provider) {
    *vs = own;
    *source = "hospital settings";
  }
  return CONCERTO_OK;
}

concerto_status video_room_open(concerto_request *req, const json_t *spec,
                                json_t **out) {
  if (!out)
    return CONCERTO_ERR_INVALID;
  *out = NULL;
  char err[200];
  video_spec vs;
  if (!video_spec_parse(spec, &vs, err, sizeof err)) {
    log_msg(CONCERTO_LOG_WARN, NULL, req->id, "video room refused: %s", err);
    return CONCERTO_ERR_INVALID;
  }
  video_settings settings;
  const char *source;
  concerto_status st = settings_of(req, &settings, &source);
  if (st != CONCERTO_OK)
    return st;
  if (!settings.provider)
    return CONCERTO_ERR_UNSUPPORTED; /* no platform: docs/video.md */
  if (!video_settings_valid(&settings, err, sizeof err)) {
    /* The administrator's to fix; the module answers "not available". */
    log_msg(CONCERTO_LOG_WARN, NULL, req->id, "video (%s): %s", source, err);
    return CONCERTO_ERR_UNSUPPORTED;
  }
  const video_provider *p = video_provider_find(settings.provider);
  st =
      p->make_link(&settings, &vs, (long long)time(NULL), out, err, sizeof err);
  if (st != CONCERTO_OK)
    log_msg(CONCERTO_LOG_WARN, NULL, req->id, "video room refused: %s", err);
  return st;
}
