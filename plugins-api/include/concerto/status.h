/* Concerto plugin API — status codes.
 *
 * One enum for the whole platform: zero means OK, every failure has a code in
 * a range owned by one subsystem. Values are part of the ABI: never renumber,
 * only append. The core maps each code to an HTTP status and a stable
 * problem+json `code` string when a handler returns it without responding. */
#ifndef CONCERTO_STATUS_H
#define CONCERTO_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum concerto_status {
  CONCERTO_OK = 0,

  /* 100-199: request and data errors (caller's fault) */
  CONCERTO_ERR_INVALID = 100,         /* 400 malformed input */
  CONCERTO_ERR_VALIDATION = 101,      /* 422 well-formed but not acceptable */
  CONCERTO_ERR_NOT_FOUND = 102,       /* 404 unknown or not visible */
  CONCERTO_ERR_CONFLICT = 103,        /* 409 duplicate or bad state change */
  CONCERTO_ERR_TOO_LARGE = 104,       /* 413 over a size limit */
  CONCERTO_ERR_MEDIA_TYPE = 105,      /* 415 wrong Content-Type */
  CONCERTO_ERR_UNAUTHENTICATED = 106, /* 401 */
  CONCERTO_ERR_FORBIDDEN = 107,       /* 403 */
  CONCERTO_ERR_RATE_LIMITED = 108,    /* 429 */
  /* ABI 1.10: the module answering (a service's provider) is not enabled
   * for the request's hospital: 404 module_not_enabled. */
  CONCERTO_ERR_MODULE_DISABLED = 109,
  /* ABI 1.10: a remote service failed, timed out or answered too much:
   * 502 upstream_failed. */
  CONCERTO_ERR_UPSTREAM = 110,

  /* 200-299: database */
  CONCERTO_ERR_DB_UNAVAILABLE = 200, /* 503 the database cannot be reached */
  CONCERTO_ERR_DB_QUERY = 201,       /* 500 a statement failed */
  CONCERTO_ERR_DB_CONSTRAINT = 202,  /* 409 a constraint was violated */

  /* 300-399: module registration (only during init) */
  CONCERTO_ERR_REG_CLOSED = 300,    /* registration attempted after init */
  CONCERTO_ERR_REG_DUPLICATE = 301, /* route/key already registered */
  CONCERTO_ERR_REG_INVALID = 302,   /* malformed registration */

  /* 900-999: internal */
  CONCERTO_ERR_INTERNAL = 900,    /* 500 */
  CONCERTO_ERR_NOMEM = 901,       /* 500 */
  CONCERTO_ERR_UNSUPPORTED = 902, /* 501 not available in this core */
  /* ABI 1.10: called where it is not allowed (http_request in a request
   * handler or inside an open transaction, tx_commit in a request): 500. */
  CONCERTO_ERR_CONTEXT = 903,

  CONCERTO_STATUS_FORCE_32BIT = 0x7fffffff
} concerto_status;

#ifdef __cplusplus
static_assert(sizeof(concerto_status) == 4, "concerto_status must be 32 bits");
#else
_Static_assert(sizeof(concerto_status) == 4, "concerto_status must be 32 bits");
#endif

#ifdef __cplusplus
}
#endif
#endif
