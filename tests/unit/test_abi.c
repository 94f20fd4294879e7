#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "module_registry.h"

static concerto_status dummy_init(const concerto_host *h, concerto_registrar *r,
                                  void **s) {
  (void)h;
  (void)r;
  (void)s;
  return CONCERTO_OK;
}

static concerto_module_descriptor good(void) {
  concerto_module_descriptor d = {sizeof d,
                                  CONCERTO_ABI_MAJOR,
                                  CONCERTO_ABI_MINOR,
                                  CONCERTO_ABI_FINGERPRINT,
                                  CONCERTO_LUA_VERSION_NUM,
                                  "good",
                                  "1.0",
                                  "v",
                                  "d",
                                  NULL,
                                  dummy_init,
                                  NULL,
                                  NULL,
                                  NULL,
                                  NULL};
  return d;
}

static void accepts_matching(void **state) {
  (void)state;
  char err[256];
  concerto_module_descriptor d = good();
  assert_true(abi_check(&d, err, sizeof err));
  if (CONCERTO_ABI_MINOR > 0) {
    d.abi_minor = CONCERTO_ABI_MINOR - 1; /* older minor: still fine */
    assert_true(abi_check(&d, err, sizeof err));
  }
}

static void refuses_other_major_naming_both(void **state) {
  (void)state;
  char err[256];
  concerto_module_descriptor d = good();
  d.abi_major = CONCERTO_ABI_MAJOR + 1;
  assert_false(abi_check(&d, err, sizeof err));
  char want[64];
  snprintf(want, sizeof want, "built for plugin ABI %d.",
           CONCERTO_ABI_MAJOR + 1);
  assert_non_null(strstr(err, want));
  snprintf(want, sizeof want, "this core speaks %d.%d", CONCERTO_ABI_MAJOR,
           CONCERTO_ABI_MINOR);
  assert_non_null(strstr(err, want));
}

static void refuses_newer_minor(void **state) {
  (void)state;
  char err[256];
  concerto_module_descriptor d = good();
  d.abi_minor = CONCERTO_ABI_MINOR + 1;
  assert_false(abi_check(&d, err, sizeof err));
  assert_non_null(strstr(err, "newer core"));
}

static void refuses_fingerprint_lua_and_fields(void **state) {
  (void)state;
  char err[256];
  concerto_module_descriptor d = good();
  d.fingerprint ^= 1;
  assert_false(abi_check(&d, err, sizeof err));
  assert_non_null(strstr(err, "fingerprint"));
  d = good();
  d.lua_version = 503;
  assert_false(abi_check(&d, err, sizeof err));
  assert_non_null(strstr(err, "Lua 503"));
  d = good();
  d.struct_size = 8;
  assert_false(abi_check(&d, err, sizeof err));
  d = good();
  d.name = "Bad-Name";
  assert_false(abi_check(&d, err, sizeof err));
  d = good();
  d.init = NULL;
  assert_false(abi_check(&d, err, sizeof err));
  assert_false(abi_check(NULL, err, sizeof err));
}

static void module_names(void **state) {
  (void)state;
  assert_true(module_name_valid("teleconsult"));
  assert_true(module_name_valid("ris_pacs2"));
  assert_false(module_name_valid("2fa"));
  assert_false(module_name_valid("Tele"));
  assert_false(module_name_valid(""));
  assert_false(module_name_valid("a-b"));
  assert_false(module_name_valid("abcdefghijklmnopqrstuvwxyzabcdefg")); /* 33 */
}

static module_rec *rec(const char *name, const char *dep) {
  module_rec *m = calloc(1, sizeof *m);
  m->name = strdup(name);
  m->depends = calloc(2, sizeof(char *));
  if (dep)
    m->depends[0] = strdup(dep);
  return m;
}

static void rec_free_test(module_rec *m) {
  free(m->name);
  free(m->depends[0]);
  free(m->depends);
  free(m->reason);
  free(m);
}

static void orders_by_dependency(void **state) {
  (void)state;
  module_rec *mods[5] = {rec("c", "b"), rec("b", "a"), rec("a", NULL),
                         rec("x", "nowhere"), rec("y", "x")};
  module_order_by_dependency(mods, 5);
  assert_string_equal(mods[0]->name, "a");
  assert_string_equal(mods[1]->name, "b");
  assert_string_equal(mods[2]->name, "c");
  /* x misses its dependency, y depends on refused x: both refused, last. */
  for (int i = 3; i < 5; i++) {
    assert_int_equal(mods[i]->status, MODULE_REFUSED);
    assert_non_null(mods[i]->reason);
  }
  for (int i = 0; i < 5; i++)
    rec_free_test(mods[i]);
}

static void refuses_cycles(void **state) {
  (void)state;
  module_rec *mods[3] = {rec("p", "q"), rec("q", "p"), rec("r", NULL)};
  module_order_by_dependency(mods, 3);
  assert_string_equal(mods[0]->name, "r");
  assert_int_equal(mods[1]->status, MODULE_REFUSED);
  assert_int_equal(mods[2]->status, MODULE_REFUSED);
  assert_non_null(strstr(mods[1]->reason, "cycle"));
  for (int i = 0; i < 3; i++)
    rec_free_test(mods[i]);
}

static void host_table_grows_only(void **state) {
  (void)state;
  const concerto_host *h = host_table();
  assert_int_equal(h->size, sizeof(concerto_host));
  assert_int_equal(h->abi_major, CONCERTO_ABI_MAJOR);
  assert_true(CONCERTO_HOST_HAS(h, result_value));
  assert_true(CONCERTO_HOST_HAS(h, register_route));
  /* A core that predates a field reports it absent. */
  concerto_host older = *h;
  older.size = (uint32_t)offsetof(concerto_host, db_query);
  assert_false(CONCERTO_HOST_HAS(&older, db_query));
  assert_true(CONCERTO_HOST_HAS(&older, respond_problem));
  /* Registration outside init is refused. */
  module_rec m = {0};
  m.name = "late";
  concerto_registrar reg = {NULL, &m, NULL};
  concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
  spec.method = "GET";
  spec.path = "/api/v1/late/x";
  assert_int_equal(h->register_route(&reg, &spec), CONCERTO_ERR_REG_CLOSED);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accepts_matching),
      cmocka_unit_test(refuses_other_major_naming_both),
      cmocka_unit_test(refuses_newer_minor),
      cmocka_unit_test(refuses_fingerprint_lua_and_fields),
      cmocka_unit_test(module_names),
      cmocka_unit_test(orders_by_dependency),
      cmocka_unit_test(refuses_cycles),
      cmocka_unit_test(host_table_grows_only),
  };
  return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
