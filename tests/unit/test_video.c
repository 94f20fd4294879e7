/* Video rooms: the jitsi provider's JWT checked independently of libjwt
 * (OpenSSL HMAC-SHA256 over header.payload, base64url), its claims per
 * ../shared/docs/standards.md §9, the validity window, and refused specs
 * and settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "video.h"

#define SECRET "test-secret-not-for-production"
#define NOW 1800000000LL

static const video_settings jitsi = {
    "jitsi", "https://Meet.ASP.example.it/", "concerto", SECRET, NULL, 0};

static json_t *spec_at(long long starts, long long ends, const char *email,
                       bool moderator) {
  json_t *user = json_pack("{s:s, s:s}", "id", "u42", "name", "Anna Rossi");
  if (email)
    json_object_set_new(user, "email", json_string(email));
  return json_pack("{s:s, s:o, s:b, s:I, s:I}", "room", "tc-Abc_12345", "user",
                   user, "moderator", moderator, "starts_at",
                   (json_int_t)starts, "ends_at", (json_int_t)ends);
}

/* base64url without padding -> bytes (malloc'ed, NUL-terminated). */
static char *b64url_decode(const char *s, size_t n, size_t *outlen) {
  char *std = calloc(1, n + 4);
  for (size_t i = 0; i < n; i++)
    std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
  size_t padded = n;
  while (padded % 4)
    std[padded++] = '=';
  unsigned char *out = calloc(1, padded);
  int len = EVP_DecodeBlock(out, (unsigned char *)std, (int)padded);
  assert_true(len >= 0);
  len -= (int)(padded - n); /* EVP_DecodeBlock counts the padding */
  out[len] = '\0';
  free(std);
  *outlen = (size_t)len;
  return (char *)out;
}

static char *b64url_encode(const unsigned char *data, size_t n) {
  char *out = calloc(1, 4 * ((n + 2) / 3) + 1);
  int len = EVP_EncodeBlock((unsigned char *)out, data, (int)n);
  while (len > 0 && out[len - 1] == '=')
    out[--len] = '\0';
  for (int i = 0; i < len; i++)
    out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
  return out;
}

/* Verifies the token of `url` with `secret`; returns its payload (or NULL
 * when the signature does not match) and checks the header. */
static json_t *verified_payload(const char *url, const char *secret) {
  const char *token = strstr(url, "?jwt=");
  assert_non_null(token);
  token += 5;
  const char *dot1 = strchr(token, '.');
  assert_non_null(dot1);
  const char *dot2 = strchr(dot1 + 1, '.');
  assert_non_null(dot2);
  assert_null(strchr(dot2 + 1, '.'));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)token,
       (size_t)(dot2 - token), mac, &maclen);
  assert_int_equal(maclen, 32);
  char *expected = b64url_encode(mac, maclen);
  bool ok = strlen(expected) == strlen(dot2 + 1) &&
            CRYPTO_memcmp(expected, dot2 + 1, strlen(expected)) == 0;
  free(expected);
  size_t len;
  char *head = b64url_decode(token, (size_t)(dot1 - token), &len);
  json_t *h = json_loads(head, 0, NULL);
  assert_non_null(h);
  assert_string_equal(json_string_value(json_object_get(h, "alg")), "HS256");
  assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
  json_decref(h);
  free(head);
  if (!ok)
    return NULL;
  char *body = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &len);
  json_t *p = json_loads(body, 0, NULL);
  free(body);
  assert_non_null(p);
  return p;
}

static json_t *link_for(const video_settings *s, json_t *spec_json,
                        concerto_status want) {
  video_spec spec;
  char err[200] = "";
  assert_true(video_spec_parse(spec_json, &spec, err, sizeof err));
  const video_provider *p = video_provider_find(s->provider);
  assert_non_null(p);
  json_t *out = NULL;
  assert_int_equal(p->make_link(s, &spec, NOW, &out, err, sizeof err), want);
  json_decref(spec_json);
  return out;
}

static const char *str(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static long long num(const json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

static void jitsi_token_verifies_with_the_claims(void **state) {
  (void)state;
  long long starts = NOW + 3600, ends = NOW + 5400;
  json_t *out =
      link_for(&jitsi, spec_at(starts, ends, "anna@example.it", true), 0);
  assert_string_equal(str(out, "provider"), "jitsi");
  assert_string_equal(str(out, "room"), "tc-Abc_12345");
  const char *url = str(out, "url");
  const char *prefix = "https://Meet.ASP.example.it/tc-Abc_12345?jwt=";
  assert_memory_equal(url, prefix, strlen(prefix));
  json_t *p = verified_payload(url, SECRET);
  assert_non_null(p);
  assert_string_equal(str(p, "iss"), "concerto");
  assert_string_equal(str(p, "aud"), "jitsi");
  assert_string_equal(str(p, "sub"), "meet.asp.example.it");
  assert_string_equal(str(p, "room"), "tc-Abc_12345");
  assert_int_equal(num(p, "nbf"), starts - 15 * 60);
  assert_int_equal(num(p, "iat"), NOW);
  assert_int_equal(num(p, "exp"), ends + 30 * 60);
  assert_int_equal(num(out, "expires_at"), ends + 30 * 60);
  json_t *user = json_object_get(json_object_get(p, "context"), "user");
  assert_string_equal(str(user, "id"), "u42");
  assert_string_equal(str(user, "name"), "Anna Rossi");
  assert_string_equal(str(user, "email"), "anna@example.it");
  assert_string_equal(str(user, "moderator"), "true");
  /* Strings only: Jitsi breaks on null or other types. */
  const char *k;
  json_t *v;
  json_object_foreach(user, k, v) assert_true(json_is_string(v));
  json_decref(p);
  /* Another secret does not verify it. */
  assert_null(verified_payload(url, "another-secret-of-some-length"));
  json_decref(out);
}

static void jitsi_without_email_nor_moderator(void **state) {
  (void)state;
  video_settings s = jitsi;
  s.audience = "meet.example";
  json_t *out = link_for(&s, spec_at(NOW, NOW + 1800, NULL, false), 0);
  json_t *p = verified_payload(str(out, "url"), SECRET);
  assert_non_null(p);
  assert_string_equal(str(p, "aud"), "meet.example");
  json_t *user = json_object_get(json_object_get(p, "context"), "user");
  assert_null(json_object_get(user, "email"));
  assert_string_equal(str(user, "moderator"), "false");
  json_decref(p);
  json_decref(out);
  /* An empty e-mail is no e-mail. */
  out = link_for(&s, spec_at(NOW, NOW + 1800, "", false), 0);
  p = verified_payload(str(out, "url"), SECRET);
  user = json_object_get(json_object_get(p, "context"), "user");
  assert_null(json_object_get(user, "email"));
  json_decref(p);
  json_decref(out);
}

static void token_life_is_bounded(void **state) {
  (void)state;
  /* A long appointment: at most 24 h after issuance. */
  json_t *out = link_for(&jitsi, spec_at(NOW, NOW + 3 * 86400, NULL, 0), 0);
  json_t *p = verified_payload(str(out, "url"), SECRET);
  assert_int_equal(num(p, "exp"), NOW + 86400);
  json_decref(p);
  json_decref(out);
  /* The hospital's shorter limit. */
  video_settings s = jitsi;
  s.token_minutes = 60;
  out = link_for(&s, spec_at(NOW, NOW + 7200, NULL, 0), 0);
  p = verified_payload(str(out, "url"), SECRET);
  assert_int_equal(num(p, "exp"), NOW + 3600);
  assert_int_equal(num(out, "expires_at"), NOW + 3600);
  json_decref(p);
  json_decref(out);
  /* Over, or too far ahead for a token that would ever be valid. */
  assert_null(link_for(&jitsi, spec_at(NOW - 7200, NOW - 1800, NULL, 0),
                       CONCERTO_ERR_INVALID));
  assert_null(link_for(&jitsi,
                       spec_at(NOW + 2 * 86400, NOW + 2 * 86400 + 60, NULL, 0),
                       CONCERTO_ERR_INVALID));
  /* Still inside the 30 minutes after the end. */
  out = link_for(&jitsi, spec_at(NOW - 3600, NOW - 60, NULL, 0), 0);
  assert_int_equal(num(out, "expires_at"), NOW - 60 + 1800);
  json_decref(out);
}

static void url_provider_is_a_plain_link(void **state) {
  (void)state;
  video_settings s = {"url", "https://meet.jit.si", NULL, NULL, NULL, 0};
  char err[200];
  assert_true(video_settings_valid(&s, err, sizeof err));
  json_t *out = link_for(&s, spec_at(NOW, NOW + 1800, NULL, 0), 0);
  assert_string_equal(str(out, "provider"), "url");
  assert_string_equal(str(out, "url"), "https://meet.jit.si/tc-Abc_12345");
  assert_int_equal(num(out, "expires_at"), NOW + 1800 + 1800);
  json_decref(out);
}

static void bad_specs_are_refused(void **state) {
  (void)state;
  static const char *const bad[] = {
      "[]",
      "{\"room\":\"short\",\"user\":{\"id\":\"1\",\"name\":\"A\"},"
      "\"starts_at\":1,\"ends_at\":2}",
      "{\"room\":\"has space in\",\"user\":{\"id\":\"1\",\"name\":\"A\"},"
      "\"starts_at\":1,\"ends_at\":2}",
      "{\"room\":\"room/../x1\",\"user\":{\"id\":\"1\",\"name\":\"A\"},"
      "\"starts_at\":1,\"ends_at\":2}",
      "{\"room\":"
      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaa\",\"user\":{\"id\":\"1\",\"name\":\"A\"},\"starts_at\":1,"
      "\"ends_at\":2}",
      "{\"room\":\"room12345\",\"starts_at\":1,\"ends_at\":2}",
      "{\"room\":\"room12345\",\"user\":{\"id\":1,\"name\":\"A\"},"
      "\"starts_at\":1,\"ends_at\":2}",
      "{\"room\":\"room12345\",\"user\":{\"id\":\"1\",\"name\":null},"
      "\"starts_at\":1,\"ends_at\":2}",
      "{\"room\":\"room12345\",\"user\":{\"id\":\"1\",\"name\":\"\"},"
      "\"starts_at\":1,\"ends_at\":2}",
      "{\"room\":\"room12345\",\"user\":{\"id\":\"1\",\"name\":\"A\","
      "\"email\":7},\"starts_at\":1,\"ends_at\":2}",
      "{\"room\":\"room12345\",\"user\":{\"id\":\"1\",\"name\":\"A\"},"
      "\"moderator\":\"yes\",\"starts_at\":1,\"ends_at\":2}",
      "{\"room\":\"room12345\",\"user\":{\"id\":\"1\",\"name\":\"A\"},"
      "\"starts_at\":5,\"ends_at\":5}",
      "{\"room\":\"room12345\",\"user\":{\"id\":\"1\",\"name\":\"A\"},"
      "\"starts_at\":\"1\",\"ends_at\":2}",
      "{\"room\":\"room12345\",\"user\":{\"id\":\"1\",\"name\":\"A\"},"
      "\"starts_at\":1}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    json_t *j = json_loads(bad[i], 0, NULL);
    assert_non_null(j);
    video_spec spec;
    char err[200] = "";
    if (video_spec_parse(j, &spec, err, sizeof err))
      fail_msg("accepted spec %zu: %s", i, bad[i]);
    assert_true(err[0] != '\0');
    json_decref(j);
  }
  json_t *j = spec_at(1, 2, NULL, false);
  video_spec spec;
  char err[200];
  assert_true(video_spec_parse(j, &spec, err, sizeof err));
  json_decref(j);
}

static void settings_are_checked(void **state) {
  (void)state;
  char err[200];
  video_settings s = jitsi;
  assert_true(video_settings_valid(&s, err, sizeof err));
  s.app_secret = "short";
  assert_false(video_settings_valid(&s, err, sizeof err));
  s = jitsi;
  s.app_id = NULL;
  assert_false(video_settings_valid(&s, err, sizeof err));
  s = jitsi;
  s.provider = "zoom";
  assert_false(video_settings_valid(&s, err, sizeof err));
  s = jitsi;
  s.base_url = "ftp://meet.example.it";
  assert_false(video_settings_valid(&s, err, sizeof err));
  s.base_url = "https://meet.example.it/?x=1";
  assert_false(video_settings_valid(&s, err, sizeof err));
  s.base_url = "https://user@meet.example.it";
  assert_false(video_settings_valid(&s, err, sizeof err));
  assert_true(video_config_valid(NULL, NULL, NULL, NULL, err, sizeof err));
  assert_false(video_config_valid("jitsi", "https://m.example.it", "x", "short",
                                  err, sizeof err));
  assert_non_null(strstr(err, "video_app_secret"));
  char host[64];
  assert_true(
      video_url_host("https://Meet.Example.IT:8443/base", host, sizeof host));
  assert_string_equal(host, "meet.example.it");
}

static void core_settings_declare_a_secret(void **state) {
  (void)state;
  const core_tenant_setting *s =
      core_tenant_setting_find(VIDEO_SETTINGS_MODULE, "app_secret");
  assert_non_null(s);
  assert_true(s->secret);
  assert_non_null(s->check("short"));
  assert_null(s->check(SECRET));
  assert_null(s->check("")); /* cleared */
  s = core_tenant_setting_find(VIDEO_SETTINGS_MODULE, "provider");
  assert_false(s->secret);
  assert_null(s->check("jitsi"));
  assert_non_null(s->check("skype"));
  assert_null(core_tenant_setting_find("ward", "provider"));
  assert_null(core_tenant_setting_find(VIDEO_SETTINGS_MODULE, "nope"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(jitsi_token_verifies_with_the_claims),
      cmocka_unit_test(jitsi_without_email_nor_moderator),
      cmocka_unit_test(token_life_is_bounded),
      cmocka_unit_test(url_provider_is_a_plain_link),
      cmocka_unit_test(bad_specs_are_refused),
      cmocka_unit_test(settings_are_checked),
      cmocka_unit_test(core_settings_declare_a_secret),
  };
  return cmocka_run_group_tests_name("video", tests, NULL, NULL);
}
