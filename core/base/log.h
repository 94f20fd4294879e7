/* Structured logging: one JSON object per line on stderr, written with a
 * single write(2) so lines from different threads never interleave.
 * Never pass secrets, request bodies or patient data: callers log route
 * templates (not raw paths), ids and outcomes. */
#ifndef CONCERTO_CORE_LOG_H
#define CONCERTO_CORE_LOG_H

#include <stdbool.h>

#include "concerto/host.h"

void log_set_level(concerto_log_level min_level);
bool log_enabled(concerto_log_level level);

/* module and request_id may be NULL. */
void log_msg(concerto_log_level level, const char *module,
             const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void log_vmsg(concerto_log_level level, const char *module,
              const char *request_id, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* The access line of one request. `route` is the matched template or "-".
 * Every value is escaped and cut at its cap (core/base/json_text.h), the method
 * shortest: it is whatever the client sent. The strings are only read. */
void log_access(const char *request_id, const char *method, const char *route,
                unsigned status, double duration_ms);

/* Parses "debug"/"info"/"warn"/"error"; returns false if unknown. */
bool log_level_parse(const char *s, concerto_log_level *out);

#endif
