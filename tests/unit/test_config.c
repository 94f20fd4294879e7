#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static bool apply(concerto_config *cfg, const char *text, char *err) {
  json_error_t jerr;
  json_t *root = json_loads(text, 0, &jerr);
  assert_non_null(root);
  bool ok = config_apply_json(cfg, root, err, 256);
  json_decref(root);
  return ok;
}

static void defaults_are_sane(void **state) {
  (void)state;
  concerto_config cfg;
  config_defaults(&cfg);
  assert_string_equal(cfg.listen_host, "127.0.0.1");
  assert_int_equal(cfg.listen_port, 8080);
  assert_true(cfg.threads >= 4);
  assert_int_equal(cfg.max_body_bytes, 1u << 20);
  assert_true(cfg.access_log);
  assert_false(cfg.metrics_remote);
  config_free(&cfg);
}

static void applies_known_keys(void **state) {
  (void)state;
  concerto_config cfg;
  config_defaults(&cfg);
  char err[256];
  assert_true(apply(&cfg,
                    "{\"listen\":\"[::1]:9090\",\"database_url\":\"dbname=x\","
                    "\"threads\":3,\"limits\":{\"max_body_bytes\":2048},"
                    "\"log\":{\"level\":\"warn\",\"access\":false},"
                    "\"modules\":[\"echo\"],\"module_settings\":{\"echo\":{}}}",
                    err));
  assert_string_equal(cfg.listen_host, "::1");
  assert_int_equal(cfg.listen_port, 9090);
  assert_string_equal(cfg.database_url, "dbname=x");
  assert_int_equal(cfg.threads, 3);
  assert_int_equal(cfg.max_body_bytes, 2048);
  assert_int_equal(cfg.log_level, CONCERTO_LOG_WARN);
  assert_false(cfg.access_log);
  assert_int_equal(json_array_size(cfg.modules), 1);
  config_free(&cfg);
}

static void rejects_unknown_and_mistyped(void **state) {
  (void)state;
  concerto_config cfg;
  config_defaults(&cfg);
  char err[256];
  assert_false(apply(&cfg, "{\"lisen\":\"1.2.3.4:1\"}", err));
  assert_non_null(strstr(err, "lisen: unknown key"));
  assert_false(apply(&cfg, "{\"threads\":\"four\"}", err));
  assert_non_null(strstr(err, "threads"));
  assert_false(apply(&cfg, "{\"threads\":0}", err));
  assert_false(apply(&cfg, "{\"limits\":{\"max_body\":1}}", err));
  assert_non_null(strstr(err, "limits.max_body"));
  assert_false(apply(&cfg, "{\"log\":{\"level\":\"loud\"}}", err));
  assert_false(apply(&cfg, "{\"listen\":\"nohost\"}", err));
  assert_false(apply(&cfg, "{\"modules\":[1]}", err));
  assert_non_null(strstr(err, "modules[0]"));
  assert_false(apply(&cfg, "[]", err));
  config_free(&cfg);
}

static void parses_listen(void **state) {
  (void)state;
  char *host;
  unsigned port;
  assert_true(config_parse_listen("0.0.0.0:80", &host, &port));
  assert_string_equal(host, "0.0.0.0");
  assert_int_equal(port, 80);
  free(host);
  assert_false(config_parse_listen(":80", &host, &port));
  assert_false(config_parse_listen("1.2.3.4:", &host, &port));
  assert_false(config_parse_listen("1.2.3.4:70000", &host, &port));
  assert_false(config_parse_listen("[::1:80", &host, &port));
}

static void environment_overrides_file(void **state) {
  (void)state;
  concerto_config cfg;
  config_defaults(&cfg);
  char err[256];
  assert_true(apply(&cfg, "{\"database_url\":\"dbname=file\"}", err));
  setenv("CONCERTO_LISTEN", "127.0.0.2:1234", 1);
  setenv("CONCERTO_DATABASE_URL", "dbname=env", 1);
  assert_true(config_load(&cfg, NULL, err, sizeof err));
  assert_string_equal(cfg.listen_host, "127.0.0.2");
  assert_int_equal(cfg.listen_port, 1234);
  assert_string_equal(cfg.database_url, "dbname=env");
  assert_int_equal(cfg.db_pool_size, cfg.threads);
  setenv("CONCERTO_LISTEN", "bogus", 1);
  assert_false(config_load(&cfg, NULL, err, sizeof err));
  assert_non_null(strstr(err, "CONCERTO_LISTEN"));
  unsetenv("CONCERTO_LISTEN");
  unsetenv("CONCERTO_DATABASE_URL");
  config_free(&cfg);
}

static void missing_database_is_an_error(void **state) {
  (void)state;
  concerto_config cfg;
  config_defaults(&cfg);
  char err[256];
  unsetenv("CONCERTO_DATABASE_URL");
  assert_false(config_load(&cfg, NULL, err, sizeof err));
  assert_non_null(strstr(err, "database_url"));
  assert_false(
      config_load(&cfg, "/nonexistent/concerto.json", err, sizeof err));
  config_free(&cfg);
}

/* The configuration files shipped in config/ must stay loadable. */
static void shipped_files_load(void **state) {
  (void)state;
  const char *files[] = {CONCERTO_SOURCE_DIR "/config/concerto.example.json",
                         CONCERTO_SOURCE_DIR "/config/concerto.dev.json"};
  for (size_t i = 0; i < 2; i++) {
    concerto_config cfg;
    config_defaults(&cfg);
    char err[256] = "";
    setenv("CONCERTO_DATABASE_URL", "dbname=x", 1);
    bool ok = config_load(&cfg, files[i], err, sizeof err);
    if (!ok)
      fprintf(stderr, "%s: %s\n", files[i], err);
    assert_true(ok);
    unsetenv("CONCERTO_DATABASE_URL");
    config_free(&cfg);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(defaults_are_sane),
      cmocka_unit_test(applies_known_keys),
      cmocka_unit_test(rejects_unknown_and_mistyped),
      cmocka_unit_test(parses_listen),
      cmocka_unit_test(environment_overrides_file),
      cmocka_unit_test(missing_database_is_an_error),
      cmocka_unit_test(shipped_files_load),
  };
  return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
