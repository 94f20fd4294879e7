#include "mhd_message.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct out_text {
  char *p;
  size_t cap, len;
} out_text;

static void put(out_text *o, const char *s, size_t n) {
  size_t room = o->cap - 1 - o->len;
  if (n > room)
    n = room;
  for (size_t i = 0; i < n; i++)
    o->p[o->len++] = s[i] == '\n' ? ' ' : s[i];
  o->p[o->len] = '\0';
}

static void put_str(out_text *o, const char *s) {
  put(o, s, strlen(s));
}

/* Plain words: letters, spaces and sentence punctuation, as in "Connection
 * reset by peer" or "The socket is not connected". A path has '/', an
 * identifier digits, a URL both; none of them passes. */
static bool is_plain_words(const char *s, size_t n) {
  if (n == 0 || n > 200)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ' ' ||
              c == '\n' || (c != '\0' && strchr(".,;:!()'-", c));
    if (!ok)
      return false;
  }
  return true;
}

/* A string argument: `quoted` when the format puts a quote right before
 * it, which is how libmicrohttpd cites request text. */
static void put_arg(out_text *o, const char *s, int precision, bool quoted) {
  if (!s) {
    put_str(o, "(null)");
    return;
  }
  size_t n = precision >= 0 ? strnlen(s, (size_t)precision) : strlen(s);
  if (!quoted && is_plain_words(s, n))
    put(o, s, n);
  else
    put_str(o, MHD_MESSAGE_REDACTED);
}

enum length { L_NONE, L_HH, L_H, L_L, L_LL, L_Z, L_J, L_T, L_BIG_L };

static const char *read_length(const char *f, enum length *len) {
  *len = L_NONE;
  switch (*f) {
  case 'h':
    *len = f[1] == 'h' ? L_HH : L_H;
    return f + (f[1] == 'h' ? 2 : 1);
  case 'l':
    *len = f[1] == 'l' ? L_LL : L_L;
    return f + (f[1] == 'l' ? 2 : 1);
  case 'z':
    *len = L_Z;
    return f + 1;
  case 'j':
    *len = L_J;
    return f + 1;
  case 't':
    *len = L_T;
    return f + 1;
  case 'L':
    *len = L_BIG_L;
    return f + 1;
  default:
    return f;
  }
}

/* Integers are printed plainly (flags and width are layout only); the
 * argument is read with the type its length modifier names. */
static void put_int(out_text *o, char conv, enum length len, va_list *ap) {
  char num[32];
  if (conv == 'd' || conv == 'i') {
    long long v;
    switch (len) {
    case L_L:
      v = va_arg(*ap, long);
      break;
    case L_LL:
      v = va_arg(*ap, long long);
      break;
    case L_Z:
    case L_T:
      v = va_arg(*ap, ptrdiff_t);
      break;
    case L_J:
      v = va_arg(*ap, intmax_t);
      break;
    default:
      v = va_arg(*ap, int);
    }
    snprintf(num, sizeof num, "%lld", v);
  } else {
    unsigned long long v;
    switch (len) {
    case L_L:
      v = va_arg(*ap, unsigned long);
      break;
    case L_LL:
      v = va_arg(*ap, unsigned long long);
      break;
    case L_Z:
    case L_T:
      v = va_arg(*ap, size_t);
      break;
    case L_J:
      v = va_arg(*ap, uintmax_t);
      break;
    default:
      v = va_arg(*ap, unsigned);
    }
    if (conv == 'x')
      snprintf(num, sizeof num, "%llx", v);
    else if (conv == 'X')
      snprintf(num, sizeof num, "%llX", v);
    else if (conv == 'o')
      snprintf(num, sizeof num, "%llo", v);
    else
      snprintf(num, sizeof num, "%llu", v);
  }
  put_str(o, num);
}

/* One conversion after its '%'; returns where the format goes on, or NULL
 * for a conversion it cannot read the argument of. */
static const char *put_conversion(out_text *o, const char *f, bool quoted,
                                  va_list *ap) {
  while (*f && strchr("-+ #0'", *f))
    f++;
  if (*f == '*') {
    (void)va_arg(*ap, int);
    f++;
  }
  while (*f >= '0' && *f <= '9')
    f++;
  int precision = -1;
  if (*f == '.') {
    f++;
    precision = 0;
    if (*f == '*') {
      precision = va_arg(*ap, int);
      f++;
    }
    for (; *f >= '0' && *f <= '9'; f++)
      if (precision < 100000)
        precision = precision * 10 + (*f - '0');
  }
  enum length len;
  f = read_length(f, &len);
  char num[48];
  switch (*f) {
  case 'd':
  case 'i':
  case 'u':
  case 'o':
  case 'x':
  case 'X':
    put_int(o, *f, len, ap);
    return f + 1;
  case 's':
    put_arg(o, va_arg(*ap, const char *), precision, quoted);
    return f + 1;
  case 'c': /* a character of the request, perhaps: nothing to gain */
    (void)va_arg(*ap, int);
    put_str(o, MHD_MESSAGE_REDACTED);
    return f + 1;
  case 'p':
    snprintf(num, sizeof num, "%p", va_arg(*ap, void *));
    put_str(o, num);
    return f + 1;
  case 'f':
  case 'F':
  case 'e':
  case 'E':
  case 'g':
  case 'G':
  case 'a':
  case 'A':
    if (len == L_BIG_L)
      snprintf(num, sizeof num, "%Lg", va_arg(*ap, long double));
    else
      snprintf(num, sizeof num, "%g", va_arg(*ap, double));
    put_str(o, num);
    return f + 1;
  default: /* %n, or something this does not know */
    return NULL;
  }
}

size_t mhd_message_format(char *out, size_t outlen, const char *fmt,
                          va_list ap) {
  if (outlen == 0)
    return 0;
  out_text o = {out, outlen, 0};
  out[0] = '\0';
  va_list args;
  va_copy(args, ap);
  for (const char *f = fmt ? fmt : ""; *f;) {
    if (*f != '%') {
      size_t n = strcspn(f, "%");
      put(&o, f, n);
      f += n;
      continue;
    }
    if (f[1] == '%') {
      put(&o, "%", 1);
      f += 2;
      continue;
    }
    bool quoted = f > fmt && strchr("`'\"", f[-1]);
    f = put_conversion(&o, f + 1, quoted, &args);
    if (!f) {
      put_str(&o, "[...]");
      break;
    }
  }
  va_end(args);
  while (o.len > 0 && out[o.len - 1] == ' ') /* the trailing "\n" */
    out[--o.len] = '\0';
  return o.len;
}
