/* The server configuration: a JSON file, then environment overrides
 * (CONCERTO_LISTEN, CONCERTO_DATABASE_URL), then validation. Unknown keys are
 * errors, so a typo never silently falls back to a default. */
#ifndef CONCERTO_CORE_CONFIG_H
#define CONCERTO_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "concerto/host.h"

typedef struct concerto_config {
  char *listen_host; /* numeric IPv4/IPv6 address, owned */
  unsigned listen_port;
  char *database_url; /* libpq conninfo or URI, owned; never logged */
  char *modules_dir;  /* owned; NULL = no modules */
  json_t *modules;    /* array of names to load, or NULL = every *.so */
  char *web_dir;      /* core shell assets, owned, may be NULL */
  char *smtp_url, *smtp_from, *smtp_user, *smtp_password; /* outgoing mail */
  /* Text messages (docs/sms.md); sms_url NULL = no SMS gateway. */
  char *sms_url, *sms_token, *sms_sender, *sms_format;
  /* Video rooms when a hospital set no provider (docs/video.md). */
  char *video_provider, *video_base_url, *video_app_id, *video_app_secret;
  char *javascript_dir; /* Debian's /usr/share/javascript, served at /vendor */
  char *data_dir;       /* owned */
  char *blob_dir;    /* owned; the blob store, <data_dir>/blobs once loaded */
  char *scripts_dir; /* owned */
  /* Requests, events and caches connect as the application role, which
   * owns nothing and is subject to row-level security: database_app_url
   * when set (owned; never logged), else database_url logging in as
   * db_app_role (owned; never NULL once loaded). */
  char *database_app_url;
  char *db_app_role;
  unsigned session_idle_s;
  unsigned session_absolute_s;
  bool cookie_secure;
  unsigned event_workers;       /* dispatcher threads */
  unsigned event_max_attempts;  /* then the delivery is dead */
  unsigned event_retry_base_ms; /* first retry delay, doubling */
  unsigned job_workers;         /* job runner threads (0 = runs no job) */
  unsigned argon2_t_cost;       /* argon2id iterations */
  unsigned argon2_m_kib;        /* argon2id memory, KiB */
  unsigned threads;
  unsigned db_pool_size;
  unsigned db_acquire_timeout_ms;
  unsigned db_statement_cache; /* prepared statements kept per connection */
  size_t max_body_bytes;
  size_t max_upload_bytes; /* CONCERTO_ROUTE_UPLOAD bodies (blob store) */
  size_t max_header_bytes;
  unsigned connection_timeout_s;
  unsigned max_connections;
  unsigned per_ip_connections; /* 0 = no limit */
  json_t *per_ip_exempt;       /* array of numeric addresses, owned */
  unsigned shutdown_grace_s;
  /* How long a body announced over the limit is read and discarded before
   * its 413 (0: answer at once and close, unread). */
  unsigned linger_s;
  concerto_log_level log_level;
  bool access_log;
  bool metrics_remote;
  bool module_probe;
  json_t *module_settings; /* object: module name -> object, owned */
} concerto_config;

/* Fills `cfg` with defaults. */
void config_defaults(concerto_config *cfg);
/* Applies a JSON document on top of `cfg`. On error returns false and writes a
 * message naming the key into err. */
bool config_apply_json(concerto_config *cfg, const json_t *root, char *err,
                       size_t errlen);
/* Loads `path` (may be NULL: defaults only), then the environment. */
bool config_load(concerto_config *cfg, const char *path, char *err,
                 size_t errlen);
/* Applies CONCERTO_LISTEN, CONCERTO_DATABASE_URL and
 * CONCERTO_DATABASE_APP_URL when set. */
bool config_apply_env(concerto_config *cfg, char *err, size_t errlen);
/* Parses "host:port" or "[v6]:port". */
bool config_parse_listen(const char *s, char **host, unsigned *port);
void config_free(concerto_config *cfg);

#endif
