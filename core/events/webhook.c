#include "webhook.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "outbound_store.h"

bool webhook_signature(const char *secret, long long t, const char *body,
                       char *out, size_t outlen) {
  char *message = NULL;
  int mlen = asprintf(&message, "%lld.%s", t, body);
  if (mlen < 0)
    return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  bool ok =
      HMAC(EVP_sha256(), secret, (int)strlen(secret),
           (const unsigned char *)message, (size_t)mlen, mac, &maclen) != NULL;
  free(message);
  if (!ok || outlen < (size_t)(40 + 2 * maclen))
    return false;
  size_t n = (size_t)snprintf(out, outlen, "t=%lld,v1=", t);
  for (unsigned i = 0; i < maclen; i++)
    n += (size_t)snprintf(out + n, outlen - n, "%02x", mac[i]);
  return true;
}

static size_t discard(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return size * n;
}

bool webhook_url_check(const outbound_policy *p, const char *url, bool resolve,
                       outbound_verdict *v) {
  memset(v, 0, sizeof *v);
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL;
  bool parsed =
      u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
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
 * when the URL was saved. The first refusal is kept for last_error. */
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

bool webhook_deliver(db_conn *c, const char *webhook_id, const char *event_id,
                     const char *name, uint32_t version, const char *payload,
                     char *err, size_t errlen) {
  const char *p[1] = {webhook_id};
  PGresult *r = NULL;
  if (db_conn_exec(c,
                   "SELECT w.url, w.secret, t.code, array_to_string("
                   "o.allow_cidrs, ' '), o.allow_plaintext FROM "
                   "concerto.webhooks w JOIN concerto.tenants t ON t.id = "
                   "w.tenant_id LEFT JOIN concerto.tenant_outbound o ON "
                   "o.tenant_id = w.tenant_id WHERE w.id = $1::bigint AND "
                   "w.active",
                   1, p, &r, NULL) != CONCERTO_OK) {
    snprintf(err, errlen, "cannot read the webhook");
    return false;
  }
  if (PQntuples(r) != 1) {
    PQclear(r);
    return true; /* removed meanwhile: nothing to deliver */
  }
  char *url = strdup(PQgetvalue(r, 0, 0));
  char *secret = strdup(PQgetvalue(r, 0, 1));
  char *tenant = strdup(PQgetvalue(r, 0, 2));
  connect_guard guard = {0};
  outbound_policy policy;
  outbound_policy_from_row(&policy,
                           PQgetisnull(r, 0, 3) ? NULL : PQgetvalue(r, 0, 3),
                           PQgetisnull(r, 0, 4) ? NULL : PQgetvalue(r, 0, 4));
  guard.policy = &policy;
  PQclear(r);
  /* The region may have withdrawn plaintext since the URL was saved. */
  if (!webhook_url_check(&policy, url, false, &guard.verdict)) {
    snprintf(err, errlen, "%s", guard.verdict.message);
    free(url);
    free(secret);
    free(tenant);
    return false;
  }
  char *body = NULL;
  bool ok = false;
  if (asprintf(
          &body,
          "{\"id\":\"%s\",\"name\":\"%s\",\"version\":%u,\"tenant\":\"%s\","
          "\"payload\":%s}",
          event_id, name, version, tenant, payload) < 0)
    body = NULL;
  char sig[160], h_sig[200], h_id[80], h_name[160];
  long long now = (long long)time(NULL);
  CURL *curl = body ? curl_easy_init() : NULL;
  if (curl && webhook_signature(secret, now, body, sig, sizeof sig)) {
    snprintf(h_sig, sizeof h_sig, "X-Concerto-Signature: %s", sig);
    snprintf(h_id, sizeof h_id, "X-Concerto-Event-Id: %s", event_id);
    snprintf(h_name, sizeof h_name, "X-Concerto-Event: %s@%u", name, version);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, h_sig);
    h = curl_slist_append(h, h_id);
    h = curl_slist_append(h, h_name);
    h = curl_slist_append(h, "User-Agent: Concerto-Webhook/1");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)WEBHOOK_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
                     policy.allow_plaintext ? "http,https" : "https");
    /* No proxy from the environment: the guard must see the receiver. */
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, guarded_socket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &guard);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    ok = cc == CURLE_OK && status >= 200 && status < 300;
    if (!ok)
      snprintf(err, errlen, "%s",
               cc != CURLE_OK ? curl_easy_strerror(cc) : "non-2xx answer");
    if (cc == CURLE_OK && !ok)
      snprintf(err, errlen, "HTTP %ld from the receiver", status);
    if (cc != CURLE_OK && guard.refused)
      snprintf(err, errlen, "%s", guard.verdict.message);
    curl_slist_free_all(h);
  } else {
    snprintf(err, errlen, "cannot build the request");
  }
  curl_easy_cleanup(curl);
  free(body);
  free(url);
  free(secret);
  free(tenant);
  return ok;
}

/* ---- the hospital's webhooks as a kind of event subscriber ---- */

static bool deliver_webhook(app *a, db_conn *c, const event_delivery *d,
                            char *err, size_t errlen) {
  (void)a;
  return webhook_deliver(c, d->subscriber + strlen("webhook:"), d->event_id,
                         d->name, d->version, d->payload, err, errlen);
}

static const event_sink webhook_sink = {
    .prefix = "webhook:",
    .fanout_sql = "SELECT 'webhook:' || w.id, e.id, e.tenant_id FROM e JOIN "
                  "concerto.webhooks w ON w.tenant_id = e.tenant_id AND "
                  "w.active AND $1 = ANY (w.events)",
    .deliver = deliver_webhook,
};

bool webhook_sink_register(events *e) {
  return events_add_sink(e, &webhook_sink);
}
