/* Test modules the core must refuse (or mark failed) without going down.
 * Built once per case with -DCASE_<NAME>; MODULE_NAME names the .so. */
#include <concerto/concerto.h>

#include <stddef.h>

static concerto_status hello(concerto_request *req, void *ud) {
  (void)ud;
  return concerto_reply_json(req, 200,
                             json_pack("{s:s}", "hello", MODULE_NAME));
}

__attribute__((unused)) static concerto_status
add_route(const concerto_host *host, concerto_registrar *reg,
          const char *path) {
  concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
  spec.method = "GET";
  spec.path = path;
  spec.handler = hello;
  return host->register_route(reg, &spec);
}

static concerto_status init(const concerto_host *host, concerto_registrar *reg,
                            void **state) {
  (void)state;
#if defined(CASE_INIT_FAILS)
  (void)host;
  (void)reg;
  return CONCERTO_ERR_INTERNAL;
#elif defined(CASE_INIT_CRASH)
  (void)host;
  (void)reg;
  volatile int *nowhere = NULL;
  *nowhere = 42; /* SIGSEGV: the probe process dies, not the server */
  return CONCERTO_OK;
#elif defined(CASE_DUP_ROUTE)
  add_route(host, reg, "/api/v1/" MODULE_NAME "/hello");
  add_route(host, reg, "/api/v1/" MODULE_NAME "/hello");
  return CONCERTO_OK;
#elif defined(CASE_OUTSIDE)
  return add_route(host, reg, "/api/v1/echo/params/{a}/{b}");
#elif defined(CASE_PROBLEM_CLASH)
  /* not_found is the core's, with status 404: one code, one meaning. */
  static const concerto_problem_spec clash = {sizeof clash, "not_found", 400,
                                              "Not found", "never"};
  if (host->register_problem(reg, &clash) != CONCERTO_OK)
    return CONCERTO_ERR_INTERNAL;
  return add_route(host, reg, "/api/v1/" MODULE_NAME "/hello");
#elif defined(CASE_MIGRATION_FAILS)
  /* Its second migration fails: refused, like a failing init. */
  if (add_route(host, reg, "/api/v1/" MODULE_NAME "/hello") != CONCERTO_OK)
    return CONCERTO_ERR_INTERNAL;
  return host->register_migrations(reg, "sql");
#elif defined(CASE_UNDECLARED_ROLE)
  /* A module of ABI 1.10 must declare the roles its routes require. */
  concerto_route_spec spec = CONCERTO_ROUTE_SPEC_INIT_V1;
  spec.method = "GET";
  spec.path = "/api/v1/" MODULE_NAME "/hello";
  spec.required_role = "authenticated_typo";
  spec.handler = hello;
  return host->register_route(reg, &spec);
#else
  return add_route(host, reg, "/api/v1/" MODULE_NAME "/hello");
#endif
}

#if defined(CASE_START_FAILS)
static concerto_status start(void *state) {
  (void)state;
  return CONCERTO_ERR_DB_UNAVAILABLE;
}
#else
#define start NULL
#endif

#if defined(CASE_ORPHAN)
static const char *const deps[] = {"missing_module", NULL};
#elif defined(CASE_AFTER_MIGRATION)
static const char *const deps[] = {"migration_fails", NULL};
#else
#define deps NULL
#endif

#if defined(CASE_BAD_MAJOR) || defined(CASE_NEWER_MINOR) ||                    \
    defined(CASE_BAD_FINGERPRINT)
/* Hand-written descriptor with wrong compatibility fields. */
CONCERTO_HIDDEN const concerto_host *concerto_module_host = NULL;
static const concerto_module_descriptor descriptor = {
    sizeof(concerto_module_descriptor),
#if defined(CASE_BAD_MAJOR)
    CONCERTO_ABI_MAJOR + 1,
    0,
#elif defined(CASE_NEWER_MINOR)
    CONCERTO_ABI_MAJOR,
    CONCERTO_ABI_MINOR + 1,
#else
    CONCERTO_ABI_MAJOR,
    CONCERTO_ABI_MINOR,
#endif
#if defined(CASE_BAD_FINGERPRINT)
    CONCERTO_ABI_FINGERPRINT ^ 0x04000000u,
#else
    CONCERTO_ABI_FINGERPRINT,
#endif
    CONCERTO_LUA_VERSION_NUM,
    MODULE_NAME,
    "1.0.0",
    "Concerto tests",
    "must be refused",
    NULL,
    init,
    NULL,
    NULL,
    NULL,
    NULL};
CONCERTO_EXPORT const concerto_module_descriptor *
concerto_module_descriptor_v(void);
CONCERTO_EXPORT const concerto_module_descriptor *
concerto_module_descriptor_v(void) {
  return &descriptor;
}
#else
CONCERTO_MODULE(MODULE_NAME, "1.0.0", "Concerto tests", "refusal case", deps,
                init, start, NULL)
#endif
