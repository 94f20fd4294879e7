#include "problem.h"

#include <stdio.h>
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

bool problem_code_known(const char *code) {
  for (size_t i = 0; code && i < sizeof codes / sizeof *codes; i++)
    if (strcmp(codes[i].code, code) == 0)
      return true;
  return false;
}

void problem_codes_markdown(FILE *out) {
  fputs("| status | code | from | when |\n| --- | --- | --- | --- |\n", out);
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
    fprintf(out, "| %u | `%s` | %s | %s |\n", codes[i].status, codes[i].code,
            codes[i].owner, codes[i].when);
}
