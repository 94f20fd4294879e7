/* Small helpers every handler file uses: JSON built by PostgreSQL, problem
 * answers in the core's shape, input checks, random room names and join
 * links. */
#include "tc.h"

#include <openssl/evp.h>

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const concerto_module *tc_self;

concerto_status tc_json_row(concerto_request *req, const char *sql, int n,
                            const char *const *params, json_t **out) {
  *out = NULL;
  concerto_result *res;
  concerto_status st = concerto_query_db(req, sql, n, params, &res);
  if (st != CONCERTO_OK)
    return st;
  const char *text = concerto_rows(res) > 0 ? concerto_value(res, 0, 0) : NULL;
  if (text && !(*out = json_loads(text, JSON_DECODE_ANY, NULL)))
    return CONCERTO_ERR_INTERNAL;
  return CONCERTO_OK;
}

concerto_status tc_json_rows(concerto_request *req, const char *sql, int n,
                             const char *const *params, json_t **out) {
  concerto_result *res;
  *out = NULL;
  concerto_status st = concerto_query_db(req, sql, n, params, &res);
  if (st != CONCERTO_OK)
    return st;
  json_t *arr = json_array();
  for (int i = 0; i < concerto_rows(res); i++) {
    const char *text = concerto_value(res, i, 0);
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (v)
      json_array_append_new(arr, v);
  }
  *out = arr;
  return CONCERTO_OK;
}

concerto_status tc_value(concerto_request *req, const char *sql, int n,
                         const char *const *params, const char **out) {
  concerto_result *res;
  *out = NULL;
  concerto_status st = concerto_query_db(req, sql, n, params, &res);
  if (st == CONCERTO_OK && concerto_rows(res) > 0)
    *out = concerto_value(res, 0, 0);
  return st;
}

/* problem+json by hand: respond_problem has no `errors` member. */
concerto_status tc_invalid(concerto_request *req, const char *field,
                           const char *code, const char *message) {
  json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s, s:[{s:s, s:s, s:s}]}",
                        "type", "urn:concerto:problem:validation_failed",
                        "title", "Unprocessable Content", "status", 422, "code",
                        "validation_failed", "detail", message, "errors",
                        "field", field, "code", code, "message", message);
  char *text = json_dumps(p, JSON_COMPACT);
  json_decref(p);
  if (!text)
    return CONCERTO_ERR_NOMEM;
  concerto_status st = TC_H->respond_bytes(req, 422, "application/problem+json",
                                           text, strlen(text));
  free(text);
  return st;
}

concerto_status tc_not_found(concerto_request *req) {
  return concerto_reply_problem(req, 404, "not_found", "Not Found",
                                "No such teleconsult resource.");
}

concerto_status tc_conflict(concerto_request *req, const char *detail) {
  return concerto_reply_problem(req, 409, "conflict", "Conflict", detail);
}

concerto_status tc_forbidden(concerto_request *req, const char *detail) {
  return concerto_reply_problem(req, 403, "forbidden", "Forbidden", detail);
}

concerto_status tc_body(concerto_request *req, json_t **out) {
  concerto_status st = concerto_json_body(req, out);
  if (st != CONCERTO_OK)
    return st;
  if (!json_is_object(*out)) {
    concerto_reply_problem(req, 400, "bad_request", "Bad Request",
                           "The body must be a JSON object.");
    return CONCERTO_ERR_INVALID; /* answered: the handler stops here */
  }
  return CONCERTO_OK;
}

const char *tc_str(const json_t *obj, const char *key) {
  return json_string_value(json_object_get(obj, key));
}

const char *tc_id_member(concerto_request *req, const json_t *body,
                         const char *key) {
  json_t *v = json_object_get(body, key);
  if (json_is_integer(v))
    return TC_H->req_printf(req, "%lld", (long long)json_integer_value(v));
  return json_string_value(v);
}

bool tc_is_id(const char *s) {
  if (!s || !*s || strlen(s) > 18 || *s == '0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static bool random_bytes(unsigned char *out, size_t n) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t got = read(fd, out, n);
  close(fd);
  return got == (ssize_t)n;
}

/* 24 characters of a 32-symbol lower-case alphabet: 120 bits, unguessable
 * (with the `url` video provider the room name is the only secret), and
 * lower-case because Jitsi may fold room names (docs/video.md). */
bool tc_room_name(char buf[28]) {
  static const char abc[] = "abcdefghijklmnopqrstuvwxyz234567";
  unsigned char raw[24];
  if (!random_bytes(raw, sizeof raw))
    return false;
  memcpy(buf, "tc-", 3);
  for (size_t i = 0; i < sizeof raw; i++)
    buf[3 + i] = abc[raw[i] & 31];
  buf[27] = '\0';
  return true;
}

/* Read per request: a module's configuration is final only after init. */
const char *tc_public_url(concerto_request *req) {
  const char *v = TC_H->config_string(tc_self, "public_url");
  if (!v || !*v)
    v = "http://127.0.0.1:8080";
  size_t n = strlen(v);
  while (n > 1 && v[n - 1] == '/')
    n--;
  return TC_H->req_printf(req, "%.*s", (int)n, v);
}

char *tc_base64(const void *data, size_t len) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *s = data;
  char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
  if (!out)
    return NULL;
  size_t i = 0;
  for (; i + 2 < len; i += 3) {
    *o++ = abc[s[i] >> 2];
    *o++ = abc[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
    *o++ = abc[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
    *o++ = abc[s[i + 2] & 63];
  }
  if (i < len) {
    *o++ = abc[s[i] >> 2];
    if (i + 1 < len) {
      *o++ = abc[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
      *o++ = abc[(s[i + 1] & 15) << 2];
    } else {
      *o++ = abc[(s[i] & 3) << 4];
      *o++ = '=';
    }
    *o++ = '=';
  }
  *o = '\0';
  return out;
}

bool tc_join_hash(const char *token, char hash[65]) {
  unsigned char md[32];
  unsigned int n = 0;
  if (!token || strlen(token) != TC_JOIN_TOKEN_LEN ||
      strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789-_") != TC_JOIN_TOKEN_LEN)
    return false;
  if (!EVP_Digest(token, TC_JOIN_TOKEN_LEN, md, &n, EVP_sha256(), NULL) ||
      n != sizeof md)
    return false;
  for (size_t i = 0; i < sizeof md; i++)
    snprintf(hash + 2 * i, 3, "%02x", md[i]);
  return true;
}

/* 32 random bytes in base64url without padding: 256 bits, as unguessable
 * as a session cookie, and safe in a URL fragment and an SMS. */
bool tc_join_token(char token[TC_JOIN_TOKEN_LEN + 1], char hash[65]) {
  unsigned char raw[32];
  if (!random_bytes(raw, sizeof raw))
    return false;
  char *b64 = tc_base64(raw, sizeof raw); /* 43 characters and one '=' */
  if (!b64)
    return false;
  for (size_t i = 0; i < TC_JOIN_TOKEN_LEN; i++)
    token[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
  token[TC_JOIN_TOKEN_LEN] = '\0';
  free(b64);
  return tc_join_hash(token, hash);
}

concerto_status tc_video_link(concerto_request *req, const char *room,
                              long long starts, long long ends,
                              const tc_video_person *who, json_t **link) {
  *link = NULL;
  json_t *spec =
      json_pack("{s:s, s:{s:s, s:s, s:s?}, s:b, s:I, s:I}", "room", room,
                "user", "id", who->id, "name", who->name, "email", who->email,
                "moderator", who->moderator, "starts_at", (json_int_t)starts,
                "ends_at", (json_int_t)ends);
  if (!spec)
    return CONCERTO_ERR_NOMEM;
  concerto_status st = TC_H->video_room(req, spec, link);
  json_decref(spec);
  return st;
}

concerto_status tc_audit(concerto_request *req, const tc_access *a,
                         const char *action, const char *resource,
                         const char *patient_id, const char *outcome) {
  return TC_H->audit_for(req, a ? a->tenant_id : NULL, action, resource,
                         patient_id, outcome);
}

concerto_status tc_audit_request(concerto_request *req, const char *request_id,
                                 const char *action, const char *patient_id) {
  const char *hub = NULL;
  concerto_status st = tc_value(
      req, "SELECT tenant_id::text FROM requests WHERE id = $1::bigint", 1,
      (const char *[]){request_id}, &hub);
  if (st != CONCERTO_OK)
    return st;
  return TC_H->audit_for(req, hub, action,
                         TC_H->req_printf(req, "request:%s", request_id),
                         patient_id, NULL);
}
