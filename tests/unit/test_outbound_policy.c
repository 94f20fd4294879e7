/* The outbound destination policy (core/outbound/outbound_policy.c): every
 * special range at its first and last address and just outside, the IPv6 forms
 * that carry an IPv4 address (mapped, compatible, translated, NAT64, 6to4),
 * CIDR parsing, allow-lists, the plaintext rule and the save-time resolution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "outbound_policy.h"

/* A socket address from numeric text (IPv4 or IPv6). */
static struct sockaddr_storage addr(const char *text) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if (strchr(text, ':')) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
  }
  return ss;
}

static outbound_class classify(const char *text) {
  struct sockaddr_storage ss = addr(text);
  return outbound_classify((struct sockaddr *)&ss);
}

typedef struct expect {
  const char *addr;
  outbound_class cls;
} expect;

static void check_all(const expect *e, size_t n) {
  for (size_t i = 0; i < n; i++) {
    outbound_class got = classify(e[i].addr);
    if (got != e[i].cls)
      fail_msg("%s: %s, expected %s", e[i].addr, outbound_class_code(got),
               outbound_class_code(e[i].cls));
  }
}

#define CHECK_ALL(table) check_all(table, sizeof table / sizeof *table)

static void ipv4_ranges_at_their_edges(void **state) {
  (void)state;
  static const expect v4[] = {
      {"0.0.0.0", OUTBOUND_UNSPECIFIED},
      {"0.255.255.255", OUTBOUND_UNSPECIFIED},
      {"1.0.0.0", OUTBOUND_PUBLIC},
      {"9.255.255.255", OUTBOUND_PUBLIC},
      {"10.0.0.0", OUTBOUND_PRIVATE},
      {"10.255.255.255", OUTBOUND_PRIVATE},
      {"11.0.0.0", OUTBOUND_PUBLIC},
      {"100.63.255.255", OUTBOUND_PUBLIC},
      {"100.64.0.0", OUTBOUND_SHARED},
      {"100.127.255.255", OUTBOUND_SHARED},
      {"100.128.0.0", OUTBOUND_PUBLIC},
      {"126.255.255.255", OUTBOUND_PUBLIC},
      {"127.0.0.0", OUTBOUND_LOOPBACK},
      {"127.0.0.1", OUTBOUND_LOOPBACK},
      {"127.255.255.255", OUTBOUND_LOOPBACK},
      {"128.0.0.0", OUTBOUND_PUBLIC},
      {"169.253.255.255", OUTBOUND_PUBLIC},
      {"169.254.0.0", OUTBOUND_LINK_LOCAL},
      {"169.254.169.254", OUTBOUND_LINK_LOCAL}, /* cloud metadata */
      {"169.254.255.255", OUTBOUND_LINK_LOCAL},
      {"169.255.0.0", OUTBOUND_PUBLIC},
      {"172.15.255.255", OUTBOUND_PUBLIC},
      {"172.16.0.0", OUTBOUND_PRIVATE},
      {"172.31.255.255", OUTBOUND_PRIVATE},
      {"172.32.0.0", OUTBOUND_PUBLIC},
      {"192.0.0.0", OUTBOUND_RESERVED},
      {"192.0.0.255", OUTBOUND_RESERVED},
      {"192.0.1.0", OUTBOUND_PUBLIC},
      {"192.0.2.0", OUTBOUND_DOCUMENTATION},
      {"192.0.2.255", OUTBOUND_DOCUMENTATION},
      {"192.0.3.0", OUTBOUND_PUBLIC},
      {"192.88.99.1", OUTBOUND_RESERVED},
      {"192.88.100.0", OUTBOUND_PUBLIC},
      {"192.167.255.255", OUTBOUND_PUBLIC},
      {"192.168.0.0", OUTBOUND_PRIVATE},
      {"192.168.255.255", OUTBOUND_PRIVATE},
      {"192.169.0.0", OUTBOUND_PUBLIC},
      {"198.17.255.255", OUTBOUND_PUBLIC},
      {"198.18.0.0", OUTBOUND_RESERVED},
      {"198.19.255.255", OUTBOUND_RESERVED},
      {"198.20.0.0", OUTBOUND_PUBLIC},
      {"198.51.100.0", OUTBOUND_DOCUMENTATION},
      {"198.51.100.255", OUTBOUND_DOCUMENTATION},
      {"203.0.113.0", OUTBOUND_DOCUMENTATION},
      {"203.0.113.255", OUTBOUND_DOCUMENTATION},
      {"203.0.114.0", OUTBOUND_PUBLIC},
      {"223.255.255.255", OUTBOUND_PUBLIC},
      {"224.0.0.0", OUTBOUND_MULTICAST},
      {"239.255.255.255", OUTBOUND_MULTICAST},
      {"240.0.0.0", OUTBOUND_RESERVED},
      {"255.255.255.254", OUTBOUND_RESERVED},
      {"255.255.255.255", OUTBOUND_BROADCAST},
      {"8.8.8.8", OUTBOUND_PUBLIC},
      {"151.101.1.69", OUTBOUND_PUBLIC},
  };
  CHECK_ALL(v4);
}

static void ipv6_ranges_at_their_edges(void **state) {
  (void)state;
  static const expect v6[] = {
      {"::", OUTBOUND_UNSPECIFIED},
      {"::1", OUTBOUND_LOOPBACK},
      {"fe80::", OUTBOUND_LINK_LOCAL},
      {"fe80::1", OUTBOUND_LINK_LOCAL},
      {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", OUTBOUND_LINK_LOCAL},
      {"fec0::1", OUTBOUND_PRIVATE},
      {"fc00::", OUTBOUND_PRIVATE},
      {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", OUTBOUND_PRIVATE},
      {"fbff:ffff::1", OUTBOUND_RESERVED}, /* outside 2000::/3 */
      {"ff00::", OUTBOUND_MULTICAST},
      {"ff02::1", OUTBOUND_MULTICAST},
      {"2001:db8::", OUTBOUND_DOCUMENTATION},
      {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", OUTBOUND_DOCUMENTATION},
      {"2001:db9::1", OUTBOUND_PUBLIC},
      {"3fff::1", OUTBOUND_DOCUMENTATION},
      {"3fff:fff:ffff::1", OUTBOUND_DOCUMENTATION},
      {"3fff:1000::1", OUTBOUND_PUBLIC},
      {"100::1", OUTBOUND_RESERVED},
      {"100:0:0:1::1", OUTBOUND_RESERVED}, /* outside 2000::/3 as well */
      {"2001::1", OUTBOUND_RESERVED},      /* Teredo */
      {"2001:1ff:ffff::1", OUTBOUND_RESERVED},
      {"2001:200::1", OUTBOUND_PUBLIC},
      {"1fff:ffff::1", OUTBOUND_RESERVED},
      {"2000::", OUTBOUND_PUBLIC},
      {"2606:4700:4700::1111", OUTBOUND_PUBLIC},
      {"2a00:1450:4002:416::200e", OUTBOUND_PUBLIC},
      {"4000::1", OUTBOUND_RESERVED},
  };
  CHECK_ALL(v6);
}

/* ::ffff:127.0.0.1 must not slip through as "some IPv6 address". */
static void ipv6_forms_of_ipv4_addresses(void **state) {
  (void)state;
  static const expect embedded[] = {
      /* mapped */
      {"::ffff:127.0.0.1", OUTBOUND_LOOPBACK},
      {"::ffff:7f00:1", OUTBOUND_LOOPBACK},
      {"::ffff:10.1.2.3", OUTBOUND_PRIVATE},
      {"::ffff:169.254.169.254", OUTBOUND_LINK_LOCAL},
      {"::ffff:100.64.0.1", OUTBOUND_SHARED},
      {"::ffff:0.0.0.0", OUTBOUND_UNSPECIFIED},
      {"::ffff:224.0.0.1", OUTBOUND_MULTICAST},
      {"::ffff:255.255.255.255", OUTBOUND_BROADCAST},
      {"::ffff:192.0.2.1", OUTBOUND_DOCUMENTATION},
      {"::ffff:8.8.8.8", OUTBOUND_PUBLIC},
      /* compatible (deprecated, still routed by some stacks) */
      {"::127.0.0.1", OUTBOUND_LOOPBACK},
      {"::10.0.0.1", OUTBOUND_PRIVATE},
      {"::2", OUTBOUND_UNSPECIFIED}, /* ::0.0.0.2 */
      {"::8.8.8.8", OUTBOUND_PUBLIC},
      /* translated (SIIT) */
      {"::ffff:0:127.0.0.1", OUTBOUND_LOOPBACK},
      {"::ffff:0:8.8.8.8", OUTBOUND_PUBLIC},
      /* NAT64 well-known prefix: the translator would reach the IPv4 host */
      {"64:ff9b::127.0.0.1", OUTBOUND_LOOPBACK},
      {"64:ff9b::10.0.0.1", OUTBOUND_PRIVATE},
      {"64:ff9b::169.254.169.254", OUTBOUND_LINK_LOCAL},
      {"64:ff9b::8.8.8.8", OUTBOUND_PUBLIC},
      {"64:ff9b:1::1", OUTBOUND_RESERVED}, /* local-use NAT64 */
      /* 6to4 */
      {"2002:7f00:1::1", OUTBOUND_LOOPBACK},
      {"2002:a00:1::", OUTBOUND_PRIVATE},
      {"2002:c0a8:101::1", OUTBOUND_PRIVATE},
      {"2002:808:808::1", OUTBOUND_PUBLIC},
  };
  CHECK_ALL(embedded);
}

static void other_families_are_reserved(void **state) {
  (void)state;
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  assert_int_equal(outbound_classify((struct sockaddr *)&un),
                   OUTBOUND_RESERVED);
  assert_int_equal(outbound_classify(NULL), OUTBOUND_RESERVED);
  outbound_verdict v;
  assert_false(outbound_check_addr(NULL, (struct sockaddr *)&un, &v));
  assert_int_equal(v.refusal, OUTBOUND_ADDRESS_REFUSED);
}

static void cidrs_parse_strictly(void **state) {
  (void)state;
  outbound_cidr c;
  char why[200], text[OUTBOUND_CIDR_TEXT];
  assert_true(outbound_cidr_parse("10.20.0.0/16", &c, why, sizeof why));
  assert_int_equal(c.family, AF_INET);
  assert_int_equal(c.prefix, 16);
  outbound_cidr_format(&c, text, sizeof text);
  assert_string_equal(text, "10.20.0.0/16");
  assert_true(outbound_cidr_parse("fd00:0:0::/8", &c, why, sizeof why));
  assert_int_equal(c.family, AF_INET6);
  outbound_cidr_format(&c, text, sizeof text);
  assert_string_equal(text, "fd00::/8");
  assert_true(outbound_cidr_parse("127.0.0.1", &c, why, sizeof why));
  assert_int_equal(c.prefix, 32);
  assert_true(outbound_cidr_parse("::1", &c, why, sizeof why));
  assert_int_equal(c.prefix, 128);
  assert_true(outbound_cidr_parse("0.0.0.0/0", &c, why, sizeof why));
  assert_true(outbound_cidr_parse("::/0", &c, why, sizeof why));
  assert_true(outbound_cidr_parse("10.0.0.0/08", &c, why, sizeof why));
  assert_int_equal(c.prefix, 8);
  assert_true(outbound_cidr_parse("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/128",
                                  &c, why, sizeof why));

  /* Host bits beyond the prefix: refused, with the range it would be. */
  assert_false(outbound_cidr_parse("10.1.2.3/8", &c, why, sizeof why));
  assert_non_null(strstr(why, "\"10.1.2.3/8\""));
  assert_non_null(strstr(why, "did you mean 10.0.0.0/8?"));
  outbound_cidr_format(&c, text, sizeof text); /* the suggestion */
  assert_string_equal(text, "10.0.0.0/8");
  assert_false(outbound_cidr_parse("fd00::1/64", &c, why, sizeof why));
  assert_non_null(strstr(why, "did you mean fd00::/64?"));
  assert_false(outbound_cidr_parse("192.168.1.1/31", &c, why, sizeof why));
  assert_non_null(strstr(why, "192.168.1.0/31"));

  static const char *const bad[] = {
      "",
      "10/8",
      "10.0.0",
      "10.0.0.0/33",
      "fd00::/129",
      "10.0.0.0/",
      "10.0.0.0/+8",
      "10.0.0.0/-1",
      "10.0.0.0/8x",
      "10.0.0.0/ 8",
      " 10.0.0.0/8",
      "10.0.0.0/8 ",
      "10.0.0.0/8/8",
      "010.0.0.0/8",
      "0x7f.0.0.1",
      "fe80::1%eth0",
      "::ffff:10.0.0.0/104", /* mapped: write 10.0.0.0/8 */
      "::ffff:127.0.0.1",
      "intranet.example/24",
      "1111:2222:3333:4444:5555:6666:7777:8888:9999/128",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    why[0] = '\0';
    if (outbound_cidr_parse(bad[i], &c, why, sizeof why))
      fail_msg("\"%s\" was accepted", bad[i]);
    assert_true(why[0] != '\0');
    assert_int_equal(c.family, 0); /* no suggestion for these */
  }
  assert_false(outbound_cidr_parse(NULL, &c, NULL, 0));
}

static void stored_lists_only_narrow(void **state) {
  (void)state;
  outbound_policy p = {0};
  assert_true(outbound_policy_set_cidrs(&p, "10.0.0.0/8 fd00::/8"));
  assert_int_equal(p.nallow, 2);
  assert_true(outbound_policy_set_cidrs(&p, NULL));
  assert_int_equal(p.nallow, 0);
  assert_true(outbound_policy_set_cidrs(&p, ""));
  assert_int_equal(p.nallow, 0);
  assert_false(outbound_policy_set_cidrs(&p, "bogus 10.0.0.0/8"));
  assert_int_equal(p.nallow, 1);
  char many[40 * 20] = "";
  for (int i = 0; i < 40; i++)
    snprintf(many + strlen(many), sizeof many - strlen(many), "10.%d.0.0/16 ",
             i);
  assert_false(outbound_policy_set_cidrs(&p, many));
  assert_int_equal(p.nallow, OUTBOUND_MAX_CIDRS);
}

static bool allowed(const outbound_policy *p, const char *text,
                    outbound_verdict *v) {
  struct sockaddr_storage ss = addr(text);
  return outbound_check_addr(p, (struct sockaddr *)&ss, v);
}

static void default_policy_allows_public_only(void **state) {
  (void)state;
  outbound_verdict v;
  outbound_policy zero = {0};
  assert_true(allowed(NULL, "8.8.8.8", &v));
  assert_int_equal(v.refusal, OUTBOUND_ALLOWED);
  assert_string_equal(v.message, "");
  assert_true(allowed(&zero, "2606:4700:4700::1111", &v));
  assert_true(allowed(NULL, "::ffff:8.8.8.8", &v));
  static const char *const refused[] = {
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "100.64.0.1",
      "169.254.169.254",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "192.0.2.1",
      "240.0.0.1",
      "::1",
      "::",
      "fe80::1",
      "fd12:3456::1",
      "ff02::1",
      "2001:db8::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "64:ff9b::a00:1",
      "2002:7f00:1::1",
      "::127.0.0.1",
  };
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    if (allowed(NULL, refused[i], &v) || allowed(&zero, refused[i], NULL))
      fail_msg("%s was allowed by default", refused[i]);
    assert_int_equal(v.refusal, OUTBOUND_ADDRESS_REFUSED);
  }
  assert_false(allowed(NULL, "10.1.2.3", &v));
  assert_string_equal(v.address, "10.1.2.3");
  assert_int_equal(v.cls, OUTBOUND_PRIVATE);
  assert_non_null(strstr(
      v.message, "destination 10.1.2.3 is not allowed for this hospital"));
  assert_false(allowed(NULL, "::ffff:127.0.0.1", &v));
  assert_string_equal(v.address, "::ffff:127.0.0.1");
  assert_int_equal(v.cls, OUTBOUND_LOOPBACK);
  assert_non_null(strstr(v.message, "loopback"));
  assert_false(allowed(NULL, "169.254.169.254", &v));
  assert_non_null(strstr(v.message, "link-local"));
}

static outbound_policy policy_of(const char *list) {
  outbound_policy p = {0};
  assert_true(outbound_policy_set_cidrs(&p, list));
  return p;
}

static void allow_list_opens_exactly_its_ranges(void **state) {
  (void)state;
  outbound_verdict v;
  outbound_policy p = policy_of("10.20.0.0/16 fd00:1::/48");
  assert_true(allowed(&p, "10.20.0.0", &v));
  assert_true(allowed(&p, "10.20.255.255", &v));
  assert_false(allowed(&p, "10.21.0.0", &v));
  assert_false(allowed(&p, "10.19.255.255", &v));
  assert_true(allowed(&p, "fd00:1::10", &v));
  assert_false(allowed(&p, "fd00:2::10", &v));
  /* The IPv4 address inside the IPv6 forms matches the IPv4 range. */
  assert_true(allowed(&p, "::ffff:10.20.5.5", &v));
  assert_true(allowed(&p, "64:ff9b::10.20.5.5", &v));
  assert_true(allowed(&p, "2002:a14:505::1", &v));
  assert_false(allowed(&p, "::ffff:10.21.5.5", &v));
  /* Public addresses stay allowed, loopback stays refused. */
  assert_true(allowed(&p, "8.8.8.8", &v));
  assert_false(allowed(&p, "127.0.0.1", &v));

  /* Loopback as the tests allow it: the mapped form too, not ::1. */
  p = policy_of("127.0.0.0/8");
  assert_true(allowed(&p, "127.0.0.1", &v));
  assert_true(allowed(&p, "::ffff:127.0.0.1", &v));
  assert_false(allowed(&p, "::1", &v));

  /* Mapped forms are IPv4 hosts: an IPv6 range does not cover them. */
  p = policy_of("::/0");
  assert_true(allowed(&p, "fe80::1", &v));
  assert_true(allowed(&p, "::1", &v));
  assert_false(allowed(&p, "::ffff:127.0.0.1", &v));
  assert_false(allowed(&p, "10.0.0.1", &v));

  /* Some addresses no allow-list makes a destination. */
  p = policy_of("0.0.0.0/0 ::/0");
  assert_true(allowed(&p, "127.0.0.1", &v));
  assert_true(allowed(&p, "169.254.169.254", &v));
  assert_false(allowed(&p, "0.0.0.0", &v));
  assert_int_equal(v.cls, OUTBOUND_UNSPECIFIED);
  assert_false(allowed(&p, "0.1.2.3", &v));
  assert_false(allowed(&p, "224.0.0.251", &v));
  assert_false(allowed(&p, "255.255.255.255", &v));
  assert_false(allowed(&p, "::", &v));
  assert_false(allowed(&p, "ff02::1", &v));
  assert_false(allowed(&p, "::ffff:0.0.0.0", &v));
}

static void plaintext_needs_the_region(void **state) {
  (void)state;
  outbound_verdict v;
  outbound_policy p = {0};
  assert_true(outbound_check_plaintext(NULL, false, "http://", "x", &v));
  assert_false(
      outbound_check_plaintext(NULL, true, "http://", "use https://", &v));
  assert_int_equal(v.refusal, OUTBOUND_TLS_REQUIRED);
  assert_non_null(strstr(v.message, "plaintext http://"));
  assert_non_null(strstr(v.message, "use https://"));
  assert_non_null(strstr(v.message, "regional administrator"));
  assert_false(outbound_check_plaintext(&p, true, "ldap://", "x", NULL));
  p.allow_plaintext = true;
  assert_true(outbound_check_plaintext(&p, true, "http://", "x", &v));
  assert_string_equal(v.message, "");
}

static void saving_resolves_and_checks_every_address(void **state) {
  (void)state;
  outbound_verdict v;
  assert_true(outbound_check_host(NULL, "8.8.8.8", "443", &v));
  assert_false(outbound_check_host(NULL, "127.0.0.1", "80", &v));
  assert_int_equal(v.refusal, OUTBOUND_ADDRESS_REFUSED);
  assert_non_null(strstr(v.message, "destination 127.0.0.1"));
  assert_non_null(strstr(v.message, "regional administrator can allow"));
  /* What the resolver makes of a name is what is checked. */
  assert_false(outbound_check_host(NULL, "localhost", NULL, &v));
  assert_non_null(strstr(v.message, "host localhost resolves to"));
  assert_int_equal(v.cls, OUTBOUND_LOOPBACK);
  assert_false(
      outbound_check_host(NULL, "2130706433", NULL, &v)); /* 127.0.0.1 */
  assert_string_equal(v.address, "127.0.0.1");
  assert_false(outbound_check_host(NULL, "::ffff:169.254.169.254", "80", &v));
  assert_int_equal(v.cls, OUTBOUND_LINK_LOCAL);
  assert_false(outbound_check_host(NULL, "0.0.0.0", NULL, &v));
  assert_non_null(strstr(v.message, "no allow-list can permit it"));
  /* Once the region allows the range. */
  outbound_policy p = policy_of("127.0.0.0/8");
  assert_true(outbound_check_host(&p, "127.0.0.1", "80", &v));
  assert_true(outbound_check_host(&p, "127.0.0.2", NULL, &v));
  /* A name that does not resolve cannot be checked: refused. */
  assert_false(outbound_check_host(NULL, "no-such-host.invalid", "80", &v));
  assert_int_equal(v.refusal, OUTBOUND_UNRESOLVABLE);
  assert_non_null(strstr(v.message, "no-such-host.invalid does not resolve"));
  assert_false(outbound_check_host(NULL, "", NULL, &v));
  assert_false(outbound_check_host(NULL, NULL, NULL, &v));
}

static void class_names_are_distinct(void **state) {
  (void)state;
  for (int a = OUTBOUND_PUBLIC; a <= OUTBOUND_RESERVED; a++)
    for (int b = a + 1; b <= OUTBOUND_RESERVED; b++) {
      assert_string_not_equal(outbound_class_code((outbound_class)a),
                              outbound_class_code((outbound_class)b));
      assert_string_not_equal(outbound_class_text((outbound_class)a),
                              outbound_class_text((outbound_class)b));
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ipv4_ranges_at_their_edges),
      cmocka_unit_test(ipv6_ranges_at_their_edges),
      cmocka_unit_test(ipv6_forms_of_ipv4_addresses),
      cmocka_unit_test(other_families_are_reserved),
      cmocka_unit_test(cidrs_parse_strictly),
      cmocka_unit_test(stored_lists_only_narrow),
      cmocka_unit_test(default_policy_allows_public_only),
      cmocka_unit_test(allow_list_opens_exactly_its_ranges),
      cmocka_unit_test(plaintext_needs_the_region),
      cmocka_unit_test(saving_resolves_and_checks_every_address),
      cmocka_unit_test(class_names_are_distinct),
  };
  return cmocka_run_group_tests_name("outbound_policy", tests, NULL, NULL);
}
