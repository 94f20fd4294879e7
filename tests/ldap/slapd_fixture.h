/* A private OpenLDAP slapd for the LDAP login tests: a temporary directory
 * with a throw-away CA and server certificate, the fixture LDIF loaded with
 * slapadd, and slapd in the foreground on two free loopback ports (ldap:// with
 * StartTLS, and ldaps://). Every wait is bounded. */
#ifndef CONCERTO_TESTS_SLAPD_FIXTURE_H
#define CONCERTO_TESTS_SLAPD_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct slapd_fixture {
  char dir[64];       /* the temporary directory; removed by slapd_stop */
  char ca_file[128];  /* PEM of the CA that signed slapd's certificate */
  char ldap_url[64];  /* ldap://127.0.0.1:port */
  char ldaps_url[64]; /* ldaps://127.0.0.1:port */
  pid_t pid;
} slapd_fixture;

/* Builds and starts the directory from fixtures_dir (slapd.conf.in,
 * base.ldif). False, with the reason and the tools' output on stderr, when
 * anything fails; whatever was created is then already cleaned up. */
bool slapd_start(slapd_fixture *f, const char *fixtures_dir);

/* Stops slapd (SIGTERM, then SIGKILL after 10 s) and removes the directory. */
void slapd_stop(slapd_fixture *f);

/* A loopback port nobody listens on at the time of the call. 0 on failure. */
int free_loopback_port(void);

#endif
