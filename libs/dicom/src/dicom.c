/* DICOM tag reader. Files come from users: every length
 * is checked against what is left, sequences nest at most a few levels and
 * parsing stops at the first inconsistency (keeping what was found). */
#include <concerto/dicom.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 8
#define UNDEFINED 0xFFFFFFFFu

typedef struct cursor {
  const unsigned char *p;
  size_t len;
  bool implicit; /* dataset in implicit VR little endian */
  concerto_dicom_tags *out;
} cursor;

static uint16_t u16(const unsigned char *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t u32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}

/* Copies a string value: trailing blanks and NULs trimmed, control bytes
 * replaced, the DICOM name separator '^' shown as a space. */
static void copy(char *dst, size_t cap, const unsigned char *v, size_t n,
                 bool name) {
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\0'))
    n--;
  size_t j = 0;
  for (size_t i = 0; i < n && j + 1 < cap; i++) {
    unsigned char c = v[i];
    if (name && c == '^')
      c = ' ';
    dst[j++] = (char)(c < 0x20 || c == 0x7F ? '?' : c);
  }
  dst[j] = '\0';
}

static void take(cursor *c, uint16_t group, uint16_t elem,
                 const unsigned char *v, size_t n) {
  concerto_dicom_tags *t = c->out;
  uint32_t tag = ((uint32_t)group << 16) | elem;
  switch (tag) {
  case 0x00100010:
    copy(t->patient_name, sizeof t->patient_name, v, n, true);
    break;
  case 0x00100020:
    copy(t->patient_id, sizeof t->patient_id, v, n, false);
    break;
  case 0x00080020:
    copy(t->study_date, sizeof t->study_date, v, n, false);
    break;
  case 0x00080060:
    copy(t->modality, sizeof t->modality, v, n, false);
    break;
  case 0x00081030:
    copy(t->study_description, sizeof t->study_description, v, n, false);
    break;
  case 0x00020010:
    copy(t->transfer_syntax, sizeof t->transfer_syntax, v, n, false);
    break;
  default:
    break;
  }
}

static bool long_vr(const unsigned char *vr) {
  static const char *const vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                    "SV", "UC", "UN", "UR", "UT", "UV"};
  for (size_t i = 0; i < sizeof vrs / sizeof *vrs; i++)
    if (vr[0] == vrs[i][0] && vr[1] == vrs[i][1])
      return true;
  return false;
}

static size_t elements(cursor *c, size_t pos, size_t end, int depth,
                       bool in_item, bool meta_only, bool *ok);

/* Skips the items of a sequence starting at pos; returns the position after
 * it, or sets *ok false. */
static size_t sequence(cursor *c, size_t pos, size_t end, uint32_t length,
                       int depth, bool *ok) {
  if (depth >= MAX_DEPTH) {
    *ok = false;
    return pos;
  }
  if (length != UNDEFINED) {
    if (length > end - pos) {
      *ok = false;
      return pos;
    }
    return pos + length; /* nested values are not needed */
  }
  while (*ok && end - pos >= 8) {
    uint16_t g = u16(c->p + pos), e = u16(c->p + pos + 2);
    uint32_t l = u32(c->p + pos + 4);
    pos += 8;
    if (g == 0xFFFE && e == 0xE0DD) /* sequence delimitation */
      return pos;
    if (g != 0xFFFE || e != 0xE000) {
      *ok = false;
      return pos;
    }
    if (l == UNDEFINED) {
      pos = elements(c, pos, end, depth + 1, true, false, ok);
    } else {
      if (l > end - pos) {
        *ok = false;
        return pos;
      }
      pos += l;
    }
  }
  *ok = false;
  return pos;
}

/* Walks elements from pos; in_item stops at an item delimitation,
 * meta_only at the end of group 0002. Values are read only at depth 0. */
static size_t elements(cursor *c, size_t pos, size_t end, int depth,
                       bool in_item, bool meta_only, bool *ok) {
  while (*ok && end - pos >= 8) {
    const unsigned char *h = c->p + pos;
    uint16_t group = u16(h), elem = u16(h + 2);
    if (meta_only && group != 0x0002)
      return pos;
    if (group == 0xFFFE && elem == 0xE00D) { /* item delimitation */
      if (!in_item)
        *ok = false;
      return pos + 8;
    }
    bool implicit = c->implicit && group != 0x0002;
    uint32_t length;
    bool is_sq = false;
    if (implicit) {
      length = u32(h + 4);
      pos += 8;
      is_sq = length == UNDEFINED;
    } else if (long_vr(h + 4)) {
      if (end - pos < 12) {
        *ok = false;
        return pos;
      }
      is_sq = h[4] == 'S' && h[5] == 'Q';
      length = u32(h + 8);
      pos += 12;
      if (length == UNDEFINED && !is_sq) {
        /* Encapsulated pixel data: items until a sequence delimiter. */
        is_sq = true;
      }
    } else {
      length = u16(h + 6);
      pos += 8;
    }
    if (is_sq) {
      pos = sequence(c, pos, end, length, depth, ok);
      continue;
    }
    if (length > end - pos) {
      *ok = false;
      return pos;
    }
    if (depth == 0)
      take(c, group, elem, c->p + pos, length);
    pos += length;
    /* Pixel data is last of interest: stop before megabytes of it. */
    if (depth == 0 && group == 0x7FE0)
      return pos;
  }
  return pos;
}

int concerto_dicom_parse(const unsigned char *data, size_t len,
                         concerto_dicom_tags *out) {
  memset(out, 0, sizeof *out);
  if (!data || len < 132 || memcmp(data + 128, "DICM", 4) != 0)
    return -1;
  cursor c = {data, len, false, out};
  bool ok = true;
  size_t pos = elements(&c, 132, len, 0, false, true, &ok);
  if (!ok)
    return 0;
  /* Implicit VR little endian is the one other syntax still common. */
  c.implicit = strcmp(out->transfer_syntax, "1.2.840.10008.1.2") == 0;
  elements(&c, pos, len, 0, false, false, &ok);
  return 0;
}
