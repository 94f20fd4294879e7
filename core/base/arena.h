/* A bump allocator for one request: many small allocations, one release.
 * Memory returned by arena_alloc belongs to the arena and lives until
 * arena_free; callers never free it individually. Not thread-safe: an arena
 * belongs to one request, which one thread serves at a time. */
#ifndef CONCERTO_CORE_ARENA_H
#define CONCERTO_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct arena {
  arena_block *head;
  size_t total; /* bytes handed out, for limits and tests */
} arena;

void arena_init(arena *a);
/* Releases every block; the arena may be reused after arena_init. */
void arena_free(arena *a);
/* NULL only when malloc fails. Aligned for any type. */
void *arena_alloc(arena *a, size_t size);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_vprintf(arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
char *arena_printf(arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
