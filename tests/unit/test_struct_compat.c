/* Size-prefixed structs read by their size (struct_compat.c), and the
 * registrations of the real host table taking a module's struct of an
 * older size (defaults for the rest), of a newer size (the unknown tail
 * unread) and refusing one smaller than the struct's first version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "module_registry.h"
#include "struct_compat.h"

typedef struct two {
  uint32_t size;
  uint32_t a;
  uint64_t b; /* "appended later" */
} two;

static void import_defaults_what_the_size_misses(void **state) {
  (void)state;
  two old = {offsetof(two, b), 7, 0xdeadbeef};
  two got;
  memset(&got, 0xaa, sizeof got);
  assert_ptr_equal(STRUCT_IMPORT(&got, &old, offsetof(two, b)), &got);
  assert_int_equal(got.a, 7);
  assert_int_equal(got.b, 0); /* not covered: zero, not the caller's byte */
  assert_int_equal(got.size, offsetof(two, b));
}

static void import_refuses_below_v1_and_null(void **state) {
  (void)state;
  two small = {offsetof(two, a), 7, 9}, got = {0, 1, 2};
  assert_null(STRUCT_IMPORT(&got, &small, offsetof(two, b)));
  assert_int_equal(got.a, 1); /* untouched */
  assert_null(STRUCT_IMPORT(&got, (const two *)NULL, 4));
}

static void import_ignores_a_newer_tail(void **state) {
  (void)state;
  struct {
    two t;
    unsigned char tail[16];
  } newer;
  memset(&newer, 0xff, sizeof newer);
  newer.t.size = sizeof newer;
  newer.t.a = 3;
  two got;
  assert_non_null(STRUCT_IMPORT(&got, &newer.t, offsetof(two, b)));
  assert_int_equal(got.a, 3);
  assert_int_equal(got.size, sizeof(two));
}

static void export_fills_only_what_the_caller_has(void **state) {
  (void)state;
  two full = {sizeof(two), 5, 6};
  two old = {offsetof(two, b), 0, 42};
  struct_export(&old, &full, sizeof full);
  assert_int_equal(old.size, offsetof(two, b)); /* never the size */
  assert_int_equal(old.a, 5);
  assert_int_equal(old.b, 42); /* beyond the caller's struct: untouched */
}

/* --- through the host table --- */

static module_registry *registry_of_one(const char *name) {
  module_registry *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->mods = calloc(1, sizeof *r->mods);
  module_rec *m = calloc(1, sizeof *m);
  assert_non_null(r->mods);
  assert_non_null(m);
  m->name = strdup(name);
  m->registering = true;
  r->mods[0] = m;
  r->count = 1;
  return r;
}

static concerto_status handler(concerto_request *req, void *ud) {
  (void)req;
  (void)ud;
  return CONCERTO_OK;
}

static void route_of_v1_size_gets_defaults(void **state) {
  (void)state;
  module_registry *r = registry_of_one("old");
  concerto_registrar reg = {NULL, r->mods[0], r};
  const concerto_host *h = host_table();
  /* A 1.0 module's struct ends before auth; what follows in its memory is
   * whatever, here an auth mode that would be refused if it were read. */
  concerto_route_spec spec;
  memset(&spec, 0xff, sizeof spec);
  spec.size = (uint32_t)ROUTE_SPEC_V1_SIZE;
  spec.method = "GET";
  spec.path = "/api/v1/old/x";
  spec.required_role = "clinician";
  spec.flags = 0;
  spec.handler = handler;
  spec.userdata = NULL;
  assert_int_equal(h->register_route(&reg, &spec), CONCERTO_OK);
  module_rec *m = r->mods[0];
  assert_int_equal(m->nroutes, 1);
  assert_int_equal(m->routes[0].auth, CONCERTO_AUTH_DEFAULT);
  assert_null(m->routes[0].summary);
  assert_string_equal(m->routes[0].required_role, "clinician");

  spec.size = (uint32_t)ROUTE_SPEC_V1_SIZE - 1;
  spec.path = "/api/v1/old/y";
  assert_int_equal(h->register_route(&reg, &spec), CONCERTO_ERR_REG_INVALID);
  assert_int_equal(m->nroutes, 1);

  /* A module of a later minor: the tail this core does not know is not
   * read, the fields it knows are. */
  struct {
    concerto_route_spec s;
    unsigned char later[24];
  } newer;
  memset(&newer, 0xff, sizeof newer);
  newer.s = (concerto_route_spec)CONCERTO_ROUTE_SPEC_INIT_V1;
  newer.s.size = sizeof newer;
  newer.s.method = "POST";
  newer.s.path = "/api/v1/old/z";
  newer.s.handler = handler;
  newer.s.summary = "Later";
  assert_int_equal(h->register_route(&reg, &newer.s), CONCERTO_OK);
  assert_string_equal(m->routes[1].summary, "Later");
  module_registry_free(r);
}

static concerto_status lookup(concerto_request *req, const json_t *args,
                              json_t **result, void *ud) {
  (void)req;
  (void)args;
  (void)ud;
  *result = NULL;
  return CONCERTO_OK;
}

/* Registers `spec` (a struct of `type` whose V1 size is `v1`) at size v1-1
 * (refused), v1 (accepted) and, renamed, at a newer size (accepted). */
#define OLD_NEW_REFUSED(type, v1, call, rename)                                \
  do {                                                                         \
    struct {                                                                   \
      type s;                                                                  \
      unsigned char later[16];                                                 \
    } big;                                                                     \
    memset(big.later, 0xff, sizeof big.later);                                 \
    big.s = spec;                                                              \
    big.s.size = (uint32_t)(v1)-1;                                             \
    assert_int_equal(h->call(&reg, &big.s), CONCERTO_ERR_REG_INVALID);         \
    big.s.size = (uint32_t)(v1);                                               \
    assert_int_equal(h->call(&reg, &big.s), CONCERTO_OK);                      \
    big.s.size = sizeof big;                                                   \
    rename;                                                                    \
    assert_int_equal(h->call(&reg, &big.s), CONCERTO_OK);                      \
  } while (0)

static void every_spec_takes_v1_and_newer_refuses_smaller(void **state) {
  (void)state;
  module_registry *r = registry_of_one("old");
  concerto_registrar reg = {NULL, r->mods[0], r};
  const concerto_host *h = host_table();
  {
    concerto_config_spec spec = CONCERTO_CONFIG_SPEC_INIT_V1;
    spec.key = "colour";
    spec.default_value = "blue";
    OLD_NEW_REFUSED(concerto_config_spec, CONFIG_SPEC_V1_SIZE, register_config,
                    big.s.key = "shade");
    assert_int_equal(r->mods[0]->nkeys, 2);
  }
  {
    concerto_tenant_setting_spec spec = CONCERTO_TENANT_SETTING_SPEC_INIT_V1;
    spec.key = "limit";
    spec.type = CONCERTO_CONFIG_INT;
    spec.max = 10;
    spec.label_it = "Limite";
    spec.label_en = "Limit";
    OLD_NEW_REFUSED(concerto_tenant_setting_spec, TENANT_SETTING_SPEC_V1_SIZE,
                    register_tenant_setting, big.s.key = "ceiling");
    assert_int_equal(r->mods[0]->ntsettings, 2);
  }
  {
    concerto_event_spec spec = CONCERTO_EVENT_SPEC_INIT_V1;
    spec.name = "old.happened";
    spec.version = 1;
    OLD_NEW_REFUSED(concerto_event_spec, EVENT_SPEC_V1_SIZE, register_event,
                    big.s.version = 2);
  }
  {
    concerto_problem_spec spec = CONCERTO_PROBLEM_SPEC_INIT_V1;
    spec.code = "old_broken";
    spec.http_status = 409;
    spec.title = "Broken";
    spec.when = "When it is";
    OLD_NEW_REFUSED(concerto_problem_spec, PROBLEM_SPEC_V1_SIZE,
                    register_problem, big.s.code = "old_cracked");
  }
  {
    static const int table = 1;
    concerto_service_spec spec = CONCERTO_SERVICE_SPEC_INIT_V1;
    spec.name = "old";
    spec.version = 1;
    spec.vtable = &table;
    spec.vtable_size = sizeof table;
    OLD_NEW_REFUSED(concerto_service_spec, SERVICE_SPEC_V1_SIZE,
                    register_service, big.s.version = 2);
    assert_int_equal(r->mods[0]->nservices, 2);
  }
  {
    concerto_role_spec spec = CONCERTO_ROLE_SPEC_INIT_V1;
    spec.name = "archivist";
    spec.label_it = "Archivista";
    spec.label_en = "Archivist";
    OLD_NEW_REFUSED(concerto_role_spec, ROLE_SPEC_V1_SIZE, register_role,
                    big.s.name = "curator");
  }
  {
    concerto_rule_spec spec = CONCERTO_RULE_SPEC_INIT_V1;
    spec.name = "old_route";
    spec.default_decision = "{\"to\":\"x\"}";
    spec.sample_input = "{}";
    OLD_NEW_REFUSED(concerto_rule_spec, RULE_SPEC_V1_SIZE, register_rule,
                    big.s.name = "old_route2");
  }
  {
    concerto_lua_function_spec spec = CONCERTO_LUA_FUNCTION_SPEC_INIT_V1;
    spec.name = "lookup";
    spec.fn = lookup;
    OLD_NEW_REFUSED(concerto_lua_function_spec, LUA_FUNCTION_SPEC_V1_SIZE,
                    register_lua_function, big.s.name = "lookup2");
  }
  module_registry_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(import_defaults_what_the_size_misses),
      cmocka_unit_test(import_refuses_below_v1_and_null),
      cmocka_unit_test(import_ignores_a_newer_tail),
      cmocka_unit_test(export_fills_only_what_the_caller_has),
      cmocka_unit_test(route_of_v1_size_gets_defaults),
      cmocka_unit_test(every_spec_takes_v1_and_newer_refuses_smaller),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
