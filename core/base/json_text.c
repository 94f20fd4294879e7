#include "json_text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* What json_text_end may still append, plus the NUL: every other write
 * stays below LIMIT, so closing the line can never run out of room. */
#define TAIL ",\"truncated\":true}\n"
#define LIMIT (sizeof((json_text *)0)->buf - sizeof TAIL)
#define MARKER_LEN (sizeof JSON_TEXT_CUT_MARKER - 1)

void json_text_init(json_text *t) {
  t->buf[0] = '{';
  t->buf[1] = '\0';
  t->len = 1;
  t->fields = 0;
  t->truncated = false;
}

/* Bytes copied as they are: printable ASCII but the two JSON escapes. */
static inline bool is_plain(unsigned char c) {
  return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* The length of the well-formed UTF-8 sequence at s (2 to 4), or 0 with
 * *bad set to the length of its maximal ill-formed subpart (at least 1),
 * which becomes one U+FFFD (the Unicode standard's practice, 3.9). */
static size_t utf8_len(const unsigned char *s, size_t n, size_t *bad) {
  unsigned char c = s[0], lo = 0x80, hi = 0xbf;
  size_t need;
  if (c >= 0xc2 && c <= 0xdf)
    need = 1;
  else if (c == 0xe0)
    need = 2, lo = 0xa0; /* no overlong forms */
  else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
    need = 2;
  else if (c == 0xed)
    need = 2, hi = 0x9f; /* no surrogates */
  else if (c == 0xf0)
    need = 3, lo = 0x90;
  else if (c >= 0xf1 && c <= 0xf3)
    need = 3;
  else if (c == 0xf4)
    need = 3, hi = 0x8f; /* nothing above U+10FFFF */
  else {
    *bad = 1;
    return 0;
  }
  size_t k = 1;
  for (; k <= need && k < n; k++) {
    if (s[k] < lo || s[k] > hi)
      break;
    lo = 0x80;
    hi = 0xbf;
  }
  if (k == need + 1)
    return k;
  *bad = k;
  return 0;
}

static size_t put_u_escape(char *out, unsigned cp) {
  static const char hex[] = "0123456789abcdef";
  out[0] = '\\';
  out[1] = 'u';
  out[2] = hex[(cp >> 12) & 15];
  out[3] = hex[(cp >> 8) & 15];
  out[4] = hex[(cp >> 4) & 15];
  out[5] = hex[cp & 15];
  return 6;
}

/* The escaped form of the character at s[0] into piece (at most 6 bytes);
 * *used says how many input bytes it stands for. */
static size_t escape_piece(const unsigned char *s, size_t n, char *piece,
                           size_t *used) {
  unsigned char c = s[0];
  *used = 1;
  if (c < 0x80) {
    piece[0] = '\\';
    switch (c) {
    case '"':
    case '\\':
      piece[1] = (char)c;
      return 2;
    case '\n':
      piece[1] = 'n';
      return 2;
    case '\r':
      piece[1] = 'r';
      return 2;
    case '\t':
      piece[1] = 't';
      return 2;
    case '\0': /* many log readers cannot hold a NUL */
      return put_u_escape(piece, 0xfffd);
    default: /* other controls and DEL */
      return put_u_escape(piece, c);
    }
  }
  size_t bad = 0, k = utf8_len(s, n, &bad);
  if (k == 0) {
    *used = bad;
    return put_u_escape(piece, 0xfffd);
  }
  *used = k;
  if (c == 0xc2 && s[1] < 0xa0) /* C1 controls: escaped like C0 ones */
    return put_u_escape(piece, s[1]);
  memcpy(piece, s, k);
  return k;
}

/* Writes s[0..n) as a JSON string at t->len, its escaped text at most `cap`
 * bytes: a longer one is cut at a character boundary and ends with the
 * marker (as does one the caller already cut). Returns false, having
 * written nothing, when the line has no room even for the marker. */
static bool put_string(json_text *t, const unsigned char *s, size_t n,
                       size_t cap, bool cut) {
  if (cap < MARKER_LEN)
    cap = MARKER_LEN;
  if (LIMIT - t->len < 2)
    return false;
  size_t start = t->len + 1; /* after the opening quote */
  size_t budget = LIMIT - start - 1 < cap ? LIMIT - start - 1 : cap;
  size_t hard = start + budget; /* escaped text ends here at the latest */
  /* Where a cut text ends so that the marker still fits; `safe` is the
   * last character boundary at or before it. */
  size_t soft = budget >= MARKER_LEN ? hard - MARKER_LEN : start;
  size_t o = start, safe = start, i = 0;
  char *buf = t->buf;
  while (i < n) {
    if (is_plain(s[i])) {
      size_t j = i + 1;
      while (j < n && is_plain(s[j]))
        j++;
      size_t run = j - i;
      if (hard - o < run) { /* every byte of a plain run is a boundary */
        if (o < soft) {
          memcpy(buf + o, s + i, soft - o);
          o = safe = soft;
        }
        cut = true;
        break;
      }
      memcpy(buf + o, s + i, run);
      safe = o + run <= soft ? o + run : (o <= soft ? soft : safe);
      o += run;
      i = j;
      continue;
    }
    char piece[6];
    size_t used, k = escape_piece(s + i, n - i, piece, &used);
    if (hard - o < k) {
      cut = true;
      break;
    }
    memcpy(buf + o, piece, k);
    o += k;
    i += used;
    if (o <= soft)
      safe = o;
  }
  if (cut) {
    if (budget < MARKER_LEN)
      return false;
    if (o > soft)
      o = safe;
    memcpy(buf + o, JSON_TEXT_CUT_MARKER, MARKER_LEN);
    o += MARKER_LEN;
  }
  buf[start - 1] = '"';
  buf[o++] = '"';
  t->len = o;
  return true;
}

static bool put_byte(json_text *t, char c) {
  if (t->len >= LIMIT)
    return false;
  t->buf[t->len++] = c;
  return true;
}

/* ,"key": (no comma before the first field). */
static bool put_key(json_text *t, const char *key) {
  if (!key)
    key = "-";
  return (t->fields == 0 || put_byte(t, ',')) &&
         put_string(t, (const unsigned char *)key, strlen(key),
                    JSON_TEXT_CAP_NAME, false) &&
         put_byte(t, ':');
}

/* A field is written whole or not at all: the line never ends in a key. */
static void field_done(json_text *t, size_t mark, bool ok) {
  if (ok) {
    t->fields++;
  } else {
    t->len = mark;
    t->truncated = true;
  }
}

void json_text_key_bytes(json_text *t, const char *key, const char *value,
                         size_t len, size_t cap, bool already_cut) {
  size_t mark = t->len;
  bool ok = put_key(t, key) &&
            put_string(t, (const unsigned char *)(value ? value : ""),
                       value ? len : 0, cap, already_cut);
  field_done(t, mark, ok);
}

void json_text_key_string(json_text *t, const char *key, const char *value,
                          size_t cap) {
  json_text_key_bytes(t, key, value, value ? strlen(value) : 0, cap, false);
}

static void key_raw(json_text *t, const char *key, const char *text, size_t n) {
  size_t mark = t->len;
  bool ok = put_key(t, key) && LIMIT - t->len >= n;
  if (ok) {
    memcpy(t->buf + t->len, text, n);
    t->len += n;
  }
  field_done(t, mark, ok);
}

void json_text_key_uint(json_text *t, const char *key, unsigned long long v) {
  char num[24];
  size_t i = sizeof num;
  do {
    num[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  key_raw(t, key, num + i, sizeof num - i);
}

void json_text_key_double(json_text *t, const char *key, double v) {
  char num[40];
  int n;
  if (!isfinite(v))
    n = snprintf(num, sizeof num, "null");
  else if (fabs(v) < 1e15)
    n = snprintf(num, sizeof num, "%.3f", v);
  else /* %.3f of 1e300 would be 300 digits */
    n = snprintf(num, sizeof num, "%.6e", v);
  key_raw(t, key, num, (size_t)n);
}

size_t json_text_end(json_text *t) {
  static const char flagged[] = TAIL;
  const char *tail =
      t->truncated ? flagged + (t->fields ? 0 : 1) /* no comma */ : "}\n";
  size_t n = strlen(tail);
  memcpy(t->buf + t->len, tail, n + 1);
  t->len += n;
  return t->len;
}
