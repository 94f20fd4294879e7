#include "webhook.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

bool webhook_deliver(db_conn *c, const char *webhook_id, const char *event_id,
                     const char *name, uint32_t version, const char *payload,
                     char *err, size_t errlen) {
  const char *p[1] = {webhook_id};
  PGresult *r = NULL;
  if (db_conn_exec(c,
                   "SELECT w.url, w.secret, t.code FROM concerto.webhooks w "
                   "JOIN concerto.tenants t ON t.id = w.tenant_id WHERE w.id "
                   "= $1::bigint AND w.active",
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
  PQclear(r);
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
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
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
