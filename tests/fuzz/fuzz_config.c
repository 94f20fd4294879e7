/* libFuzzer: the configuration parser on arbitrary JSON text. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *root = json_loadb((const char *)data, size, 0, NULL);
  if (!root)
    return 0;
  concerto_config cfg;
  config_defaults(&cfg);
  char err[512];
  config_apply_json(&cfg, root, err, sizeof err);
  config_free(&cfg);
  json_decref(root);
  return 0;
}
