/* libs/cp1252: UTF-8 to Windows-1252, for the base-14 PDF fonts
 * (WinAnsiEncoding), which have no Unicode map: Italian accents must
 * arrive as CP1252 bytes. Pure (no host, no allocation), unit-tested and
 * fuzzed (libs/cp1252/tests/).
 *
 * Version 1 (CONCERTO_CP1252_VERSION): only ever grows; an incompatible
 * change would be a new header concerto/cp1252_v2.h (libs/README.md). */
#ifndef CONCERTO_CP1252_H
#define CONCERTO_CP1252_H

#include <stddef.h>

#define CONCERTO_CP1252_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* Converts NUL-terminated UTF-8 `in` into the caller's `out` (NUL-terminated,
 * at most outlen - 1 bytes); characters CP1252 lacks and malformed sequences
 * become '?', control characters other than \n and \t become ' '. Returns
 * the bytes written (without the NUL). outlen must be >= 1. Both buffers are
 * borrowed for the call. */
size_t concerto_cp1252_from_utf8(const char *in, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif

#endif
