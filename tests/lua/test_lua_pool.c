/* The pool: one box per thread per script set, reused; a new version of a
 * hospital's set replaces the old box on each thread the next time that
 * thread asks; a thread's boxes go when it exits; exhausted boxes reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_pool.h"
#include "lua_test_util.h"

static atomic_int loads, frees;

/* Loads a set whose rules report the set key they were loaded for. */
static lua_box *load_set(void *ud, const char *set_key, void **data, char *err,
                         size_t errlen) {
  (void)ud;
  if (strncmp(set_key, "BROKEN", 6) == 0) {
    snprintf(err, errlen, "no such set");
    return NULL;
  }
  lua_box *b = lua_box_new(&LUA_TEST_LIMITS, NULL, NULL, err, errlen);
  if (!b)
    return NULL;
  char src[256];
  snprintf(src, sizeof src,
           "return { key = function() return '%s' end,\n"
           "  fill = function() keep = {} for i = 1, 1e8 do\n"
           "    keep[i] = ('x'):rep(100000) .. i end end }",
           set_key);
  if (!lua_box_load(b, "rules", "rules.lua", src, strlen(src), err, errlen)) {
    lua_box_free(b);
    return NULL;
  }
  atomic_fetch_add(&loads, 1);
  *data = strdup(set_key);
  return b;
}

static void free_data(void *data) {
  atomic_fetch_add(&frees, 1);
  free(data);
}

static const char *key_of(lua_box *b) {
  static _Thread_local char buf[64];
  json_t *out = NULL;
  char err[256];
  if (lua_box_call(b, "rules", "key", NULL, &out, err, sizeof err) !=
      LUA_BOX_OK)
    return "?";
  snprintf(buf, sizeof buf, "%s", json_string_value(out));
  json_decref(out);
  return buf;
}

static void reuses_and_swaps_versions(void **state) {
  (void)state;
  atomic_store(&loads, 0);
  atomic_store(&frees, 0);
  lua_pool *p = lua_pool_new(2, free_data);
  char err[256];
  void *data;
  lua_box *a =
      lua_pool_get(p, "AOUP-PA@17", load_set, NULL, &data, err, sizeof err);
  assert_non_null(a);
  assert_string_equal(data, "AOUP-PA@17");
  assert_ptr_equal(
      lua_pool_get(p, "AOUP-PA@17", load_set, NULL, &data, err, sizeof err), a);
  assert_int_equal(atomic_load(&loads), 1);
  /* A new version of the same hospital replaces the old box. */
  lua_box *a2 =
      lua_pool_get(p, "AOUP-PA@18", load_set, NULL, &data, err, sizeof err);
  assert_string_equal(key_of(a2), "AOUP-PA@18");
  assert_int_equal(atomic_load(&loads), 2);
  assert_int_equal(atomic_load(&frees), 1);
  /* Other hospitals are kept side by side, up to the per-thread bound. */
  lua_box *m =
      lua_pool_get(p, "IRCCS-ME@3", load_set, NULL, &data, err, sizeof err);
  assert_string_equal(key_of(m), "IRCCS-ME@3");
  assert_ptr_equal(
      lua_pool_get(p, "AOUP-PA@18", load_set, NULL, &data, err, sizeof err),
      a2);
  /* A third hospital evicts the least recently used (IRCCS-ME). */
  assert_non_null(
      lua_pool_get(p, "ASP-AG@1", load_set, NULL, &data, err, sizeof err));
  assert_int_equal(atomic_load(&frees), 2);
  assert_ptr_equal(
      lua_pool_get(p, "AOUP-PA@18", load_set, NULL, &data, err, sizeof err),
      a2);
  /* A failed load caches nothing and says why. */
  assert_null(
      lua_pool_get(p, "BROKEN@1", load_set, NULL, &data, err, sizeof err));
  assert_string_equal(err, "no such set");
  /* A box its scripts filled up is reloaded on the next get. */
  json_t *out = NULL;
  assert_int_equal(
      lua_box_call(a2, "rules", "fill", NULL, &out, err, sizeof err),
      LUA_BOX_LIMIT);
  assert_true(lua_box_exhausted(a2));
  lua_box *fresh =
      lua_pool_get(p, "AOUP-PA@18", load_set, NULL, &data, err, sizeof err);
  assert_false(lua_box_exhausted(fresh));
  assert_string_equal(key_of(fresh), "AOUP-PA@18");
  lua_pool_free(p);
  assert_int_equal(atomic_load(&frees), atomic_load(&loads));
}

typedef struct worker_args {
  lua_pool *pool;
  lua_box *seen[2];
  const char *key;
} worker_args;

static void *worker(void *arg) {
  worker_args *w = arg;
  char err[256];
  void *data;
  for (int i = 0; i < 2; i++) {
    w->seen[i] =
        lua_pool_get(w->pool, w->key, load_set, NULL, &data, err, sizeof err);
    if (strcmp(key_of(w->seen[i]), w->key) != 0)
      w->seen[i] = NULL;
  }
  return NULL;
}

static void one_box_per_thread(void **state) {
  (void)state;
  atomic_store(&loads, 0);
  atomic_store(&frees, 0);
  lua_pool *p = lua_pool_new(0, free_data);
  worker_args w[4];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker_args){p, {NULL, NULL}, i < 2 ? "ASP-AG@5" : "ASP-AG@6"};
    pthread_create(&t[i], NULL, worker, &w[i]);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++) {
    assert_non_null(w[i].seen[0]);
    /* Reused within the thread... */
    assert_ptr_equal(w[i].seen[0], w[i].seen[1]);
  }
  /* ...loaded once per thread, and freed when each thread ended, while
   * threads on the old and the new version ran side by side. */
  assert_int_equal(atomic_load(&loads), 4);
  assert_int_equal(atomic_load(&frees), 4);
  lua_pool_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reuses_and_swaps_versions),
      cmocka_unit_test(one_box_per_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
