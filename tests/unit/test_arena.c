#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "arena.h"

static void allocates_aligned_and_large(void **state) {
  (void)state;
  arena a;
  arena_init(&a);
  for (int i = 1; i < 500; i++) {
    void *p = arena_alloc(&a, (size_t)i);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    memset(p, 0xab, (size_t)i);
  }
  char *big = arena_alloc(&a, 1 << 20); /* larger than a block */
  assert_non_null(big);
  memset(big, 0, 1 << 20);
  assert_string_equal(arena_printf(&a, "%s-%d", "x", 7), "x-7");
  assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
  assert_null(arena_strdup(&a, NULL));
  assert_null(arena_alloc(&a, SIZE_MAX));
  arena_free(&a);
  assert_int_equal(a.total, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(allocates_aligned_and_large),
  };
  return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
