/* Discovery, ABI check, ordering, the init probe and the lifecycle of
 * modules. Registration calls made by a module live in host_registrar.c. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <ltdl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "event_catalog.h"
#include "events.h"
#include "jobs.h"
#include "log.h"
#include "module_registry.h"
#include "problem.h"
#include "lua_functions.h"
#include "roles.h"
#include "rule_registry.h"

#define PROBE_TIMEOUT_S 10
#define PROBE_INIT_ERROR 3

const char *module_state_name(module_state s) {
  switch (s) {
  case MODULE_DISCOVERED:
    return "discovered";
  case MODULE_REFUSED:
    return "refused";
  case MODULE_READY:
    return "ready";
  case MODULE_STARTED:
    return "started";
  case MODULE_FAILED:
    return "failed";
  case MODULE_STOPPED:
    return "stopped";
  }
  return "unknown";
}

void module_set_status(module_rec *m, module_state s) {
  m->status = s;
  m->owner.name = m->name;
  m->owner.abi_minor = m->abi_minor;
  atomic_store(&m->owner.serving, s == MODULE_STARTED);
}

module_rec *module_of_owner(const route_owner *owner) {
  if (!owner)
    return NULL;
  return (module_rec *)((char *)owner - offsetof(module_rec, owner));
}

/* Whether the descriptor, of the size its module was built with, has
 * `field` (fields added after 1.0 are read only then). */
#define DESC_HAS(d, field)                                                     \
  ((d)->struct_size >=                                                         \
   offsetof(concerto_module_descriptor, field) + sizeof((d)->field))

/* A NULL-terminated copy of a NULL-terminated list (never NULL itself
 * unless out of memory). */
static char **copy_names(const char *const *names) {
  size_t n = 0;
  while (names && names[n])
    n++;
  char **out = calloc(n + 1, sizeof *out);
  for (size_t i = 0; out && i < n; i++)
    out[i] = strdup(names[i]);
  return out;
}

static void free_names(char **names) {
  for (char **p = names; p && *p; p++)
    free(*p);
  free(names);
}

static void refuse(module_rec *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void refuse(module_rec *m, const char *fmt, ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  free(m->reason);
  m->reason = strdup(reason);
  module_set_status(m, MODULE_REFUSED);
  log_msg(CONCERTO_LOG_ERROR, m->name, NULL, "module %s refused: %s",
          m->path ? m->path : m->name, reason);
}

static void rec_clear_registrations(module_rec *m) {
  for (size_t i = 0; i < m->nroutes; i++) {
    free(m->routes[i].method);
    free(m->routes[i].path);
    free(m->routes[i].required_role);
    free(m->routes[i].summary);
  }
  free(m->routes);
  m->routes = NULL;
  m->nroutes = 0;
  for (size_t i = 0; i < m->nkeys; i++) {
    free(m->keys[i].key);
    free(m->keys[i].value);
  }
  free(m->keys);
  m->keys = NULL;
  m->nkeys = 0;
  for (size_t i = 0; i < m->nsubs; i++)
    free(m->subs[i].name);
  free(m->subs);
  m->subs = NULL;
  m->nsubs = 0;
  for (size_t i = 0; i < m->ntsettings; i++) {
    setting_spec *t = &m->tsettings[i];
    free(t->key);
    free(t->default_value);
    free(t->label_it);
    free(t->label_en);
    free(t->help);
  }
  free(m->tsettings);
  m->tsettings = NULL;
  m->ntsettings = 0;
  for (size_t i = 0; i < m->nservices; i++)
    free(m->services[i].name);
  free(m->services);
  m->services = NULL;
  m->nservices = 0;
  roles_free(m->staged_roles);
  m->staged_roles = NULL;
  json_decref(m->staged_problems);
  m->staged_problems = NULL;
  json_decref(m->staged_events);
  m->staged_events = NULL;
  rule_list_free(m->staged_rules);
  m->staged_rules = NULL;
  lua_fn_list_free(m->staged_lua_fns);
  m->staged_lua_fns = NULL;
  jobs_free(m->staged_jobs);
  m->staged_jobs = NULL;
  free(m->migrations_dir);
  free(m->static_dir);
  m->migrations_dir = m->static_dir = NULL;
}

static void rec_free(module_rec *m) {
  if (!m)
    return;
  rec_clear_registrations(m);
  free_names(m->depends);
  free_names(m->optional_depends);
  free(m->path);
  free(m->name);
  free(m->version);
  free(m->vendor);
  free(m->description);
  free(m->reason);
  free(m->dir);
  if (m->handle)
    lt_dlclose((lt_dlhandle)m->handle);
  free(m);
}

static char *dup_or_empty(const char *s) {
  return strdup(s ? s : "");
}

/* Opens one shared object and copies its descriptor into a new record. */
static module_rec *open_module(const char *path, const char *fallback_name) {
  module_rec *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->path = strdup(path);
  m->name = strdup(fallback_name);
  lt_dlhandle h = lt_dlopen(path);
  if (!h) {
    refuse(m, "cannot load: %s", lt_dlerror());
    return m;
  }
  m->handle = h;
  concerto_module_descriptor_fn fn =
      (concerto_module_descriptor_fn)lt_dlsym(h, CONCERTO_MODULE_SYMBOL);
  if (!fn) {
    refuse(m, "not a Concerto module: no %s symbol", CONCERTO_MODULE_SYMBOL);
    return m;
  }
  const concerto_module_descriptor *d = fn();
  char err[256];
  if (d) {
    m->abi_major = d->abi_major;
    m->abi_minor = d->abi_minor;
  }
  if (!abi_check(d, err, sizeof err)) {
    refuse(m, "%s", err);
    return m;
  }
  m->desc = d;
  free(m->name);
  m->name = strdup(d->name);
  m->version = dup_or_empty(d->version);
  m->vendor = dup_or_empty(d->vendor);
  m->description = dup_or_empty(d->description);
  m->depends = copy_names(d->depends);
  m->optional_depends =
      copy_names(DESC_HAS(d, optional_depends) ? d->optional_depends : NULL);
  /* The module's folder: <modules_dir>/<name>/ beside <name>.so. */
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  int dlen = slash ? (int)(slash - path) : 1;
  snprintf(dir, sizeof dir, "%.*s/%s", dlen, slash ? path : ".", m->name);
  m->dir = strdup(dir);
  module_set_status(m, MODULE_DISCOVERED);
  return m;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names to load: the configured list, or every *.so in the folder. */
static char **module_names(const concerto_config *cfg, size_t *n) {
  *n = 0;
  if (!cfg->modules_dir)
    return NULL;
  char **names = NULL;
  size_t cap = 0;
  if (cfg->modules) {
    size_t i;
    json_t *v;
    cap = json_array_size(cfg->modules);
    names = calloc(cap + 1, sizeof *names);
    json_array_foreach(cfg->modules, i, v) names[(*n)++] =
        strdup(json_string_value(v));
    return names;
  }
  DIR *d = opendir(cfg->modules_dir);
  if (!d) {
    log_msg(CONCERTO_LOG_WARN, NULL, NULL, "modules_dir %s: %s",
            cfg->modules_dir, strerror(errno));
    return NULL;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0 ||
        e->d_name[0] == '.')
      continue;
    if (*n + 1 >= cap) {
      cap = cap ? cap * 2 : 16;
      char **grown = realloc(names, (cap + 1) * sizeof *names);
      if (!grown)
        break;
      names = grown;
    }
    names[(*n)++] = strndup(e->d_name, len - 3);
  }
  closedir(d);
  if (names)
    qsort(names, *n, sizeof *names, cmp_str);
  return names;
}

static module_rec *find_in(module_rec **mods, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (mods[i]->name && strcmp(mods[i]->name, name) == 0)
      return mods[i];
  return NULL;
}

module_rec *module_registry_find(module_registry *r, const char *name) {
  return find_in(r->mods, r->count, name);
}

void module_order_by_dependency(module_rec **mods, size_t n) {
  module_rec **out = calloc(n ? n : 1, sizeof *out);
  bool *placed = calloc(n ? n : 1, sizeof *placed);
  if (!out || !placed) {
    free(out);
    free(placed);
    return;
  }
  size_t nout = 0;
  /* Refused modules keep their relative order at the end. */
  bool progress = true;
  while (progress) {
    progress = false;
    for (size_t i = 0; i < n; i++) {
      module_rec *m = mods[i];
      if (placed[i] || m->status == MODULE_REFUSED)
        continue;
      bool ready = true;
      for (char **d = m->depends; d && *d && ready; d++) {
        module_rec *dep = find_in(mods, n, *d);
        if (!dep || dep->status == MODULE_REFUSED) {
          refuse(m, "depends on module '%s', which is %s", *d,
                 dep ? "refused" : "not loaded");
          ready = false;
          progress = true;
        } else {
          bool dep_placed = false;
          for (size_t k = 0; k < nout; k++)
            dep_placed |= out[k] == dep;
          ready = dep_placed;
        }
      }
      /* Optional ones that are here come first; absent ones do not matter. */
      for (char **d = m->optional_depends; d && *d && ready; d++) {
        module_rec *dep = find_in(mods, n, *d);
        if (!dep || dep->status == MODULE_REFUSED)
          continue;
        bool dep_placed = false;
        for (size_t k = 0; k < nout; k++)
          dep_placed |= out[k] == dep;
        ready = dep_placed;
      }
      if (ready && m->status != MODULE_REFUSED) {
        out[nout++] = m;
        placed[i] = true;
        progress = true;
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    if (!placed[i]) {
      if (mods[i]->status != MODULE_REFUSED)
        refuse(mods[i], "dependency cycle");
      out[nout++] = mods[i];
    }
  memcpy(mods, out, n * sizeof *mods);
  free(out);
  free(placed);
}

/* The registry module_registry_load is filling: init is single-threaded,
 * and a consumer's init looks up the providers loaded before it. */
static module_registry *registry_loading;
static PGconn *owner_pg_loading; /* for the modules' migrations */

static concerto_status run_init(app *a, module_rec *m) {
  concerto_registrar reg = {a, m, registry_loading};
  /* CONCERTO_MODULE_DEFINE modules find the host table here. */
  if (DESC_HAS(m->desc, host_slot) && m->desc->host_slot)
    *m->desc->host_slot = host_table();
  m->registering = true;
  concerto_status st = m->desc->init(host_table(), &reg, &m->state);
  m->registering = false;
  return st;
}

/* Runs init in a throw-away child first: a module that crashes or hangs
 * there is refused before it can take the server down. */
static bool probe_init(app *a, module_rec *m) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    log_msg(CONCERTO_LOG_WARN, m->name, NULL,
            "cannot fork the init probe (%s); running init directly",
            strerror(errno));
    return true;
  }
  if (pid == 0) {
    alarm(PROBE_TIMEOUT_S);
    concerto_status st = run_init(a, m);
    /* 3: init returned an error, which the real init reports in detail. */
    _exit(st == CONCERTO_OK ? 0 : PROBE_INIT_ERROR);
  }
  int wstatus;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED(wstatus)) {
    int sig = WTERMSIG(wstatus);
    refuse(m, "init %s in the probe process (signal %d, %s)",
           sig == SIGALRM ? "did not return" : "crashed", sig, strsignal(sig));
    return false;
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0 &&
      WEXITSTATUS(wstatus) != PROBE_INIT_ERROR) {
    /* A sanitizer reports a crash as an exit status, not a signal. */
    refuse(m, "init failed in the probe process (exit status %d)",
           WEXITSTATUS(wstatus));
    return false;
  }
  return true;
}

/* Validates the module's settings against its declared keys. */
static bool apply_settings(app *a, module_rec *m, char *err, size_t errlen) {
  json_t *settings = a->cfg.module_settings
                         ? json_object_get(a->cfg.module_settings, m->name)
                         : NULL;
  if (settings && !json_is_object(settings)) {
    snprintf(err, errlen, "module_settings.%s: expected an object", m->name);
    return false;
  }
  const char *key;
  json_t *v;
  json_object_foreach(settings, key, v) {
    module_config_key *k = NULL;
    for (size_t i = 0; i < m->nkeys; i++)
      if (strcmp(m->keys[i].key, key) == 0)
        k = &m->keys[i];
    if (!k) {
      snprintf(err, errlen, "module_settings.%s.%s: unknown key", m->name, key);
      return false;
    }
    char text[64];
    const char *value = NULL;
    if (k->type == CONCERTO_CONFIG_STRING && json_is_string(v)) {
      value = json_string_value(v);
    } else if (k->type == CONCERTO_CONFIG_BOOL && json_is_boolean(v)) {
      value = json_is_true(v) ? "true" : "false";
    } else if (k->type == CONCERTO_CONFIG_INT && json_is_integer(v)) {
      long long n = json_integer_value(v);
      if (n < k->min || n > k->max) {
        snprintf(err, errlen,
                 "module_settings.%s.%s: %lld is outside %lld..%lld", m->name,
                 key, n, k->min, k->max);
        return false;
      }
      snprintf(text, sizeof text, "%lld", n);
      value = text;
    } else {
      snprintf(err, errlen, "module_settings.%s.%s: wrong type", m->name, key);
      return false;
    }
    free(k->value);
    k->value = strdup(value);
  }
  return true;
}

/* Adds the module's staged routes to the router, all or none. */
static bool commit_routes(app *a, module_rec *m, char *err, size_t errlen);

static void init_one(app *a, module_rec *m) {
  if (a->cfg.module_probe && !probe_init(a, m))
    return;
  concerto_status st = run_init(a, m);
  if (st != CONCERTO_OK) {
    rec_clear_registrations(m);
    refuse(m, "init returned status %d", (int)st);
    return;
  }
  char err[512];
  /* Migrations after init (which names the folder) and before the commit:
   * a module whose migration fails leaves nothing in the router, the event
   * subscribers or the catalogs, exactly like one whose init failed. */
  if (!apply_settings(a, m, err, sizeof err) ||
      !module_migrate(m, owner_pg_loading, err, sizeof err) ||
      !commit_routes(a, m, err, sizeof err)) {
    rec_clear_registrations(m);
    if (m->desc->stop)
      m->desc->stop(m->state);
    m->state = NULL;
    refuse(m, "%s", err);
    return;
  }
  module_set_status(m, MODULE_READY);
  log_msg(CONCERTO_LOG_INFO, m->name, NULL,
          "module %s %s (%s) loaded: ABI %u.%u, %zu routes", m->name,
          m->version, m->vendor, m->abi_major, m->abi_minor, m->nroutes);
}

module_registry *module_registry_load(app *a, PGconn *owner_pg) {
  module_registry *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  registry_loading = r;
  owner_pg_loading = owner_pg;
  size_t n;
  char **names = module_names(&a->cfg, &n);
  r->mods = calloc(n ? n : 1, sizeof *r->mods);
  if (!r->mods) {
    free(r);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    char path[PATH_MAX];
    module_rec *m;
    if (!module_name_valid(names[i])) {
      m = calloc(1, sizeof *m);
      if (!m)
        break;
      m->name = strdup(names[i]);
      refuse(m, "file name is not a valid module name");
    } else {
      snprintf(path, sizeof path, "%s/%s.so", a->cfg.modules_dir, names[i]);
      m = open_module(path, names[i]);
      if (!m)
        break;
      module_rec *same = find_in(r->mods, r->count, m->name);
      if (same && m->status != MODULE_REFUSED)
        refuse(m, "another module is already named '%s'", m->name);
    }
    r->mods[r->count++] = m;
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);

  module_order_by_dependency(r->mods, r->count);
  for (size_t i = 0; i < r->count; i++) {
    module_rec *m = r->mods[i];
    if (m->status != MODULE_DISCOVERED)
      continue;
    /* A dependency refused during its own init takes its dependents along. */
    for (char **d = m->depends; d && *d; d++) {
      module_rec *dep = find_in(r->mods, r->count, *d);
      if (!dep || dep->status != MODULE_READY) {
        refuse(m, "depends on module '%s', which is refused", *d);
        break;
      }
    }
    if (m->status == MODULE_DISCOVERED)
      init_one(a, m);
  }
  registry_loading = NULL;
  owner_pg_loading = NULL;
  return r;
}

void module_registry_start(module_registry *r) {
  for (size_t i = 0; i < r->count; i++) {
    module_rec *m = r->mods[i];
    if (m->status != MODULE_READY)
      continue;
    concerto_status st =
        m->desc->start ? m->desc->start(m->state) : CONCERTO_OK;
    if (st == CONCERTO_OK) {
      module_set_status(m, MODULE_STARTED);
    } else {
      module_set_status(m, MODULE_FAILED);
      free(m->reason);
      char why[64];
      snprintf(why, sizeof why, "start returned status %d", (int)st);
      m->reason = strdup(why);
      log_msg(CONCERTO_LOG_ERROR, m->name, NULL, "module %s failed: %s",
              m->name, why);
    }
  }
}

void module_registry_free(module_registry *r) {
  if (!r)
    return;
  for (size_t i = r->count; i-- > 0;) {
    module_rec *m = r->mods[i];
    if ((m->status == MODULE_STARTED || m->status == MODULE_FAILED ||
         m->status == MODULE_READY) &&
        m->desc->stop) {
      m->desc->stop(m->state);
      module_set_status(m, MODULE_STOPPED);
    }
    rec_free(m);
  }
  free(r->mods);
  free(r);
}

/* --- route commit --- */

extern concerto_status static_files_handler(concerto_request *req,
                                            void *userdata);

/* Whether every role in `required` (a comma-separated list) is a
 * pseudo-role, known already (the core's, a dependency's) or declared by
 * m itself. */
static bool roles_known(const app *a, const module_rec *m, const char *required,
                        char *bad, size_t badlen) {
  static const char *const pseudo[] = {"authenticated", "regional_admin",
                                       "patient", "patient_care", NULL};
  for (const char *p = required; p && *p;) {
    size_t n = strcspn(p, ",");
    char role[64];
    snprintf(role, sizeof role, "%.*s", (int)(n < 63 ? n : 63), p);
    bool ok = roles_find(a->roles, role) || roles_find(m->staged_roles, role);
    for (int i = 0; !ok && pseudo[i]; i++)
      ok = strcmp(pseudo[i], role) == 0;
    if (!ok) {
      snprintf(bad, badlen, "%s", role);
      return false;
    }
    p = p[n] ? p + n + 1 : p + n;
  }
  return true;
}

static bool commit_roles(app *a, module_rec *m, char *err, size_t errlen) {
  for (size_t i = 0; i < roles_count(m->staged_roles); i++) {
    const role_def *d = roles_at(m->staged_roles, i);
    concerto_role_spec spec = {sizeof spec, d->name,        d->label_it,
                               d->label_en, d->description, d->flags};
    concerto_status st = roles_add(a->roles, m->name, &spec);
    if (st != CONCERTO_OK) {
      snprintf(err, errlen, "cannot declare role %s (status %d)", d->name,
               (int)st);
      return false;
    }
  }
  return true;
}

static bool commit_problems(module_rec *m, char *err, size_t errlen) {
  size_t i;
  json_t *p;
  json_array_foreach(m->staged_problems, i, p) {
    const char *code = json_string_value(json_object_get(p, "code"));
    concerto_status st = problem_declare(
        m->name, code,
        (unsigned)json_integer_value(json_object_get(p, "status")),
        json_string_value(json_object_get(p, "title")),
        json_string_value(json_object_get(p, "when")));
    if (st != CONCERTO_OK) {
      snprintf(err, errlen,
               "problem code %s has another HTTP status elsewhere (status %d)",
               code, (int)st);
      return false;
    }
  }
  return true;
}

static bool commit_events(app *a, module_rec *m, char *err, size_t errlen) {
  size_t i;
  json_t *e;
  json_array_foreach(m->staged_events, i, e) {
    if (event_catalog_declare(
            events_catalog(a->events), m->name,
            json_string_value(json_object_get(e, "name")),
            (uint32_t)json_integer_value(json_object_get(e, "version")),
            json_string_value(json_object_get(e, "schema")),
            json_string_value(json_object_get(e, "description")), err,
            errlen) != CONCERTO_OK)
      return false;
  }
  return true;
}

/* Who serves a template already: "the core" or "module <name>". */
static const char *owner_of(const app *a, const char *method,
                            const char *tmpl) {
  static __thread char who[80];
  for (unsigned i = 0; i < router_count(a->router); i++) {
    const char *m, *t;
    void *target;
    router_route_at(a->router, i, &m, &t, &target);
    if (strcmp(m, method) == 0 && strcmp(t, tmpl) == 0) {
      const route_target *rt = target;
      if (!rt || !rt->owner)
        return "by the core";
      snprintf(who, sizeof who, "by module %s", rt->owner->name);
      return who;
    }
  }
  return "by another route";
}

static bool commit_routes(app *a, module_rec *m, char *err, size_t errlen) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "/api/v1/%s/", m->name);
  char exact[64];
  snprintf(exact, sizeof exact, "/api/v1/%s", m->name);
  for (size_t i = 0; i < m->nroutes; i++) {
    const module_route *rt = &m->routes[i];
    /* A mount sits where its standard says (checked at registration);
     * every other route in the module's namespace. */
    if (!(rt->flags & CONCERTO_ROUTE_MOUNT) &&
        strncmp(rt->path, prefix, strlen(prefix)) != 0 &&
        strcmp(rt->path, exact) != 0) {
      snprintf(err, errlen, "route %s %s is outside the module's namespace %s",
               rt->method, rt->path, exact);
      return false;
    }
    char bad[64];
    /* Modules of ABI 1.10 and later declare the roles they require; older
     * ones could not, and keep working with the roles they name. */
    if (m->abi_minor >= 10 && rt->required_role &&
        !roles_known(a, m, rt->required_role, bad, sizeof bad)) {
      snprintf(err, errlen,
               "route %s %s requires role %s, which neither the core, its "
               "dependencies nor the module declare",
               rt->method, rt->path, bad);
      return false;
    }
    if (router_has(a->router, rt->method, rt->path)) {
      snprintf(err, errlen, "%s %s %s is already registered (%s)",
               (rt->flags & CONCERTO_ROUTE_MOUNT) ? "mount" : "route",
               rt->method, rt->path, owner_of(a, rt->method, rt->path));
      return false;
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(m->routes[j].method, rt->method) == 0 &&
          strcmp(m->routes[j].path, rt->path) == 0) {
        snprintf(err, errlen, "route %s %s registered twice", rt->method,
                 rt->path);
        return false;
      }
  }
  /* Declarations before the routes: a conflict refuses the module while
   * none of its routes is in the router yet. */
  if (!commit_roles(a, m, err, errlen) || !commit_problems(m, err, errlen) ||
      !commit_events(a, m, err, errlen) ||
      !rule_list_merge(rule_registry(), m->staged_rules, err, errlen) ||
      !lua_functions_merge(m->staged_lua_fns, err, errlen) ||
      !jobs_merge(a->jobs, m->staged_jobs, err, errlen))
    return false;
  for (size_t i = 0; i < m->nroutes; i++) {
    const module_route *rt = &m->routes[i];
    route_target *t = calloc(1, sizeof *t);
    if (!t) {
      snprintf(err, errlen, "out of memory");
      return false;
    }
    *t =
        (route_target){rt->handler, rt->userdata, &m->owner,  rt->required_role,
                       rt->flags,   rt->auth,     rt->summary};
    if (router_add(a->router, rt->method, rt->path, t, err, errlen) != 0) {
      free(t);
      return false; /* validated above; only a malformed template gets here */
    }
  }
  for (size_t i = 0; i < m->nsubs; i++)
    if (!events_add_subscriber(a->events, &m->owner, m->subs[i].name,
                               m->subs[i].version, m->subs[i].handler,
                               m->subs[i].userdata)) {
      snprintf(err, errlen, "cannot subscribe to %s@%u", m->subs[i].name,
               m->subs[i].version);
      return false;
    }
  if (m->static_dir) {
    char tmpl[96];
    snprintf(tmpl, sizeof tmpl, "/modules/%s/{*path}", m->name);
    route_target *t = calloc(1, sizeof *t);
    if (!t)
      return false;
    *t = (route_target){static_files_handler, m->static_dir, &m->owner, NULL, 0,
                        CONCERTO_AUTH_PUBLIC, NULL};
    if (router_add(a->router, "GET", tmpl, t, err, errlen) != 0) {
      free(t);
      return false;
    }
  }
  return true;
}
