#include "webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outbound_http.h"
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

/* What a delivery needs once the claim has committed: one block. */
typedef struct webhook_call {
  char url[512];
  char secret[256];
  char tenant[40];
  outbound_policy policy;
} webhook_call;

static void *prepare_webhook(app *a, db_conn *c, const event_delivery *d,
                             bool *skip, char *err, size_t errlen) {
  (void)a;
  const char *p[1] = {d->subscriber + strlen("webhook:")};
  PGresult *r = NULL;
  *skip = false;
  if (db_conn_exec(c,
                   "SELECT w.url, w.secret, t.code, array_to_string("
                   "o.allow_cidrs, ' '), o.allow_plaintext FROM "
                   "concerto.webhooks w JOIN concerto.tenants t ON t.id = "
                   "w.tenant_id LEFT JOIN concerto.tenant_outbound o ON "
                   "o.tenant_id = w.tenant_id WHERE w.id = $1::bigint AND "
                   "w.active",
                   1, p, &r, NULL) != CONCERTO_OK) {
    snprintf(err, errlen, "cannot read the webhook");
    return NULL;
  }
  webhook_call *w = PQntuples(r) == 1 ? calloc(1, sizeof *w) : NULL;
  /* Removed or deactivated meanwhile: nothing to deliver. */
  *skip = PQntuples(r) != 1;
  if (w) {
    snprintf(w->url, sizeof w->url, "%s", PQgetvalue(r, 0, 0));
    snprintf(w->secret, sizeof w->secret, "%s", PQgetvalue(r, 0, 1));
    snprintf(w->tenant, sizeof w->tenant, "%s", PQgetvalue(r, 0, 2));
    outbound_policy_from_row(&w->policy,
                             PQgetisnull(r, 0, 3) ? NULL : PQgetvalue(r, 0, 3),
                             PQgetisnull(r, 0, 4) ? NULL : PQgetvalue(r, 0, 4));
  } else if (!*skip) {
    snprintf(err, errlen, "out of memory");
  }
  PQclear(r);
  return w;
}

static bool call_webhook(app *a, const void *state, const event_delivery *d,
                         char *err, size_t errlen) {
  (void)a;
  const webhook_call *w = state;
  char *body = NULL;
  if (asprintf(
          &body,
          "{\"id\":\"%s\",\"name\":\"%s\",\"version\":%u,\"tenant\":\"%s\","
          "\"payload\":%s}",
          d->event_id, d->name, d->version, w->tenant, d->payload) < 0)
    body = NULL;
  char sig[160], h_sig[200], h_id[80], h_name[160];
  if (!body || !webhook_signature(w->secret, (long long)time(NULL), body, sig,
                                  sizeof sig)) {
    free(body);
    snprintf(err, errlen, "cannot build the request");
    return false;
  }
  snprintf(h_sig, sizeof h_sig, "X-Concerto-Signature: %s", sig);
  snprintf(h_id, sizeof h_id, "X-Concerto-Event-Id: %s", d->event_id);
  snprintf(h_name, sizeof h_name, "X-Concerto-Event: %s@%u", d->name,
           d->version);
  const char *headers[] = {
      "Content-Type: application/json", h_sig, h_id, h_name,
      "User-Agent: Concerto-Webhook/1", NULL};
  concerto_http_call call = CONCERTO_HTTP_CALL_INIT_V1;
  call.method = "POST";
  call.url = w->url;
  call.headers = headers;
  call.body = body;
  call.body_len = strlen(body);
  call.timeout_ms = WEBHOOK_TIMEOUT_S * 1000u;
  /* The receiver's answer is not read: a small limit is plenty. */
  call.max_response_bytes = 64u << 10;
  outbound_answer ans;
  concerto_status st = outbound_http_call(&w->policy, &call, &ans, err, errlen);
  bool ok = st == CONCERTO_OK && ans.status >= 200 && ans.status < 300;
  if (st == CONCERTO_OK && !ok)
    snprintf(err, errlen, "HTTP %ld from the receiver", ans.status);
  outbound_http_answer_free(&ans);
  free(body);
  return ok;
}

/* ---- the hospital's webhooks as a kind of event subscriber ---- */

static const event_sink webhook_sink = {
    .prefix = "webhook:",
    .fanout_sql = "SELECT 'webhook:' || w.id, e.id, e.tenant_id FROM e JOIN "
                  "concerto.webhooks w ON w.tenant_id = e.tenant_id AND "
                  "w.active AND $1 = ANY (w.events)",
    .prepare = prepare_webhook,
    .call = call_webhook,
};

bool webhook_sink_register(events *e) {
  return events_add_sink(e, &webhook_sink);
}
