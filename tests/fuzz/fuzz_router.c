/* libFuzzer: route templates and request paths. The first line of the input
 * is a template added to a router that already holds a few routes; the rest
 * is matched as a path with every method. Must never crash, read out of
 * bounds or leak; parameters must point inside the matched path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  char *nl = strchr(text, '\n');
  const char *path = nl ? nl + 1 : "/";
  if (nl)
    *nl = '\0';
  router *r = router_new();
  char err[256];
  static int t1, t2, t3;
  router_add(r, "GET", "/api/v1/things/{id}", &t1, err, sizeof err);
  router_add(r, "GET", "/modules/m/{*path}", &t2, err, sizeof err);
  router_add(r, "POST", "/api/v1/things/new", &t3, err, sizeof err);
  router_add(r, "PUT", text, &t1, err, sizeof err);
  static const char *methods[] = {"GET", "HEAD",   "POST",
                                  "PUT", "DELETE", "OPTIONS"};
  size_t plen = strlen(path);
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
    char *copy = strdup(path);
    route_match m;
    char allow[96];
    if (router_match(r, methods[i], copy, &m, allow, sizeof allow) ==
        ROUTER_MATCH)
      for (int p = 0; p < m.nparams; p++)
        if (m.values[p] < copy || m.values[p] > copy + plen)
          abort();
    free(copy);
  }
  router_free(r);
  free(text);
  return 0;
}
