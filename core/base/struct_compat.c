/* See struct_compat.h: reading a size-prefixed struct by its size. */
#include <stdint.h>
#include <string.h>

#include "struct_compat.h"

static uint32_t size_of(const void *s) {
  uint32_t n;
  memcpy(&n, s, sizeof n);
  return n;
}

void *struct_import(void *dst, size_t dst_size, const void *src,
                    size_t v1_size) {
  if (!dst || !src || dst_size < sizeof(uint32_t))
    return NULL;
  size_t n = size_of(src);
  if (n < v1_size || n < sizeof(uint32_t))
    return NULL;
  if (n > dst_size)
    n = dst_size; /* a newer module: what this core does not know is unread */
  memset(dst, 0, dst_size);
  memcpy(dst, src, n);
  uint32_t taken = (uint32_t)n;
  memcpy(dst, &taken, sizeof taken);
  return dst;
}

void struct_export(void *dst, const void *src, size_t src_size) {
  if (!dst || !src)
    return;
  size_t n = size_of(dst);
  if (n > src_size)
    n = src_size;
  if (n > sizeof(uint32_t))
    memcpy((char *)dst + sizeof(uint32_t), (const char *)src + sizeof(uint32_t),
           n - sizeof(uint32_t));
}
