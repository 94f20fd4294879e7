/* The outbound destination policy; see outbound_policy.h. */
#include "outbound_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ranges that are not public, most specific first: the first match
 * decides. Kept as text so the table reads like the RFCs it comes from;
 * parsing it per check costs microseconds next to a TCP connect. */
typedef struct special_range {
  const char *cidr;
  outbound_class cls;
} special_range;

static const special_range special_v4[] = {
    {"0.0.0.0/8", OUTBOUND_UNSPECIFIED},         /* "this network" (RFC 791) */
    {"10.0.0.0/8", OUTBOUND_PRIVATE},            /* RFC 1918 */
    {"100.64.0.0/10", OUTBOUND_SHARED},          /* RFC 6598 */
    {"127.0.0.0/8", OUTBOUND_LOOPBACK},          /* RFC 1122 */
    {"169.254.0.0/16", OUTBOUND_LINK_LOCAL},     /* RFC 3927 */
    {"172.16.0.0/12", OUTBOUND_PRIVATE},         /* RFC 1918 */
    {"192.0.0.0/24", OUTBOUND_RESERVED},         /* IETF assignments */
    {"192.0.2.0/24", OUTBOUND_DOCUMENTATION},    /* TEST-NET-1, RFC 5737 */
    {"192.88.99.0/24", OUTBOUND_RESERVED},       /* 6to4 relays, RFC 7526 */
    {"192.168.0.0/16", OUTBOUND_PRIVATE},        /* RFC 1918 */
    {"198.18.0.0/15", OUTBOUND_RESERVED},        /* benchmarking, RFC 2544 */
    {"198.51.100.0/24", OUTBOUND_DOCUMENTATION}, /* TEST-NET-2 */
    {"203.0.113.0/24", OUTBOUND_DOCUMENTATION},  /* TEST-NET-3 */
    {"224.0.0.0/4", OUTBOUND_MULTICAST},
    {"255.255.255.255/32", OUTBOUND_BROADCAST},
    {"240.0.0.0/4", OUTBOUND_RESERVED}, /* RFC 1112 */
};

/* IPv6 after the forms that carry an IPv4 address (embedded_v4). Only
 * 2000::/3 is global unicast; everything outside it is RESERVED. */
static const special_range special_v6[] = {
    {"ff00::/8", OUTBOUND_MULTICAST},
    {"fe80::/10", OUTBOUND_LINK_LOCAL},
    {"fec0::/10", OUTBOUND_PRIVATE}, /* site-local, deprecated (RFC 3879) */
    {"fc00::/7", OUTBOUND_PRIVATE},  /* unique local, RFC 4193 */
    {"2001:db8::/32", OUTBOUND_DOCUMENTATION}, /* RFC 3849 */
    {"3fff::/20", OUTBOUND_DOCUMENTATION},     /* RFC 9637 */
    {"100::/64", OUTBOUND_RESERVED},           /* discard-only, RFC 6666 */
    /* Local-use NAT64 (RFC 8215): where it leads is the site's business. */
    {"64:ff9b:1::/48", OUTBOUND_RESERVED},
    /* IETF protocol assignments, Teredo (2001::/32) among them: Teredo
     * hides an IPv4 address that cannot be checked. */
    {"2001::/23", OUTBOUND_RESERVED},
    {"2000::/3", OUTBOUND_PUBLIC},
};

const char *outbound_class_code(outbound_class c) {
  switch (c) {
  case OUTBOUND_PUBLIC:
    return "public";
  case OUTBOUND_UNSPECIFIED:
    return "unspecified";
  case OUTBOUND_LOOPBACK:
    return "loopback";
  case OUTBOUND_PRIVATE:
    return "private";
  case OUTBOUND_SHARED:
    return "shared";
  case OUTBOUND_LINK_LOCAL:
    return "link_local";
  case OUTBOUND_MULTICAST:
    return "multicast";
  case OUTBOUND_BROADCAST:
    return "broadcast";
  case OUTBOUND_DOCUMENTATION:
    return "documentation";
  case OUTBOUND_RESERVED:
    break;
  }
  return "reserved";
}

const char *outbound_class_text(outbound_class c) {
  switch (c) {
  case OUTBOUND_PUBLIC:
    return "a public address";
  case OUTBOUND_UNSPECIFIED:
    return "an unspecified address, never allowed";
  case OUTBOUND_LOOPBACK:
    return "a loopback address";
  case OUTBOUND_PRIVATE:
    return "a private address, RFC 1918 or IPv6 unique local";
  case OUTBOUND_SHARED:
    return "a carrier-grade NAT address, 100.64.0.0/10";
  case OUTBOUND_LINK_LOCAL:
    return "a link-local address, such as cloud metadata";
  case OUTBOUND_MULTICAST:
    return "a multicast address, never allowed";
  case OUTBOUND_BROADCAST:
    return "the broadcast address, never allowed";
  case OUTBOUND_DOCUMENTATION:
    return "a documentation address";
  case OUTBOUND_RESERVED:
    break;
  }
  return "a reserved address";
}

/* Unspecified means "this host" to connect(); multicast and broadcast are
 * no unicast peer. No allow-list entry makes them a destination. */
static bool never_allowed(outbound_class c) {
  return c == OUTBOUND_UNSPECIFIED || c == OUTBOUND_MULTICAST ||
         c == OUTBOUND_BROADCAST;
}

static bool prefix_match(const unsigned char *a, const unsigned char *net,
                         unsigned prefix) {
  unsigned whole = prefix / 8, rest = prefix % 8;
  if (memcmp(a, net, whole) != 0)
    return false;
  if (rest == 0)
    return true;
  unsigned char mask = (unsigned char)(0xff << (8 - rest));
  return (a[whole] & mask) == (net[whole] & mask);
}

static outbound_class lookup(const special_range *table, size_t n, int family,
                             const unsigned char *a, outbound_class otherwise) {
  for (size_t i = 0; i < n; i++) {
    outbound_cidr c;
    if (outbound_cidr_parse(table[i].cidr, &c, NULL, 0) && c.family == family &&
        prefix_match(a, c.addr, c.prefix))
      return table[i].cls;
  }
  return otherwise;
}

static outbound_class classify4(const unsigned char a[4]) {
  return lookup(special_v4, sizeof special_v4 / sizeof *special_v4, AF_INET, a,
                OUTBOUND_PUBLIC);
}

typedef enum embedding {
  EMBED_NONE = 0,
  /* ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), ::ffff:0:a.b.c.d
   * (translated, RFC 2765): the peer *is* the IPv4 host. */
  EMBED_SAME_HOST,
  /* 64:ff9b::a.b.c.d (NAT64, RFC 6052) and 2002:aabb:ccdd:: (6to4, RFC
   * 3056): IPv6 up to a translator or relay, which then reaches the IPv4
   * host. */
  EMBED_VIA_GATEWAY,
} embedding;

static embedding embedded_v4(const unsigned char a[16], unsigned char v4[4]) {
  static const unsigned char zero[12] = {0};
  static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
  bool mapped = memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff;
  bool translated = memcmp(a, zero, 8) == 0 && a[8] == 0xff && a[9] == 0xff &&
                    a[10] == 0 && a[11] == 0;
  /* :: and ::1 are IPv6's own unspecified and loopback addresses. */
  bool compatible = memcmp(a, zero, 12) == 0 &&
                    !(a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] <= 1);
  if (mapped || translated || compatible || memcmp(a, nat64, 12) == 0) {
    memcpy(v4, a + 12, 4);
    return mapped || translated || compatible ? EMBED_SAME_HOST
                                              : EMBED_VIA_GATEWAY;
  }
  if (a[0] == 0x20 && a[1] == 0x02) {
    memcpy(v4, a + 2, 4);
    return EMBED_VIA_GATEWAY;
  }
  return EMBED_NONE;
}

static outbound_class classify6(const unsigned char a[16]) {
  static const unsigned char zero[16] = {0};
  static const unsigned char one[16] = {[15] = 1};
  if (memcmp(a, zero, 16) == 0)
    return OUTBOUND_UNSPECIFIED;
  if (memcmp(a, one, 16) == 0)
    return OUTBOUND_LOOPBACK;
  unsigned char v4[4];
  if (embedded_v4(a, v4) != EMBED_NONE)
    return classify4(v4);
  return lookup(special_v6, sizeof special_v6 / sizeof *special_v6, AF_INET6, a,
                OUTBOUND_RESERVED);
}

outbound_class outbound_classify(const struct sockaddr *sa) {
  if (sa && sa->sa_family == AF_INET)
    return classify4(
        (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
  if (sa && sa->sa_family == AF_INET6)
    return classify6(
        (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
  return OUTBOUND_RESERVED;
}

/* Clears the bits of `a` (bytes long) beyond the first `prefix`. */
static void apply_prefix(unsigned char *a, unsigned bytes, unsigned prefix) {
  for (unsigned i = 0; i < bytes; i++) {
    unsigned keep = prefix > i * 8 ? prefix - i * 8 : 0;
    a[i] &= keep >= 8 ? 0xff : (unsigned char)(0xff << (8 - keep));
  }
}

static void say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...) {
  if (!why || whylen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, whylen, fmt, ap);
  va_end(ap);
}

bool outbound_cidr_parse(const char *text, outbound_cidr *out, char *why,
                         size_t whylen) {
  memset(out, 0, sizeof *out);
  size_t len = text ? strlen(text) : 0;
  if (len == 0 || len >= OUTBOUND_CIDR_TEXT) {
    say(why, whylen, "\"%.60s\" is not an address range such as 10.20.0.0/16",
        text ? text : "");
    return false;
  }
  char addr[OUTBOUND_CIDR_TEXT];
  memcpy(addr, text, len + 1);
  char *slash = strchr(addr, '/');
  long prefix = -1;
  if (slash) {
    *slash = '\0';
    const char *p = slash + 1;
    /* Digits only: strtol would take "+8", " 8" or "08x". */
    bool digits = *p && strlen(p) <= 3;
    for (; *p && digits; p++)
      digits = *p >= '0' && *p <= '9';
    prefix = digits ? strtol(slash + 1, NULL, 10) : 999;
  }
  bool v6 = strchr(addr, ':') != NULL;
  out->family = v6 ? AF_INET6 : AF_INET;
  long max = v6 ? 128 : 32;
  if (inet_pton(out->family, addr, out->addr) != 1) {
    memset(out, 0, sizeof *out);
    say(why, whylen,
        "\"%s\" is not an IPv4 or IPv6 address range such as 10.20.0.0/16 "
        "or fd00:1::/48",
        text);
    return false;
  }
  if (prefix > max) {
    memset(out, 0, sizeof *out);
    say(why, whylen, "\"%s\": the prefix length must be %s", text,
        v6 ? "0-128" : "0-32");
    return false;
  }
  out->prefix = (unsigned)(prefix < 0 ? max : prefix);
  unsigned char v4[4];
  if (v6 && embedded_v4(out->addr, v4) == EMBED_SAME_HOST &&
      out->prefix >= 96) {
    memset(out, 0, sizeof *out);
    /* Such peers are checked as the IPv4 address they carry. */
    say(why, whylen,
        "\"%s\": write the IPv4 range instead (IPv4-mapped addresses are "
        "checked as IPv4)",
        text);
    return false;
  }
  outbound_cidr net = *out;
  apply_prefix(net.addr, v6 ? 16 : 4, net.prefix);
  if (memcmp(net.addr, out->addr, sizeof net.addr) != 0) {
    /* A typo as often as not: say which range it would have been. */
    char canon[OUTBOUND_CIDR_TEXT];
    outbound_cidr_format(&net, canon, sizeof canon);
    say(why, whylen,
        "\"%s\" has address bits set beyond its prefix (did you mean %s?)",
        text, canon);
    *out = net;
    return false;
  }
  return true;
}

void outbound_cidr_format(const outbound_cidr *c, char *out, size_t outlen) {
  char addr[INET6_ADDRSTRLEN] = "?";
  inet_ntop(c->family, c->addr, addr, sizeof addr);
  snprintf(out, outlen, "%s/%u", addr, c->prefix);
}

bool outbound_policy_set_cidrs(outbound_policy *p, const char *list) {
  p->nallow = 0;
  bool all = true;
  const char *s = list ? list : "";
  while (*s) {
    size_t skip = strspn(s, " "), len = strcspn(s + skip, " ");
    s += skip;
    if (len == 0)
      break;
    char one[OUTBOUND_CIDR_TEXT];
    if (len < sizeof one && p->nallow < OUTBOUND_MAX_CIDRS) {
      memcpy(one, s, len);
      one[len] = '\0';
      if (outbound_cidr_parse(one, &p->allow[p->nallow], NULL, 0))
        p->nallow++;
      else
        all = false;
    } else {
      all = false;
    }
    s += len;
  }
  return all;
}

static void address_text(const struct sockaddr *sa, char *out, size_t outlen) {
  snprintf(out, outlen, "?");
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
              (socklen_t)outlen);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
              (socklen_t)outlen);
}

static void verdict_clear(outbound_verdict *v) {
  if (v)
    memset(v, 0, sizeof *v);
}

static bool in_allow_list(const outbound_policy *p, const struct sockaddr *sa) {
  const unsigned char *a6 = NULL, *a4 = NULL;
  unsigned char carried[4];
  if (sa->sa_family == AF_INET) {
    a4 = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
  } else if (sa->sa_family == AF_INET6) {
    a6 = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    embedding e = embedded_v4(a6, carried);
    if (e != EMBED_NONE)
      a4 = carried;
    if (e == EMBED_SAME_HOST)
      a6 = NULL; /* the IPv4 host it is, and nothing else */
  }
  for (size_t i = 0; i < p->nallow; i++) {
    const outbound_cidr *c = &p->allow[i];
    const unsigned char *a = c->family == AF_INET ? a4 : a6;
    if (a && prefix_match(a, c->addr, c->prefix))
      return true;
  }
  return false;
}

bool outbound_check_addr(const outbound_policy *p, const struct sockaddr *sa,
                         outbound_verdict *v) {
  static const outbound_policy default_policy;
  if (!p)
    p = &default_policy;
  verdict_clear(v);
  outbound_class cls = outbound_classify(sa);
  bool family_ok =
      sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
  if (family_ok && !never_allowed(cls) &&
      (cls == OUTBOUND_PUBLIC || in_allow_list(p, sa)))
    return true;
  if (v) {
    v->refusal = OUTBOUND_ADDRESS_REFUSED;
    v->cls = cls;
    address_text(sa, v->address, sizeof v->address);
    snprintf(v->message, sizeof v->message,
             "destination %s is not allowed for this hospital (%s)", v->address,
             outbound_class_text(cls));
  }
  return false;
}

bool outbound_check_plaintext(const outbound_policy *p, bool plaintext,
                              const char *scheme, const char *how,
                              outbound_verdict *v) {
  verdict_clear(v);
  if (!plaintext || (p && p->allow_plaintext))
    return true;
  if (v) {
    v->refusal = OUTBOUND_TLS_REQUIRED;
    snprintf(v->message, sizeof v->message,
             "plaintext %s is not allowed for this hospital (TLS required): "
             "%s, or a regional administrator can allow plaintext for the "
             "hospital",
             scheme, how);
  }
  return false;
}

bool outbound_check_host(const outbound_policy *p, const char *host,
                         const char *port, outbound_verdict *v) {
  verdict_clear(v);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  int rc = host && *host ? getaddrinfo(host, port, &hints, &res) : EAI_NONAME;
  if (rc != 0 || !res) {
    if (v) {
      v->refusal = OUTBOUND_UNRESOLVABLE;
      snprintf(v->message, sizeof v->message,
               "host %.200s does not resolve (%s), so its address cannot be "
               "checked",
               host ? host : "", gai_strerror(rc ? rc : EAI_NONAME));
    }
    if (res)
      freeaddrinfo(res);
    return false;
  }
  bool ok = true;
  for (struct addrinfo *ai = res; ai && ok; ai = ai->ai_next)
    ok = outbound_check_addr(p, ai->ai_addr, v);
  freeaddrinfo(res);
  if (!ok && v) {
    char numeric[sizeof v->address];
    snprintf(numeric, sizeof numeric, "%s", v->address);
    bool named = strcmp(numeric, host) != 0;
    char *m = v->message;
    size_t used = 0;
    if (named)
      used = (size_t)snprintf(
          m, sizeof v->message,
          "host %.200s resolves to %s, which is not allowed for this "
          "hospital (%s)",
          host, numeric, outbound_class_text(v->cls));
    else
      used = strlen(m);
    if (used < sizeof v->message)
      snprintf(m + used, sizeof v->message - used, "%s",
               never_allowed(v->cls)
                   ? "; no allow-list can permit it"
                   : "; a regional administrator can allow its range for "
                     "the hospital (outbound allow-list)");
  }
  return ok;
}
