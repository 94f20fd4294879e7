/* Where the server may connect on a hospital's behalf (its webhooks, its
 * directory). A hospital administrator chooses those URLs, so without a
 * check they could make the server call loopback services, the hospital
 * LAN or a cloud metadata address (SSRF). Every destination address is
 * classified; only public unicast addresses are allowed by default, and a
 * regional administrator may allow ranges (CIDRs) and plaintext per
 * hospital (sql/0019_outbound.sql, docs/security.md "Outbound
 * connections").
 *
 * The check runs twice: when a URL is saved (its host resolved, every
 * address checked) and again on the address each connection actually goes
 * to (webhook.c, ldap_auth.c), because DNS may answer differently by then
 * (rebinding). Everything here is pure and thread-safe except
 * outbound_check_host, which asks the system resolver. */
#ifndef CONCERTO_CORE_OUTBOUND_POLICY_H
#define CONCERTO_CORE_OUTBOUND_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <netinet/in.h>
#include <sys/socket.h>

#define OUTBOUND_MAX_CIDRS 32
/* Longest CIDR text: a full IPv6 address, '/', three digits. */
#define OUTBOUND_CIDR_TEXT 50

typedef enum outbound_class {
  OUTBOUND_PUBLIC = 0,    /* global unicast: allowed by default */
  OUTBOUND_UNSPECIFIED,   /* 0.0.0.0/8, :: (never allowed) */
  OUTBOUND_LOOPBACK,      /* 127.0.0.0/8, ::1 */
  OUTBOUND_PRIVATE,       /* RFC 1918, fc00::/7, fec0::/10 */
  OUTBOUND_SHARED,        /* 100.64.0.0/10, carrier-grade NAT */
  OUTBOUND_LINK_LOCAL,    /* 169.254.0.0/16 (cloud metadata), fe80::/10 */
  OUTBOUND_MULTICAST,     /* 224.0.0.0/4, ff00::/8 (never allowed) */
  OUTBOUND_BROADCAST,     /* 255.255.255.255 (never allowed) */
  OUTBOUND_DOCUMENTATION, /* TEST-NET-1/2/3, 2001:db8::/32, 3fff::/20 */
  OUTBOUND_RESERVED,      /* anything else not globally routable */
} outbound_class;

typedef struct outbound_cidr {
  int family;             /* AF_INET or AF_INET6 */
  unsigned char addr[16]; /* the network, 4 or 16 bytes used */
  unsigned prefix;        /* 0-32 or 0-128 */
} outbound_cidr;

/* One hospital's allow-list, a plain value (copy it freely). All zero is
 * the default policy: public addresses only, TLS required. */
typedef struct outbound_policy {
  outbound_cidr allow[OUTBOUND_MAX_CIDRS];
  size_t nallow;
  bool allow_plaintext; /* http:// webhooks, ldap:// without StartTLS */
} outbound_policy;

typedef enum outbound_refusal {
  OUTBOUND_ALLOWED = 0,
  OUTBOUND_TLS_REQUIRED,    /* plaintext and the policy wants TLS */
  OUTBOUND_ADDRESS_REFUSED, /* an address outside the policy */
  OUTBOUND_UNRESOLVABLE,    /* save time: the host does not resolve */
  OUTBOUND_BAD_URL,         /* no host could be read from the URL */
} outbound_refusal;

/* Why a destination was refused, for the log, last_error and 422s. */
typedef struct outbound_verdict {
  outbound_refusal refusal;
  outbound_class cls; /* OUTBOUND_ADDRESS_REFUSED only */
  char address[64];   /* the refused address, numeric; "" otherwise */
  char message[400];  /* an English sentence; "" when allowed */
} outbound_verdict;

/* A stable lower-case code ("private", "loopback", ...) for the API and
 * the console's dictionaries, and an English phrase for messages
 * ("a private address (RFC 1918)"). Static strings. */
const char *outbound_class_code(outbound_class c);
const char *outbound_class_text(outbound_class c);

/* The class of an AF_INET or AF_INET6 address. IPv4-mapped, -compatible
 * and -translated IPv6 forms (::ffff:127.0.0.1) are classified as the IPv4
 * address they carry; the NAT64 well-known prefix 64:ff9b::/96 and 6to4
 * 2002::/16 as their embedded IPv4 address; other families are RESERVED. */
outbound_class outbound_classify(const struct sockaddr *sa);

/* Parses "10.20.0.0/16", "fd00::/8" or a single address (a /32 or /128).
 * Refuses host bits beyond the prefix ("10.1.2.3/8"), IPv4-mapped IPv6
 * ranges (write the IPv4 range), zone ids and anything inet_pton does not
 * take. On failure `why` (may be NULL) names the text and the problem, and
 * *out is all zero except after host bits: then it is the range the text
 * would be (10.0.0.0/8), to suggest. */
bool outbound_cidr_parse(const char *text, outbound_cidr *out, char *why,
                         size_t whylen);
/* The canonical text ("10.20.0.0/16"), at least OUTBOUND_CIDR_TEXT bytes. */
void outbound_cidr_format(const outbound_cidr *c, char *out, size_t outlen);

/* Fills p->allow from a space-separated list of CIDRs (the database's
 * array_to_string). Unparsable entries and those beyond OUTBOUND_MAX_CIDRS
 * are skipped, so stored data can only narrow the policy; false if any
 * was. NULL or "" is an empty list. */
bool outbound_policy_set_cidrs(outbound_policy *p, const char *list);

/* Whether a connection to `sa` is allowed under `p` (NULL: the default
 * policy). Unspecified, multicast and broadcast addresses are never
 * allowed; an address in one of the policy's CIDRs is (the IPv4 address
 * carried by a mapped, NAT64 or 6to4 form matches IPv4 CIDRs); otherwise
 * only public ones. On refusal *v (may be NULL) says why: "destination
 * 10.1.2.3 is not allowed for this hospital (a private address, RFC
 * 1918)". */
bool outbound_check_addr(const outbound_policy *p, const struct sockaddr *sa,
                         outbound_verdict *v);

/* Whether a plaintext protocol may be used: true when !plaintext or the
 * policy allows it. `how` completes the refusal ("use https://"). */
bool outbound_check_plaintext(const outbound_policy *p, bool plaintext,
                              const char *scheme, const char *how,
                              outbound_verdict *v);

/* Save time: resolves `host` (getaddrinfo, both families, TCP) and checks
 * every address it has; refused when any is refused or none exists.
 * `host` is a name or a numeric address without brackets; `port` may be
 * NULL. Blocks for the resolver's own timeouts. */
bool outbound_check_host(const outbound_policy *p, const char *host,
                         const char *port, outbound_verdict *v);

#endif
