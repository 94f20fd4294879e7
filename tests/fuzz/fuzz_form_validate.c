/* libFuzzer: arbitrary JSON submissions against a real 40-field form in the
 * Lua sandbox (the validation code is ours: types, bounds, patterns,
 * choices, visibility, computed fields). Must never crash, leak or break
 * the box: after each input a known-good submission still validates. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_box.h"
#include "lua_form.h"

static lua_box *box;
static lua_form *form;

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = calloc(1, 1 << 20);
  if (buf)
    fread(buf, 1, (1 << 20) - 1, f);
  fclose(f);
  return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char err[512];
  lua_limits lim = LUA_LIMITS_DEFAULT;
  lim.wall_ms = 5000; /* instruction budget only: fuzzing machines are busy */
  box = lua_box_new(&lim, NULL, NULL, err, sizeof err);
  char *src = slurp(FORM40_PATH);
  json_t *problems = NULL;
  if (!box || !src ||
      !lua_form_load(box, "form40.lua", src, strlen(src), &form, &problems, err,
                     sizeof err)) {
    fprintf(stderr, "cannot load the form: %s\n", err);
    abort();
  }
  free(src);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *submission = json_loadb((const char *)data, size, 0, NULL);
  if (!json_is_object(submission)) {
    json_decref(submission);
    return 0;
  }
  char err[512];
  json_t *normalized = NULL;
  json_t *errors =
      lua_form_validate(box, form, submission, &normalized, err, sizeof err);
  json_decref(errors);
  json_decref(normalized);
  /* The live evaluation walks the same run and lists what is visible. */
  json_decref(lua_form_evaluate(box, form, submission, err, sizeof err));
  json_decref(submission);
  return 0;
}
