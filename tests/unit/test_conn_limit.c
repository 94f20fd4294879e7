/* Connections per client address (core/http/conn_limit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conn_limit.h"

static struct sockaddr_storage addr(const char *text) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, text, &in4->sin_addr) == 1)
    in4->sin_family = AF_INET;
  else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
    in6->sin6_family = AF_INET6;
  return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static void limits_each_address_and_frees_on_close(void **state) {
  (void)state;
  const char *exempt[] = {"127.0.0.1", "::1"};
  conn_limit *l = conn_limit_new(2, exempt, 2, 16);
  assert_non_null(l);
  struct sockaddr_storage a = addr("10.0.0.1"), b = addr("10.0.0.2");
  for (int i = 0; i < 2; i++) {
    assert_true(conn_limit_admit(l, SA(a)));
    conn_limit_opened(l, SA(a));
  }
  assert_false(conn_limit_admit(l, SA(a)));
  assert_true(conn_limit_admit(l, SA(b))); /* another client is unaffected */
  conn_limit_closed(l, SA(a));
  assert_true(conn_limit_admit(l, SA(a)));
  /* The same client over IPv4 and as an IPv4-mapped IPv6 address. */
  struct sockaddr_storage mapped = addr("::ffff:10.0.0.1");
  conn_limit_opened(l, SA(mapped));
  assert_false(conn_limit_admit(l, SA(a)));
  conn_limit_free(l);
}

static void exempt_addresses_are_never_limited(void **state) {
  (void)state;
  const char *exempt[] = {"127.0.0.1", "::1"};
  conn_limit *l = conn_limit_new(1, exempt, 2, 16);
  struct sockaddr_storage proxy = addr("127.0.0.1"), v6 = addr("::1");
  for (int i = 0; i < 100; i++) {
    assert_true(conn_limit_admit(l, SA(proxy)));
    conn_limit_opened(l, SA(proxy));
    conn_limit_opened(l, SA(v6));
  }
  assert_true(conn_limit_admit(l, SA(v6)));
  conn_limit_free(l);
  assert_null(conn_limit_new(1, (const char *[]){"proxy.local"}, 1, 16));
}

/* Many clients colliding in the table, closed in another order than
 * opened: every count stays with its own address. */
static void counts_survive_collisions_and_removals(void **state) {
  (void)state;
  conn_limit *l = conn_limit_new(1, NULL, 0, 8); /* 64 slots */
  char text[32];
  for (int i = 0; i < 60; i++) {
    snprintf(text, sizeof text, "192.168.%d.%d", i / 250, i % 250);
    struct sockaddr_storage a = addr(text);
    assert_true(conn_limit_admit(l, SA(a)));
    conn_limit_opened(l, SA(a));
  }
  for (int i = 0; i < 60; i += 2) {
    snprintf(text, sizeof text, "192.168.%d.%d", i / 250, i % 250);
    struct sockaddr_storage a = addr(text);
    conn_limit_closed(l, SA(a));
  }
  for (int i = 0; i < 60; i++) {
    snprintf(text, sizeof text, "192.168.%d.%d", i / 250, i % 250);
    struct sockaddr_storage a = addr(text);
    assert_int_equal(conn_limit_admit(l, SA(a)), i % 2 == 0);
  }
  conn_limit_free(l);
  /* No limit: everything is admitted and nothing is counted. */
  l = conn_limit_new(0, NULL, 0, 8);
  struct sockaddr_storage a = addr("10.1.1.1");
  conn_limit_opened(l, SA(a));
  assert_true(conn_limit_admit(l, SA(a)));
  conn_limit_free(l);
}

/* Admissions count before their connections start: two pool workers
 * admitting at once cannot both take the last place. */
static void admitted_connections_count_before_they_start(void **state) {
  (void)state;
  conn_limit *l = conn_limit_new(2, NULL, 0, 16);
  struct sockaddr_storage a = addr("10.0.0.9");
  assert_true(conn_limit_admit(l, SA(a)));
  assert_true(conn_limit_admit(l, SA(a)));
  assert_false(conn_limit_admit(l, SA(a)));
  conn_limit_opened(l, SA(a)); /* a reservation becomes a connection */
  conn_limit_opened(l, SA(a));
  assert_false(conn_limit_admit(l, SA(a)));
  conn_limit_closed(l, SA(a));
  assert_true(conn_limit_admit(l, SA(a)));
  assert_false(conn_limit_admit(l, SA(a)));
  conn_limit_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(limits_each_address_and_frees_on_close),
      cmocka_unit_test(exempt_addresses_are_never_limited),
      cmocka_unit_test(counts_survive_collisions_and_removals),
      cmocka_unit_test(admitted_connections_count_before_they_start),
  };
  return cmocka_run_group_tests_name("conn_limit", tests, NULL, NULL);
}
