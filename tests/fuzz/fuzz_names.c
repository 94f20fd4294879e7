/* libFuzzer: the small parsers of untrusted names - migration file names,
 * static file paths, module names, listen addresses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "migrate.h"
#include "module_registry.h"
#include "static_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = '\0';
  long n;
  if (migration_parse_name(s, &n) && n < 0)
    abort();
  if (static_path_safe(s) && (strstr(s, "/.") || s[0] == '.' || s[0] == '/'))
    abort(); /* a "safe" path must never hold a dot-segment */
  static_mime_type(s);
  module_name_valid(s);
  char *host = NULL;
  unsigned port;
  if (config_parse_listen(s, &host, &port) && port > 65535)
    abort();
  free(host);
  free(s);
  return 0;
}
