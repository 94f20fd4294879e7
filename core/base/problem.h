/* RFC 7807 problem details: the mapping from concerto_status to HTTP status,
 * stable machine code and English title, and the JSON body. */
#ifndef CONCERTO_CORE_PROBLEM_H
#define CONCERTO_CORE_PROBLEM_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "concerto/status.h"

typedef struct problem_kind {
  unsigned http_status;
  const char *code;  /* e.g. "db_unavailable" */
  const char *title; /* e.g. "Service Unavailable" */
} problem_kind;

problem_kind problem_from_status(concerto_status st);
/* The title of an HTTP status ("Not Found"). */
const char *problem_http_title(unsigned http_status);
/* A new reference; detail may be NULL. */
json_t *problem_json(unsigned http_status, const char *code, const char *title,
                     const char *detail);

/* Whether `code` is in the list of problem codes (problem_codes.def) or
 * one a module declared (problem_declare). */
bool problem_code_known(const char *code);
/* The core's list as the Markdown table of docs/api-errors.md. */
void problem_codes_markdown(FILE *out);

/* [a-z][a-z0-9_]{1,63}. */
bool problem_code_valid(const char *code);

/* Declares a module's code (strings copied; owner is the module's name).
 * Only before serving (module init is single-threaded); afterwards the
 * list is read-only. A code the core or another module has already is
 * accepted when its status is the same (one meaning), refused otherwise.
 * CONCERTO_ERR_REG_INVALID, CONCERTO_ERR_REG_DUPLICATE (same owner
 * twice), CONCERTO_ERR_NOMEM. */
concerto_status problem_declare(const char *owner, const char *code,
                                unsigned http_status, const char *title,
                                const char *when);

/* Every code, the core's first, as [{code, status, owner, title?, when}]
 * (a new reference). */
json_t *problem_codes_json(void);

/* Frees the declared codes (at exit, for leak checkers). */
void problem_declared_free(void);

#endif
