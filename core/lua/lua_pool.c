/* Thread-local caches of boxes. See lua_pool.h. */
#include "lua_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  char *key;
  size_t hospital_len; /* bytes of key before '@' */
  lua_box *box;
  void *data;
  unsigned long last_used;
} entry;

typedef struct cache {
  lua_pool *pool;
  entry *entries;
  size_t n;
  unsigned long tick;
  struct cache *prev, *next; /* the pool's list, for lua_pool_free */
} cache;

struct lua_pool {
  pthread_key_t key;
  pthread_mutex_t lock; /* guards the list of caches */
  cache *caches;
  size_t max_sets;
  lua_pool_free_fn free_data;
};

static void drop_entry(cache *c, size_t i) {
  entry *e = &c->entries[i];
  if (c->pool->free_data && e->data)
    c->pool->free_data(e->data);
  lua_box_free(e->box);
  free(e->key);
  c->entries[i] = c->entries[--c->n];
}

static void free_cache(cache *c) {
  while (c->n)
    drop_entry(c, c->n - 1);
  free(c->entries);
  free(c);
}

static void unlink_cache(lua_pool *p, cache *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    p->caches = c->next;
  if (c->next)
    c->next->prev = c->prev;
}

/* pthread destructor: the thread is exiting, its boxes go with it. */
static void thread_exit(void *arg) {
  cache *c = arg;
  lua_pool *p = c->pool;
  pthread_mutex_lock(&p->lock);
  unlink_cache(p, c);
  pthread_mutex_unlock(&p->lock);
  free_cache(c);
}

lua_pool *lua_pool_new(size_t max_sets_per_thread, lua_pool_free_fn free_data) {
  lua_pool *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  if (pthread_key_create(&p->key, thread_exit) != 0) {
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->lock, NULL);
  p->max_sets = max_sets_per_thread ? max_sets_per_thread : 16;
  p->free_data = free_data;
  return p;
}

static cache *thread_cache(lua_pool *p) {
  cache *c = pthread_getspecific(p->key);
  if (c)
    return c;
  c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->entries = calloc(p->max_sets, sizeof *c->entries);
  if (!c->entries || pthread_setspecific(p->key, c) != 0) {
    free(c->entries);
    free(c);
    return NULL;
  }
  c->pool = p;
  pthread_mutex_lock(&p->lock);
  c->next = p->caches;
  if (p->caches)
    p->caches->prev = c;
  p->caches = c;
  pthread_mutex_unlock(&p->lock);
  return c;
}

lua_box *lua_pool_get(lua_pool *p, const char *set_key, lua_pool_load_fn load,
                      void *ud, void **data, char *err, size_t errlen) {
  *data = NULL;
  cache *c = thread_cache(p);
  if (!c) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  size_t hospital_len = strcspn(set_key, "@");
  for (size_t i = 0; i < c->n; i++) {
    entry *e = &c->entries[i];
    if (strcmp(e->key, set_key) == 0) {
      if (!lua_box_exhausted(e->box)) {
        e->last_used = ++c->tick;
        *data = e->data;
        return e->box;
      }
      drop_entry(c, i); /* reload a box its scripts filled up */
      break;
    }
    if (e->hospital_len == hospital_len &&
        memcmp(e->key, set_key, hospital_len) == 0) {
      drop_entry(c, i); /* another version of the same hospital */
      break;
    }
  }
  char *key = strdup(set_key);
  if (!key) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  void *loaded = NULL;
  lua_box *box = load(ud, set_key, &loaded, err, errlen);
  if (!box) {
    free(key);
    return NULL;
  }
  /* Evict only once the new box exists: a failed load keeps the rest. */
  if (c->n == p->max_sets) {
    size_t lru = 0;
    for (size_t i = 1; i < c->n; i++)
      if (c->entries[i].last_used < c->entries[lru].last_used)
        lru = i;
    drop_entry(c, lru);
  }
  c->entries[c->n++] = (entry){key, hospital_len, box, loaded, ++c->tick};
  *data = loaded;
  return box;
}

void lua_pool_free(lua_pool *p) {
  if (!p)
    return;
  /* No destructor may run after this point: the key goes first. */
  pthread_key_delete(p->key);
  pthread_mutex_lock(&p->lock);
  cache *c = p->caches;
  p->caches = NULL;
  pthread_mutex_unlock(&p->lock);
  while (c) {
    cache *next = c->next;
    free_cache(c);
    c = next;
  }
  pthread_mutex_destroy(&p->lock);
  free(p);
}
