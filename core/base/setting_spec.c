#include "setting_spec.h"

#include <stdlib.h>
#include <string.h>

bool setting_value_fits(concerto_config_type type, long long min, long long max,
                        const char *v) {
  if (!v)
    return true;
  switch (type) {
  case CONCERTO_CONFIG_STRING:
    return true;
  case CONCERTO_CONFIG_BOOL:
    return strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
  case CONCERTO_CONFIG_INT: {
    char *end;
    long long n = strtoll(v, &end, 10);
    return *v && !*end && n >= min && n <= max;
  }
  default:
    return false;
  }
}
