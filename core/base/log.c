#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "json_text.h"

static atomic_int min_level = CONCERTO_LOG_INFO;

void log_set_level(concerto_log_level level) {
  atomic_store(&min_level, level);
}

bool log_enabled(concerto_log_level level) {
  return (int)level >= atomic_load(&min_level);
}

static const char *level_name(concerto_log_level level) {
  switch (level) {
  case CONCERTO_LOG_DEBUG:
    return "debug";
  case CONCERTO_LOG_INFO:
    return "info";
  case CONCERTO_LOG_WARN:
    return "warn";
  case CONCERTO_LOG_ERROR:
    return "error";
  default:
    return "info";
  }
}

bool log_level_parse(const char *s, concerto_log_level *out) {
  static const struct {
    const char *name;
    concerto_log_level level;
  } names[] = {{"debug", CONCERTO_LOG_DEBUG},
               {"info", CONCERTO_LOG_INFO},
               {"warn", CONCERTO_LOG_WARN},
               {"error", CONCERTO_LOG_ERROR}};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (s && strcasecmp(s, names[i].name) == 0) {
      *out = names[i].level;
      return true;
    }
  return false;
}

static void put_timestamp(json_text *t) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[96];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, (int)(ts.tv_nsec / 1000000) % 1000);
  json_text_key_string(t, "ts", buf, JSON_TEXT_CAP_NAME);
}

static void emit(json_text *t) {
  size_t left = json_text_end(t);
  const char *p = t->buf;
  while (left > 0) {
    ssize_t n = write(STDERR_FILENO, p, left);
    if (n <= 0)
      break;
    p += n;
    left -= (size_t)n;
  }
}

void log_vmsg(concerto_log_level level, const char *module,
              const char *request_id, const char *fmt, va_list ap) {
  if (!log_enabled(level))
    return;
  char msg[JSON_TEXT_CAP_MSG];
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  size_t len = n < 0 ? 0 : (size_t)n;
  bool cut = len >= sizeof msg; /* json_text marks it */
  if (cut)
    len = sizeof msg - 1;
  json_text t;
  json_text_init(&t);
  put_timestamp(&t);
  json_text_key_string(&t, "level", level_name(level), JSON_TEXT_CAP_WORD);
  if (module)
    json_text_key_string(&t, "module", module, JSON_TEXT_CAP_NAME);
  if (request_id)
    json_text_key_string(&t, "request_id", request_id, JSON_TEXT_CAP_NAME);
  json_text_key_bytes(&t, "msg", msg, len, JSON_TEXT_CAP_MSG, cut);
  emit(&t);
}

void log_msg(concerto_log_level level, const char *module,
             const char *request_id, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vmsg(level, module, request_id, fmt, ap);
  va_end(ap);
}

/* The method is whatever the client sent (libmicrohttpd accepts any token
 * of any length), so it gets the shortest cap; the request id is ours or a
 * caller's id of safe characters (request.c), the route our template. */
void log_access(const char *request_id, const char *method, const char *route,
                unsigned status, double duration_ms) {
  if (!log_enabled(CONCERTO_LOG_INFO))
    return;
  json_text t;
  json_text_init(&t);
  put_timestamp(&t);
  json_text_key_string(&t, "level", "info", JSON_TEXT_CAP_WORD);
  json_text_key_string(&t, "msg", "request", JSON_TEXT_CAP_WORD);
  json_text_key_string(&t, "request_id", request_id, JSON_TEXT_CAP_NAME);
  json_text_key_string(&t, "method", method, JSON_TEXT_CAP_WORD);
  json_text_key_string(&t, "route", route, JSON_TEXT_CAP_ROUTE);
  json_text_key_uint(&t, "status", status);
  json_text_key_double(&t, "duration_ms", duration_ms);
  emit(&t);
}
