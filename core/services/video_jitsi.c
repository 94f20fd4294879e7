/* The jitsi provider: a link with an HS256 JWT that Prosody's token
 * authentication (jitsi-meet-tokens) checks at connect and at room join.
 * Claims per ../shared/docs/standards.md §9 and jitsi/lib-jitsi-meet
 * doc/tokens.md. libjwt signs (Debian's libjwt 1.10), so the core does not
 * carry its own JOSE code. */
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "video.h"

/* context.user: strings only, an absent e-mail left out (Jitsi's web
 * client breaks on null); moderator as the text "true"/"false" (the JaaS
 * convention, also read by Prosody's token affiliation modules). */
static char *context_json(const video_spec *spec) {
  json_t *user =
      json_pack("{s:s, s:s}", "id", spec->user_id, "name", spec->user_name);
  if (user && spec->user_email)
    json_object_set_new(user, "email", json_string(spec->user_email));
  if (user)
    json_object_set_new(user, "moderator",
                        json_string(spec->moderator ? "true" : "false"));
  json_t *grants = json_pack("{s:{s:o}}", "context", "user", user);
  char *text = grants ? json_dumps(grants, JSON_COMPACT) : NULL;
  json_decref(grants);
  return text;
}

static concerto_status jitsi_link(const video_settings *s,
                                  const video_spec *spec, long long now,
                                  json_t **out, char *err, size_t errlen) {
  long long nbf, exp;
  concerto_status st = video_window(s, spec, now, &nbf, &exp, err, errlen);
  if (st != CONCERTO_OK)
    return st;
  char sub[256];
  if (!video_url_host(s->base_url, sub, sizeof sub)) {
    snprintf(err, errlen, "base_url: no host");
    return CONCERTO_ERR_INVALID;
  }
  char *context = context_json(spec);
  jwt_t *jwt = NULL;
  char *token = NULL;
  /* jwt_set_alg copies the key (and scrubs it in jwt_free). */
  if (context && jwt_new(&jwt) == 0 &&
      jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)s->app_secret,
                  (int)strlen(s->app_secret)) == 0 &&
      jwt_add_header(jwt, "typ", "JWT") == 0 &&
      jwt_add_grant(jwt, "iss", s->app_id) == 0 &&
      jwt_add_grant(jwt, "aud",
                    s->audience && *s->audience ? s->audience : "jitsi") == 0 &&
      jwt_add_grant(jwt, "sub", sub) == 0 &&
      jwt_add_grant(jwt, "room", spec->room) == 0 &&
      jwt_add_grant_int(jwt, "nbf", (long)nbf) == 0 &&
      jwt_add_grant_int(jwt, "iat", (long)now) == 0 &&
      jwt_add_grant_int(jwt, "exp", (long)exp) == 0 &&
      jwt_add_grants_json(jwt, context) == 0)
    token = jwt_encode_str(jwt);
  jwt_free(jwt);
  free(context);
  if (!token) {
    snprintf(err, errlen, "libjwt could not sign the token");
    return CONCERTO_ERR_INTERNAL;
  }
  char *room_url = video_room_url(s->base_url, spec->room);
  char *url = NULL;
  if (room_url && asprintf(&url, "%s?jwt=%s", room_url, token) < 0)
    url = NULL;
  free(room_url);
  free(token);
  if (!url)
    return CONCERTO_ERR_NOMEM;
  *out = json_pack("{s:s, s:s, s:s, s:I}", "provider", "jitsi", "room",
                   spec->room, "url", url, "expires_at", (json_int_t)exp);
  free(url);
  return *out ? CONCERTO_OK : CONCERTO_ERR_NOMEM;
}

const video_provider video_provider_jitsi = {"jitsi", jitsi_link};
