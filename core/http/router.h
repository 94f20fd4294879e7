/* Method + path-template routing.
 *
 * Templates are absolute paths whose segments are literals, `{name}` (one
 * segment) or, last only, `{*name}` (the rest of the path, at least one
 * segment). A literal segment wins over a parameter at the same place, so
 * "/a/new" and "/a/{id}" can coexist. HEAD is served by GET routes. The
 * router is built before the server starts and read-only afterwards, so
 * matching needs no lock. */
#ifndef CONCERTO_CORE_ROUTER_H
#define CONCERTO_CORE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#define ROUTER_MAX_PARAMS 8
#define ROUTER_MAX_SEGMENTS 32

typedef struct router router;

typedef enum router_status {
  ROUTER_MATCH = 0,
  ROUTER_NOT_FOUND,
  ROUTER_METHOD_NOT_ALLOWED,
} router_status;

typedef struct route_match {
  void *target;         /* what router_add was given, borrowed */
  const char *template; /* borrowed from the router */
  unsigned index;       /* dense id of the route, 1..router_count */
  int nparams;
  const char *names[ROUTER_MAX_PARAMS];  /* borrowed from the router */
  const char *values[ROUTER_MAX_PARAMS]; /* point into the caller's buffer */
} route_match;

/* Owned by the caller; free with router_free. */
router *router_new(void);
void router_free(router *r);

/* Adds a route. Returns 0, or -1 with a message in err when the template or
 * method is malformed, or -2 when the same method and shape is taken
 * (ignoring parameter names: "/a/{x}" and "/a/{y}" collide). */
int router_add(router *r, const char *method, const char *path_template,
               void *target, char *err, size_t errlen);

/* Whether a route with this method and template shape exists. */
bool router_has(const router *r, const char *method, const char *path_template);

/* Matches `path` (already percent-decoded), which is modified in place: the
 * caller passes a writable copy it keeps alive while it uses the values.
 * On ROUTER_METHOD_NOT_ALLOWED, `allow` receives "GET, HEAD, POST"-style
 * text (also filled on a match, for OPTIONS). */
router_status router_match(const router *r, const char *method, char *path,
                           route_match *m, char *allow, size_t allowlen);

unsigned router_count(const router *r);
/* The i-th route (0-based), for listings such as the OpenAPI document. */
bool router_route_at(const router *r, unsigned i, const char **method,
                     const char **path_template, void **target);

#endif
