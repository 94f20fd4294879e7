#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char *dup_or_null(const char *s) {
  return s ? strdup(s) : NULL;
}

void config_defaults(concerto_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->listen_host = strdup("127.0.0.1");
  cfg->listen_port = 8080;
  cfg->data_dir = strdup("var/data");
  cfg->scripts_dir = strdup("scripts");
  cfg->db_app_role = strdup("concerto_app");
  cfg->javascript_dir = strdup("/usr/share/javascript");
  cfg->smtp_from = strdup("Concerto <noreply@concerto.invalid>");
  cfg->session_idle_s = 30 * 60;
  cfg->session_absolute_s = 12 * 3600;
  cfg->cookie_secure = false;
  cfg->event_workers = 2;
  cfg->event_max_attempts = 8;
  cfg->event_retry_base_ms = 1000;
  cfg->job_workers = 1;
  cfg->argon2_t_cost = 3;
  cfg->argon2_m_kib = 65536;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  /* Handlers block on PostgreSQL, so serve with more threads than cores. */
  cfg->threads = (unsigned)(ncpu > 0 ? ncpu * 2 : 4);
  if (cfg->threads < 4)
    cfg->threads = 4;
  cfg->db_pool_size = 0; /* 0 = as many as threads */
  cfg->db_acquire_timeout_ms = 2000;
  /* Above the ~200 distinct statements the core and teleconsult run, so a
   * warm connection evicts nothing; each costs the backend a few KiB. */
  cfg->db_statement_cache = 512;
  cfg->max_body_bytes = 1u << 20;
  cfg->max_upload_bytes = 64u << 20;
  cfg->max_header_bytes = 16u << 10;
  cfg->connection_timeout_s = 15;
  cfg->max_connections = 1024;
  /* Enough for any one browser (a handful of requests and an event stream
   * per tab), far below what slow clients need to exhaust the server; a
   * reverse proxy on the same host carries everyone's connections and is
   * exempt (docs/configuration.md). */
  cfg->per_ip_connections = 64;
  cfg->per_ip_exempt = json_pack("[s, s]", "127.0.0.1", "::1");
  cfg->shutdown_grace_s = 10;
  cfg->linger_s = 10;
  cfg->log_level = CONCERTO_LOG_INFO;
  cfg->access_log = true;
  cfg->metrics_remote = false;
  cfg->module_probe = true;
}

void config_free(concerto_config *cfg) {
  free(cfg->listen_host);
  free(cfg->database_url);
  free(cfg->database_app_url);
  free(cfg->modules_dir);
  free(cfg->web_dir);
  free(cfg->data_dir);
  free(cfg->blob_dir);
  free(cfg->scripts_dir);
  free(cfg->db_app_role);
  free(cfg->javascript_dir);
  free(cfg->smtp_url);
  free(cfg->smtp_from);
  free(cfg->smtp_user);
  free(cfg->smtp_password);
  free(cfg->sms_url);
  free(cfg->sms_token);
  free(cfg->sms_sender);
  free(cfg->sms_format);
  free(cfg->video_provider);
  free(cfg->video_base_url);
  free(cfg->video_app_id);
  free(cfg->video_app_secret);
  json_decref(cfg->modules);
  json_decref(cfg->module_settings);
  json_decref(cfg->per_ip_exempt);
  memset(cfg, 0, sizeof *cfg);
}

bool config_parse_listen(const char *s, char **host, unsigned *port) {
  if (!s || !*s)
    return false;
  const char *colon;
  char hostbuf[64];
  if (s[0] == '[') {
    const char *end = strchr(s, ']');
    if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof hostbuf)
      return false;
    memcpy(hostbuf, s + 1, (size_t)(end - s - 1));
    hostbuf[end - s - 1] = '\0';
    colon = end + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof hostbuf || colon == s)
      return false;
    memcpy(hostbuf, s, (size_t)(colon - s));
    hostbuf[colon - s] = '\0';
  }
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (*end || colon[1] == '\0' || p < 0 || p > 65535)
    return false;
  *host = strdup(hostbuf);
  *port = (unsigned)p;
  return *host != NULL;
}

typedef enum { K_STRING, K_UINT, K_BOOL, K_SIZE } key_kind;

typedef struct key_rule {
  const char *name;
  key_kind kind;
  size_t offset;
  unsigned long long min, max;
} key_rule;

#define F(field) offsetof(concerto_config, field)

static const key_rule top_rules[] = {
    {"database_url", K_STRING, F(database_url), 0, 0},
    {"database_app_url", K_STRING, F(database_app_url), 0, 0},
    {"modules_dir", K_STRING, F(modules_dir), 0, 0},
    {"web_dir", K_STRING, F(web_dir), 0, 0},
    {"data_dir", K_STRING, F(data_dir), 0, 0},
    {"blob_dir", K_STRING, F(blob_dir), 0, 0},
    {"scripts_dir", K_STRING, F(scripts_dir), 0, 0},
    {"db_app_role", K_STRING, F(db_app_role), 0, 0},
    {"javascript_dir", K_STRING, F(javascript_dir), 0, 0},
    {"smtp_url", K_STRING, F(smtp_url), 0, 0},
    {"smtp_from", K_STRING, F(smtp_from), 0, 0},
    {"smtp_user", K_STRING, F(smtp_user), 0, 0},
    {"smtp_password", K_STRING, F(smtp_password), 0, 0},
    {"sms_url", K_STRING, F(sms_url), 0, 0},
    {"sms_token", K_STRING, F(sms_token), 0, 0},
    {"sms_sender", K_STRING, F(sms_sender), 0, 0},
    {"sms_format", K_STRING, F(sms_format), 0, 0},
    {"video_provider", K_STRING, F(video_provider), 0, 0},
    {"video_base_url", K_STRING, F(video_base_url), 0, 0},
    {"video_app_id", K_STRING, F(video_app_id), 0, 0},
    {"video_app_secret", K_STRING, F(video_app_secret), 0, 0},
    {"session_idle_s", K_UINT, F(session_idle_s), 60, 7 * 24 * 3600},
    {"session_absolute_s", K_UINT, F(session_absolute_s), 300, 30 * 24 * 3600},
    {"cookie_secure", K_BOOL, F(cookie_secure), 0, 0},
    {"argon2_t_cost", K_UINT, F(argon2_t_cost), 1, 16},
    {"event_workers", K_UINT, F(event_workers), 0, 32},
    {"event_max_attempts", K_UINT, F(event_max_attempts), 1, 100},
    {"event_retry_base_ms", K_UINT, F(event_retry_base_ms), 10, 3600000},
    {"job_workers", K_UINT, F(job_workers), 0, 32},
    {"argon2_m_kib", K_UINT, F(argon2_m_kib), 1024, 1u << 21},
    {"threads", K_UINT, F(threads), 1, 256},
    {"db_pool_size", K_UINT, F(db_pool_size), 0, 512},
    {"db_acquire_timeout_ms", K_UINT, F(db_acquire_timeout_ms), 1, 60000},
    {"db_statement_cache", K_UINT, F(db_statement_cache), 1, 65536},
    {"metrics_remote", K_BOOL, F(metrics_remote), 0, 0},
    {"module_probe", K_BOOL, F(module_probe), 0, 0},
};

static const key_rule limit_rules[] = {
    {"max_body_bytes", K_SIZE, F(max_body_bytes), 1, 1ull << 34},
    {"max_upload_bytes", K_SIZE, F(max_upload_bytes), 1024, 1ull << 34},
    {"max_header_bytes", K_SIZE, F(max_header_bytes), 4096, 1u << 20},
    {"connection_timeout_s", K_UINT, F(connection_timeout_s), 1, 3600},
    {"max_connections", K_UINT, F(max_connections), 1, 100000},
    {"per_ip_connections", K_UINT, F(per_ip_connections), 0, 100000},
    {"shutdown_grace_s", K_UINT, F(shutdown_grace_s), 0, 600},
    {"linger_s", K_UINT, F(linger_s), 0, 300},
};

static bool apply_rule(concerto_config *cfg, const key_rule *r,
                       const char *path, const json_t *v, char *err,
                       size_t errlen) {
  char *base = (char *)cfg;
  switch (r->kind) {
  case K_STRING: {
    if (!json_is_string(v) && !json_is_null(v)) {
      snprintf(err, errlen, "%s: expected a string", path);
      return false;
    }
    char **slot = (char **)(base + r->offset);
    free(*slot);
    *slot = dup_or_null(json_string_value(v));
    return true;
  }
  case K_BOOL:
    if (!json_is_boolean(v)) {
      snprintf(err, errlen, "%s: expected true or false", path);
      return false;
    }
    *(bool *)(base + r->offset) = json_is_true(v);
    return true;
  case K_UINT:
  case K_SIZE: {
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (unsigned long long)json_integer_value(v) < r->min ||
        (unsigned long long)json_integer_value(v) > r->max) {
      snprintf(err, errlen, "%s: expected an integer from %llu to %llu", path,
               r->min, r->max);
      return false;
    }
    unsigned long long n = (unsigned long long)json_integer_value(v);
    if (r->kind == K_UINT)
      *(unsigned *)(base + r->offset) = (unsigned)n;
    else
      *(size_t *)(base + r->offset) = (size_t)n;
    return true;
  }
  }
  return false;
}

static bool apply_rules(concerto_config *cfg, const key_rule *rules,
                        size_t nrules, const char *prefix, const char *key,
                        const json_t *v, bool *found, char *err,
                        size_t errlen) {
  for (size_t i = 0; i < nrules; i++) {
    if (strcmp(rules[i].name, key) != 0)
      continue;
    char path[128];
    snprintf(path, sizeof path, "%s%s", prefix, key);
    *found = true;
    return apply_rule(cfg, &rules[i], path, v, err, errlen);
  }
  *found = false;
  return true;
}

static bool apply_limits(concerto_config *cfg, const json_t *obj, char *err,
                         size_t errlen) {
  if (!json_is_object(obj)) {
    snprintf(err, errlen, "limits: expected an object");
    return false;
  }
  const char *key;
  const json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    bool found;
    if (strcmp(key, "per_ip_exempt") == 0) {
      bool ok = json_is_array(v) && json_array_size(v) <= 64;
      size_t i;
      json_t *a;
      json_array_foreach(v, i, a) ok = ok && json_is_string(a);
      if (!ok) {
        snprintf(err, errlen,
                 "limits.per_ip_exempt: expected an array of "
                 "numeric IP addresses");
        return false;
      }
      json_decref(cfg->per_ip_exempt);
      cfg->per_ip_exempt = json_deep_copy(v);
      continue;
    }
    if (!apply_rules(cfg, limit_rules, sizeof limit_rules / sizeof *limit_rules,
                     "limits.", key, v, &found, err, errlen))
      return false;
    if (!found) {
      snprintf(err, errlen, "limits.%s: unknown key", key);
      return false;
    }
  }
  return true;
}

static bool apply_log(concerto_config *cfg, const json_t *obj, char *err,
                      size_t errlen) {
  if (!json_is_object(obj)) {
    snprintf(err, errlen, "log: expected an object");
    return false;
  }
  const char *key;
  const json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    if (strcmp(key, "level") == 0) {
      if (!log_level_parse(json_string_value(v), &cfg->log_level)) {
        snprintf(err, errlen, "log.level: expected debug, info, warn or error");
        return false;
      }
    } else if (strcmp(key, "access") == 0) {
      if (!json_is_boolean(v)) {
        snprintf(err, errlen, "log.access: expected true or false");
        return false;
      }
      cfg->access_log = json_is_true(v);
    } else {
      snprintf(err, errlen, "log.%s: unknown key", key);
      return false;
    }
  }
  return true;
}

static bool apply_modules_list(concerto_config *cfg, json_t *v, char *err,
                               size_t errlen) {
  if (json_is_null(v)) {
    json_decref(cfg->modules);
    cfg->modules = NULL;
    return true;
  }
  size_t i;
  json_t *item;
  if (!json_is_array(v)) {
    snprintf(err, errlen, "modules: expected an array of module names");
    return false;
  }
  json_array_foreach(v, i, item) {
    if (!json_is_string(item)) {
      snprintf(err, errlen, "modules[%zu]: expected a module name", i);
      return false;
    }
  }
  json_decref(cfg->modules);
  cfg->modules = json_incref(v);
  return true;
}

bool config_apply_json(concerto_config *cfg, const json_t *root, char *err,
                       size_t errlen) {
  if (!json_is_object(root)) {
    snprintf(err, errlen, "the configuration must be a JSON object");
    return false;
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)root, key, v) {
    bool found;
    if (!apply_rules(cfg, top_rules, sizeof top_rules / sizeof *top_rules, "",
                     key, v, &found, err, errlen))
      return false;
    if (found)
      continue;
    if (strcmp(key, "listen") == 0) {
      char *host;
      unsigned port;
      if (!config_parse_listen(json_string_value(v), &host, &port)) {
        snprintf(err, errlen, "listen: expected \"address:port\"");
        return false;
      }
      free(cfg->listen_host);
      cfg->listen_host = host;
      cfg->listen_port = port;
    } else if (strcmp(key, "limits") == 0) {
      if (!apply_limits(cfg, v, err, errlen))
        return false;
    } else if (strcmp(key, "log") == 0) {
      if (!apply_log(cfg, v, err, errlen))
        return false;
    } else if (strcmp(key, "modules") == 0) {
      if (!apply_modules_list(cfg, v, err, errlen))
        return false;
    } else if (strcmp(key, "module_settings") == 0) {
      if (!json_is_object(v)) {
        snprintf(err, errlen, "module_settings: expected an object");
        return false;
      }
      json_decref(cfg->module_settings);
      cfg->module_settings = json_deep_copy(v);
    } else if (key[0] == '_' || strcmp(key, "comment") == 0) {
      continue; /* documentation inside the file */
    } else {
      snprintf(err, errlen, "%s: unknown key", key);
      return false;
    }
  }
  return true;
}

bool config_apply_env(concerto_config *cfg, char *err, size_t errlen) {
  const char *listen = getenv("CONCERTO_LISTEN");
  if (listen && *listen) {
    char *host;
    unsigned port;
    if (!config_parse_listen(listen, &host, &port)) {
      snprintf(err, errlen, "CONCERTO_LISTEN: expected \"address:port\"");
      return false;
    }
    free(cfg->listen_host);
    cfg->listen_host = host;
    cfg->listen_port = port;
  }
  const char *db = getenv("CONCERTO_DATABASE_URL");
  if (db && *db) {
    free(cfg->database_url);
    cfg->database_url = strdup(db);
  }
  const char *app_db = getenv("CONCERTO_DATABASE_APP_URL");
  if (app_db && *app_db) {
    free(cfg->database_app_url);
    cfg->database_app_url = strdup(app_db);
  }
  return true;
}

/* blob_dir is resolved after loading rather than defaulted, so that moving
 * data_dir moves the blob store with it unless blob_dir says otherwise. */
static bool resolve_blob_dir(concerto_config *cfg, char *err, size_t errlen) {
  if (cfg->blob_dir || !cfg->data_dir)
    return true;
  size_t n = strlen(cfg->data_dir) + sizeof "/blobs";
  cfg->blob_dir = malloc(n);
  if (!cfg->blob_dir) {
    snprintf(err, errlen, "blob_dir: out of memory");
    return false;
  }
  snprintf(cfg->blob_dir, n, "%s/blobs", cfg->data_dir);
  return true;
}

bool config_load(concerto_config *cfg, const char *path, char *err,
                 size_t errlen) {
  if (path) {
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
      snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column,
               jerr.text);
      return false;
    }
    bool ok = config_apply_json(cfg, root, err, errlen);
    json_decref(root);
    if (!ok)
      return false;
  }
  if (!config_apply_env(cfg, err, errlen))
    return false;
  if (!cfg->database_url) {
    snprintf(err, errlen,
             "database_url: not set (config file or CONCERTO_DATABASE_URL)");
    return false;
  }
  if (!cfg->db_app_role || !*cfg->db_app_role) {
    /* Running requests as the login role (the schema owner) would let any
     * SQL they run RESET or change the rules row-level security enforces. */
    snprintf(err, errlen,
             "db_app_role: requests must run as a role of their own");
    return false;
  }
  if (cfg->db_pool_size == 0)
    cfg->db_pool_size = cfg->threads;
  /* The gateways' settings are checked by their layer (services_config.h)
   * right after this, so a typo still stops the start. */
  return resolve_blob_dir(cfg, err, errlen);
}
