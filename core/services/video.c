#include "video.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Unguessable names are the caller's job; this only keeps a name safe in a
 * URL path and in a Jitsi MUC name. */
static bool room_valid(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 8 || n > 64)
    return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
      return false;
  return true;
}

/* A claim text: a string of 1..max bytes (Jitsi breaks on null). */
static const char *text_field(const json_t *o, const char *key, size_t max,
                              bool *ok) {
  const json_t *v = json_object_get(o, key);
  const char *s = json_string_value(v);
  *ok = s && *s && json_string_length(v) <= max &&
        strlen(s) == json_string_length(v);
  return s;
}

bool video_spec_parse(const json_t *spec, video_spec *out, char *err,
                      size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(spec)) {
    snprintf(err, errlen, "the spec must be an object");
    return false;
  }
  out->room = json_string_value(json_object_get(spec, "room"));
  if (!room_valid(out->room)) {
    snprintf(err, errlen, "room: 8 to 64 of A-Z a-z 0-9 _ -");
    return false;
  }
  const json_t *user = json_object_get(spec, "user");
  bool ok = json_is_object(user);
  if (ok)
    out->user_id = text_field(user, "id", 128, &ok);
  if (!ok) {
    snprintf(err, errlen, "user.id: a string of 1 to 128 bytes");
    return false;
  }
  out->user_name = text_field(user, "name", 200, &ok);
  if (!ok) {
    snprintf(err, errlen, "user.name: a string of 1 to 200 bytes");
    return false;
  }
  const json_t *email = json_object_get(user, "email");
  if (email && !json_is_null(email)) {
    out->user_email = text_field(user, "email", 254, &ok);
    if (!ok && !(json_is_string(email) && json_string_length(email) == 0)) {
      snprintf(err, errlen, "user.email: a string up to 254 bytes");
      return false;
    }
    if (!ok)
      out->user_email = NULL; /* "" = no address */
  }
  const json_t *mod = json_object_get(spec, "moderator");
  if (mod && !json_is_boolean(mod)) {
    snprintf(err, errlen, "moderator: true or false");
    return false;
  }
  out->moderator = json_is_true(mod);
  const json_t *from = json_object_get(spec, "starts_at");
  const json_t *to = json_object_get(spec, "ends_at");
  if (!json_is_integer(from) || !json_is_integer(to) ||
      json_integer_value(from) < 0 ||
      json_integer_value(to) <= json_integer_value(from) ||
      json_integer_value(to) > 32503680000LL /* year 3000 */) {
    snprintf(err, errlen,
             "starts_at, ends_at: epoch seconds, ends_at after starts_at");
    return false;
  }
  out->starts_at = json_integer_value(from);
  out->ends_at = json_integer_value(to);
  return true;
}

bool video_url_host(const char *url, char *out, size_t outlen) {
  const char *p = NULL;
  if (url && strncmp(url, "https://", 8) == 0)
    p = url + 8;
  else if (url && strncmp(url, "http://", 7) == 0)
    p = url + 7;
  if (!p)
    return false;
  size_t n = strcspn(p, ":/?#");
  if (n == 0 || n >= outlen || strcspn(p, "@") < n)
    return false; /* no user:password@ in a URL handed to browsers */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (!isalnum(c) && c != '-' && c != '.')
      return false;
    out[i] = (char)tolower(c);
  }
  out[n] = '\0';
  return true;
}

bool video_settings_valid(const video_settings *s, char *err, size_t errlen) {
  char host[256];
  if (!s->provider || !video_provider_find(s->provider)) {
    snprintf(err, errlen, "provider: \"jitsi\" or \"url\"");
    return false;
  }
  if (!video_url_host(s->base_url, host, sizeof host) ||
      strpbrk(s->base_url, "?# \t\r\n")) {
    snprintf(err, errlen,
             "base_url: an https:// address without query, e.g. "
             "https://meet.example.it");
    return false;
  }
  if (strcmp(s->provider, "jitsi") != 0)
    return true;
  if (!s->app_id || !*s->app_id) {
    snprintf(err, errlen, "app_id: required by the jitsi provider");
    return false;
  }
  if (!s->app_secret || strlen(s->app_secret) < VIDEO_MIN_SECRET) {
    snprintf(err, errlen, "app_secret: at least %d characters for jitsi",
             VIDEO_MIN_SECRET);
    return false;
  }
  return true;
}

bool video_config_valid(const char *provider, const char *base_url,
                        const char *app_id, const char *app_secret, char *err,
                        size_t errlen) {
  if (!provider)
    return true; /* no server default: hospitals set their own */
  video_settings s = {provider, base_url, app_id, app_secret, NULL, 0};
  char why[160];
  if (!video_settings_valid(&s, why, sizeof why)) {
    snprintf(err, errlen, "video_%s", why);
    return false;
  }
  return true;
}

concerto_status video_window(const video_settings *s, const video_spec *spec,
                             long long now, long long *nbf, long long *exp,
                             char *err, size_t errlen) {
  long long life = s->token_minutes > 0 ? s->token_minutes * 60 : 0;
  if (life <= 0 || life > VIDEO_MAX_TOKEN_S)
    life = VIDEO_MAX_TOKEN_S;
  *nbf = spec->starts_at - VIDEO_NBF_MARGIN_S;
  *exp = spec->ends_at + VIDEO_EXP_MARGIN_S;
  if (*exp > now + life)
    *exp = now + life;
  if (spec->ends_at + VIDEO_EXP_MARGIN_S <= now) {
    snprintf(err, errlen, "ends_at: the appointment is over");
    return CONCERTO_ERR_INVALID;
  }
  if (*exp <= *nbf) {
    snprintf(err, errlen,
             "starts_at: too far ahead; ask for the link at most %lld "
             "minutes before the start",
             (life + VIDEO_NBF_MARGIN_S) / 60);
    return CONCERTO_ERR_INVALID;
  }
  return CONCERTO_OK;
}

char *video_room_url(const char *base_url, const char *room) {
  size_t n = strlen(base_url);
  while (n > 0 && base_url[n - 1] == '/')
    n--;
  char *url = NULL;
  return asprintf(&url, "%.*s/%s", (int)n, base_url, room) < 0 ? NULL : url;
}

/* For hospitals on an open Jitsi (or any platform reached by a plain link):
 * no token, anyone with the link may join, so the room name is the only
 * secret. expires_at is advisory. */
static concerto_status url_link(const video_settings *s, const video_spec *spec,
                                long long now, json_t **out, char *err,
                                size_t errlen) {
  long long nbf, exp;
  concerto_status st = video_window(s, spec, now, &nbf, &exp, err, errlen);
  if (st != CONCERTO_OK)
    return st;
  char *url = video_room_url(s->base_url, spec->room);
  if (!url)
    return CONCERTO_ERR_NOMEM;
  *out = json_pack("{s:s, s:s, s:s, s:I}", "provider", "url", "room",
                   spec->room, "url", url, "expires_at", (json_int_t)exp);
  free(url);
  return *out ? CONCERTO_OK : CONCERTO_ERR_NOMEM;
}

const video_provider video_provider_url = {"url", url_link};

const video_provider *video_provider_find(const char *name) {
  static const video_provider *const all[] = {&video_provider_jitsi,
                                              &video_provider_url};
  for (size_t i = 0; name && i < sizeof all / sizeof *all; i++)
    if (strcmp(all[i]->name, name) == 0)
      return all[i];
  return NULL;
}
