/* The server's HTTP client for calls on a hospital's behalf: a webhook
 * delivery, a module's host->http_request from an event handler or a job
 * (docs/outbound.md). One libcurl exchange with TLS verified, no proxy, no
 * redirects, and every address it connects to checked against the
 * hospital's outbound policy (outbound_policy.h) just before the socket
 * exists, so a name that resolves elsewhere since it was saved (DNS
 * rebinding) is refused before any byte is sent. */
#ifndef CONCERTO_CORE_OUTBOUND_HTTP_H
#define CONCERTO_CORE_OUTBOUND_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "concerto/host.h"
#include "outbound_policy.h"
#include "request.h"

#define OUTBOUND_CONNECT_TIMEOUT_MS 5000u
#define OUTBOUND_TIMEOUT_MS 30000u
#define OUTBOUND_MAX_RESPONSE (1u << 20)
#define OUTBOUND_MAX_HEADERS (64u << 10)

/* The answer of outbound_http_call. `body` and `headers` are malloc'ed
 * (NUL-terminated) and owned by the caller: outbound_http_answer_free. */
typedef struct outbound_answer {
  long status;
  char *content_type; /* or NULL */
  char *headers;      /* "Name: value\r\n" lines as received */
  char *body;
  size_t body_len;
  bool refused;             /* an address was refused by the policy */
  outbound_verdict verdict; /* when refused: why */
} outbound_answer;

/* Performs `call` (borrowed) for a hospital with policy `policy`
 * (borrowed). CONCERTO_OK with *ans filled for any HTTP status;
 * CONCERTO_ERR_FORBIDDEN when the URL or an address is refused (the reason
 * in ans->verdict), CONCERTO_ERR_TOO_LARGE for an answer over the limit,
 * CONCERTO_ERR_UPSTREAM for a network or TLS failure or a timeout (the
 * reason in err), CONCERTO_ERR_INVALID for a malformed call. */
concerto_status outbound_http_call(const outbound_policy *policy,
                                   const concerto_http_call *call,
                                   outbound_answer *ans, char *err,
                                   size_t errlen);
void outbound_http_answer_free(outbound_answer *ans);

/* Whether `url` may be called for a hospital with policy `p` (NULL: the
 * default): http:// needs allow_plaintext; with `resolve` (save time) its
 * host is resolved and every address checked. libcurl's own URL parser
 * reads the host, so the check sees what a call would. On refusal *v says
 * why. */
bool outbound_url_check(const outbound_policy *p, const char *url, bool resolve,
                        outbound_verdict *v);

/* host->http_request: only in a background context with no transaction
 * open (CONCERTO_ERR_CONTEXT otherwise), with the policy of the context's
 * hospital. The reply's strings are ctx's arena memory. */
concerto_status outbound_http_request(concerto_request *ctx,
                                      const concerto_http_call *call,
                                      concerto_http_reply *reply);

#endif
