/* Text checks at the edge: what a client sends in a path, a query or a
 * header must be text PostgreSQL can take and a log line can carry. */
#ifndef CONCERTO_CORE_UTF8_H
#define CONCERTO_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the `len` bytes at `s` are well-formed UTF-8 (no overlong forms,
 * no surrogates, nothing above U+10FFFF) without control characters (C0,
 * DEL, C1). */
bool utf8_clean(const char *s, size_t len);

#endif
