/* Benchmark (not a test): validating a 40-field form submission on a
 * preloaded box, with the sandbox's count hook on (production limits) and
 * on a box without hooks, in the same run. Issue 4 target: < 20 us per
 * call with the sandbox on.
 *
 *   build-lua/tests/lua/lua_forms_bench [iterations]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lua_form.h"
#include "lua_test_util.h"

#define FIXTURES CONCERTO_SOURCE_DIR "/tests/lua/fixtures"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct setup {
  lua_box *box;
  lua_form *form;
} setup;

static int prepare(setup *s, const lua_limits *lim, const char *src,
                   size_t len) {
  char err[512];
  s->box = lua_box_new(lim, NULL, NULL, err, sizeof err);
  json_t *problems = NULL;
  if (!s->box || !lua_form_load(s->box, "form40.lua", src, len, &s->form,
                                &problems, err, sizeof err)) {
    fprintf(stderr, "cannot load the form: %s\n", err);
    return -1;
  }
  return 0;
}

/* ns per validation over n calls. */
static double run(setup *s, const json_t *submission, long n) {
  char err[512];
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    json_t *norm = NULL;
    json_t *errors =
        lua_form_validate(s->box, s->form, submission, &norm, err, sizeof err);
    if (!errors || json_array_size(errors) != 0) {
      fprintf(stderr, "validation failed: %s\n", errors ? "errors" : err);
      exit(1);
    }
    json_decref(errors);
    json_decref(norm);
  }
  return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  size_t len = 0;
  char *src = lua_test_read(FIXTURES "/form40.lua", &len);
  json_t *submission =
      json_load_file(FIXTURES "/form40_submission.json", 0, NULL);
  if (!src || !submission || n <= 0) {
    fprintf(stderr, "usage: %s [iterations] (fixtures in %s)\n", argv[0],
            FIXTURES);
    return 2;
  }
  setup hooked, bare;
  lua_limits sandbox = LUA_LIMITS_DEFAULT;
  lua_limits no_hook = {8u << 20, 0, 0}; /* memory cap only: no hook */
  if (prepare(&hooked, &sandbox, src, len) ||
      prepare(&bare, &no_hook, src, len))
    return 1;
  /* Warm up both, then alternate rounds so drift hits both alike. */
  run(&hooked, submission, n / 10 + 1);
  run(&bare, submission, n / 10 + 1);
  double with = 0, without = 0;
  for (int round = 0; round < 5; round++) {
    with += run(&hooked, submission, n / 5 + 1);
    without += run(&bare, submission, n / 5 + 1);
  }
  with /= 5;
  without /= 5;
  printf("40-field validation, %ld calls each\n", n);
  printf("  sandbox on (hook every 1000 instr, 1e6 budget, 50 ms): %8.0f "
         "ns/call\n",
         with);
  printf("  no hook (memory cap only):                             %8.0f "
         "ns/call\n",
         without);
  printf("  hook overhead: %+.1f %%   target < 20000 ns: %s\n",
         (with / without - 1.0) * 100.0, with < 20000 ? "met" : "MISSED");
  lua_form_free(hooked.form);
  lua_form_free(bare.form);
  lua_box_free(hooked.box);
  lua_box_free(bare.box);
  json_decref(submission);
  free(src);
  return 0;
}
