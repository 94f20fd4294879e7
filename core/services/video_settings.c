/* The video platform of each hospital, declared by the core as settings of
 * the pseudo-module "video": the settings API lists and edits them next to
 * the modules' ones, so hospital administrators set them in the console
 * (Impostazioni) and the values live in concerto.tenant_settings. */
#include <stdlib.h>
#include <string.h>

#include "video.h"

static const char *check_provider(const char *v) {
  return !*v || video_provider_find(v) ? NULL
                                       : "jitsi, url, or empty for the "
                                         "region's default";
}

static const char *check_base_url(const char *v) {
  char host[256];
  return !*v || (video_url_host(v, host, sizeof host) && !strpbrk(v, "?# "))
             ? NULL
             : "an https:// address without query, e.g. "
               "https://meet.example.it";
}

static const char *check_secret(const char *v) {
  return !*v || strlen(v) >= VIDEO_MIN_SECRET
             ? NULL
             : "at least 16 characters (a shorter shared secret can be "
               "guessed from any link)";
}

/* String literals in the shared record shape: never freed (the module
 * loader frees only modules' records). */
static const core_tenant_setting settings[] = {
    {{"provider", NULL, "Piattaforma video (jitsi, url)",
      "Video platform (jitsi, url)",
      "jitsi: Jitsi Meet with JWT tokens; url: a plain link to an open "
      "server; empty: the region's default",
      CONCERTO_CONFIG_STRING, 0, 0},
     false,
     check_provider},
    {{"base_url", NULL, "Indirizzo del server video", "Video server address",
      "e.g. https://meet.example.it; rooms are <address>/<room>",
      CONCERTO_CONFIG_STRING, 0, 0},
     false,
     check_base_url},
    {{"app_id", NULL, "Jitsi: identificativo applicazione (app_id)",
      "Jitsi: application id (app_id)",
      "the token issuer (iss), as in Prosody's app_id", CONCERTO_CONFIG_STRING,
      0, 0},
     false,
     NULL},
    {{"app_secret", NULL, "Jitsi: segreto condiviso (app_secret)",
      "Jitsi: shared secret (app_secret)",
      "HS256 key, as in Prosody's app_secret; never shown again once saved",
      CONCERTO_CONFIG_STRING, 0, 0},
     true,
     check_secret},
    {{"audience", "jitsi", "Jitsi: destinatario del token (aud)",
      "Jitsi: token audience (aud)", "one of Prosody's asap_accepted_audiences",
      CONCERTO_CONFIG_STRING, 0, 0},
     false,
     NULL},
    {{"token_minutes", "1440", "Durata massima del collegamento (minuti)",
      "Longest link validity (minutes)",
      "a link expires 30 minutes after the appointment, and never later "
      "than this after it was issued",
      CONCERTO_CONFIG_INT, 5, 1440},
     false,
     NULL},
};

const core_tenant_setting *core_tenant_settings(size_t *n) {
  *n = sizeof settings / sizeof *settings;
  return settings;
}

const core_tenant_setting *core_tenant_setting_find(const char *module,
                                                    const char *key) {
  if (!module || !key || strcmp(module, VIDEO_SETTINGS_MODULE) != 0)
    return NULL;
  for (size_t i = 0; i < sizeof settings / sizeof *settings; i++)
    if (strcmp(settings[i].spec.key, key) == 0)
      return &settings[i];
  return NULL;
}
