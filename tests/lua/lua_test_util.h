/* Helpers shared by the Lua host tests and the benchmark: reading script
 * files, and a module lookup over a hospital's script folder such as the
 * host will do over stored scripts. Header-only: each program is one file. */
#ifndef CONCERTO_TESTS_LUA_TEST_UTIL_H
#define CONCERTO_TESTS_LUA_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_box.h"

/* The production limits but a generous wall clock: tests that check the
 * memory or instruction limits must not depend on how busy the machine is
 * (the wall-clock bound has its own test). */
#define LUA_TEST_LIMITS ((lua_limits){8u << 20, 1000000ul, 5000u})

/* The whole file as a NUL-terminated malloc'd string (caller frees), or
 * NULL. */
static inline char *lua_test_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    if (len)
      *len = (size_t)n;
  }
  return buf;
}

/* A hospital's script folder for require: module a.b is <dir>/a/b.lua. */
typedef struct lua_test_modules {
  char dir[512];
  char *last; /* the text handed out last, kept until the next call */
} lua_test_modules;

static inline const char *lua_test_module_source(void *ud, const char *name,
                                                 size_t *len) {
  lua_test_modules *m = ud;
  char path[1024];
  int n = snprintf(path, sizeof path, "%s/", m->dir);
  for (const char *p = name; *p && n < (int)sizeof path - 5; p++)
    path[n++] = *p == '.' ? '/' : *p;
  snprintf(path + n, sizeof path - (size_t)n, ".lua");
  free(m->last);
  m->last = lua_test_read(path, len);
  return m->last;
}

#endif
