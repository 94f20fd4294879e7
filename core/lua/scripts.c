#include "scripts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_pool.h"
#include "lua_rules.h"
#include "rule_registry.h"
#include "log.h"
#include "request.h"

static lua_pool *pool;

const char *script_kind_name(script_kind k) {
  return k == SCRIPT_FORM ? "form" : k == SCRIPT_RULES ? "rules" : "lib";
}

int script_error_line(const char *err) {
  /* "AOUP-PA/forms/x.lua:12: message": the first ":<digits>:". */
  for (const char *p = err ? strchr(err, ':') : NULL; p;
       p = strchr(p + 1, ':')) {
    char *end;
    long n = strtol(p + 1, &end, 10);
    if (end != p + 1 && *end == ':' && n > 0 && n < 1000000)
      return (int)n;
  }
  return 0;
}

typedef struct lib_map {
  const script_lib *libs;
  size_t n;
} lib_map;

/* require "lib.<name>" resolves to the hospital's library <name>. */
static const char *lib_source(void *ud, const char *name, size_t *len) {
  const lib_map *m = ud;
  if (!m || strncmp(name, "lib.", 4) != 0)
    return NULL;
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->libs[i].name, name + 4) == 0) {
      *len = strlen(m->libs[i].source);
      return m->libs[i].source;
    }
  return NULL;
}

static void add_error(script_check *c, const char *message, const char *path) {
  if (!c->errors)
    c->errors = json_array();
  json_t *e = json_pack("{s:s, s:s}", "field", "source", "message", message);
  int line = script_error_line(message);
  if (line)
    json_object_set_new(e, "line", json_integer(line));
  if (path)
    json_object_set_new(e, "path", json_string(path));
  json_array_append_new(c->errors, e);
}

/* Calls every declared rule (rule_registry.h) with the upload's sample (an
 * array of arguments, or one object for one argument) or the
 * declaration's. */
static void check_rules(lua_box *b, const json_t *samples, script_check *c) {
  const rule_list *known = rule_registry();
  for (size_t i = 0; i < rule_list_count(known); i++) {
    const rule_def *rule = rule_list_at(known, i);
    json_t *own = json_object_get(samples, rule->name);
    json_t *args =
        own ? (json_is_array(own) ? json_incref(own) : json_pack("[O]", own))
            : json_incref(rule->sample_args);
    const json_t *argv[2] = {json_array_get(args, 0), json_array_get(args, 1)};
    size_t argc = json_array_size(args) > 2 ? 2 : json_array_size(args);
    json_t *decision = NULL;
    bool defaulted = false;
    char err[512] = "";
    lua_box_status st = lua_rules_call(b, rule->name, argc, argv, &decision,
                                       &defaulted, err, sizeof err);
    if (st != LUA_BOX_OK)
      add_error(c, err, rule->name);
    json_decref(decision);
    json_decref(args);
  }
}

void script_compile(concerto_request *req, script_kind kind,
                    const char *chunkname, const char *source,
                    const script_lib *libs, size_t nlibs, const json_t *samples,
                    script_check *out) {
  memset(out, 0, sizeof *out);
  lib_map map = {libs, nlibs};
  char err[512] = "";
  lua_limits lim = LUA_LIMITS_DEFAULT;
  lua_box *b = lua_box_new(&lim, lib_source, &map, err, sizeof err);
  if (!b) {
    add_error(out, err[0] ? err : "cannot create the sandbox", NULL);
    return;
  }
  lua_box_set_context(b, req); /* the dry run's module calls act for it */
  size_t len = strlen(source);
  if (kind == SCRIPT_FORM) {
    lua_form *f = NULL;
    json_t *problems = NULL;
    if (!lua_form_load(b, chunkname, source, len, &f, &problems, err,
                       sizeof err)) {
      if (problems) {
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p)
            add_error(out, json_string_value(json_object_get(p, "message")),
                      json_string_value(json_object_get(p, "path")));
        json_decref(problems);
      } else {
        add_error(out, err, NULL);
      }
    } else {
      /* Dry run: an empty submission must give field errors, not a script
       * failure. */
      json_t *empty = json_object(), *normalized = NULL;
      json_t *errs =
          lua_form_validate(b, f, empty, &normalized, err, sizeof err);
      if (!errs)
        add_error(out, err, NULL);
      json_decref(errs);
      json_decref(normalized);
      json_decref(empty);
      out->rendered = json_deep_copy(lua_form_json(f));
      snprintf(out->form_id, sizeof out->form_id, "%s", lua_form_id(f));
      out->form_version = lua_form_version(f);
      lua_form_free(f);
    }
  } else if (kind == SCRIPT_RULES) {
    if (!lua_rules_load(b, chunkname, source, len, err, sizeof err))
      add_error(out, err, NULL);
    else
      check_rules(b, samples, out);
  } else if (!lua_box_load(b, "lib", chunkname, source, len, err, sizeof err)) {
    add_error(out, err, NULL);
  }
  lua_box_free(b);
  out->ok = out->errors == NULL;
  if (!out->ok) {
    json_decref(out->rendered);
    out->rendered = NULL;
  }
}

void script_check_clear(script_check *c) {
  json_decref(c->errors);
  json_decref(c->rendered);
  memset(c, 0, sizeof *c);
}

/* ---- one version on its own ---- */

struct script_draft {
  lib_map map; /* borrowed libraries, alive as long as the box */
  lua_box *box;
  lua_form *form;
};

script_draft *script_draft_load(concerto_request *req, script_kind kind,
                                const char *chunkname, const char *source,
                                const script_lib *libs, size_t nlibs, char *err,
                                size_t errlen) {
  script_draft *d = calloc(1, sizeof *d);
  if (!d) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  d->map = (lib_map){libs, nlibs};
  lua_limits lim = LUA_LIMITS_DEFAULT;
  d->box = lua_box_new(&lim, lib_source, &d->map, err, errlen);
  if (!d->box) {
    free(d);
    return NULL;
  }
  lua_box_set_context(d->box, req);
  bool ok;
  if (kind == SCRIPT_FORM) {
    json_t *problems = NULL;
    ok = lua_form_load(d->box, chunkname, source, strlen(source), &d->form,
                       &problems, err, errlen);
    json_decref(problems);
  } else {
    ok = lua_rules_load(d->box, chunkname, source, strlen(source), err, errlen);
  }
  if (!ok) {
    script_draft_free(d);
    return NULL;
  }
  return d;
}

lua_box *script_draft_box(script_draft *d) {
  return d->box;
}

const lua_form *script_draft_form(const script_draft *d) {
  return d->form;
}

void script_draft_free(script_draft *d) {
  if (!d)
    return;
  lua_form_free(d->form);
  lua_box_free(d->box);
  free(d);
}

/* ---- the preloaded set of a hospital ---- */

typedef struct set_data {
  script_lib *libs; /* strings owned */
  size_t nlibs;
  lib_map map;
  struct {
    char *id;
    lua_form *form;
  } * forms;
  size_t nforms;
} set_data;

static void free_set(void *data) {
  set_data *d = data;
  if (!d)
    return;
  for (size_t i = 0; i < d->nforms; i++) {
    lua_form_free(d->forms[i].form);
    free(d->forms[i].id);
  }
  for (size_t i = 0; i < d->nlibs; i++) {
    free((char *)d->libs[i].name);
    free((char *)d->libs[i].source);
  }
  free(d->forms);
  free(d->libs);
  free(d);
}

/* Loads the hospital's active scripts (read in the request's transaction)
 * into a new box. */
static lua_box *load_set(void *ud, const char *set_key, void **data, char *err,
                         size_t errlen) {
  (void)set_key;
  concerto_request *req = ud;
  PGresult *r;
  if (request_query(req,
                    "SELECT s.kind, s.script_id, s.source, t.code FROM "
                    "concerto.script_active a JOIN concerto.scripts s USING "
                    "(tenant_id, kind, script_id, version) JOIN "
                    "concerto.tenants t ON t.id = a.tenant_id ORDER BY "
                    "s.kind, s.script_id",
                    0, NULL, &r) != CONCERTO_OK) {
    snprintf(err, errlen, "cannot read the hospital's scripts");
    return NULL;
  }
  set_data *d = calloc(1, sizeof *d);
  int n = PQntuples(r);
  d->libs = calloc((size_t)n + 1, sizeof *d->libs);
  d->forms = calloc((size_t)n + 1, sizeof *d->forms);
  for (int i = 0; i < n; i++)
    if (strcmp(PQgetvalue(r, i, 0), "lib") == 0)
      d->libs[d->nlibs++] = (script_lib){strdup(PQgetvalue(r, i, 1)),
                                         strdup(PQgetvalue(r, i, 2))};
  d->map = (lib_map){d->libs, d->nlibs};
  lua_limits lim = LUA_LIMITS_DEFAULT;
  lua_box *b = lua_box_new(&lim, lib_source, &d->map, err, errlen);
  for (int i = 0; b && i < n; i++) {
    const char *kind = PQgetvalue(r, i, 0), *id = PQgetvalue(r, i, 1);
    const char *src = PQgetvalue(r, i, 2);
    char chunk[160];
    snprintf(chunk, sizeof chunk, "%s/%s%s.lua", PQgetvalue(r, i, 3),
             strcmp(kind, "form") == 0  ? "forms/"
             : strcmp(kind, "lib") == 0 ? "lib/"
                                        : "",
             id);
    if (strcmp(kind, "rules") == 0) {
      lua_rules_load(b, chunk, src, strlen(src), err, errlen);
    } else if (strcmp(kind, "form") == 0) {
      lua_form *f = NULL;
      json_t *problems = NULL;
      if (lua_form_load(b, chunk, src, strlen(src), &f, &problems, err,
                        errlen)) {
        d->forms[d->nforms].id = strdup(id);
        d->forms[d->nforms++].form = f;
      }
      json_decref(problems);
    }
  }
  if (!b) {
    free_set(d);
    return NULL;
  }
  *data = d;
  return b;
}

lua_box *scripts_box(concerto_request *req, const char *form_id,
                     const lua_form **form, char *err, size_t errlen) {
  PGresult *r;
  if (!req->caller.tenant_id ||
      request_query(req,
                    "SELECT coalesce((SELECT generation FROM "
                    "concerto.script_sets), 0)",
                    0, NULL, &r) != CONCERTO_OK) {
    snprintf(err, errlen, "no hospital for this request");
    return NULL;
  }
  char key[64];
  snprintf(key, sizeof key, "%s@%s", req->caller.tenant_id,
           PQgetvalue(r, 0, 0));
  void *data = NULL;
  lua_box *b = lua_pool_get(pool, key, load_set, req, &data, err, errlen);
  if (b)
    lua_box_set_context(b, req); /* module functions act for this request */
  if (form) {
    *form = NULL;
    set_data *d = data;
    for (size_t i = 0; b && d && form_id && i < d->nforms; i++)
      if (strcmp(d->forms[i].id, form_id) == 0)
        *form = d->forms[i].form;
  }
  return b;
}

concerto_status scripts_rule(concerto_request *req, const char *rule,
                             const json_t *input, json_t **decision,
                             bool *defaulted, char *err, size_t errlen) {
  *decision = NULL;
  lua_box *b = scripts_box(req, NULL, NULL, err, errlen);
  if (!b) {
    *decision = lua_rules_default(rule, input);
    *defaulted = true;
    return *decision ? CONCERTO_OK : CONCERTO_ERR_NOT_FOUND;
  }
  const json_t *args[1] = {input};
  lua_box_status st =
      lua_rules_call(b, rule, 1, args, decision, defaulted, err, errlen);
  if (st == LUA_BOX_OK)
    return CONCERTO_OK;
  return st == LUA_BOX_MISSING ? CONCERTO_ERR_NOT_FOUND
                               : CONCERTO_ERR_VALIDATION;
}

bool scripts_init(void) {
  pool = lua_pool_new(16, free_set);
  return pool != NULL;
}

void scripts_shutdown(void) {
  lua_pool_free(pool);
  pool = NULL;
}

concerto_status scripts_run_rule(concerto_request *req, const char *rule,
                                 const json_t *input, json_t **decision,
                                 int *defaulted) {
  bool d = false;
  char err[512] = "";
  concerto_status st =
      scripts_rule(req, rule, input, decision, &d, err, sizeof err);
  if (defaulted)
    *defaulted = d;
  if (st == CONCERTO_ERR_VALIDATION)
    log_msg(CONCERTO_LOG_WARN, "lua", req->id, "rule %s failed: %s", rule, err);
  return st;
}
