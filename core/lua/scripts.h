/* A hospital's Lua scripts as the server uses them: compiling and dry-running
 * an upload before it may become active, and the per-thread preloaded state
 * of a hospital's active script set (core/lua/lua_pool.c) for the hot path. */
#ifndef CONCERTO_CORE_SCRIPTS_H
#define CONCERTO_CORE_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "concerto/host.h"
#include "concerto/status.h"
#include "lua_box.h"
#include "lua_form.h"

typedef struct concerto_request concerto_request;

typedef enum script_kind {
  SCRIPT_FORM = 0,
  SCRIPT_RULES,
  SCRIPT_LIB,
} script_kind;

const char *script_kind_name(script_kind k);

/* A library source for `require "lib.<name>"` while compiling. */
typedef struct script_lib {
  const char *name;   /* borrowed */
  const char *source; /* borrowed */
} script_lib;

/* The outcome of checking one upload. */
typedef struct script_check {
  bool ok;
  json_t *errors;   /* [{field, message, line?, path?}] when !ok, owned */
  json_t *rendered; /* forms: the rendered form JSON when ok, owned */
  char form_id[72]; /* forms: the id the script declares */
  int form_version; /* forms: the version the script declares */
} script_check;

/* Compiles `source` as `kind` in a fresh sandbox with `libs` available to
 * require, and dry-runs it: a form is checked and validated against an
 * empty submission; rules run every declared rule (rule_registry.h) with
 * `samples` ({"rule": input}, may be NULL: the declarations' samples); a
 * library must load. Module functions the script calls act for `req` (NULL
 * outside a request: they fail). chunkname appears in the messages. Fill
 * *out; release with script_check_clear. */
void script_compile(concerto_request *req, script_kind kind,
                    const char *chunkname, const char *source,
                    const script_lib *libs, size_t nlibs, const json_t *samples,
                    script_check *out);
void script_check_clear(script_check *c);

/* One stored version of a script loaded on its own, beside the hospital's
 * active libraries, for hospital IT's preview and dry run of a draft: what
 * a draft does is seen before anyone activates it. */
typedef struct script_draft script_draft;

/* Loads `source` (a form or the rules; borrowed, with `libs`, for the
 * draft's life) into a fresh sandbox whose module calls act for `req`.
 * NULL with err on failure. Release with script_draft_free. */
script_draft *script_draft_load(concerto_request *req, script_kind kind,
                                const char *chunkname, const char *source,
                                const script_lib *libs, size_t nlibs, char *err,
                                size_t errlen);
lua_box *script_draft_box(script_draft *d);               /* borrowed */
const lua_form *script_draft_form(const script_draft *d); /* forms; borrowed */
void script_draft_free(script_draft *d);

/* The line number in a "chunk:LINE: message" error, or 0. */
int script_error_line(const char *err);

/* The calling thread's preloaded box for the request's hospital (its
 * active set, reloaded when the set's generation changes), and the form
 * `form_id` in it (NULL if not active). Box and form belong to the pool:
 * use them within this request only. NULL with err on failure. */
lua_box *scripts_box(concerto_request *req, const char *form_id,
                     const lua_form **form, char *err, size_t errlen);

/* Calls rule `rule` of the request's hospital with `input`; falls back to
 * the documented default when the hospital's rules do not define it
 * (*defaulted true). New reference in *decision. */
concerto_status scripts_rule(concerto_request *req, const char *rule,
                             const json_t *input, json_t **decision,
                             bool *defaulted, char *err, size_t errlen);

/* The host table entry (ABI 1.3). */
concerto_status scripts_run_rule(concerto_request *req, const char *rule,
                                 const json_t *input, json_t **decision,
                                 int *defaulted);

/* Process-wide pool of preloaded states. */
bool scripts_init(void);
void scripts_shutdown(void);

#endif
