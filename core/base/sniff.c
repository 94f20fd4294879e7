#include "sniff.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static bool starts_with(const unsigned char *p, size_t len, const char *sig,
                        size_t n) {
  return len >= n && memcmp(p, sig, n) == 0;
}

static uint32_t le16(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p) {
  return le16(p) | le16(p + 2) << 16;
}

#define ZIP_LOCAL_SIG "PK\x03\x04"
#define ZIP_LOCAL_HEADER 30 /* fixed part of a local file header */

static bool name_is(const unsigned char *name, size_t n, const char *want) {
  return n == strlen(want) && memcmp(name, want, n) == 0;
}

/* Offset of the next local header signature at or after `from`, or len. */
static size_t next_local_header(const unsigned char *p, size_t len,
                                size_t from) {
  for (size_t i = from; i + 4 <= len; i++)
    if (memcmp(p + i, ZIP_LOCAL_SIG, 4) == 0)
      return i;
  return len;
}

/* A DOCX is a ZIP (an OPC package) holding the Word main part under word/.
 * The rule: walking the local file headers that lie within the head, one
 * entry's name starts with "word/" and one is an OPC marker,
 * "[Content_Types].xml" or "_rels/.rels". Word writes [Content_Types].xml
 * and _rels/.rels first and word/ right after; LibreOffice starts with
 * _rels/.rels and a few small docProps/ entries before word/; both fit in
 * 4 KiB. A ZIP of anything else lacks one of the two, and an XLSX or PPTX
 * has the markers but xl/ or ppt/ instead of word/. Entries are skipped by
 * their compressed size; one written with a data descriptor (flag bit 3,
 * sizes not known in the header) is skipped by searching for the next
 * signature instead. */
static bool is_docx(const unsigned char *p, size_t len) {
  bool opc = false, word = false;
  size_t off = 0;
  while (off + ZIP_LOCAL_HEADER <= len &&
         memcmp(p + off, ZIP_LOCAL_SIG, 4) == 0) {
    const unsigned char *h = p + off;
    uint32_t flags = le16(h + 6);
    uint32_t csize = le32(h + 18);
    size_t name_len = le16(h + 26), extra_len = le16(h + 28);
    size_t name_at = off + ZIP_LOCAL_HEADER;
    if (name_len > len - name_at)
      break; /* the name runs past the head */
    const unsigned char *name = p + name_at;
    if (name_is(name, name_len, "[Content_Types].xml") ||
        name_is(name, name_len, "_rels/.rels"))
      opc = true;
    else if (name_len > 5 && memcmp(name, "word/", 5) == 0)
      word = true;
    if (opc && word)
      return true;
    size_t data_at = name_at + name_len;
    if (flags & 8u) {
      off = next_local_header(p, len, data_at);
      continue;
    }
    /* Sizes in 64-bit arithmetic: a hostile header cannot wrap. */
    uint64_t next = (uint64_t)data_at + extra_len + csize;
    if (next > len)
      break;
    off = (size_t)next;
  }
  return false;
}

const char *sniff_content_type(const unsigned char *head, size_t len) {
  if (!head)
    return SNIFF_OTHER;
  if (len > SNIFF_HEAD_BYTES)
    len = SNIFF_HEAD_BYTES;
  if (starts_with(head, len, "%PDF-", 5))
    return SNIFF_PDF;
  if (starts_with(head, len, "\x89PNG\r\n\x1a\n", 8))
    return SNIFF_PNG;
  if (starts_with(head, len, "\xff\xd8\xff", 3))
    return SNIFF_JPEG;
  /* DICOM Part 10: a 128-byte preamble, then "DICM". */
  if (len >= 132 && memcmp(head + 128, "DICM", 4) == 0)
    return SNIFF_DICOM;
  if (starts_with(head, len, ZIP_LOCAL_SIG, 4) && is_docx(head, len))
    return SNIFF_DOCX;
  return SNIFF_OTHER;
}
