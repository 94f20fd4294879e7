#include "utf8.h"

bool utf8_clean(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f)
        return false;
      p++;
      continue;
    }
    unsigned need, min;
    unsigned cp;
    if ((c & 0xE0) == 0xC0)
      need = 1, min = 0x80, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0)
      need = 2, min = 0x800, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0)
      need = 3, min = 0x10000, cp = c & 0x07;
    else
      return false; /* a continuation byte, or 0xF8-0xFF */
    if ((size_t)(end - p) <= need)
      return false;
    for (unsigned i = 1; i <= need; i++) {
      if ((p[i] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
        (cp >= 0x80 && cp <= 0x9F))
      return false;
    p += need + 1;
  }
  return true;
}
