/* UTF-8 to Windows-1252 for the PDF's built-in fonts (WinAnsiEncoding):
 * pure, unit-tested. */
#ifndef TELECONSULT_CP1252_H
#define TELECONSULT_CP1252_H

#include <stddef.h>

/* Converts NUL-terminated UTF-8 `in` into `out` (NUL-terminated, at most
 * outlen - 1 bytes); characters CP1252 lacks and malformed sequences become
 * '?', control characters other than \n and \t become ' '. Returns the bytes
 * written (without the NUL). outlen must be >= 1. */
size_t tc_utf8_to_cp1252(const char *in, char *out, size_t outlen);

#endif
