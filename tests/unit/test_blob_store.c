/* The blob store's files: content-addressed layout, identical content kept
 * once, temp files gone after commit or free, stale temp files swept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "blob_store.h"
#include "sha256.h"
#include "sniff.h"

static char root[64];

static int setup(void **state) {
  (void)state;
  snprintf(root, sizeof root, "/tmp/concerto-blob-XXXXXX");
  if (!mkdtemp(root))
    return -1;
  strcat(root, "/nested/blobs"); /* created on demand */
  return 0;
}

static int tmp_files(void) {
  char dir[128];
  snprintf(dir, sizeof dir, "%s/tmp", root);
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static blob_info write_blob(const void *data, size_t len, size_t chunk) {
  blob_writer *w = blob_writer_open(root);
  assert_non_null(w);
  for (size_t off = 0; off < len; off += chunk)
    assert_true(blob_writer_write(w, (const char *)data + off,
                                  len - off < chunk ? len - off : chunk));
  assert_int_equal(blob_writer_length(w), len);
  blob_info info;
  assert_true(blob_writer_commit(w, &info));
  blob_writer_free(w);
  return info;
}

static void stores_by_hash_once(void **state) {
  (void)state;
  size_t len = 100000;
  unsigned char *data = malloc(len);
  memcpy(data, "%PDF-1.7\n", 9);
  for (size_t i = 9; i < len; i++)
    data[i] = (unsigned char)(i * 31);
  char want[65];
  assert_true(sha256_hex(data, len, want));
  blob_info a = write_blob(data, len, 4000);
  assert_string_equal(a.sha256, want);
  assert_int_equal(a.length, len);
  assert_string_equal(a.content_type, SNIFF_PDF);
  char path[256];
  snprintf(path, sizeof path, "%s/%.2s/%.2s/%s", root, want, want + 2, want);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_size, (off_t)len);
  /* The same bytes again, in other chunks: one file, no temp left. */
  blob_info b = write_blob(data, len, 777);
  assert_string_equal(b.sha256, want);
  assert_int_equal(tmp_files(), 0);
  int fd = blob_store_open(root, want);
  assert_true(fd >= 0);
  close(fd);
  free(data);
}

static void free_without_commit_deletes(void **state) {
  (void)state;
  blob_writer *w = blob_writer_open(root);
  assert_non_null(w);
  assert_true(blob_writer_write(w, "abc", 3));
  assert_int_equal(tmp_files(), 1);
  blob_writer_free(w);
  assert_int_equal(tmp_files(), 0);
  blob_writer_free(NULL);
}

static void hashes_are_checked(void **state) {
  (void)state;
  assert_false(blob_sha256_valid(NULL));
  assert_false(blob_sha256_valid(""));
  assert_false(blob_sha256_valid("../../etc/passwd"));
  char s[66];
  memset(s, 'a', 64);
  s[64] = '\0';
  assert_true(blob_sha256_valid(s));
  s[3] = 'A';
  assert_false(blob_sha256_valid(s));
  s[3] = 'a';
  s[64] = 'a';
  s[65] = '\0';
  assert_false(blob_sha256_valid(s));
  assert_int_equal(blob_store_open(root, "../x"), -1);
  memset(s, '0', 64);
  s[64] = '\0';
  assert_int_equal(blob_store_open(root, s), -1); /* absent */
}

static void sweeps_only_stale_temp_files(void **state) {
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/tmp/upload-stale1", root);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fclose(f);
  struct timeval old[2] = {{time(NULL) - 3 * 86400, 0},
                           {time(NULL) - 3 * 86400, 0}};
  assert_int_equal(utimes(path, old), 0);
  blob_writer *w = blob_writer_open(root); /* a live one */
  assert_int_equal(blob_store_sweep_tmp(root, 86400), 1);
  assert_int_equal(tmp_files(), 1);
  blob_writer_free(w);
  assert_int_equal(tmp_files(), 0);
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strlen(root) - 13), root);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stores_by_hash_once),
      cmocka_unit_test(free_without_commit_deletes),
      cmocka_unit_test(hashes_are_checked),
      cmocka_unit_test(sweeps_only_stale_temp_files),
  };
  return cmocka_run_group_tests_name("blob_store", tests, setup, teardown);
}
