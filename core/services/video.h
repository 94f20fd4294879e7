/* Video rooms (plugin ABI 1.6): a link for one participant of one room,
 * made by the video provider the request's hospital chose (docs/video.md).
 * A provider is a small table of functions, so another platform (LiveKit,
 * a commercial one) is one more file. Everything here is pure: the clock is
 * a parameter, so the unit tests check the exact token. */
#ifndef CONCERTO_CORE_VIDEO_H
#define CONCERTO_CORE_VIDEO_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "concerto/host.h"
#include "setting_spec.h"

#define VIDEO_NBF_MARGIN_S (15 * 60)  /* the room opens 15 min early */
#define VIDEO_EXP_MARGIN_S (30 * 60)  /* and stays open 30 min late */
#define VIDEO_MAX_TOKEN_S (24 * 3600) /* never valid longer than a day */
#define VIDEO_MIN_SECRET 16           /* bytes of an HS256 shared secret */

/* A provider's settings, for one hospital or the server's defaults.
 * Strings are borrowed (NULL = unset). */
typedef struct video_settings {
  const char *provider;    /* "jitsi", "url" */
  const char *base_url;    /* https://meet.example.it (no trailing path) */
  const char *app_id;      /* jitsi: iss */
  const char *app_secret;  /* jitsi: the HS256 key; never logged */
  const char *audience;    /* jitsi: aud; NULL = "jitsi" */
  long long token_minutes; /* the longest life of a token; 0 = 24 h */
} video_settings;

/* A checked host->video_room spec; strings borrowed from the JSON. */
typedef struct video_spec {
  const char *room;                             /* [A-Za-z0-9_-]{8,64} */
  const char *user_id, *user_name, *user_email; /* email may be NULL */
  bool moderator;
  long long starts_at, ends_at; /* epoch seconds */
} video_spec;

/* Checks a spec ({"room", "user": {"id", "name", "email"?}, "moderator"?,
 * "starts_at", "ends_at"}); writes the first problem into err. */
bool video_spec_parse(const json_t *spec, video_spec *out, char *err,
                      size_t errlen);

/* Checks settings as a provider will use them (provider known, base_url an
 * http(s) URL without query, jitsi: app_id and a secret of at least 16
 * bytes). */
bool video_settings_valid(const video_settings *s, char *err, size_t errlen);

/* The server's video_* keys: unset provider = no default; else as above. */
bool video_config_valid(const char *provider, const char *base_url,
                        const char *app_id, const char *app_secret, char *err,
                        size_t errlen);

/* When a link for `spec` issued at `now` is usable: from
 * starts_at - 15 min to min(ends_at + 30 min, now + token life), the life
 * being token_minutes, at most 24 h. CONCERTO_ERR_INVALID (with err) when
 * that window is empty: the appointment is over, or too far ahead. */
concerto_status video_window(const video_settings *s, const video_spec *spec,
                             long long now, long long *nbf, long long *exp,
                             char *err, size_t errlen);

/* The host of an http(s) URL, lower-cased, without port: Jitsi's `sub`. */
bool video_url_host(const char *url, char *out, size_t outlen);

/* "<base_url>/<room>" (malloc'ed, caller frees), the base's trailing
 * slashes dropped; NULL on out-of-memory. */
char *video_room_url(const char *base_url, const char *room);

typedef struct video_provider {
  const char *name;
  /* Makes the participant's link. *out (new reference, the caller decrefs)
   * is {"provider", "room", "url", "expires_at"}. `settings` passed
   * video_settings_valid. CONCERTO_ERR_INVALID for a spec the provider
   * cannot serve (err says why), CONCERTO_ERR_INTERNAL on a library
   * failure. */
  concerto_status (*make_link)(const video_settings *settings,
                               const video_spec *spec, long long now,
                               json_t **out, char *err, size_t errlen);
} video_provider;

extern const video_provider video_provider_jitsi; /* video_jitsi.c */
extern const video_provider video_provider_url;   /* video.c */

/* The provider called `name`, or NULL. */
const video_provider *video_provider_find(const char *name);

/* ---- The core's own per-hospital settings (video_settings.c). ---- */

/* Hospital administrators set the video platform in the console like any
 * module setting: the core declares its settings under this pseudo-module
 * name, listed and edited by the settings API (routes_settings.c). */
#define VIDEO_SETTINGS_MODULE "video"

typedef struct core_tenant_setting {
  setting_spec spec; /* the same shape as a module's setting */
  /* Never returned by the settings API, only whether it is set. */
  bool secret;
  /* Further checks of a value (NULL = the type's only): the problem in
   * English, or NULL when acceptable. */
  const char *(*check)(const char *value);
} core_tenant_setting;

/* The core setting `key` of pseudo-module `module`, or NULL. */
const core_tenant_setting *core_tenant_setting_find(const char *module,
                                                    const char *key);
/* All of them: *n entries of pseudo-module VIDEO_SETTINGS_MODULE. */
const core_tenant_setting *core_tenant_settings(size_t *n);

/* Opens a room on the hospital's video platform for `spec` (only read):
 * *out (owned by the caller) holds the links. */
concerto_status video_room_open(concerto_request *req, const json_t *spec,
                                json_t **out);

#endif
