/* ldap_authenticate against a real OpenLDAP slapd started by the test
 * (fixtures/base.ldif), plus a closed port and a server that never answers
 * for the outage cases. slapd listens on loopback, partly without TLS, so
 * the settings carry an outbound policy allowing both, as a region would
 * for such a hospital; the policy's own refusals at connect time are
 * tested at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ldap_auth.h"
#include "slapd_fixture.h"

static slapd_fixture dir;

/* Loopback and plaintext allowed: the test directory's own policy. */
static outbound_policy loopback;

static outbound_policy policy_of(const char *cidrs, bool plaintext) {
  outbound_policy p = {.allow_plaintext = plaintext};
  assert_true(outbound_policy_set_cidrs(&p, cidrs));
  return p;
}

static int start_directory(void **state) {
  (void)state;
  if (!slapd_start(&dir, LDAP_FIXTURES))
    return -1;
  loopback = policy_of("127.0.0.0/8", true);
  /* Certificate checks must not depend on the environment: with this set,
   * a libldap default would accept any certificate. */
  setenv("LDAPTLS_REQCERT", "allow", 1);
  return 0;
}

static int stop_directory(void **state) {
  (void)state;
  slapd_stop(&dir);
  return 0;
}

static ldap_settings settings(void) {
  return (ldap_settings){
      .policy = &loopback,
      .url = dir.ldap_url,
      .bind_dn = "cn=concerto-search,dc=telemed,dc=test",
      .bind_password = "search-Secret1",
      .user_base = "ou=people,dc=telemed,dc=test",
      .user_filter = "(uid=%s)",
      .group_base = "ou=groups,dc=telemed,dc=test",
      .group_filter = "(&(objectClass=groupOfNames)(member=%s))",
      .timeout_ms = 3000,
      .username_attr = "uid",
  };
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Logs in and checks the status, that a failure leaves no identity behind,
 * and that the password never reaches the log text. */
static ldap_auth_status login(const ldap_settings *s, const char *user,
                              const char *password, ldap_identity *id,
                              char *err, size_t errlen) {
  ldap_auth_status st = ldap_authenticate(s, user, password, id, err, errlen);
  if (st != LDAP_AUTH_OK) {
    assert_null(id->dn);
    assert_null(id->username);
    assert_null(id->groups);
  }
  if (password && *password)
    assert_null(strstr(err, password));
  return st;
}

static bool has_group(const ldap_identity *id, const char *cn) {
  for (size_t i = 0; i < id->ngroups; i++)
    if (strcmp(id->groups[i], cn) == 0)
      return true;
  return false;
}

static void good_login_reads_identity_and_groups(void **state) {
  (void)state;
  ldap_settings s = settings();
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  assert_string_equal(err, "");
  assert_string_equal(id.dn, "uid=mrossi,ou=people,dc=telemed,dc=test");
  assert_string_equal(id.username, "mrossi");
  assert_string_equal(id.display_name, "Mario Rossi");
  assert_string_equal(id.email, "mario.rossi@example.org");
  assert_string_equal(id.fiscal_code, "RSSMRA70A01H501S");
  assert_int_equal(id.ngroups, 1);
  assert_string_equal(id.groups[0], "telemed-specialisti");
  assert_null(id.groups[1]);
  ldap_identity_free(&id);
  assert_null(id.dn);
  ldap_identity_free(&id); /* twice is harmless */
}

static void display_name_falls_back_to_cn_and_groups_accumulate(void **state) {
  (void)state;
  ldap_settings s = settings();
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "lbianchi", "Lbianchi#2024", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  assert_string_equal(id.display_name, "Laura Bianchi");
  assert_string_equal(id.fiscal_code, "BNCLRA80B41F205X");
  assert_int_equal(id.ngroups, 2);
  assert_true(has_group(&id, "telemed-admin"));
  assert_true(has_group(&id, "telemed-icu"));
  assert_null(id.groups[2]);
  ldap_identity_free(&id);
}

/* "cn=Verdi\, Anna (ICU)": unescaped in the group filter, the backslash and
 * the parentheses would break it (or find the wrong groups). */
static void user_dn_is_escaped_in_the_group_filter(void **state) {
  (void)state;
  ldap_settings s = settings();
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "averdi", "Averdi-ICU9", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  /* slapd hands the DN back in its own RFC 4514 spelling, \2C. */
  assert_string_equal(id.dn,
                      "cn=Verdi\\2C Anna (ICU),ou=people,dc=telemed,dc=test");
  assert_string_equal(id.display_name, "Verdi, Anna (ICU)");
  assert_null(id.email);
  assert_null(id.fiscal_code);
  assert_int_equal(id.ngroups, 1);
  assert_string_equal(id.groups[0], "telemed-icu");
  ldap_identity_free(&id);
}

static void username_comes_from_the_directory_when_configured(void **state) {
  (void)state;
  ldap_settings s = settings();
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "MRossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  assert_string_equal(id.username, "mrossi");
  ldap_identity_free(&id);
  s.username_attr = NULL;
  assert_int_equal(login(&s, "MRossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  assert_string_equal(id.username, "MRossi");
  ldap_identity_free(&id);
}

static void no_group_base_gives_an_empty_list(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.group_base = NULL;
  s.group_filter = NULL;
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  assert_non_null(id.groups);
  assert_null(id.groups[0]);
  assert_int_equal(id.ngroups, 0);
  ldap_identity_free(&id);
}

static void other_fiscal_code_attribute(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.fiscal_code_attr = "sn";
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  assert_string_equal(id.fiscal_code, "Rossi");
  ldap_identity_free(&id);
}

/* Same status and same log text: nothing tells the two apart. */
static void wrong_password_and_unknown_user_look_the_same(void **state) {
  (void)state;
  ldap_settings s = settings();
  ldap_identity id;
  char wrong[256], unknown[256];
  assert_int_equal(login(&s, "mrossi", "passw0rd!", &id, wrong, sizeof wrong),
                   LDAP_AUTH_BAD_CREDENTIALS);
  assert_int_equal(
      login(&s, "nobody", "Passw0rd!", &id, unknown, sizeof unknown),
      LDAP_AUTH_BAD_CREDENTIALS);
  assert_string_equal(wrong, unknown);
  /* Someone else's password does not open mrossi's account either. */
  assert_int_equal(
      login(&s, "mrossi", "Lbianchi#2024", &id, wrong, sizeof wrong),
      LDAP_AUTH_BAD_CREDENTIALS);
}

static void empty_password_is_refused(void **state) {
  (void)state;
  ldap_settings s = settings();
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "", &id, err, sizeof err),
                   LDAP_AUTH_BAD_CREDENTIALS);
  assert_int_equal(login(&s, "mrossi", NULL, &id, err, sizeof err),
                   LDAP_AUTH_BAD_CREDENTIALS);
}

/* With the right password for mrossi, a wildcard or an injected clause must
 * still match nobody. */
static void filter_injection_matches_nobody(void **state) {
  (void)state;
  ldap_settings s = settings();
  ldap_identity id;
  char err[256];
  const char *attacks[] = {"*",        "mrossi)(uid=*",
                           "mr*",      "*)(|(uid=*",
                           "mrossi\\", "mrossi)(|(objectClass=*)"};
  for (size_t i = 0; i < sizeof attacks / sizeof *attacks; i++)
    assert_int_equal(login(&s, attacks[i], "Passw0rd!", &id, err, sizeof err),
                     LDAP_AUTH_BAD_CREDENTIALS);
}

static void ambiguous_user_is_refused(void **state) {
  (void)state;
  ldap_settings s = settings();
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "gneri", "Gneri1!", &id, err, sizeof err),
                   LDAP_AUTH_BAD_CREDENTIALS);
  assert_non_null(strstr(err, "more than one"));
}

/* Decision: a refused service account is ERROR, not UNAVAILABLE: the
 * directory is up, the configuration is wrong, and retrying will not help. */
static void wrong_service_password_is_an_error(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.bind_password = "not-the-secret";
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_ERROR);
  assert_non_null(strstr(err, "service bind"));
  assert_null(strstr(err, "not-the-secret"));
}

static void missing_user_base_is_an_error(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.user_base = "ou=nowhere,dc=telemed,dc=test";
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_ERROR);
}

/* Without the service account the ACL shows anonymous nothing, not even the
 * search base: slapd answers noSuchObject, a configuration error. */
static void anonymous_search_is_refused_here(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.bind_dn = s.bind_password = NULL;
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_ERROR);
  assert_non_null(strstr(err, "user search"));
}

static void second_url_is_tried_when_the_first_is_down(void **state) {
  (void)state;
  char urls[160];
  snprintf(urls, sizeof urls, "ldap://127.0.0.1:%d %s", free_loopback_port(),
           dir.ldap_url);
  ldap_settings s = settings();
  s.url = urls;
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  ldap_identity_free(&id);
}

static void ldaps_with_the_ca_works(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.url = dir.ldaps_url;
  s.ca_file = dir.ca_file;
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  assert_string_equal(id.fiscal_code, "RSSMRA70A01H501S");
  ldap_identity_free(&id);
}

static void starttls_with_the_ca_works(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.start_tls = true;
  s.ca_file = dir.ca_file;
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  ldap_identity_free(&id);
}

/* The test CA is not in the system store: the certificate is untrusted and
 * the login must stop there, LDAPTLS_REQCERT=allow notwithstanding, and
 * StartTLS must not fall back to a clear connection. */
static void untrusted_certificate_stops_the_login(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.url = dir.ldaps_url;
  ldap_identity id;
  char err[256];
  assert_int_not_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                       LDAP_AUTH_OK);
  s = settings();
  s.start_tls = true;
  assert_int_not_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                       LDAP_AUTH_OK);
}

/* A CA file that cannot be read is the administrator's to fix. */
static void unreadable_ca_file_is_an_error(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.url = dir.ldaps_url;
  s.ca_file = "/nonexistent/ca.pem";
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_ERROR);
  assert_non_null(strstr(err, "ca_file"));
}

/* This test binary does not ignore SIGPIPE: the refused connect makes
 * libldap write to a dead socket, and the process surviving it is part of
 * the test. */
static void closed_port_is_unavailable_at_once(void **state) {
  (void)state;
  char url[64];
  snprintf(url, sizeof url, "ldap://127.0.0.1:%d", free_loopback_port());
  ldap_settings s = settings();
  s.url = url;
  s.timeout_ms = 2000;
  ldap_identity id;
  char err[256];
  double t0 = now_s();
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_UNAVAILABLE);
  assert_true(now_s() - t0 < 2.0);
}

/* A socket listening on a free loopback port; *port gets the port. */
static int loopback_listener(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(fd, 8), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

/* A listening socket nobody accepts from: TCP connects, no LDAP answer ever
 * comes. The login must give up after its time budget. */
static void silent_server_is_unavailable_after_the_timeout(void **state) {
  (void)state;
  int port;
  int fd = loopback_listener(&port);
  char plain[64], tls[64];
  snprintf(plain, sizeof plain, "ldap://127.0.0.1:%d", port);
  snprintf(tls, sizeof tls, "ldaps://127.0.0.1:%d", port);

  struct {
    const char *url;
    bool anonymous, start_tls;
  } cases[] = {
      {plain, false, false}, /* waits in the service bind */
      {plain, true, false},  /* waits in the search */
      {plain, false, true},  /* waits for the StartTLS answer */
      {tls, false, false},   /* waits in the TLS handshake */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    ldap_settings s = settings();
    s.url = cases[i].url;
    s.start_tls = cases[i].start_tls;
    s.ca_file = dir.ca_file;
    if (cases[i].anonymous)
      s.bind_dn = s.bind_password = NULL;
    s.timeout_ms = 1000;
    ldap_identity id;
    char err[256];
    double t0 = now_s();
    assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                     LDAP_AUTH_UNAVAILABLE);
    double took = now_s() - t0;
    assert_true(took >= 0.8);
    assert_true(took < 3.0); /* 1 s budget, slack for valgrind */
  }
  close(fd);
}

/* Request threads log in at the same time: each call must stand alone
 * (libldap's global initialisation included). Half of them use TLS. */
static void *login_repeatedly(void *arg) {
  long n = (long)(intptr_t)arg, failures = 0;
  for (int i = 0; i < 5; i++) {
    ldap_settings s = settings();
    /* This test is about calls standing alone, not about time: under
     * valgrind, which runs one thread at a time, on a loaded machine, eight
     * TLS logins at once could outlast the usual 3 s budget. */
    s.timeout_ms = 30000;
    if (n % 2) {
      s.url = dir.ldaps_url;
      s.ca_file = dir.ca_file;
    }
    ldap_identity id;
    char err[256];
    bool right = (n + i) % 3 != 0;
    ldap_auth_status st = ldap_authenticate(
        &s, "mrossi", right ? "Passw0rd!" : "wrong", &id, err, sizeof err);
    if (st != (right ? LDAP_AUTH_OK : LDAP_AUTH_BAD_CREDENTIALS) ||
        (right && strcmp(id.groups[0], "telemed-specialisti") != 0))
      failures++;
    ldap_identity_free(&id);
  }
  return (void *)(intptr_t)failures;
}

static void concurrent_logins_stand_alone(void **state) {
  (void)state;
  pthread_t t[8];
  for (long i = 0; i < 8; i++)
    assert_int_equal(
        pthread_create(&t[i], NULL, login_repeatedly, (void *)(intptr_t)i), 0);
  for (int i = 0; i < 8; i++) {
    void *failures;
    pthread_join(t[i], &failures);
    assert_int_equal((intptr_t)failures, 0);
  }
}

/* A fake directory that answers the StartTLS request with `result` and,
 * after a success, never says a word of the TLS handshake. Every wait of its
 * own is bounded. */
typedef struct fake_directory {
  int fd;
  unsigned char result;
  pthread_t thread;
} fake_directory;

static void *fake_starttls(void *arg) {
  fake_directory *f = arg;
  struct pollfd p = {.fd = f->fd, .events = POLLIN};
  if (poll(&p, 1, 5000) != 1)
    return NULL;
  int c = accept(f->fd, NULL, NULL);
  if (c < 0)
    return NULL;
  p = (struct pollfd){.fd = c, .events = POLLIN};
  char buf[256];
  if (poll(&p, 1, 5000) == 1 && read(c, buf, sizeof buf) > 0) {
    /* ExtendedResponse to message 1 (the StartTLS request). */
    unsigned char answer[] = {0x30, 0x0c, 0x02,      0x01, 0x01, 0x78, 0x07,
                              0x0a, 0x01, f->result, 0x04, 0x00, 0x04, 0x00};
    if (write(c, answer, sizeof answer) == (ssize_t)sizeof answer)
      /* Swallow what comes and wait for the client to give up. */
      while (poll(&p, 1, 5000) == 1 && read(c, buf, sizeof buf) > 0)
        ;
  }
  close(c);
  return NULL;
}

/* Logs in with StartTLS against a fake directory; returns the status and
 * the seconds it took. */
static ldap_auth_status starttls_against(unsigned char result, double *took,
                                         char *err, size_t errlen) {
  int port;
  fake_directory f = {.fd = loopback_listener(&port), .result = result};
  assert_int_equal(pthread_create(&f.thread, NULL, fake_starttls, &f), 0);
  char url[64];
  snprintf(url, sizeof url, "ldap://127.0.0.1:%d", port);
  ldap_settings s = settings();
  s.url = url;
  s.start_tls = true;
  s.ca_file = dir.ca_file;
  s.timeout_ms = 1000;
  ldap_identity id;
  double t0 = now_s();
  ldap_auth_status st = login(&s, "mrossi", "Passw0rd!", &id, err, errlen);
  *took = now_s() - t0;
  pthread_join(f.thread, NULL);
  close(f.fd);
  return st;
}

static void stalled_tls_handshake_is_unavailable(void **state) {
  (void)state;
  double took;
  char err[256];
  assert_int_equal(starttls_against(0 /* success */, &took, err, sizeof err),
                   LDAP_AUTH_UNAVAILABLE);
  assert_non_null(strstr(err, "starttls"));
  assert_true(took >= 0.8);
  assert_true(took < 3.0);
}

/* A directory that is up but refuses TLS needs an administrator. */
static void refused_starttls_is_an_error(void **state) {
  (void)state;
  double took;
  char err[256];
  assert_int_equal(
      starttls_against(2 /* protocolError */, &took, err, sizeof err),
      LDAP_AUTH_ERROR);
  assert_non_null(strstr(err, "starttls"));
  assert_true(took < 1.0);
}

/* ---- the outbound policy at connect time ---- */

static int ldap_port(void) {
  int port = 0;
  assert_int_equal(sscanf(dir.ldap_url, "ldap://127.0.0.1:%d", &port), 1);
  return port;
}

/* NULL is the default policy, never "anything goes": ldaps:// passes the
 * TLS rule, and the loopback address it connects to is refused. */
static void default_policy_refuses_a_loopback_directory(void **state) {
  (void)state;
  ldap_settings s = settings();
  s.policy = NULL;
  s.url = dir.ldaps_url;
  s.ca_file = dir.ca_file;
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_ERROR);
  assert_non_null(
      strstr(err, "destination 127.0.0.1 is not allowed for this hospital"));
  assert_non_null(strstr(err, dir.ldaps_url));
  /* The same settings with the region's allowance log in. */
  s.policy = &loopback;
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  ldap_identity_free(&id);
}

/* A name is checked on the address it resolves to at connect time. */
static void a_name_is_checked_on_the_address_connected_to(void **state) {
  (void)state;
  char url[64];
  snprintf(url, sizeof url, "ldap://localhost:%d", ldap_port());
  ldap_settings s = settings();
  s.url = url;
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  ldap_identity_free(&id);
  outbound_policy plaintext_only = policy_of("", true);
  s.policy = &plaintext_only;
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_ERROR);
  assert_non_null(strstr(err, "is not allowed for this hospital"));
  assert_non_null(strstr(err, "loopback"));
}

/* A listener that counts the bytes a client sends before it goes away. */
typedef struct byte_counter {
  int fd;
  long bytes;
  bool accepted;
  pthread_t thread;
} byte_counter;

static void *count_bytes(void *arg) {
  byte_counter *b = arg;
  struct pollfd p = {.fd = b->fd, .events = POLLIN};
  if (poll(&p, 1, 2000) != 1)
    return NULL;
  int c = accept(b->fd, NULL, NULL);
  if (c < 0)
    return NULL;
  b->accepted = true;
  p = (struct pollfd){.fd = c, .events = POLLIN};
  char buf[256];
  ssize_t n;
  while (poll(&p, 1, 1000) == 1 && (n = read(c, buf, sizeof buf)) > 0)
    b->bytes += n;
  close(c);
  return NULL;
}

/* The refusal comes after libldap's connect() and before its first byte:
 * the bind request never leaves. */
static void a_refused_address_receives_no_byte(void **state) {
  (void)state;
  int port;
  byte_counter b = {.fd = loopback_listener(&port)};
  assert_int_equal(pthread_create(&b.thread, NULL, count_bytes, &b), 0);
  char url[64];
  snprintf(url, sizeof url, "ldap://127.0.0.1:%d", port);
  outbound_policy elsewhere = policy_of("127.0.0.2/32", true);
  ldap_settings s = settings();
  s.url = url;
  s.policy = &elsewhere;
  ldap_identity id;
  char err[256];
  double t0 = now_s();
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_ERROR);
  assert_true(now_s() - t0 < 1.0); /* refused, not timed out */
  assert_non_null(strstr(err, "destination 127.0.0.1 is not allowed"));
  pthread_join(b.thread, NULL);
  close(b.fd);
  assert_int_equal(b.bytes, 0);
  /* Control: allowed, the same listener gets the bind request. */
  b = (byte_counter){.fd = loopback_listener(&port)};
  assert_int_equal(pthread_create(&b.thread, NULL, count_bytes, &b), 0);
  snprintf(url, sizeof url, "ldap://127.0.0.1:%d", port);
  s = settings();
  s.url = url;
  s.timeout_ms = 500;
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_UNAVAILABLE);
  pthread_join(b.thread, NULL);
  close(b.fd);
  assert_true(b.accepted);
  assert_true(b.bytes > 0);
}

/* A refused first domain controller does not stop the failover; when no
 * URL works, the refusal is what the administrator is told. */
static void refused_url_fails_over_and_is_reported(void **state) {
  (void)state;
  outbound_policy only_one = policy_of("127.0.0.1/32", true);
  char urls[160];
  snprintf(urls, sizeof urls, "ldap://127.0.0.2:%d %s", ldap_port(),
           dir.ldap_url);
  ldap_settings s = settings();
  s.url = urls;
  s.policy = &only_one;
  ldap_identity id;
  char err[256];
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_OK);
  ldap_identity_free(&id);
  snprintf(urls, sizeof urls, "ldap://127.0.0.2:%d ldap://127.0.0.1:%d",
           ldap_port(), free_loopback_port());
  assert_int_equal(login(&s, "mrossi", "Passw0rd!", &id, err, sizeof err),
                   LDAP_AUTH_ERROR);
  assert_non_null(strstr(err, "destination 127.0.0.2 is not allowed"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      /* First, so that libldap's global initialisation is concurrent too. */
      cmocka_unit_test(concurrent_logins_stand_alone),
      cmocka_unit_test(good_login_reads_identity_and_groups),
      cmocka_unit_test(display_name_falls_back_to_cn_and_groups_accumulate),
      cmocka_unit_test(user_dn_is_escaped_in_the_group_filter),
      cmocka_unit_test(username_comes_from_the_directory_when_configured),
      cmocka_unit_test(no_group_base_gives_an_empty_list),
      cmocka_unit_test(other_fiscal_code_attribute),
      cmocka_unit_test(wrong_password_and_unknown_user_look_the_same),
      cmocka_unit_test(empty_password_is_refused),
      cmocka_unit_test(filter_injection_matches_nobody),
      cmocka_unit_test(ambiguous_user_is_refused),
      cmocka_unit_test(wrong_service_password_is_an_error),
      cmocka_unit_test(missing_user_base_is_an_error),
      cmocka_unit_test(anonymous_search_is_refused_here),
      cmocka_unit_test(second_url_is_tried_when_the_first_is_down),
      cmocka_unit_test(ldaps_with_the_ca_works),
      cmocka_unit_test(starttls_with_the_ca_works),
      cmocka_unit_test(untrusted_certificate_stops_the_login),
      cmocka_unit_test(unreadable_ca_file_is_an_error),
      cmocka_unit_test(closed_port_is_unavailable_at_once),
      cmocka_unit_test(silent_server_is_unavailable_after_the_timeout),
      cmocka_unit_test(stalled_tls_handshake_is_unavailable),
      cmocka_unit_test(refused_starttls_is_an_error),
      cmocka_unit_test(default_policy_refuses_a_loopback_directory),
      cmocka_unit_test(a_name_is_checked_on_the_address_connected_to),
      cmocka_unit_test(a_refused_address_receives_no_byte),
      cmocka_unit_test(refused_url_fails_over_and_is_reported),
  };
  return cmocka_run_group_tests(tests, start_directory, stop_directory);
}
