/* Directory login through the running server: a hospital's LDAP settings
 * set over the API (refused until the region allows the directory's
 * loopback address and plaintext for the hospital), staff logging in with
 * their directory password, groups mapped to roles in that hospital, a
 * directory the region no longer allows refused at connect time, and the
 * directory going away (503 for directory logins while local accounts keep
 * working). Real slapd, real PostgreSQL, real HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "slapd_fixture.h"

#define ADMIN_PASSWORD "Regione-Sicilia-2026"

static th_server srv;
static slapd_fixture ldap;
static th_client admin;

static int start(void **state) {
  (void)state;
  if (!slapd_start(&ldap, LDAP_FIXTURES))
    return -1;
  char url[512];
  th_db_create("it_ldap", url, sizeof url);
  setenv("CONCERTO_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
  bool ok =
      th_server_start(&srv, "it_ldap", "{\"modules\":[\"ward\"]}", NULL, 30);
  unsetenv("CONCERTO_ADMIN_PASSWORD");
  return ok ? 0 : -1;
}

static int stop(void **state) {
  (void)state;
  slapd_stop(&ldap);
  return th_server_stop(&srv, 30) == 0 ? 0 : -1;
}

static long login(th_client *c, const char *user, const char *password,
                  char *code, size_t codelen) {
  memset(c, 0, sizeof *c);
  char body[256];
  snprintf(body, sizeof body,
           "{\"username\":\"%s\",\"password\":\"%s\",\"tenant\":\"HUB1\"}",
           user, password);
  th_resp r = th_call(&srv, c, "POST", "/api/v1/auth/login", body);
  long status = r.status;
  if (code)
    snprintf(code, codelen, "%s",
             th_json_str(&r, "code") ? th_json_str(&r, "code") : "");
  th_resp_free(&r);
  return status;
}

/* The directory settings for `url` (start_tls as given). */
static void directory_body(char *body, size_t len, const char *url,
                           bool start_tls) {
  snprintf(body, len,
           "{\"url\":\"%s\",\"start_tls\":%s,"
           "\"bind_dn\":\"cn=concerto-search,dc=telemed,dc=test\","
           "\"bind_password\":\"search-Secret1\","
           "\"user_base\":\"ou=people,dc=telemed,dc=test\","
           "\"user_filter\":\"(uid=%%s)\","
           "\"group_base\":\"ou=groups,dc=telemed,dc=test\","
           "\"group_roles\":{\"telemed-specialisti\":[\"specialist\"],"
           "\"telemed-admin\":[\"hospital_admin\"]}}",
           url, start_tls ? "true" : "false");
}

/* PUTs directory settings as the regional administrator and checks the
 * status; with `code`, also that the first error is that code on url. */
static void put_directory(const char *body, long want, const char *code) {
  th_resp r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB1/ldap", body);
  assert_int_equal(r.status, want);
  if (code) {
    json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "field")), "url");
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
  }
  th_resp_free(&r);
}

static long put_outbound(const char *json) {
  th_resp r =
      th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB1/outbound", json);
  long status = r.status;
  th_resp_free(&r);
  return status;
}

static void configure_directory(void **state) {
  (void)state;
  assert_int_equal(th_login(&srv, &admin, "admin", ADMIN_PASSWORD, NULL), 200);
  th_resp r = th_call(&srv, &admin, "POST", "/api/v1/tenants",
                      "{\"code\":\"HUB1\",\"name\":\"AOU\",\"kind\":\"AOU\"}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  char body[1024];
  /* By default: ldap:// without StartTLS is refused, and so is a directory
   * on a loopback (or private) address even with TLS. */
  directory_body(body, sizeof body, ldap.ldap_url, false);
  put_directory(body, 422, "tls_required");
  directory_body(body, sizeof body, ldap.ldap_url, true);
  put_directory(body, 422, "destination_refused");
  directory_body(body, sizeof body, ldap.ldaps_url, false);
  put_directory(body, 422, "destination_refused");
  directory_body(body, sizeof body, "ldaps://10.20.1.5:636", false);
  put_directory(body, 422, "destination_refused");
  assert_int_equal(th_log_count(&srv, "search-Secret1"), 0);
  /* The region allows the directory's range and plaintext for HUB1. */
  assert_int_equal(put_outbound("{\"allow_cidrs\":[\"127.0.0.0/8\"],"
                                "\"allow_plaintext\":true}"),
                   200);
  directory_body(body, sizeof body, ldap.ldap_url, false);
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB1/ldap", body);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, "search-Secret1")); /* write-only */
  th_resp_free(&r);
  r = th_call(&srv, &admin, "GET", "/api/v1/tenants/HUB1/ldap", NULL);
  assert_int_equal(r.status, 200);
  assert_true(json_is_true(json_object_get(r.json, "bind_password_set")));
  assert_null(strstr(r.body, "search-Secret1"));
  th_resp_free(&r);
  /* The login page's public list says which hospitals use a directory. */
  r = th_get(&srv, "/api/v1/auth/tenants");
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"code\":\"HUB1\""));
  assert_non_null(strstr(r.body, "\"directory\":true"));
  th_resp_free(&r);
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB1/ldap",
              "{\"url\":\"http://x\",\"user_base\":\"o=x\",\"group_roles\":"
              "{\"g\":[\"astronaut\"]}}");
  assert_int_equal(r.status, 422);
  assert_non_null(strstr(r.body, "\"field\":\"url\""));
  assert_non_null(strstr(r.body, "\"field\":\"group_roles\""));
  th_resp_free(&r);
}

static void directory_users_get_mapped_roles(void **state) {
  (void)state;
  th_client c;
  assert_int_equal(login(&c, "mrossi", "Passw0rd!", NULL, 0), 200);
  th_resp me = th_call(&srv, &c, "GET", "/api/v1/me", NULL);
  assert_int_equal(me.status, 200);
  assert_string_equal(th_json_str(&me, "display_name"), "Mario Rossi");
  json_t *roles = json_object_get(json_object_get(me.json, "roles"), "HUB1");
  assert_int_equal(json_array_size(roles), 1);
  assert_string_equal(json_string_value(json_array_get(roles, 0)),
                      "specialist");
  th_resp_free(&me);
  char *source = th_sql("it_ldap", "SELECT auth_source || ':' || coalesce("
                                   "password_hash, 'none') FROM concerto.users "
                                   "WHERE username = 'mrossi'");
  assert_string_equal(source, "ldap:none"); /* no local copy of the password */
  free(source);
  /* Typed with capitals, as directory names often are: the same entry,
   * the same account (names are stored in lower case). */
  assert_int_equal(login(&c, "MRossi", "Passw0rd!", NULL, 0), 200);
  char *accounts = th_sql("it_ldap", "SELECT count(*) FROM concerto.users "
                                     "WHERE lower(username) LIKE 'mrossi%'");
  assert_string_equal(accounts, "1");
  free(accounts);

  assert_int_equal(login(&c, "lbianchi", "Lbianchi#2024", NULL, 0), 200);
  me = th_call(&srv, &c, "GET", "/api/v1/tenants/HUB1/users", NULL);
  assert_int_equal(me.status, 200); /* hospital_admin through the group */
  th_resp_free(&me);
}

static void wrong_password_and_unmapped_user(void **state) {
  (void)state;
  th_client c;
  char code[64];
  assert_int_equal(login(&c, "mrossi", "not-the-password", code, sizeof code),
                   401);
  assert_string_equal(code, "invalid_credentials");
  assert_int_equal(login(&c, "nobody", "whatever-Pass1", code, sizeof code),
                   401);
  assert_string_equal(code, "invalid_credentials");
  /* A valid directory account whose groups map to no Concerto role. */
  assert_int_equal(login(&c, "averdi", "Averdi-ICU9", code, sizeof code), 403);
  assert_string_equal(code, "no_role");
  /* The password never reaches the log. */
  assert_int_equal(th_log_count(&srv, "not-the-password"), 0);
}

/* A second hospital points its directory at one that has the same entry
 * (here: the very same directory, the strongest case). A directory login
 * there must give that hospital an account of its own - never HUB1's, its
 * roles or its data - and HUB2's administrator cannot hand roles to HUB1's
 * account unless HUB1 shares it. */
static void
another_hospitals_directory_cannot_take_over_an_account(void **state) {
  (void)state;
  assert_int_equal(th_login(&srv, &admin, "admin", ADMIN_PASSWORD, NULL), 200);
  th_resp r = th_call(&srv, &admin, "POST", "/api/v1/tenants",
                      "{\"code\":\"HUB2\",\"name\":\"Altro\",\"kind\":\"AO\"}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  /* The region lets HUB2 reach its directory on loopback, in clear. */
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB2/outbound",
              "{\"allow_cidrs\":[\"127.0.0.0/8\"],\"allow_plaintext\":true}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  char body[1024];
  snprintf(body, sizeof body,
           "{\"url\":\"%s\",\"bind_dn\":\"cn=concerto-search,dc=telemed,"
           "dc=test\",\"bind_password\":\"search-Secret1\","
           "\"user_base\":\"ou=people,dc=telemed,dc=test\","
           "\"user_filter\":\"(uid=%%s)\","
           "\"group_base\":\"ou=groups,dc=telemed,dc=test\","
           "\"group_roles\":{\"telemed-specialisti\":[\"organizer\"]}}",
           ldap.ldap_url);
  r = th_call(&srv, &admin, "PUT", "/api/v1/tenants/HUB2/ldap", body);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  r = th_call(&srv, &admin, "POST", "/api/v1/tenants/HUB2/users",
              "{\"username\":\"adm2\",\"display_name\":\"Admin 2\","
              "\"password\":\"Ospedale-Due-2026\",\"roles\":"
              "[\"hospital_admin\"]}");
  assert_int_equal(r.status, 201);
  th_resp_free(&r);
  char *hub1_account = th_sql("it_ldap", "SELECT id FROM concerto.users WHERE "
                                         "username = 'mrossi'");
  /* The same name and password, through HUB2's directory. */
  th_client c;
  memset(&c, 0, sizeof c);
  r = th_call(&srv, &c, "POST", "/api/v1/auth/login",
              "{\"username\":\"mrossi\",\"password\":\"Passw0rd!\","
              "\"tenant\":\"HUB2\"}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  th_resp me = th_call(&srv, &c, "GET", "/api/v1/me", NULL);
  assert_string_not_equal(th_json_str(&me, "id"), hub1_account);
  assert_string_equal(th_json_str(&me, "username"), "mrossi.hub2");
  json_t *roles = json_object_get(me.json, "roles");
  assert_null(json_object_get(roles, "HUB1"));
  assert_string_equal(
      json_string_value(json_array_get(json_object_get(roles, "HUB2"), 0)),
      "organizer");
  th_resp_free(&me);
  /* HUB1's account kept its directory and its roles. */
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT t.code || ':' || string_agg(r.role, ',') FROM "
           "concerto.users u JOIN concerto.tenants t ON t.id = "
           "u.directory_tenant_id JOIN concerto.user_roles r ON r.user_id = "
           "u.id WHERE u.id = %s GROUP BY t.code",
           hub1_account);
  char *kept = th_sql("it_ldap", sql);
  assert_string_equal(kept, "HUB1:specialist");
  free(kept);
  /* HUB2's administrator may not give HUB1's account roles in HUB2... */
  th_client adm2;
  assert_int_equal(th_login(&srv, &adm2, "adm2", "Ospedale-Due-2026", "HUB2"),
                   200);
  r = th_call(&srv, &adm2, "PUT", "/api/v1/tenants/HUB2/users/mrossi/roles",
              "{\"roles\":[\"specialist\"]}");
  assert_int_equal(r.status, 403);
  assert_string_equal(th_json_str(&r, "code"), "account_not_shared");
  th_resp_free(&r);
  /* ...nor can SQL as the application role in HUB2's context. */
  char sqlstate[6];
  snprintf(sql, sizeof sql,
           "INSERT INTO concerto.user_roles (user_id, tenant_id, role) "
           "SELECT %s, id, 'specialist' FROM concerto.tenants WHERE code = "
           "'HUB2'",
           hub1_account);
  free(th_sql_as("it_ldap", "staff", "HUB2", "adm2", sql, sqlstate));
  assert_string_equal(sqlstate, "42501");
  /* ...until HUB1's administrator shares it. */
  th_client hub1_admin;
  memset(&hub1_admin, 0, sizeof hub1_admin);
  r = th_call(&srv, &hub1_admin, "POST", "/api/v1/auth/login",
              "{\"username\":\"lbianchi\",\"password\":\"Lbianchi#2024\","
              "\"tenant\":\"HUB1\"}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  r = th_call(&srv, &adm2, "PUT",
              "/api/v1/tenants/HUB2/users/mrossi/shares/HUB1", NULL);
  assert_int_equal(r.status, 404); /* HUB2 does not own it: cannot share */
  th_resp_free(&r);
  r = th_call(&srv, &hub1_admin, "PUT",
              "/api/v1/tenants/HUB1/users/mrossi/shares/HUB2", NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  r = th_call(&srv, &adm2, "PUT", "/api/v1/tenants/HUB2/users/mrossi/roles",
              "{\"roles\":[\"specialist\"]}");
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  /* Ending the share takes the roles given through it away. */
  r = th_call(&srv, &hub1_admin, "DELETE",
              "/api/v1/tenants/HUB1/users/mrossi/shares/HUB2", NULL);
  assert_int_equal(r.status, 200);
  th_resp_free(&r);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM concerto.user_roles r JOIN concerto.tenants "
           "t ON t.id = r.tenant_id WHERE r.user_id = %s AND t.code = 'HUB2'",
           hub1_account);
  char *left = th_sql("it_ldap", sql);
  assert_string_equal(left, "0");
  free(left);
  free(hub1_account);
}

/* The settings stay stored when the region withdraws the range: the login
 * is refused on the address the connection goes to, answered like an
 * unreachable directory, with the reason in the server log only. */
static void directory_refused_at_connect_time(void **state) {
  (void)state;
  th_client c, hadmin;
  char code[64];
  assert_int_equal(login(&hadmin, "lbianchi", "Lbianchi#2024", NULL, 0), 200);
  /* The hospital's administrator sees the policy but cannot change it. */
  th_resp r =
      th_call(&srv, &hadmin, "GET", "/api/v1/tenants/HUB1/outbound", NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "127.0.0.0/8"));
  th_resp_free(&r);
  r = th_call(&srv, &hadmin, "PUT", "/api/v1/tenants/HUB1/outbound",
              "{\"allow_cidrs\":[],\"allow_plaintext\":true}");
  assert_int_equal(r.status, 403);
  th_resp_free(&r);

  assert_int_equal(
      put_outbound("{\"allow_cidrs\":[],\"allow_plaintext\":true}"), 200);
  int before = th_log_count(&srv, "destination 127.0.0.1 is not allowed");
  memset(&c, 0, sizeof c);
  r = th_call(&srv, &c, "POST", "/api/v1/auth/login",
              "{\"username\":\"mrossi\",\"password\":\"Passw0rd!\","
              "\"tenant\":\"HUB1\"}");
  assert_int_equal(r.status, 503);
  assert_string_equal(th_json_str(&r, "code"), "directory_unavailable");
  assert_null(strstr(r.body, "127.0.0.1")); /* the reason stays in the log */
  th_resp_free(&r);
  assert_int_equal(th_log_count(&srv,
                                "destination 127.0.0.1 is not allowed for this "
                                "hospital"),
                   before + 1);
  /* Plaintext withdrawn instead: refused before connecting. */
  assert_int_equal(put_outbound("{\"allow_cidrs\":[\"127.0.0.0/8\"],"
                                "\"allow_plaintext\":false}"),
                   200);
  assert_int_equal(login(&c, "mrossi", "Passw0rd!", code, sizeof code), 503);
  assert_string_equal(code, "directory_unavailable");
  assert_true(th_log_count(&srv, "plaintext ldap:// is not allowed") > 0);
  /* Allowed again: the same stored settings work. */
  assert_int_equal(put_outbound("{\"allow_cidrs\":[\"127.0.0.0/8\"],"
                                "\"allow_plaintext\":true}"),
                   200);
  assert_int_equal(login(&c, "mrossi", "Passw0rd!", NULL, 0), 200);
}

static void directory_down_local_still_works(void **state) {
  (void)state;
  slapd_stop(&ldap);
  th_client c;
  char code[64];
  assert_int_equal(login(&c, "mrossi", "Passw0rd!", code, sizeof code), 503);
  assert_string_equal(code, "directory_unavailable");
  assert_int_equal(th_login(&srv, &c, "admin", ADMIN_PASSWORD, NULL), 200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(configure_directory),
      cmocka_unit_test(directory_users_get_mapped_roles),
      cmocka_unit_test(wrong_password_and_unmapped_user),
      cmocka_unit_test(another_hospitals_directory_cannot_take_over_an_account),
      cmocka_unit_test(directory_refused_at_connect_time),
      cmocka_unit_test(directory_down_local_still_works),
  };
  return cmocka_run_group_tests_name("ldap_server", tests, start, stop);
}
