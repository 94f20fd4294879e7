#include "outbound_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"
#include "outbound_store.h"

bool outbound_url_check(const outbound_policy *p, const char *url, bool resolve,
                        outbound_verdict *v) {
  memset(v, 0, sizeof *v);
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL;
  bool parsed =
      u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
  bool ok = false;
  if (!parsed) {
    v->refusal = OUTBOUND_BAD_URL;
    snprintf(v->message, sizeof v->message,
             "not a URL with a host, such as https://cup.example/hook");
  } else if (strcasecmp(scheme, "https") != 0 &&
             strcasecmp(scheme, "http") != 0) {
    v->refusal = OUTBOUND_BAD_URL;
    snprintf(v->message, sizeof v->message, "must start with https://");
  } else if (outbound_check_plaintext(p, strcasecmp(scheme, "http") == 0,
                                      "http://", "use https://", v)) {
    /* An IPv6 literal comes back as "[::1]"; the resolver wants ::1. */
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
      memmove(host, host + 1, n - 2);
      host[n - 2] = '\0';
    }
    ok = !resolve || outbound_check_host(p, host, port, v);
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return ok;
}

/* Checks each address libcurl is about to connect to, before the socket
 * exists: the answer DNS gives now is what counts, not the one it gave
 * when the URL was saved. The first refusal is kept. */
typedef struct connect_guard {
  const outbound_policy *policy;
  bool refused;
  outbound_verdict verdict;
} connect_guard;

static curl_socket_t guarded_socket(void *ud, curlsocktype purpose,
                                    struct curl_sockaddr *a) {
  connect_guard *g = ud;
  struct sockaddr_storage peer;
  outbound_verdict v;
  bool ok = purpose == CURLSOCKTYPE_IPCXN && a->addrlen <= sizeof peer;
  if (ok) {
    memset(&peer, 0, sizeof peer);
    memcpy(&peer, &a->addr, a->addrlen);
    ok = outbound_check_addr(g->policy, (struct sockaddr *)&peer, &v);
  } else {
    outbound_check_addr(g->policy, NULL, &v);
  }
  if (!ok) {
    if (!g->refused)
      g->verdict = v;
    g->refused = true;
    return CURL_SOCKET_BAD;
  }
  return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* A growing buffer with a hard limit: libcurl aborts the transfer when a
 * write callback takes fewer bytes than offered. */
typedef struct sink {
  char *data;
  size_t len, cap, limit;
  bool over;
} sink;

static size_t sink_write(char *p, size_t size, size_t n, void *ud) {
  sink *s = ud;
  size_t add = size * n;
  if (s->len + add > s->limit) {
    s->over = true;
    return 0;
  }
  if (s->len + add + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->len + add + 1)
      cap *= 2;
    char *grown = realloc(s->data, cap);
    if (!grown)
      return 0;
    s->data = grown;
    s->cap = cap;
  }
  memcpy(s->data + s->len, p, add);
  s->len += add;
  s->data[s->len] = '\0';
  return add;
}

/* A PEM argument is the text itself when it starts like one, else a
 * path. */
static bool is_pem_text(const char *s) {
  return strncmp(s, "-----BEGIN", 10) == 0;
}

static void set_pem(CURL *curl, CURLoption blob_opt, CURLoption path_opt,
                    const char *pem) {
  if (!pem)
    return;
  if (is_pem_text(pem)) {
    struct curl_blob b = {(void *)pem, strlen(pem), CURL_BLOB_COPY};
    curl_easy_setopt(curl, blob_opt, &b);
  } else {
    curl_easy_setopt(curl, path_opt, pem);
  }
}

static bool call_valid(const concerto_http_call *call) {
  if (!call || call->size < sizeof(concerto_http_call) || !call->url ||
      (call->body_len && !call->body) ||
      (call->client_key_pem && !call->client_cert_pem))
    return false;
  const char *m = call->method ? call->method : "GET";
  size_t n = strlen(m);
  return n >= 3 && n <= 10 && strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

static struct curl_slist *header_list(const concerto_http_call *call,
                                      bool *ok) {
  struct curl_slist *h = curl_slist_append(NULL, "Expect:");
  *ok = h != NULL;
  for (const char *const *p = call->headers; *ok && p && *p; p++) {
    /* One line each: a CR or LF would smuggle another header. */
    if (strpbrk(*p, "\r\n") || !strchr(*p, ':')) {
      *ok = false;
      break;
    }
    struct curl_slist *grown = curl_slist_append(h, *p);
    *ok = grown != NULL;
    if (grown)
      h = grown;
  }
  return h;
}

concerto_status outbound_http_call(const outbound_policy *policy,
                                   const concerto_http_call *call,
                                   outbound_answer *ans, char *err,
                                   size_t errlen) {
  memset(ans, 0, sizeof *ans);
  err[0] = '\0';
  if (!call_valid(call)) {
    snprintf(err, errlen, "malformed call");
    return CONCERTO_ERR_INVALID;
  }
  /* The region may have withdrawn plaintext since the URL was saved. */
  if (!outbound_url_check(policy, call->url, false, &ans->verdict)) {
    ans->refused = true;
    snprintf(err, errlen, "%s", ans->verdict.message);
    return CONCERTO_ERR_FORBIDDEN;
  }
  bool headers_ok;
  struct curl_slist *h = header_list(call, &headers_ok);
  CURL *curl = headers_ok ? curl_easy_init() : NULL;
  if (!curl) {
    curl_slist_free_all(h);
    snprintf(err, errlen, headers_ok ? "out of memory" : "malformed header");
    return headers_ok ? CONCERTO_ERR_NOMEM : CONCERTO_ERR_INVALID;
  }
  connect_guard guard = {policy, false, {0}};
  sink body = {0}, head = {0};
  body.limit = call->max_response_bytes ? call->max_response_bytes
                                        : OUTBOUND_MAX_RESPONSE;
  head.limit = OUTBOUND_MAX_HEADERS;
  const char *method = call->method ? call->method : "GET";
  curl_easy_setopt(curl, CURLOPT_URL, call->url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
  if (strcmp(method, "HEAD") == 0)
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  else if (strcmp(method, "GET") != 0)
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  if (call->body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)call->body_len);
    curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, call->body);
    if (strcmp(method, "POST") != 0)
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   (long)(call->connect_timeout_ms
                              ? call->connect_timeout_ms
                              : OUTBOUND_CONNECT_TIMEOUT_MS));
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      (long)(call->timeout_ms ? call->timeout_ms : OUTBOUND_TIMEOUT_MS));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
                   policy && policy->allow_plaintext ? "http,https" : "https");
  /* No proxy from the environment: the guard must see the receiver. */
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, guarded_socket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &guard);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, sink_write);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &head);
  set_pem(curl, CURLOPT_SSLCERT_BLOB, CURLOPT_SSLCERT, call->client_cert_pem);
  if (call->client_cert_pem)
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  set_pem(curl, CURLOPT_SSLKEY_BLOB, CURLOPT_SSLKEY, call->client_key_pem);
  set_pem(curl, CURLOPT_CAINFO_BLOB, CURLOPT_CAINFO, call->ca_pem);
  CURLcode cc = curl_easy_perform(curl);
  concerto_status st = CONCERTO_OK;
  if (cc == CURLE_OK) {
    char *ct = NULL;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ans->status);
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
    ans->content_type = ct ? strdup(ct) : NULL;
    ans->body = body.data ? body.data : strdup("");
    ans->body_len = body.len;
    ans->headers = head.data ? head.data : strdup("");
    body.data = head.data = NULL;
  } else if (guard.refused) {
    ans->refused = true;
    ans->verdict = guard.verdict;
    snprintf(err, errlen, "%s", guard.verdict.message);
    st = CONCERTO_ERR_FORBIDDEN;
  } else if (body.over || head.over) {
    snprintf(err, errlen, "the answer is over %zu bytes", body.limit);
    st = CONCERTO_ERR_TOO_LARGE;
  } else {
    snprintf(err, errlen, "%s", curl_easy_strerror(cc));
    st = CONCERTO_ERR_UPSTREAM;
  }
  free(body.data);
  free(head.data);
  curl_slist_free_all(h);
  curl_easy_cleanup(curl);
  return st;
}

void outbound_http_answer_free(outbound_answer *ans) {
  free(ans->content_type);
  free(ans->headers);
  free(ans->body);
  memset(ans, 0, sizeof *ans);
}

/* The answer copied into the context's arena, so the module frees
 * nothing. */
static concerto_status reply_from(concerto_request *ctx,
                                  const outbound_answer *ans,
                                  concerto_http_reply *reply) {
  char *body = arena_alloc(&ctx->arena, ans->body_len + 1);
  char *headers = arena_strdup(&ctx->arena, ans->headers);
  if (!body || !headers)
    return CONCERTO_ERR_NOMEM;
  memcpy(body, ans->body, ans->body_len);
  body[ans->body_len] = '\0';
  reply->status = (unsigned)ans->status;
  reply->content_type =
      ans->content_type ? arena_strdup(&ctx->arena, ans->content_type) : NULL;
  reply->headers = headers;
  reply->body = body;
  reply->body_len = ans->body_len;
  return CONCERTO_OK;
}

concerto_status outbound_http_request(concerto_request *ctx,
                                      const concerto_http_call *call,
                                      concerto_http_reply *reply) {
  if (!reply || reply->size < sizeof(concerto_http_reply))
    return CONCERTO_ERR_INVALID;
  /* No row stays locked while a remote peer takes its time. */
  if (!request_may_call_out(ctx))
    return CONCERTO_ERR_CONTEXT;
  outbound_policy policy;
  concerto_status st = outbound_policy_read(ctx->bg_conn, ctx->app->server_key,
                                            ctx->caller.tenant_id, &policy);
  if (st != CONCERTO_OK)
    return st;
  outbound_answer ans;
  char err[400];
  st = outbound_http_call(&policy, call, &ans, err, sizeof err);
  if (st != CONCERTO_OK)
    log_msg(CONCERTO_LOG_WARN, ctx->owner ? ctx->owner->name : NULL, ctx->id,
            "http_request %s: %s", call && call->method ? call->method : "GET",
            err);
  if (st == CONCERTO_OK)
    st = reply_from(ctx, &ans, reply);
  outbound_http_answer_free(&ans);
  return st;
}
