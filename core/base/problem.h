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

/* Whether `code` is in the list of problem codes (problem_codes.def). */
bool problem_code_known(const char *code);
/* The list as the Markdown table of docs/api-errors.md. */
void problem_codes_markdown(FILE *out);

#endif
