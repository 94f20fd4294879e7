#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *concerto_core_sql_dir(void) {
  const char *env = getenv("CONCERTO_SQL_DIR");
  if (env && *env)
    return env;
  static char path[PATH_MAX];
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      snprintf(path, sizeof path, "%.*s/../share/concerto/sql",
               (int)(sizeof path - 32), exe);
      if (access(path, R_OK) == 0)
        return path;
    }
  }
  return CONCERTO_DEFAULT_SQL_DIR;
}
