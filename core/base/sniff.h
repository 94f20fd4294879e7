/* Content type from a file's first bytes, never from its name or from what
 * the client claims: the blob store records what the bytes are, so a PNG
 * named report.pdf is stored (and later served) as image/png. Pure: no I/O,
 * no allocation, safe on any input (it is fuzzed). */
#ifndef CONCERTO_CORE_SNIFF_H
#define CONCERTO_CORE_SNIFF_H

#include <stddef.h>

/* How many leading bytes the sniffer looks at; callers keep this much. */
#define SNIFF_HEAD_BYTES 4096

#define SNIFF_PDF "application/pdf"
#define SNIFF_JPEG "image/jpeg"
#define SNIFF_PNG "image/png"
#define SNIFF_DICOM "application/dicom"
#define SNIFF_DOCX                                                             \
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define SNIFF_OTHER "application/octet-stream"

/* One of the SNIFF_* strings (static storage) for the first `len` bytes of
 * a file (only the first SNIFF_HEAD_BYTES are examined). `head` may be NULL
 * when len is 0. */
const char *sniff_content_type(const unsigned char *head, size_t len);

#endif
