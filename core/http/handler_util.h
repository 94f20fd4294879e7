/* Small helpers shared by the core's own HTTP handlers: JSON bodies,
 * field validation with per-field messages (422 problem+json with an
 * `errors` array), turning result rows into JSON, and the regional scope. */
#ifndef CONCERTO_CORE_HANDLER_UTIL_H
#define CONCERTO_CORE_HANDLER_UTIL_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "request.h"

typedef struct verrors {
  json_t *list; /* [{field, message}], owned until verr_respond/verr_free */
} verrors;

void verr_init(verrors *v);
void verr_add(verrors *v, const char *field, const char *message);
/* With a stable machine code the UI translates ("required", "type",
 * "length", ...), the same vocabulary as form validation. */
void verr_add_code(verrors *v, const char *field, const char *code,
                   const char *message);
/* The same with more keys for the UI (an address, a suggestion): the
 * members of `extra` (an object, taken; NULL is none) join the entry. */
void verr_add_extra(verrors *v, const char *field, const char *code,
                    const char *message, json_t *extra);
bool verr_any(const verrors *v);
/* Answers 422 validation_failed with the errors (and frees them). */
concerto_status verr_respond(concerto_request *req, verrors *v);
/* The same with another status, problem code and detail: a 409 that names
 * the field in conflict, say. */
concerto_status verr_respond_as(concerto_request *req, verrors *v,
                                unsigned status, const char *code,
                                const char *detail);
void verr_free(verrors *v);

/* The JSON object body (borrowed), or NULL after answering 400/415. */
json_t *body_object(concerto_request *req, concerto_status *st);
/* A string field: NULL when absent (an error when required) or when it is
 * not a string, is empty, or is longer than maxlen bytes. */
const char *field_str(json_t *obj, const char *name, bool required,
                      size_t maxlen, verrors *v);

/* Rows as JSON objects keyed by column name: booleans and json(b) columns
 * keep their type, text[] becomes an array, everything else is a string
 * (ids included, as the API conventions ask). New reference. */
json_t *rows_json(PGresult *r);
json_t *row_json(PGresult *r, int row);

/* Answers 200 {key: [rows]} for a query's outcome (st and its result r),
 * or returns the query's error status unchanged. */
concerto_status respond_rows(concerto_request *req, concerto_status st,
                             PGresult *r, const char *key);

/* The start of a handler taking a JSON object body: the body (borrowed) and
 * an empty error list, or NULL after answering 400/415 (nothing to free). */
json_t *body_begin(concerto_request *req, concerto_status *st, verrors *v);
/* The end of field validation: true after answering 422 with the errors
 * (*st set; return it), false when there were none. */
bool verr_end(concerto_request *req, verrors *v, concerto_status *st);

/* Lets this request's transaction read every hospital: a regional
 * administrator's session only (PostgreSQL checks it: anybody else's
 * request fails). */
concerto_status db_regional_scope(concerto_request *req);
/* The core acting for itself in this request's transaction, before or
 * without a caller: for hospital `tenant_id` (decimal text), or for every
 * hospital when it is NULL. Proves the server key (server_key.h); only
 * core handlers that need it (login, patient links) call it. */
concerto_status db_system_scope(concerto_request *req, const char *tenant_id);

/* Whether `s` is the decimal text of a positive id (1-18 digits, no
 * leading zero): what a bigint parameter accepts without an error. */
bool text_is_id(const char *s);
/* The decimal text of a positive id, or NULL (arena). */
const char *id_param(concerto_request *req, const char *name);

/* The shared shape of "end this thing": runs `sql` with $1 = the route's
 * {id}; one returned row means it changed (0 rows: 404). Audits `action` on
 * "<kind>:<id>" (the returned first column is the patient when
 * `patient_in_row`) and answers {answer_key: id}. */
concerto_status end_by_id(concerto_request *req, const char *sql,
                          const char *action, const char *kind,
                          const char *answer_key, bool patient_in_row);

#endif
