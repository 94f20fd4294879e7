#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { SEG_LITERAL, SEG_PARAM, SEG_REST } seg_kind;

typedef struct route_seg {
  seg_kind kind;
  char *text; /* literal text or parameter name, owned */
} route_seg;

typedef struct route_entry {
  char *method;
  char *template;
  int nseg;
  route_seg segs[ROUTER_MAX_SEGMENTS];
  void *target;
} route_entry;

struct router {
  route_entry *routes;
  unsigned count, cap;
};

router *router_new(void) {
  return calloc(1, sizeof(router));
}

static void entry_free(route_entry *e) {
  free(e->method);
  free(e->template);
  for (int i = 0; i < e->nseg; i++)
    free(e->segs[i].text);
}

void router_free(router *r) {
  if (!r)
    return;
  for (unsigned i = 0; i < r->count; i++)
    entry_free(&r->routes[i]);
  free(r->routes);
  free(r);
}

static bool valid_method(const char *m) {
  static const char *const methods[] = {"GET", "POST", "PUT", "PATCH",
                                        "DELETE"};
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
    if (strcmp(m, methods[i]) == 0)
      return true;
  return false;
}

static bool valid_name(const char *s, size_t n) {
  if (n == 0 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

/* Splits a template into e->segs. */
static bool parse_template(route_entry *e, const char *t, char *err,
                           size_t errlen) {
  if (t[0] != '/') {
    snprintf(err, errlen, "route template must start with '/': %s", t);
    return false;
  }
  const char *p = t + 1;
  e->nseg = 0;
  if (*p == '\0')
    return true; /* "/" */
  for (;;) {
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0) {
      snprintf(err, errlen, "empty segment in route template: %s", t);
      return false;
    }
    if (e->nseg >= ROUTER_MAX_SEGMENTS) {
      snprintf(err, errlen, "too many segments in route template: %s", t);
      return false;
    }
    route_seg *s = &e->segs[e->nseg];
    if (p[0] == '{') {
      if (p[n - 1] != '}') {
        snprintf(err, errlen, "unclosed parameter in route template: %s", t);
        return false;
      }
      bool rest = p[1] == '*';
      const char *name = p + 1 + rest;
      size_t nlen = n - 2 - rest;
      if (!valid_name(name, nlen)) {
        snprintf(err, errlen, "bad parameter name in route template: %s", t);
        return false;
      }
      if (rest && end) {
        snprintf(err, errlen, "{*rest} must be the last segment: %s", t);
        return false;
      }
      s->kind = rest ? SEG_REST : SEG_PARAM;
      s->text = strndup(name, nlen);
    } else {
      if (memchr(p, '{', n) || memchr(p, '}', n)) {
        snprintf(err, errlen, "braces inside a literal segment: %s", t);
        return false;
      }
      s->kind = SEG_LITERAL;
      s->text = strndup(p, n);
    }
    e->nseg++;
    if (!end)
      break;
    p = end + 1;
  }
  int params = 0;
  for (int i = 0; i < e->nseg; i++)
    params += e->segs[i].kind != SEG_LITERAL;
  if (params > ROUTER_MAX_PARAMS) {
    snprintf(err, errlen, "too many parameters in route template: %s", t);
    return false;
  }
  return true;
}

static bool same_shape(const route_entry *a, const route_entry *b) {
  if (a->nseg != b->nseg)
    return false;
  for (int i = 0; i < a->nseg; i++) {
    if (a->segs[i].kind != b->segs[i].kind)
      return false;
    if (a->segs[i].kind == SEG_LITERAL &&
        strcmp(a->segs[i].text, b->segs[i].text) != 0)
      return false;
  }
  return true;
}

static int find_same(const router *r, const char *method,
                     const route_entry *probe) {
  for (unsigned i = 0; i < r->count; i++)
    if (strcmp(r->routes[i].method, method) == 0 &&
        same_shape(&r->routes[i], probe))
      return (int)i;
  return -1;
}

bool router_has(const router *r, const char *method,
                const char *path_template) {
  route_entry probe = {0};
  char err[8];
  bool ok = parse_template(&probe, path_template, err, sizeof err) &&
            find_same(r, method, &probe) >= 0;
  entry_free(&probe);
  return ok;
}

int router_add(router *r, const char *method, const char *path_template,
               void *target, char *err, size_t errlen) {
  if (!method || !valid_method(method)) {
    snprintf(err, errlen, "unsupported method: %s", method ? method : "(null)");
    return -1;
  }
  route_entry e = {0};
  if (!path_template || !parse_template(&e, path_template, err, errlen)) {
    if (!path_template)
      snprintf(err, errlen, "route template missing");
    entry_free(&e);
    return -1;
  }
  if (find_same(r, method, &e) >= 0) {
    snprintf(err, errlen, "route already registered: %s %s", method,
             path_template);
    entry_free(&e);
    return -2;
  }
  if (r->count == r->cap) {
    unsigned cap = r->cap ? r->cap * 2 : 16;
    route_entry *grown = realloc(r->routes, cap * sizeof *grown);
    if (!grown) {
      entry_free(&e);
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    r->routes = grown;
    r->cap = cap;
  }
  e.method = strdup(method);
  e.template = strdup(path_template);
  e.target = target;
  r->routes[r->count++] = e;
  return 0;
}

/* Splits path (after the leading '/') into segments in place. */
static int split_path(char *path, char **segs, int max) {
  if (path[0] != '/')
    return -1;
  char *p = path + 1;
  int n = 0;
  if (*p == '\0')
    return 0;
  for (;;) {
    if (n >= max)
      return -1;
    segs[n++] = p;
    char *slash = strchr(p, '/');
    if (!slash)
      break;
    *slash = '\0';
    p = slash + 1;
  }
  return n;
}

/* Score: literal matches weigh more so "/a/new" beats "/a/{id}". */
static int match_entry(const route_entry *e, char **segs, int nseg,
                       route_match *m) {
  int score = 0, np = 0;
  for (int i = 0; i < e->nseg; i++) {
    const route_seg *s = &e->segs[i];
    if (s->kind == SEG_REST) {
      /* At least one segment, which may be empty only when it is the last
       * ("/modules/x/" names the folder, served as its index.html). */
      if (i >= nseg || (segs[i][0] == '\0' && i + 1 < nseg))
        return -1;
      if (m) {
        m->names[np] = s->text;
        /* Rejoin the remaining segments: they were split in place. */
        for (int j = i + 1; j < nseg; j++)
          segs[j][-1] = '/';
        m->values[np++] = segs[i];
        m->nparams = np;
      }
      return score;
    }
    if (i >= nseg)
      return -1;
    if (s->kind == SEG_LITERAL) {
      if (strcmp(s->text, segs[i]) != 0)
        return -1;
      score += 2;
    } else {
      if (segs[i][0] == '\0')
        return -1;
      if (m) {
        m->names[np] = s->text;
        m->values[np++] = segs[i];
      }
      score += 1;
    }
  }
  if (e->nseg != nseg)
    return -1;
  if (m)
    m->nparams = np;
  return score;
}

static void append_allow(char *allow, size_t allowlen, const char *method) {
  if (!allow || allowlen == 0)
    return;
  if (strstr(allow, method))
    return;
  size_t used = strlen(allow);
  snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "", method);
}

router_status router_match(const router *r, const char *method, char *path,
                           route_match *m, char *allow, size_t allowlen) {
  char *segs[ROUTER_MAX_SEGMENTS + 1];
  if (allow && allowlen)
    allow[0] = '\0';
  memset(m, 0, sizeof *m);
  int nseg = split_path(path, segs, ROUTER_MAX_SEGMENTS + 1);
  if (nseg < 0)
    return ROUTER_NOT_FOUND;
  const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
  int best = -1, best_score = -1;
  bool path_known = false;
  for (unsigned i = 0; i < r->count; i++) {
    const route_entry *e = &r->routes[i];
    int score = match_entry(e, segs, nseg, NULL);
    if (score < 0)
      continue;
    path_known = true;
    append_allow(allow, allowlen, e->method);
    if (strcmp(e->method, "GET") == 0)
      append_allow(allow, allowlen, "HEAD");
    if (strcmp(e->method, want) == 0 && score > best_score) {
      best = (int)i;
      best_score = score;
    }
  }
  if (path_known)
    append_allow(allow, allowlen, "OPTIONS");
  if (best < 0)
    return path_known ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
  const route_entry *e = &r->routes[best];
  match_entry(e, segs, nseg, m);
  m->target = e->target;
  m->template = e->template;
  m->index = (unsigned)best + 1;
  return ROUTER_MATCH;
}

unsigned router_count(const router *r) {
  return r->count;
}

bool router_route_at(const router *r, unsigned i, const char **method,
                     const char **path_template, void **target) {
  if (i >= r->count)
    return false;
  if (method)
    *method = r->routes[i].method;
  if (path_template)
    *path_template = r->routes[i].template;
  if (target)
    *target = r->routes[i].target;
  return true;
}
