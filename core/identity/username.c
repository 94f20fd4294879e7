#include "username.h"

#include <string.h>

static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool username_fold(const char *name, char *out, size_t outlen) {
  if (outlen)
    out[0] = '\0';
  size_t n = name ? strlen(name) : 0;
  if (n < 2 || n > 64 || n + 1 > outlen)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = lower(name[i]);
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) {
      out[0] = '\0';
      return false;
    }
    out[i] = c;
  }
  out[n] = '\0';
  return true;
}

void username_lower(char *name) {
  for (; name && *name; name++)
    *name = lower(*name);
}
