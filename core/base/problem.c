#include "problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *problem_http_title(unsigned s) {
  switch (s) {
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 409:
    return "Conflict";
  case 413:
    return "Content Too Large";
  case 414:
    return "URI Too Long";
  case 415:
    return "Unsupported Media Type";
  case 422:
    return "Unprocessable Content";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 503:
    return "Service Unavailable";
  default:
    return s < 400 ? "OK" : (s < 500 ? "Client Error" : "Server Error");
  }
}

problem_kind problem_from_status(concerto_status st) {
  problem_kind k = {500, "internal_error", NULL};
  switch (st) {
  case CONCERTO_OK:
    k = (problem_kind){200, "ok", NULL};
    break;
  case CONCERTO_ERR_INVALID:
    k = (problem_kind){400, "bad_request", NULL};
    break;
  case CONCERTO_ERR_VALIDATION:
    k = (problem_kind){422, "validation_failed", NULL};
    break;
  case CONCERTO_ERR_NOT_FOUND:
    k = (problem_kind){404, "not_found", NULL};
    break;
  case CONCERTO_ERR_CONFLICT:
    k = (problem_kind){409, "conflict", NULL};
    break;
  case CONCERTO_ERR_TOO_LARGE:
    k = (problem_kind){413, "too_large", NULL};
    break;
  case CONCERTO_ERR_MEDIA_TYPE:
    k = (problem_kind){415, "unsupported_media_type", NULL};
    break;
  case CONCERTO_ERR_UNAUTHENTICATED:
    k = (problem_kind){401, "unauthenticated", NULL};
    break;
  case CONCERTO_ERR_FORBIDDEN:
    k = (problem_kind){403, "forbidden", NULL};
    break;
  case CONCERTO_ERR_RATE_LIMITED:
    k = (problem_kind){429, "rate_limited", NULL};
    break;
  case CONCERTO_ERR_DB_UNAVAILABLE:
    k = (problem_kind){503, "db_unavailable", NULL};
    break;
  case CONCERTO_ERR_DB_CONSTRAINT:
    k = (problem_kind){409, "conflict", NULL};
    break;
  case CONCERTO_ERR_UNSUPPORTED:
    k = (problem_kind){501, "not_implemented", NULL};
    break;
  case CONCERTO_ERR_MODULE_DISABLED:
    k = (problem_kind){404, "module_not_enabled", NULL};
    break;
  case CONCERTO_ERR_UPSTREAM:
    k = (problem_kind){502, "upstream_failed", NULL};
    break;
  default:
    break;
  }
  k.title = problem_http_title(k.http_status);
  return k;
}

json_t *problem_json(unsigned http_status, const char *code, const char *title,
                     const char *detail) {
  char type[160];
  /* A stable URN per code; docs/api-errors.md lists them. */
  snprintf(type, sizeof type, "urn:concerto:problem:%s", code);
  json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title",
                        title ? title : problem_http_title(http_status),
                        "status", (int)http_status, "code", code);
  if (o && detail)
    json_object_set_new(o, "detail", json_string(detail));
  return o;
}

/* The list (problem_codes.def), as the table the documentation shows. */
static const struct {
  unsigned status;
  const char *code, *owner, *when;
} codes[] = {
#define X(status, code, owner, when) {status, #code, #owner, when},
#include "problem_codes.def"
#undef X
};

/* Codes modules declared at init. */
typedef struct declared {
  char *code, *owner, *title, *when;
  unsigned status;
} declared;
static declared *decl;
static size_t ndecl;

static long core_index(const char *code) {
  for (size_t i = 0; code && i < sizeof codes / sizeof *codes; i++)
    if (strcmp(codes[i].code, code) == 0)
      return (long)i;
  return -1;
}

bool problem_code_known(const char *code) {
  if (core_index(code) >= 0)
    return true;
  for (size_t i = 0; code && i < ndecl; i++)
    if (strcmp(decl[i].code, code) == 0)
      return true;
  return false;
}

bool problem_code_valid(const char *code) {
  if (!code || !(*code >= 'a' && *code <= 'z') || strlen(code) < 2 ||
      strlen(code) > 64)
    return false;
  for (const char *p = code; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return false;
  return true;
}

static bool one_line(const char *s, size_t max) {
  return s && *s && strlen(s) <= max && !strpbrk(s, "\r\n");
}

concerto_status problem_declare(const char *owner, const char *code,
                                unsigned http_status, const char *title,
                                const char *when) {
  if (!owner || !problem_code_valid(code) || http_status < 400 ||
      http_status > 599 || !one_line(title, 100) || !one_line(when, 300))
    return CONCERTO_ERR_REG_INVALID;
  long core = core_index(code);
  if (core >= 0)
    return codes[core].status == http_status ? CONCERTO_OK
                                             : CONCERTO_ERR_REG_INVALID;
  for (size_t i = 0; i < ndecl; i++)
    if (strcmp(decl[i].code, code) == 0) {
      if (strcmp(decl[i].owner, owner) == 0)
        return CONCERTO_ERR_REG_DUPLICATE;
      return decl[i].status == http_status ? CONCERTO_OK
                                           : CONCERTO_ERR_REG_INVALID;
    }
  declared *grown = realloc(decl, (ndecl + 1) * sizeof *grown);
  if (!grown)
    return CONCERTO_ERR_NOMEM;
  decl = grown;
  declared d = {strdup(code), strdup(owner), strdup(title), strdup(when),
                http_status};
  if (!d.code || !d.owner || !d.title || !d.when) {
    free(d.code);
    free(d.owner);
    free(d.title);
    free(d.when);
    return CONCERTO_ERR_NOMEM;
  }
  decl[ndecl++] = d;
  return CONCERTO_OK;
}

json_t *problem_codes_json(void) {
  json_t *out = json_array();
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
    json_array_append_new(
        out, json_pack("{s:s, s:i, s:s, s:s}", "code", codes[i].code, "status",
                       (int)codes[i].status, "owner", codes[i].owner, "when",
                       codes[i].when));
  for (size_t i = 0; i < ndecl; i++)
    json_array_append_new(
        out, json_pack("{s:s, s:i, s:s, s:s, s:s}", "code", decl[i].code,
                       "status", (int)decl[i].status, "owner", decl[i].owner,
                       "title", decl[i].title, "when", decl[i].when));
  return out;
}

void problem_declared_free(void) {
  for (size_t i = 0; i < ndecl; i++) {
    free(decl[i].code);
    free(decl[i].owner);
    free(decl[i].title);
    free(decl[i].when);
  }
  free(decl);
  decl = NULL;
  ndecl = 0;
}

void problem_codes_markdown(FILE *out) {
  fputs("| status | code | from | when |\n| --- | --- | --- | --- |\n", out);
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
    fprintf(out, "| %u | `%s` | %s | %s |\n", codes[i].status, codes[i].code,
            codes[i].owner, codes[i].when);
}
