/* The PDF uses the standard Helvetica with WinAnsiEncoding: that font has
 * no Unicode cmap, so Italian accents must arrive as CP1252 bytes. */
#include <concerto/cp1252.h>

#include <stdint.h>

/* 0x80..0x9F of CP1252 (0 = undefined there). */
static const uint16_t high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

static unsigned char map(uint32_t cp) {
  if (cp == '\n' || cp == '\t')
    return (unsigned char)cp;
  if (cp < 0x20 || cp == 0x7F)
    return ' ';
  if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF))
    return (unsigned char)cp;
  for (int i = 0; i < 32; i++)
    if (high[i] && high[i] == cp)
      return (unsigned char)(0x80 + i);
  return '?';
}

/* Decodes one UTF-8 sequence at s; returns its length (>= 1) and sets *cp,
 * or 0x110000 for a malformed one (consuming one byte). */
static size_t decode(const unsigned char *s, uint32_t *cp) {
  unsigned char c = s[0];
  size_t n;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    *cp = 0x110000;
    return 1;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) { /* also stops at the NUL */
      *cp = 0x110000;
      return 1;
    }
    v = (v << 6) | (s[i] & 0x3F);
  }
  *cp =
      (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? 0x110000 : v;
  return n;
}

size_t concerto_cp1252_from_utf8(const char *in, char *out, size_t outlen) {
  size_t o = 0;
  const unsigned char *s = (const unsigned char *)in;
  while (*s && o + 1 < outlen) {
    uint32_t cp;
    s += decode(s, &cp);
    out[o++] = (char)(cp == 0x110000 ? '?' : map(cp));
  }
  out[o] = '\0';
  return o;
}
