/* Staff login against a hospital's own directory (OpenLDAP, Active
 * Directory) over LDAPv3 simple binds. One call is one short-lived connection:
 * find the user with the service account, read their attributes and groups,
 * then check the password by binding as them. Mapping groups to Concerto roles
 * is the caller's job. Thread-safe: calls share nothing but libldap's own
 * global state, which is thread-safe in OpenLDAP 2.5. */
#ifndef CONCERTO_CORE_LDAP_AUTH_H
#define CONCERTO_CORE_LDAP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "outbound_policy.h"

/* How to reach and read one directory. Borrowed by ldap_authenticate for the
 * duration of the call only; nothing is kept. */
typedef struct ldap_settings {
  /* ldap://host:port or ldaps://host:port; several space-separated URLs are
   * tried in order (two domain controllers). */
  const char *url;
  const char *bind_dn; /* service account for the search; NULL = anonymous */
  const char *bind_password;
  const char *user_base; /* e.g. ou=people,dc=telemed,dc=test */
  /* Exactly one %s, replaced by the escaped username: (uid=%s) or
   * (sAMAccountName=%s). No other % sequences are interpreted. */
  const char *user_filter;
  const char *group_base; /* where groups live; NULL = no group lookup */
  /* Exactly one %s, replaced by the escaped user DN:
   * (&(objectClass=groupOfNames)(member=%s)). */
  const char *group_filter;
  /* Budget for the whole login: connect, TLS, every operation, all URLs.
   * Name resolution is the system resolver's and not counted. <= 0: 3000. */
  int timeout_ms;
  bool start_tls; /* StartTLS on ldap://; failure never falls back to clear */
  /* Additions to the settings of issue 3. NULL keeps the default. */
  const char *ca_file;          /* PEM CAs for TLS; NULL = system store */
  const char *fiscal_code_attr; /* NULL = "employeeNumber" */
  /* Attribute with the canonical login name (uid, sAMAccountName), so a
   * case-insensitive directory still yields one spelling; NULL = the username
   * exactly as typed. */
  const char *username_attr;
  /* Where the directory may be (docs/security.md "Outbound connections"):
   * every URL must be ldaps:// or use start_tls unless the policy allows
   * plaintext, and every address libldap connects to is checked before any
   * LDAP or TLS byte is sent. NULL is the default policy (public addresses
   * only, TLS required), never "anything goes". Borrowed. */
  const outbound_policy *policy;
} ldap_settings;

typedef enum {
  LDAP_AUTH_OK = 0,
  /* Unknown user, wrong password, ambiguous or unacceptable username, empty
   * password, locked or disabled account: deliberately one answer. */
  LDAP_AUTH_BAD_CREDENTIALS,
  /* Directory unreachable, timed out or busy: answer 503 for this login;
   * local accounts keep working. */
  LDAP_AUTH_UNAVAILABLE,
  /* Configuration or protocol problem (bad URL or filter, the service
   * account refused, base DN missing, TLS refused, a destination the
   * outbound policy refuses): needs an administrator. */
  LDAP_AUTH_ERROR
} ldap_auth_status;

/* One authenticated staff member. Every string and the groups array belong to
 * the identity and are released by ldap_identity_free. */
typedef struct ldap_identity {
  char *dn;           /* the directory's DN of the user; never NULL on OK */
  char *username;     /* never NULL on OK; see ldap_settings.username_attr */
  char *display_name; /* displayName, else cn; NULL when absent */
  char *email;        /* mail; NULL when absent */
  char *fiscal_code;  /* codice fiscale; NULL when absent */
  /* The entry's stable id, "entryUUID:<uuid>" (OpenLDAP) or
   * "objectGUID:<hex>" (Active Directory); NULL when the directory gives
   * neither (then the DN identifies the entry). */
  char *entry_id;
  char **groups; /* cn of each group, NULL-terminated; non-NULL on OK */
  size_t ngroups;
} ldap_identity;

/* Authenticates `username` with `password`. On LDAP_AUTH_OK *out is filled
 * and the caller owns it (ldap_identity_free); on any other status *out is
 * all zero and owns nothing. URLs the policy refuses, and connections to a
 * refused address, answer LDAP_AUTH_ERROR with the reason in err (other
 * URLs of the list are still tried). An empty password, or a username that is
 * empty, longer than 256 bytes, not UTF-8 or holds control characters, is
 * refused without contacting the server. `err` (may be NULL) receives a short
 * reason for the server log, never the password, and the same text for an
 * unknown user as for a wrong password. Blocks for about timeout_ms at most.
 * SIGPIPE is blocked in the calling thread for the duration of the call. */
ldap_auth_status ldap_authenticate(const ldap_settings *s, const char *username,
                                   const char *password, ldap_identity *out,
                                   char *err, size_t errlen);

/* Whether the space-separated `urls` may be a hospital's directory under
 * `p` (NULL: the default policy): each must be ldap:// or ldaps:// (as
 * libldap parses it), plaintext (ldap:// without `start_tls`) needs
 * allow_plaintext, and with `resolve` (save time) every address of every
 * host is checked. ldap_authenticate runs the same check without resolving
 * before any network traffic. On refusal *v says why. */
bool ldap_url_check(const outbound_policy *p, const char *urls, bool start_tls,
                    bool resolve, outbound_verdict *v);

/* Frees what `id` owns and zeroes it; `id` itself is the caller's. NULL and
 * an already-freed (zeroed) identity are fine. */
void ldap_identity_free(ldap_identity *id);

/* RFC 4515 escaping of a value for a search filter: * ( ) \ become \2a \28
 * \29 \5c (a C string holds no NUL, RFC 4515's fifth special). Returns a
 * malloc'ed string the caller frees, or NULL when `value` is NULL or memory
 * runs out. Exposed for tests. */
char *ldap_filter_escape(const char *value);

#endif
