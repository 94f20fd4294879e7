#include "blob_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"
#include "sniff.h"

struct blob_writer {
  int fd;
  bool has_tmp; /* tmp_path names a file of ours to delete */
  char tmp_path[PATH_MAX];
  char root[PATH_MAX];
  sha256_ctx *digest;
  uint64_t length;
  unsigned char head[SNIFF_HEAD_BYTES];
  size_t head_len;
};

bool blob_sha256_valid(const char *s) {
  if (!s)
    return false;
  size_t i = 0;
  for (; s[i]; i++)
    if (i >= 64 ||
        !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return i == 64;
}

/* mkdir -p: every missing folder of `path` (modified and restored). */
static bool make_dirs(char *path) {
  for (char *p = path + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    bool ok = mkdir(path, 0750) == 0 || errno == EEXIST;
    *p = saved;
    if (!ok)
      return false;
    if (saved == '\0')
      return true;
  }
}

/* out = a "/" b; false (ENAMETOOLONG) when it does not fit. */
static bool path_join(char *out, size_t n, const char *a, const char *b) {
  int len = snprintf(out, n, "%s/%s", a, b);
  if (len < 0 || (size_t)len >= n) {
    errno = ENAMETOOLONG;
    return false;
  }
  return true;
}

blob_writer *blob_writer_open(const char *root) {
  if (!root || !*root) {
    errno = EINVAL;
    return NULL;
  }
  blob_writer *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  w->fd = -1;
  char dir[PATH_MAX];
  size_t root_len = strlen(root);
  if (root_len >= sizeof w->root) {
    errno = ENAMETOOLONG;
    goto fail;
  }
  memcpy(w->root, root, root_len + 1);
  if (!path_join(dir, sizeof dir, root, "tmp") || !make_dirs(dir) ||
      !path_join(w->tmp_path, sizeof w->tmp_path, dir, "upload-XXXXXX"))
    goto fail;
  w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
  if (w->fd < 0)
    goto fail;
  w->has_tmp = true;
  w->digest = sha256_begin();
  if (!w->digest) {
    errno = ENOMEM;
    goto fail;
  }
  return w;
fail:;
  int saved = errno;
  blob_writer_free(w);
  errno = saved;
  return NULL;
}

bool blob_writer_write(blob_writer *w, const void *data, size_t len) {
  if (!w || w->fd < 0) {
    errno = EBADF;
    return false;
  }
  if (!sha256_update(w->digest, data, len)) {
    errno = EIO;
    return false;
  }
  if (w->head_len < sizeof w->head) {
    size_t n = sizeof w->head - w->head_len;
    if (n > len)
      n = len;
    memcpy(w->head + w->head_len, data, n);
    w->head_len += n;
  }
  const char *p = data;
  size_t left = len;
  while (left > 0) {
    ssize_t n = write(w->fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return false;
    }
    p += n;
    left -= (size_t)n;
  }
  w->length += len;
  return true;
}

uint64_t blob_writer_length(const blob_writer *w) {
  return w ? w->length : 0;
}

/* Flushes a folder, so a rename inside it survives a power cut. */
static void sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

const char *blob_writer_content_type(const blob_writer *w) {
  return sniff_content_type(w->head, w->head_len);
}

bool blob_writer_commit(blob_writer *w, blob_info *out) {
  if (!w || w->fd < 0 || !w->digest) {
    errno = EBADF;
    return false;
  }
  bool ok = sha256_end(w->digest, out->sha256);
  w->digest = NULL;
  if (!ok) {
    errno = EIO;
    return false;
  }
  out->length = w->length;
  out->content_type = sniff_content_type(w->head, w->head_len);
  const char *h = out->sha256;
  char dir[PATH_MAX], final[PATH_MAX];
  int len = snprintf(dir, sizeof dir, "%s/%.2s/%.2s", w->root, h, h + 2);
  if (len < 0 || (size_t)len >= sizeof dir ||
      !path_join(final, sizeof final, dir, h) || !make_dirs(dir))
    return false;
  struct stat st;
  if (stat(final, &st) == 0 && (uint64_t)st.st_size == w->length) {
    /* Stored already: keep that file, touched so that a future sweep of
     * files without a row (docs/blobs.md) sees it as recent. */
    utimensat(AT_FDCWD, final, NULL, 0);
    close(w->fd);
    w->fd = -1;
    unlink(w->tmp_path);
    w->has_tmp = false;
    return true;
  }
  /* On disk before it gets its name: a crash leaves either no file or the
   * whole one, never a short file under a hash it does not match. */
  if (fsync(w->fd) != 0)
    return false;
  close(w->fd);
  w->fd = -1;
  if (rename(w->tmp_path, final) != 0)
    return false;
  w->has_tmp = false;
  sync_dir(dir);
  return true;
}

void blob_writer_free(blob_writer *w) {
  if (!w)
    return;
  if (w->fd >= 0)
    close(w->fd);
  if (w->has_tmp)
    unlink(w->tmp_path);
  sha256_abort(w->digest);
  free(w);
}

int blob_store_open(const char *root, const char *sha256) {
  if (!root || !blob_sha256_valid(sha256)) {
    errno = EINVAL;
    return -1;
  }
  char path[PATH_MAX];
  int len = snprintf(path, sizeof path, "%s/%.2s/%.2s/%s", root, sha256,
                     sha256 + 2, sha256);
  if (len < 0 || (size_t)len >= sizeof path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return open(path, O_RDONLY | O_CLOEXEC);
}

int blob_store_sweep_tmp(const char *root, unsigned max_age_s) {
  char dir[PATH_MAX];
  if (!root || !path_join(dir, sizeof dir, root, "tmp"))
    return 0;
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int removed = 0;
  time_t now = time(NULL);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, "upload-", 7) != 0)
      continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode) && now - st.st_mtime > (time_t)max_age_s &&
        unlinkat(dirfd(d), e->d_name, 0) == 0)
      removed++;
  }
  closedir(d);
  return removed;
}
