/* Helpers of the static file handler, exposed for unit tests. */
#ifndef CONCERTO_CORE_STATIC_FILES_H
#define CONCERTO_CORE_STATIC_FILES_H

#include <stdbool.h>

/* The Content-Type for a file name, by extension (borrowed, static). */
const char *static_mime_type(const char *path);
/* Whether a relative path is made of plain segments only: no empty, "." or
 * ".."-style segment, no hidden file, no backslash, not absolute. */
bool static_path_safe(const char *rel);

#endif
