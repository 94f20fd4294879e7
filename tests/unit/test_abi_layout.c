/* The golden layout of the plugin API: every public struct's field offsets
 * and size as modules already built rely on them (abi_layout.def, generated
 * by abi_layout_gen.sh), and the V1 sizes the core accepts. A change here
 * means modules built earlier would misread the core: append fields in a
 * new ABI minor instead, and regenerate the table deliberately. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "struct_compat.h"

typedef struct layout_pin {
  const char *what;
  size_t actual, expected;
} layout_pin;

#define LAYOUT(type, field, off)                                               \
  {#type "." #field, offsetof(struct type, field), (size_t)(off)},
#define SIZE(type, n) {"sizeof " #type, sizeof(struct type), (size_t)(n)},
static const layout_pin pins[] = {
#include "abi_layout.def"
};
#undef LAYOUT
#undef SIZE

static void every_public_struct_keeps_its_layout(void **state) {
  (void)state;
  if (sizeof(void *) != 8 || sizeof(long) != 8)
    skip(); /* the table is the LP64 layout */
  int wrong = 0;
  for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++)
    if (pins[i].actual != pins[i].expected) {
      fprintf(stderr, "layout changed: %s is %zu, modules expect %zu\n",
              pins[i].what, pins[i].actual, pins[i].expected);
      wrong++;
    }
  assert_int_equal(wrong, 0);
  assert_true(sizeof pins / sizeof pins[0] > 200); /* the table was read */
}

/* What the oldest module of each struct passes: these never change. */
static void v1_sizes_are_fixed(void **state) {
  (void)state;
  if (sizeof(void *) != 8 || sizeof(long) != 8)
    skip();
  const layout_pin v1[] = {
      {"route", ROUTE_SPEC_V1_SIZE, 56},
      {"config", CONFIG_SPEC_V1_SIZE, 56},
      {"tenant setting", TENANT_SETTING_SPEC_V1_SIZE, 72},
      {"blob", BLOB_V1_SIZE, 176},
      {"service", SERVICE_SPEC_V1_SIZE, 40},
      {"service frame", SERVICE_FRAME_V1_SIZE, 56},
      {"role", ROLE_SPEC_V1_SIZE, 44},
      {"rule", RULE_SPEC_V1_SIZE, 56},
      {"lua function", LUA_FUNCTION_SPEC_V1_SIZE, 40},
      {"event spec", EVENT_SPEC_V1_SIZE, 40},
      {"problem", PROBLEM_SPEC_V1_SIZE, 40},
      {"job spec", JOB_SPEC_V1_SIZE, 52},
      {"http call", HTTP_CALL_V1_SIZE, 88},
      {"http reply", HTTP_REPLY_V1_SIZE, 40},
      {"descriptor", DESCRIPTOR_V1_SIZE, 80},
  };
  for (size_t i = 0; i < sizeof v1 / sizeof v1[0]; i++) {
    if (v1[i].actual != v1[i].expected)
      fprintf(stderr, "V1 size of %s is %zu, was %zu\n", v1[i].what,
              v1[i].actual, v1[i].expected);
    assert_int_equal(v1[i].actual, v1[i].expected);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_public_struct_keeps_its_layout),
      cmocka_unit_test(v1_sizes_are_fixed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
