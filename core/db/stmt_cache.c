/* See stmt_cache.h. A chained hash table over a fixed array of entries,
 * threaded on a doubly linked list in order of use (head = most recent),
 * so find, add and evict are O(1) and nothing is allocated after new but
 * the SQL copies. */
#include "stmt_cache.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

typedef struct entry {
  uint64_t hash;
  char *sql; /* owned; NULL = free */
  char name[STMT_NAME_MAX];
  uint32_t prev, next; /* the use list */
  uint32_t chain;      /* the next entry of the same bucket */
} entry;

struct stmt_cache {
  unsigned capacity, count, nbuckets; /* nbuckets: a power of two */
  uint32_t *buckets;
  entry *e;
  uint32_t head, tail; /* most and least recently used */
  uint32_t free_list;  /* through `next` */
  unsigned long long seq;
};

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}

static void reset(stmt_cache *c) {
  for (unsigned i = 0; i < c->nbuckets; i++)
    c->buckets[i] = NONE;
  for (unsigned i = 0; i < c->capacity; i++) {
    free(c->e[i].sql);
    c->e[i].sql = NULL;
    c->e[i].next = i + 1 < c->capacity ? i + 1 : NONE;
  }
  c->free_list = 0;
  c->head = c->tail = NONE;
  c->count = 0;
}

stmt_cache *stmt_cache_new(unsigned capacity) {
  if (capacity == 0)
    return NULL;
  stmt_cache *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->capacity = capacity;
  c->nbuckets = 1;
  while (c->nbuckets < capacity * 2)
    c->nbuckets <<= 1;
  c->buckets = malloc(c->nbuckets * sizeof *c->buckets);
  c->e = calloc(capacity, sizeof *c->e);
  if (!c->buckets || !c->e) {
    stmt_cache_free(c);
    return NULL;
  }
  reset(c);
  return c;
}

void stmt_cache_free(stmt_cache *c) {
  if (!c)
    return;
  if (c->e)
    for (unsigned i = 0; i < c->capacity; i++)
      free(c->e[i].sql);
  free(c->e);
  free(c->buckets);
  free(c);
}

void stmt_cache_clear(stmt_cache *c) {
  if (c)
    reset(c);
}

static void unlink_use(stmt_cache *c, uint32_t i) {
  entry *x = &c->e[i];
  if (x->prev != NONE)
    c->e[x->prev].next = x->next;
  else
    c->head = x->next;
  if (x->next != NONE)
    c->e[x->next].prev = x->prev;
  else
    c->tail = x->prev;
}

static void push_front(stmt_cache *c, uint32_t i) {
  entry *x = &c->e[i];
  x->prev = NONE;
  x->next = c->head;
  if (c->head != NONE)
    c->e[c->head].prev = i;
  c->head = i;
  if (c->tail == NONE)
    c->tail = i;
}

const char *stmt_cache_find(stmt_cache *c, const char *sql) {
  uint64_t h = fnv1a(sql);
  for (uint32_t i = c->buckets[h & (c->nbuckets - 1)]; i != NONE;
       i = c->e[i].chain)
    if (c->e[i].hash == h && strcmp(c->e[i].sql, sql) == 0) {
      if (c->head != i) {
        unlink_use(c, i);
        push_front(c, i);
      }
      return c->e[i].name;
    }
  return NULL;
}

void stmt_cache_next_name(stmt_cache *c, char name[STMT_NAME_MAX]) {
  snprintf(name, STMT_NAME_MAX, "s%llu", ++c->seq);
}

bool stmt_cache_victim(const stmt_cache *c, char name[STMT_NAME_MAX]) {
  if (c->count < c->capacity)
    return false;
  snprintf(name, STMT_NAME_MAX, "%s", c->e[c->tail].name);
  return true;
}

bool stmt_cache_add(stmt_cache *c, const char *sql, const char *name) {
  if (c->count == c->capacity || c->free_list == NONE)
    return false;
  char *copy = strdup(sql);
  if (!copy)
    return false;
  uint32_t i = c->free_list;
  entry *x = &c->e[i];
  c->free_list = x->next;
  x->hash = fnv1a(sql);
  x->sql = copy;
  snprintf(x->name, sizeof x->name, "%s", name);
  uint32_t *b = &c->buckets[x->hash & (c->nbuckets - 1)];
  x->chain = *b;
  *b = i;
  push_front(c, i);
  c->count++;
  return true;
}

void stmt_cache_evict(stmt_cache *c) {
  uint32_t i = c->tail;
  if (i == NONE)
    return;
  entry *x = &c->e[i];
  uint32_t *link = &c->buckets[x->hash & (c->nbuckets - 1)];
  while (*link != i)
    link = &c->e[*link].chain;
  *link = x->chain;
  unlink_use(c, i);
  free(x->sql);
  x->sql = NULL;
  x->next = c->free_list;
  c->free_list = i;
  c->count--;
}

unsigned stmt_cache_count(const stmt_cache *c) {
  return c->count;
}

unsigned stmt_cache_capacity(const stmt_cache *c) {
  return c->capacity;
}
