/* The "notebook" service, version 1: what the test module notebook offers
 * other modules (services between modules, plugin ABI 1.10). A consumer
 * names "notebook" in depends (or optional_depends) and, in its init:
 *
 *   const notebook_v1 *nb; size_t size;
 *   host->get_service(reg, NOTEBOOK_SERVICE, NOTEBOOK_V1,
 *                     (const void **)&nb, &size);
 *
 * Every function takes the caller's request: it runs in the caller's
 * transaction (rolled back with it), hospital and audit identity, acting
 * as the notebook module (its schema, its events). CONCERTO_ERR_MODULE_
 * DISABLED when notebook is not enabled for the request's hospital.
 * Version 1 only grows at the end (check `size`); an incompatible change
 * would be notebook_v2.h beside this file. */
#ifndef CONCERTO_NOTEBOOK_V1_H
#define CONCERTO_NOTEBOOK_V1_H

#include <concerto/host.h>

#define NOTEBOOK_SERVICE "notebook"
#define NOTEBOOK_V1 1u

typedef struct notebook_v1 {
  /* Writes a note of the request's hospital; *id (decimal, request
   * memory) may be NULL. Publishes notebook.note_added@1. `text` is
   * borrowed, 1-500 bytes. */
  concerto_status (*add_note)(concerto_request *req, const char *text,
                              const char **id);
  /* How many notes the request's hospital has (RLS applies). */
  concerto_status (*count_notes)(concerto_request *req, long long *count);
} notebook_v1;

#endif
