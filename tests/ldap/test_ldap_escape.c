/* ldap_filter_escape, and the refusals ldap_authenticate decides before any
 * network traffic: the settings point at a closed port, so a call that did
 * reach the network would answer UNAVAILABLE instead. The closed port is on
 * loopback over plaintext, which the outbound policy allows only when told
 * to (as the region would); the default policy's own refusals are tested
 * here too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ldap_auth.h"

static void check_escape(const char *in, const char *want) {
  char *got = ldap_filter_escape(in);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
}

static void escapes_the_rfc4515_specials(void **state) {
  (void)state;
  check_escape("", "");
  check_escape("mrossi", "mrossi");
  check_escape("*", "\\2a");
  check_escape("(", "\\28");
  check_escape(")", "\\29");
  check_escape("\\", "\\5c");
  check_escape("mrossi)(uid=*", "mrossi\\29\\28uid=\\2a");
  check_escape("*)(|(objectClass=*)", "\\2a\\29\\28|\\28objectClass=\\2a\\29");
  /* A DN as a filter value: its own RFC 4514 backslash is escaped again. */
  check_escape("cn=Verdi\\, Anna (ICU),dc=test",
               "cn=Verdi\\5c, Anna \\28ICU\\29,dc=test");
  /* Everything else, UTF-8 included, passes unchanged. */
  check_escape("nicolò.d'amico@asl-1.it", "nicolò.d'amico@asl-1.it");
  check_escape("\\\\**", "\\5c\\5c\\2a\\2a");
  assert_null(ldap_filter_escape(NULL));
}

static void escaped_output_has_no_special_left(void **state) {
  (void)state;
  char all[256];
  for (int i = 1; i < 256; i++)
    all[i - 1] = (char)i;
  all[255] = '\0';
  char *got = ldap_filter_escape(all);
  assert_non_null(got);
  assert_int_equal(strlen(got), 255 + 4 * 2);
  for (const char *p = got; *p; p++) {
    assert_true(*p != '*' && *p != '(' && *p != ')');
    if (*p == '\\') {
      char code[3] = {p[1], p[1] ? p[2] : '\0', '\0'};
      assert_true(strcmp(code, "2a") == 0 || strcmp(code, "28") == 0 ||
                  strcmp(code, "29") == 0 || strcmp(code, "5c") == 0);
      p += 2;
    }
  }
  free(got);
}

/* Loopback and plaintext, as a region would allow them for a hospital. */
static outbound_policy loopback_plaintext(void) {
  outbound_policy p = {.allow_plaintext = true};
  assert_true(outbound_policy_set_cidrs(&p, "127.0.0.0/8"));
  return p;
}

static outbound_policy loopback;

static ldap_settings closed_port(void) {
  loopback = loopback_plaintext();
  return (ldap_settings){
      .url = "ldap://127.0.0.1:1",
      .user_base = "ou=people,dc=telemed,dc=test",
      .user_filter = "(uid=%s)",
      .timeout_ms = 1000,
      .policy = &loopback,
  };
}

static ldap_auth_status try_login(const ldap_settings *s, const char *user,
                                  const char *password) {
  ldap_identity id;
  char err[128];
  ldap_auth_status st = ldap_authenticate(s, user, password, &id, err, 128);
  if (st != LDAP_AUTH_OK) {
    assert_null(id.dn);
    assert_null(id.groups);
  }
  assert_true(strlen(err) < sizeof err);
  ldap_identity_free(&id);
  return st;
}

static void refuses_without_contacting_the_server(void **state) {
  (void)state;
  ldap_settings s = closed_port();
  /* Sanity: a well-formed login does reach for the (closed) server. */
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_UNAVAILABLE);

  assert_int_equal(try_login(&s, "mrossi", ""), LDAP_AUTH_BAD_CREDENTIALS);
  assert_int_equal(try_login(&s, "mrossi", NULL), LDAP_AUTH_BAD_CREDENTIALS);
  assert_int_equal(try_login(&s, "", "pw"), LDAP_AUTH_BAD_CREDENTIALS);
  assert_int_equal(try_login(&s, NULL, "pw"), LDAP_AUTH_BAD_CREDENTIALS);

  const char *bad_names[] = {
      "mrossi\n",         "m\trossi",       "\x1b[31mrossi",
      "mrossi\x7f",       "m\xc2\x85rossi", /* C1 control NEL */
      "m\xffrossi",                         /* not UTF-8 */
      "m\xc0\xafrossi",                     /* overlong '/' */
      "m\xed\xa0\x80ssi",                   /* surrogate */
      "m\xe2\x82",                          /* truncated */
  };
  for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++)
    assert_int_equal(try_login(&s, bad_names[i], "pw"),
                     LDAP_AUTH_BAD_CREDENTIALS);

  char name[300];
  memset(name, 'a', sizeof name);
  name[257] = '\0';
  assert_int_equal(try_login(&s, name, "pw"), LDAP_AUTH_BAD_CREDENTIALS);
  name[256] = '\0'; /* exactly 256 bytes is allowed, so it hits the port */
  assert_int_equal(try_login(&s, name, "pw"), LDAP_AUTH_UNAVAILABLE);
  /* Non-ASCII names are fine. */
  assert_int_equal(try_login(&s, "nicolò", "pw"), LDAP_AUTH_UNAVAILABLE);
}

static void refuses_unusable_settings(void **state) {
  (void)state;
  ldap_settings s = closed_port();
  assert_int_equal(try_login(NULL, "mrossi", "pw"), LDAP_AUTH_ERROR);
  s.user_filter = "(uid=mrossi)";
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
  s.user_filter = "(|(uid=%s)(mail=%s))";
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
  s = closed_port();
  s.group_base = "ou=groups,dc=telemed,dc=test";
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
  s.group_filter = "(member=%s)";
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_UNAVAILABLE);
  s = closed_port();
  s.url = "http://example.org/";
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
  s.url = NULL;
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
  /* NULL out and NULL err are tolerated. */
  s = closed_port();
  assert_int_equal(ldap_authenticate(&s, "mrossi", "pw", NULL, NULL, 0),
                   LDAP_AUTH_ERROR);
}

/* Without a policy the default applies: TLS required, public addresses only.
 * The plaintext and scheme refusals happen before any traffic (the closed
 * port would otherwise answer UNAVAILABLE). */
static void default_policy_refuses_before_connecting(void **state) {
  (void)state;
  ldap_settings s = closed_port();
  s.policy = NULL;
  ldap_identity id;
  char err[256];
  assert_int_equal(ldap_authenticate(&s, "mrossi", "pw", &id, err, sizeof err),
                   LDAP_AUTH_ERROR);
  assert_non_null(strstr(err, "plaintext ldap://"));
  /* One plaintext URL in a list is enough to refuse the list. */
  s.url = "ldaps://127.0.0.1:1 ldap://127.0.0.1:2";
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
  /* StartTLS satisfies the rule; then it is the closed port's turn. */
  outbound_policy tls_only = {0};
  assert_true(outbound_policy_set_cidrs(&tls_only, "127.0.0.0/8"));
  s = closed_port();
  s.policy = &tls_only;
  s.start_tls = true;
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_UNAVAILABLE);
  /* A local socket is no directory a hospital names, whatever the policy. */
  s = closed_port();
  s.url = "ldapi:///";
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
  s.url = "ldap://127.0.0.1:1 ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi";
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
  s.url = "cldap://127.0.0.1:1";
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
  /* libldap reads a comma as a separator: a second, unchecked URL. */
  s.url = "ldaps://127.0.0.1:1/,ldap://127.0.0.1:2";
  s.policy = &tls_only;
  assert_int_equal(try_login(&s, "mrossi", "pw"), LDAP_AUTH_ERROR);
}

/* Save time: every URL parsed as libldap does, every host resolved. */
static void saved_urls_are_checked_host_by_host(void **state) {
  (void)state;
  outbound_verdict v;
  outbound_policy p = loopback_plaintext();
  assert_true(ldap_url_check(&p, "ldap://127.0.0.1:389", false, true, &v));
  assert_true(ldap_url_check(NULL, "ldaps://8.8.8.8", false, true, &v));
  assert_true(ldap_url_check(NULL, "ldap://8.8.8.8:389", true, true, &v));
  assert_false(ldap_url_check(NULL, "ldap://8.8.8.8:389", false, true, &v));
  assert_int_equal(v.refusal, OUTBOUND_TLS_REQUIRED);
  assert_false(ldap_url_check(NULL, "ldaps://127.0.0.1:636", false, true, &v));
  assert_int_equal(v.refusal, OUTBOUND_ADDRESS_REFUSED);
  assert_string_equal(v.address, "127.0.0.1");
  assert_false(ldap_url_check(NULL, "ldaps://8.8.8.8 ldaps://10.1.2.3", false,
                              true, &v));
  assert_string_equal(v.address, "10.1.2.3");
  assert_false(ldap_url_check(NULL, "ldaps://[::ffff:169.254.169.254]:636",
                              false, true, &v));
  assert_int_equal(v.cls, OUTBOUND_LINK_LOCAL);
  /* No host: libldap would connect to localhost. */
  assert_false(ldap_url_check(NULL, "ldaps:///", false, true, &v));
  assert_int_equal(v.cls, OUTBOUND_LOOPBACK);
  /* Not resolving at login time: the connection itself is checked then. */
  assert_true(ldap_url_check(NULL, "ldaps://10.1.2.3", false, false, &v));
  assert_false(ldap_url_check(NULL, "", false, false, &v));
  assert_false(ldap_url_check(NULL, NULL, false, false, &v));
  assert_false(ldap_url_check(&p, "https://dc1.example", false, false, &v));
  assert_int_equal(v.refusal, OUTBOUND_BAD_URL);
  assert_false(ldap_url_check(NULL, "ldaps://8.8.8.8/,ldaps://10.1.2.3", false,
                              true, &v));
  assert_non_null(strstr(v.message, "not a comma"));
}

static void free_tolerates_null_and_empty(void **state) {
  (void)state;
  ldap_identity_free(NULL);
  ldap_identity id = {0};
  ldap_identity_free(&id);
  ldap_identity_free(&id);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(escapes_the_rfc4515_specials),
      cmocka_unit_test(escaped_output_has_no_special_left),
      cmocka_unit_test(refuses_without_contacting_the_server),
      cmocka_unit_test(refuses_unusable_settings),
      cmocka_unit_test(default_policy_refuses_before_connecting),
      cmocka_unit_test(saved_urls_are_checked_host_by_host),
      cmocka_unit_test(free_tolerates_null_and_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
