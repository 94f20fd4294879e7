/* Staff login against a hospital directory; see ldap_auth.h. The order of a
 * login is: validate the input locally, connect (StartTLS), bind as the
 * service account, find exactly one user, read their groups, and bind as the
 * user last. Every read uses the service identity so that what a user may
 * read in the directory never changes which groups (and roles) they get; the
 * user's bind is only a password check. */
#include "ldap_auth.h"

#include <ldap.h>

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

enum {
  DEFAULT_TIMEOUT_MS = 3000,
  MAX_USERNAME = 256,
};

/* The same words for an unknown user and a wrong password, so that not even
 * the log line handed back to the caller tells them apart. */
static const char BAD_CREDENTIALS_TEXT[] = "invalid credentials";

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

char *ldap_filter_escape(const char *value) {
  if (!value)
    return NULL;
  size_t len = strlen(value);
  if (len > (SIZE_MAX - 1) / 3)
    return NULL;
  char *out = malloc(len * 3 + 1);
  if (!out)
    return NULL;
  static const char hex[] = "0123456789abcdef";
  char *p = out;
  for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
    if (*c == '*' || *c == '(' || *c == ')' || *c == '\\') {
      *p++ = '\\';
      *p++ = hex[*c >> 4];
      *p++ = hex[*c & 0xf];
    } else {
      *p++ = (char)*c;
    }
  }
  *p = '\0';
  return out;
}

void ldap_identity_free(ldap_identity *id) {
  if (!id)
    return;
  free(id->dn);
  free(id->username);
  free(id->display_name);
  free(id->email);
  free(id->fiscal_code);
  free(id->entry_id);
  if (id->groups)
    for (size_t i = 0; id->groups[i]; i++)
      free(id->groups[i]);
  free(id->groups);
  memset(id, 0, sizeof *id);
}

/* Strict UTF-8 without C0/C1 controls or DEL. A server may answer a filter
 * with invalid UTF-8 by a protocol error, which would turn a bad username
 * into an administrator's alarm instead of a plain refusal. */
static bool username_acceptable(const char *u) {
  size_t len = strlen(u);
  if (len == 0 || len > MAX_USERNAME)
    return false;
  const unsigned char *p = (const unsigned char *)u;
  while (*p) {
    unsigned c = *p;
    size_t n;
    unsigned cp;
    if (c < 0x20 || c == 0x7f)
      return false;
    if (c < 0x80) {
      p++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t i = 1; i <= n; i++) {
      if ((p[i] & 0xc0) != 0x80)
        return false; /* also stops at the NUL */
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    /* Overlong forms, surrogates, beyond U+10FFFF, C1 controls. */
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
        (cp >= 0x80 && cp <= 0x9f))
      return false;
    p += n + 1;
  }
  return true;
}

/* A template is usable when it holds exactly one %s. */
static bool template_ok(const char *tmpl) {
  if (!tmpl)
    return false;
  const char *first = strstr(tmpl, "%s");
  return first && !strstr(first + 2, "%s");
}

/* The template with its %s replaced by the escaped value; malloc'ed, the
 * caller frees. NULL when memory runs out. */
static char *fill_template(const char *tmpl, const char *value) {
  char *escaped = ldap_filter_escape(value);
  if (!escaped)
    return NULL;
  const char *at = strstr(tmpl, "%s");
  size_t head = (size_t)(at - tmpl), tail = strlen(at + 2);
  size_t elen = strlen(escaped);
  char *out = malloc(head + elen + tail + 1);
  if (out) {
    memcpy(out, tmpl, head);
    memcpy(out + head, escaped, elen);
    memcpy(out + head + elen, at + 2, tail + 1);
  }
  free(escaped);
  return out;
}

/* Result codes that mean "try later", not "fix the configuration". */
static bool transient(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT ||
         rc == LDAP_CONNECT_ERROR || rc == LDAP_UNAVAILABLE ||
         rc == LDAP_BUSY || rc == LDAP_TIMELIMIT_EXCEEDED;
}

/* UNAVAILABLE or ERROR for a failed operation, with the server's diagnostic
 * message (never an echo of the password) in err. */
static ldap_auth_status fail(LDAP *ld, int rc, const char *what, char *err,
                             size_t errlen) {
  char *diag = NULL;
  if (ld)
    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
  set_err(err, errlen, "%s: %s (%d)%s%s", what, ldap_err2string(rc), rc,
          diag && *diag ? ": " : "", diag && *diag ? diag : "");
  ldap_memfree(diag);
  return transient(rc) ? LDAP_AUTH_UNAVAILABLE : LDAP_AUTH_ERROR;
}

/* The whole login shares one time budget: each operation gets what is left,
 * so a directory that answers slowly at every step cannot hold a request
 * thread for several timeouts in a row. */
typedef struct budget {
  struct timespec deadline;
} budget;

static void budget_start(budget *b, int timeout_ms) {
  long ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
  clock_gettime(CLOCK_MONOTONIC, &b->deadline);
  b->deadline.tv_sec += ms / 1000;
  b->deadline.tv_nsec += (ms % 1000) * 1000000L;
  if (b->deadline.tv_nsec >= 1000000000L) {
    b->deadline.tv_sec++;
    b->deadline.tv_nsec -= 1000000000L;
  }
}

/* Sets the connect and operation timeouts to the time left; false (with
 * `left` zero) once the budget is spent. */
static bool budget_arm(const budget *b, LDAP *ld, struct timeval *left) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long long us = (long long)(b->deadline.tv_sec - now.tv_sec) * 1000000LL +
                 (long long)(b->deadline.tv_nsec - now.tv_nsec) / 1000LL;
  if (us <= 0) {
    left->tv_sec = 0;
    left->tv_usec = 0;
    return false;
  }
  left->tv_sec = (time_t)(us / 1000000LL);
  left->tv_usec = (suseconds_t)(us % 1000000LL);
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, left);
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, left);
  return true;
}

static ldap_auth_status out_of_time(const char *what, char *err,
                                    size_t errlen) {
  set_err(err, errlen, "%s: time budget spent", what);
  return LDAP_AUTH_UNAVAILABLE;
}

/* TLS settings are per connection and explicit, so that a host's ldap.conf
 * or an LDAPTLS_REQCERT in the environment cannot switch certificate checks
 * off. A new TLS context is what makes per-connection settings apply. */
static int configure_tls(LDAP *ld, const ldap_settings *s) {
  int demand = LDAP_OPT_X_TLS_DEMAND, min = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
  int rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
  if (rc == LDAP_OPT_SUCCESS)
    rc = ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min);
  if (rc == LDAP_OPT_SUCCESS && s->ca_file)
    rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, s->ca_file);
  int is_server = 0;
  if (rc == LDAP_OPT_SUCCESS)
    rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);
  return rc;
}

static int simple_bind(LDAP *ld, const char *dn, const char *password) {
  struct berval cred = {.bv_val = (char *)(password ? password : ""),
                        .bv_len = password ? strlen(password) : 0};
  return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

bool ldap_url_check(const outbound_policy *p, const char *urls, bool start_tls,
                    bool resolve, outbound_verdict *v) {
  memset(v, 0, sizeof *v);
  char *copy = urls ? strdup(urls) : NULL, *save = NULL;
  bool ok = copy != NULL, any = false;
  for (char *url = copy ? strtok_r(copy, " \t", &save) : NULL; url && ok;
       url = strtok_r(NULL, " \t", &save)) {
    LDAPURLDesc *lud = NULL;
    any = true;
    if (strchr(url, ',')) {
      /* ldap_initialize splits at commas too: "ldaps://a/,ldap://b" would
       * be two URLs to libldap and one to ldap_url_parse. */
      v->refusal = OUTBOUND_BAD_URL;
      snprintf(v->message, sizeof v->message,
               "%.200s: separate several URLs with a space, not a comma", url);
      ok = false;
    } else if (ldap_url_parse(url, &lud) != LDAP_URL_SUCCESS ||
               (strcasecmp(lud->lud_scheme, "ldap") != 0 &&
                strcasecmp(lud->lud_scheme, "ldaps") != 0)) {
      /* ldapi:// (a local socket) and cldap:// included: not a directory
       * a hospital names. */
      v->refusal = OUTBOUND_BAD_URL;
      snprintf(v->message, sizeof v->message,
               "%.200s: must be ldap://host:port or ldaps://host:port", url);
      ok = false;
    } else {
      bool ldaps = strcasecmp(lud->lud_scheme, "ldaps") == 0;
      ok = outbound_check_plaintext(p, !ldaps && !start_tls, "ldap://",
                                    "use ldaps:// or StartTLS (start_tls)", v);
      /* libldap connects to localhost when the URL names no host. */
      const char *host =
          lud->lud_host && *lud->lud_host ? lud->lud_host : "localhost";
      char port[8];
      snprintf(port, sizeof port, "%d",
               lud->lud_port ? lud->lud_port
               : ldaps       ? 636
                             : 389);
      if (ok && resolve)
        ok = outbound_check_host(p, host, port, v);
    }
    ldap_free_urldesc(lud);
  }
  if (ok && !any) {
    v->refusal = OUTBOUND_BAD_URL;
    snprintf(v->message, sizeof v->message, "no URL given");
    ok = false;
  }
  free(copy);
  return ok;
}

/* Runs on every connection libldap makes, right after its connect() call
 * and before any LDAP or TLS byte: the address checked is the one actually
 * connected to, whatever DNS answered when the URL was saved. */
typedef struct connect_guard {
  ldap_conncb cb; /* lc_arg points back here; must outlive the handle */
  const outbound_policy *policy;
  bool refused; /* on the URL being tried */
  outbound_verdict verdict;
} connect_guard;

static int guard_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv,
                     struct sockaddr *addr, struct ldap_conncb *ctx) {
  (void)ld;
  (void)srv;
  connect_guard *g = ctx->lc_arg;
  outbound_verdict v;
  bool ok = outbound_check_addr(g->policy, addr, &v);
  /* Once the connect has completed the kernel knows the peer; while an
   * asynchronous one is in progress (ENOTCONN) `addr` is exactly what was
   * handed to connect(). Both must pass. */
  ber_socket_t fd = -1;
  struct sockaddr_storage peer;
  socklen_t len = sizeof peer;
  if (ok && ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1 && fd >= 0 &&
      getpeername(fd, (struct sockaddr *)&peer, &len) == 0)
    ok = outbound_check_addr(g->policy, (struct sockaddr *)&peer, &v);
  if (!ok && !g->refused) {
    g->refused = true;
    g->verdict = v;
  }
  return ok ? 0 : -1; /* libldap closes the socket and tries the next one */
}

static void guard_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx) {
  (void)ld;
  (void)sb;
  (void)ctx;
}

/* One connection to one URL: options, StartTLS, then the service bind (or an
 * explicit anonymous bind, so that an unreachable server shows here, where
 * the next URL can still be tried). *ldp is set whenever ldap_initialize
 * succeeded, also on failure, so the caller unbinds on every path. */
static ldap_auth_status open_one(const ldap_settings *s, const char *url,
                                 const budget *b, connect_guard *guard,
                                 LDAP **ldp, char *err, size_t errlen) {
  int rc = ldap_initialize(ldp, url);
  if (rc != LDAP_SUCCESS)
    return fail(NULL, rc, "ldap url", err, errlen);
  LDAP *ld = *ldp;
  int version = LDAP_VERSION3;
  struct timeval left;
  rc = ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &guard->cb);
  if (rc == LDAP_OPT_SUCCESS)
    rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  /* Active Directory answers with referrals to other domains; following
   * them would rebind anonymously to servers nobody configured. */
  if (rc == LDAP_OPT_SUCCESS)
    rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  /* libldap 2.5 bounds the TLS handshake by the network timeout only on an
   * asynchronous connect; otherwise it retries a silent ldaps:// server in a
   * busy loop, forever. The price is that libldap no longer moves on to the
   * next URL by itself, so open_session does. */
  if (rc == LDAP_OPT_SUCCESS)
    rc = ldap_set_option(ld, LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON);
  if (rc == LDAP_OPT_SUCCESS &&
      (s->start_tls || strncasecmp(url, "ldaps://", 8) == 0))
    rc = configure_tls(ld, s);
  if (rc != LDAP_OPT_SUCCESS) {
    /* Not fail(): LDAP_OPT_ERROR is -1, which would read as "server down".
     * The usual cause is a ca_file that cannot be loaded. */
    set_err(err, errlen, "ldap options refused (TLS settings, ca_file %s)",
            s->ca_file ? s->ca_file : "(system)");
    return LDAP_AUTH_ERROR;
  }

  if (s->start_tls) {
    if (!budget_arm(b, ld, &left))
      return out_of_time("starttls", err, errlen);
    rc = ldap_start_tls_s(ld, NULL, NULL);
    ldap_auth_status st = LDAP_AUTH_OK;
    if (rc != LDAP_SUCCESS)
      st = fail(ld, rc, "starttls", err, errlen);
    /* A server that answers but refuses TLS (a result code, not a client
     * error) is configured wrong, not down; retrying will not help. */
    if (rc > 0 && rc != LDAP_BUSY)
      st = LDAP_AUTH_ERROR;
    if (st != LDAP_AUTH_OK)
      return st;
  }
  if (!budget_arm(b, ld, &left))
    return out_of_time("service bind", err, errlen);
  /* A refused service account is a configuration error (ERROR), not an
   * outage: retrying will not help, an administrator must. */
  rc = s->bind_dn ? simple_bind(ld, s->bind_dn, s->bind_password)
                  : simple_bind(ld, NULL, NULL);
  if (rc != LDAP_SUCCESS)
    return fail(ld, rc, s->bind_dn ? "service bind" : "anonymous bind", err,
                errlen);
  return LDAP_AUTH_OK;
}

/* Tries the space-separated URLs in order while they fail transiently (down,
 * refused, busy, TLS handshake failed, or refused by the outbound policy)
 * and time is left. err names the URL that failed last, or the one the
 * policy refused: that needs an administrator, so it wins (ERROR). */
static ldap_auth_status open_session(const ldap_settings *s, const budget *b,
                                     connect_guard *guard, LDAP **ldp,
                                     char *err, size_t errlen) {
  char *urls = strdup(s->url), *save = NULL;
  if (!urls) {
    set_err(err, errlen, "out of memory");
    return LDAP_AUTH_ERROR;
  }
  ldap_auth_status st = LDAP_AUTH_ERROR;
  char refused[sizeof guard->verdict.message + 220] = "";
  set_err(err, errlen, "ldap url: no URL given");
  for (char *url = strtok_r(urls, " \t", &save); url;
       url = strtok_r(NULL, " \t", &save)) {
    if (*ldp) {
      ldap_unbind_ext_s(*ldp, NULL, NULL);
      *ldp = NULL;
    }
    char why[200] = "";
    guard->refused = false;
    st = open_one(s, url, b, guard, ldp, why, sizeof why);
    if (st == LDAP_AUTH_OK)
      set_err(err, errlen, "%s", "");
    else
      set_err(err, errlen, "%s: %s", url, why);
    if (st != LDAP_AUTH_OK && guard->refused && !refused[0])
      snprintf(refused, sizeof refused, "%.200s: %s", url,
               guard->verdict.message);
    if (st != LDAP_AUTH_UNAVAILABLE)
      break;
  }
  if (st != LDAP_AUTH_OK && refused[0]) {
    set_err(err, errlen, "%s", refused);
    st = LDAP_AUTH_ERROR;
  }
  free(urls);
  return st;
}

/* The first value of `attr` as a string in *out (NULL when absent, empty or
 * holding a NUL byte). False only when memory runs out. */
static bool first_value(LDAP *ld, LDAPMessage *e, const char *attr,
                        char **out) {
  *out = NULL;
  if (!attr)
    return true;
  struct berval **v = ldap_get_values_len(ld, e, attr);
  if (!v)
    return true;
  bool ok = true;
  if (v[0] && v[0]->bv_len > 0 && !memchr(v[0]->bv_val, 0, v[0]->bv_len)) {
    *out = strndup(v[0]->bv_val, v[0]->bv_len);
    ok = *out != NULL;
  }
  ldap_value_free_len(v);
  return ok;
}

/* The entry's stable identifier, which survives renames and moves of the
 * entry: OpenLDAP's entryUUID (text) or Active Directory's objectGUID (16
 * bytes, as hex), prefixed by the attribute's name; NULL when the directory
 * gives neither. */
static bool entry_id(LDAP *ld, LDAPMessage *e, char **out) {
  *out = NULL;
  char *uuid = NULL;
  if (!first_value(ld, e, "entryUUID", &uuid))
    return false;
  if (uuid) {
    bool ok = asprintf(out, "entryUUID:%s", uuid) >= 0;
    free(uuid);
    if (!ok)
      *out = NULL;
    return ok;
  }
  struct berval **v = ldap_get_values_len(ld, e, "objectGUID");
  bool ok = true;
  if (v && v[0] && v[0]->bv_len > 0 && v[0]->bv_len <= 64) {
    static const char hex[] = "0123456789abcdef";
    size_t n = v[0]->bv_len;
    *out = malloc(sizeof "objectGUID:" + 2 * n);
    ok = *out != NULL;
    if (ok) {
      char *p = stpcpy(*out, "objectGUID:");
      for (size_t i = 0; i < n; i++) {
        *p++ = hex[(unsigned char)v[0]->bv_val[i] >> 4];
        *p++ = hex[(unsigned char)v[0]->bv_val[i] & 15];
      }
      *p = '\0';
    }
  }
  ldap_value_free_len(v);
  return ok;
}

static ldap_auth_status find_user(LDAP *ld, const ldap_settings *s,
                                  const budget *b, const char *username,
                                  ldap_identity *out, char *err,
                                  size_t errlen) {
  char *filter = fill_template(s->user_filter, username);
  if (!filter) {
    set_err(err, errlen, "out of memory");
    return LDAP_AUTH_ERROR;
  }
  const char *fiscal =
      s->fiscal_code_attr ? s->fiscal_code_attr : "employeeNumber";
  char *attrs[] = {"displayName",
                   "cn",
                   "mail",
                   "entryUUID",
                   "objectGUID",
                   (char *)fiscal,
                   (char *)s->username_attr,
                   NULL};
  struct timeval left;
  LDAPMessage *res = NULL;
  int rc = LDAP_TIMEOUT;
  if (budget_arm(b, ld, &left))
    /* A size limit of 2 is enough to see that a login is ambiguous. */
    rc = ldap_search_ext_s(ld, s->user_base, LDAP_SCOPE_SUBTREE, filter, attrs,
                           0, NULL, NULL, &left, 2, &res);
  free(filter);

  ldap_auth_status st = LDAP_AUTH_OK;
  int n = rc == LDAP_SUCCESS ? ldap_count_entries(ld, res) : 0;
  if (rc == LDAP_SIZELIMIT_EXCEEDED || n > 1) {
    /* Binding as either entry would be a guess; refuse, and tell the
     * administrator, since only the directory can be fixed. */
    set_err(err, errlen, "%s: more than one entry matches the user filter",
            BAD_CREDENTIALS_TEXT);
    st = LDAP_AUTH_BAD_CREDENTIALS;
  } else if (rc != LDAP_SUCCESS) {
    st = fail(ld, rc, "user search", err, errlen);
  } else if (n != 1) {
    set_err(err, errlen, "%s", BAD_CREDENTIALS_TEXT);
    st = LDAP_AUTH_BAD_CREDENTIALS;
  } else {
    LDAPMessage *e = ldap_first_entry(ld, res);
    char *dn = ldap_get_dn(ld, e);
    out->dn = dn ? strdup(dn) : NULL;
    ldap_memfree(dn);
    bool ok = out->dn && first_value(ld, e, "displayName", &out->display_name);
    if (ok && !out->display_name)
      ok = first_value(ld, e, "cn", &out->display_name);
    ok = ok && first_value(ld, e, "mail", &out->email) &&
         entry_id(ld, e, &out->entry_id) &&
         first_value(ld, e, fiscal, &out->fiscal_code) &&
         first_value(ld, e, s->username_attr, &out->username);
    if (ok && !out->username)
      ok = (out->username = strdup(username)) != NULL;
    if (!ok) {
      set_err(err, errlen, "out of memory reading the user entry");
      st = LDAP_AUTH_ERROR;
    } else if (!*out->dn) {
      /* An empty DN would make the password bind anonymous. */
      set_err(err, errlen, "%s: entry without a DN", BAD_CREDENTIALS_TEXT);
      st = LDAP_AUTH_BAD_CREDENTIALS;
    }
  }
  ldap_msgfree(res); /* allocated on failures too */
  return st;
}

static ldap_auth_status find_groups(LDAP *ld, const ldap_settings *s,
                                    const budget *b, ldap_identity *out,
                                    char *err, size_t errlen) {
  out->groups = calloc(1, sizeof *out->groups);
  if (!out->groups) {
    set_err(err, errlen, "out of memory");
    return LDAP_AUTH_ERROR;
  }
  if (!s->group_base)
    return LDAP_AUTH_OK;
  char *filter = fill_template(s->group_filter, out->dn);
  if (!filter) {
    set_err(err, errlen, "out of memory");
    return LDAP_AUTH_ERROR;
  }
  char *attrs[] = {"cn", NULL};
  struct timeval left;
  LDAPMessage *res = NULL;
  int rc = LDAP_TIMEOUT;
  if (budget_arm(b, ld, &left))
    rc = ldap_search_ext_s(ld, s->group_base, LDAP_SCOPE_SUBTREE, filter, attrs,
                           0, NULL, NULL, &left, LDAP_NO_LIMIT, &res);
  free(filter);
  ldap_auth_status st = LDAP_AUTH_OK;
  if (rc == LDAP_SIZELIMIT_EXCEEDED) {
    /* A partial list would grant roles by the server's ordering. */
    set_err(err, errlen,
            "group search: more groups than the server's size "
            "limit; narrow group_base or group_filter");
    st = LDAP_AUTH_ERROR;
  } else if (rc != LDAP_SUCCESS) {
    st = fail(ld, rc, "group search", err, errlen);
  } else {
    int n = ldap_count_entries(ld, res);
    char **groups = n > 0 ? calloc((size_t)n + 1, sizeof *groups) : NULL;
    if (n > 0 && !groups) {
      set_err(err, errlen, "out of memory");
      st = LDAP_AUTH_ERROR;
    } else if (groups) {
      free(out->groups);
      out->groups = groups;
      for (LDAPMessage *e = ldap_first_entry(ld, res); e && st == LDAP_AUTH_OK;
           e = ldap_next_entry(ld, e)) {
        char *cn;
        if (!first_value(ld, e, "cn", &cn)) {
          set_err(err, errlen, "out of memory");
          st = LDAP_AUTH_ERROR;
        } else if (cn && out->ngroups < (size_t)n) {
          out->groups[out->ngroups++] = cn;
        } else {
          free(cn);
        }
      }
    }
  }
  ldap_msgfree(res);
  return st;
}

static ldap_auth_status check_password(LDAP *ld, const budget *b,
                                       const char *dn, const char *password,
                                       char *err, size_t errlen) {
  struct timeval left;
  if (!budget_arm(b, ld, &left))
    return out_of_time("user bind", err, errlen);
  int rc = simple_bind(ld, dn, password);
  if (rc == LDAP_SUCCESS)
    return LDAP_AUTH_OK;
  /* Wrong password, expired, locked or disabled account: servers tell these
   * apart in various ways, the login page must not. */
  if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH ||
      rc == LDAP_UNWILLING_TO_PERFORM) {
    set_err(err, errlen, "%s", BAD_CREDENTIALS_TEXT);
    return LDAP_AUTH_BAD_CREDENTIALS;
  }
  return fail(ld, rc, "user bind", err, errlen);
}

/* libldap writes to its socket without MSG_NOSIGNAL: a directory that drops
 * the connection (or a refused asynchronous connect) would raise SIGPIPE and
 * end the whole server unless the process ignores it. Like libpq, block it in
 * this thread for the call and swallow the one we caused. */
typedef struct sigpipe_guard {
  sigset_t old;
  bool was_pending;
} sigpipe_guard;

static bool sigpipe_pending(void) {
  sigset_t pending;
  return sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
}

static void sigpipe_block(sigpipe_guard *g) {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, &g->old);
  g->was_pending = sigpipe_pending();
}

static void sigpipe_restore(const sigpipe_guard *g) {
  if (!g->was_pending && sigpipe_pending()) {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    struct timespec zero = {0, 0};
    sigtimedwait(&pipe, NULL, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

ldap_auth_status ldap_authenticate(const ldap_settings *s, const char *username,
                                   const char *password, ldap_identity *out,
                                   char *err, size_t errlen) {
  set_err(err, errlen, "%s", "");
  if (out)
    memset(out, 0, sizeof *out);
  if (!s || !out || !s->url || !s->user_base || !template_ok(s->user_filter) ||
      (s->group_base && !template_ok(s->group_filter))) {
    set_err(err, errlen,
            "ldap settings incomplete: url, user_base and "
            "filters with exactly one %%s are required");
    return LDAP_AUTH_ERROR;
  }
  /* The outbound policy's URL rules, before any network traffic; the
   * addresses are checked on each connection (connect_guard). */
  outbound_verdict verdict;
  if (!ldap_url_check(s->policy, s->url, s->start_tls, false, &verdict)) {
    set_err(err, errlen, "ldap url: %s", verdict.message);
    return LDAP_AUTH_ERROR;
  }
  /* Decided before any network traffic: an empty password is an
   * "unauthenticated bind" that many servers answer with success. */
  if (!password || !*password) {
    set_err(err, errlen, "%s: empty password", BAD_CREDENTIALS_TEXT);
    return LDAP_AUTH_BAD_CREDENTIALS;
  }
  if (!username || !username_acceptable(username)) {
    set_err(err, errlen, "%s: username not acceptable", BAD_CREDENTIALS_TEXT);
    return LDAP_AUTH_BAD_CREDENTIALS;
  }

  sigpipe_guard guard;
  sigpipe_block(&guard);
  budget b;
  budget_start(&b, s->timeout_ms);
  LDAP *ld = NULL;
  connect_guard connect = {.policy = s->policy};
  connect.cb = (ldap_conncb){guard_add, guard_del, &connect};
  ldap_auth_status st = open_session(s, &b, &connect, &ld, err, errlen);
  if (st == LDAP_AUTH_OK)
    st = find_user(ld, s, &b, username, out, err, errlen);
  if (st == LDAP_AUTH_OK)
    st = find_groups(ld, s, &b, out, err, errlen);
  if (st == LDAP_AUTH_OK)
    st = check_password(ld, &b, out->dn, password, err, errlen);
  if (ld)
    ldap_unbind_ext_s(ld, NULL, NULL);
  sigpipe_restore(&guard);
  if (st != LDAP_AUTH_OK)
    ldap_identity_free(out);
  return st;
}
