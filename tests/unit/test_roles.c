/* The roles registry (core/identity/roles.c): what a declaration must
 * carry, one role shared by several modules, pseudo-roles never grantable,
 * and the patient-care flag the "patient_care" requirement reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "roles.h"

static concerto_role_spec spec(const char *name, uint32_t flags) {
  concerto_role_spec s = CONCERTO_ROLE_SPEC_INIT_V1;
  s.name = name;
  s.label_it = "Etichetta";
  s.label_en = "Label";
  s.description = "A test role.";
  s.flags = flags;
  return s;
}

static void core_roles_are_declared(void **state) {
  (void)state;
  role_registry *r = roles_new();
  assert_true(roles_add_core(r));
  const role_def *admin = roles_find(r, "hospital_admin");
  assert_non_null(admin);
  assert_string_equal(admin->owners, "core");
  assert_true(admin->registered);
  assert_non_null(roles_find(r, "privacy_officer"));
  const role_def *help = roles_find(r, "helpdesk");
  assert_true(help->flags & CONCERTO_ROLE_PATIENT_CARE);
  /* Module roles are the modules' own. */
  assert_null(roles_find(r, "specialist"));
  assert_null(roles_find(r, "radiologist"));
  roles_free(r);
}

static void malformed_declarations_are_refused(void **state) {
  (void)state;
  role_registry *r = roles_new();
  concerto_role_spec s = spec("Specialist", 0);
  assert_int_equal(roles_add(r, "m", &s), CONCERTO_ERR_REG_INVALID);
  s = spec("x", 0); /* too short */
  assert_int_equal(roles_add(r, "m", &s), CONCERTO_ERR_REG_INVALID);
  s = spec("patient_care", 0); /* a pseudo-role */
  assert_int_equal(roles_add(r, "m", &s), CONCERTO_ERR_REG_INVALID);
  s = spec("authenticated", 0);
  assert_int_equal(roles_add(r, "m", &s), CONCERTO_ERR_REG_INVALID);
  s = spec("signer", 0);
  s.label_en = NULL;
  assert_int_equal(roles_add(r, "m", &s), CONCERTO_ERR_REG_INVALID);
  s = spec("signer", 0);
  s.label_it = "due\nrighe";
  assert_int_equal(roles_add(r, "m", &s), CONCERTO_ERR_REG_INVALID);
  s = spec("signer", 0x80u); /* an unknown flag */
  assert_int_equal(roles_add(r, "m", &s), CONCERTO_ERR_REG_INVALID);
  s = spec("signer", 0);
  s.size = 8; /* shorter than any version of the struct */
  assert_int_equal(roles_add(r, "m", &s), CONCERTO_ERR_REG_INVALID);
  assert_int_equal(roles_count(r), 0);
  roles_free(r);
}

static void one_role_shared_by_two_modules(void **state) {
  (void)state;
  role_registry *r = roles_new();
  concerto_role_spec a = spec("specialist", 0);
  a.label_it = "Specialista";
  assert_int_equal(roles_add(r, "teleconsult", &a), CONCERTO_OK);
  concerto_role_spec b = spec("specialist", CONCERTO_ROLE_PATIENT_CARE);
  b.label_it = "Medico specialista";
  assert_int_equal(roles_add(r, "televisit", &b), CONCERTO_OK);
  /* The same module twice is a mistake. */
  assert_int_equal(roles_add(r, "televisit", &b), CONCERTO_ERR_REG_DUPLICATE);
  assert_int_equal(roles_count(r), 1);
  const role_def *d = roles_find(r, "specialist");
  assert_string_equal(d->label_it, "Specialista"); /* the first one's */
  assert_string_equal(d->owners, "teleconsult, televisit");
  assert_true(d->flags & CONCERTO_ROLE_PATIENT_CARE); /* the union */
  roles_free(r);
}

static void patient_care_reads_the_flag(void **state) {
  (void)state;
  role_registry *r = roles_new();
  assert_true(roles_add_core(r));
  const char *it[] = {"hospital_it"};
  const char *mixed[] = {"hospital_it", "helpdesk"};
  const char *unknown[] = {"nobody_knows"};
  assert_false(roles_any_with(r, it, 1, CONCERTO_ROLE_PATIENT_CARE));
  assert_true(roles_any_with(r, mixed, 2, CONCERTO_ROLE_PATIENT_CARE));
  assert_false(roles_any_with(r, unknown, 1, CONCERTO_ROLE_PATIENT_CARE));
  assert_false(roles_any_with(r, mixed, 0, CONCERTO_ROLE_PATIENT_CARE));
  roles_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(core_roles_are_declared),
      cmocka_unit_test(malformed_declarations_are_refused),
      cmocka_unit_test(one_role_shared_by_two_modules),
      cmocka_unit_test(patient_care_reads_the_flag),
  };
  return cmocka_run_group_tests_name("roles", tests, NULL, NULL);
}
