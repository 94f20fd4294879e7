#include "conn_limit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An address as 16 bytes: IPv4 as IPv4-mapped IPv6, so ::ffff:10.0.0.1
 * and 10.0.0.1 are the same client. */
typedef struct addr_key {
  uint8_t b[16];
} addr_key;

/* `pending` counts connections admitted whose start has not been seen yet:
 * libmicrohttpd's pool workers accept on the same socket, and without the
 * reservation two of them could each admit the last allowed connection
 * between one's admission and its start. The start follows the admission
 * in the same thread at once; a reservation older than PENDING_TTL_S was
 * dropped by libmicrohttpd (out of memory, its global limit) and expires. */
typedef struct slot {
  addr_key key;
  unsigned count; /* started and not yet closed */
  unsigned pending;
  time_t pending_since; /* monotonic seconds of the last admission */
} slot;

enum { PENDING_TTL_S = 2 };

struct conn_limit {
  unsigned per_ip;
  addr_key *exempt;
  size_t nexempt;
  pthread_mutex_t lock;
  slot *slots;
  size_t nslots; /* a power of two, at least twice the capacity */
};

static bool key_of(const struct sockaddr *sa, addr_key *k) {
  memset(k, 0, sizeof *k);
  if (!sa)
    return false;
  if (sa->sa_family == AF_INET6) {
    memcpy(k->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    return true;
  }
  if (sa->sa_family == AF_INET) {
    k->b[10] = k->b[11] = 0xff;
    memcpy(k->b + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    return true;
  }
  return false;
}

/* A numeric address straight into the key's bytes (no sockaddr punning,
 * which the optimiser may legitimately reorder). */
static bool parse_key(const char *text, addr_key *k) {
  memset(k, 0, sizeof *k);
  if (inet_pton(AF_INET, text, k->b + 12) == 1) {
    k->b[10] = k->b[11] = 0xff;
    return true;
  }
  return inet_pton(AF_INET6, text, k->b) == 1;
}

conn_limit *conn_limit_new(unsigned per_ip, const char *const *exempt,
                           size_t nexempt, size_t capacity) {
  conn_limit *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  l->per_ip = per_ip;
  l->nslots = 64;
  while (l->nslots < 2 * capacity)
    l->nslots *= 2;
  l->slots = calloc(l->nslots, sizeof *l->slots);
  l->exempt = calloc(nexempt ? nexempt : 1, sizeof *l->exempt);
  bool ok = l->slots && l->exempt;
  for (size_t i = 0; ok && i < nexempt; i++)
    ok = parse_key(exempt[i], &l->exempt[i]);
  if (!ok) {
    conn_limit_free(l);
    return NULL;
  }
  l->nexempt = nexempt;
  pthread_mutex_init(&l->lock, NULL);
  return l;
}

void conn_limit_free(conn_limit *l) {
  if (!l)
    return;
  if (l->slots && l->exempt)
    pthread_mutex_destroy(&l->lock);
  free(l->slots);
  free(l->exempt);
  free(l);
}

static bool exempt(const conn_limit *l, const addr_key *k) {
  for (size_t i = 0; i < l->nexempt; i++)
    if (memcmp(&l->exempt[i], k, sizeof *k) == 0)
      return true;
  return false;
}

static size_t hash(const addr_key *k) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < sizeof k->b; i++)
    h = (h ^ k->b[i]) * 1099511628211ull;
  return (size_t)h;
}

static bool is_free(const slot *s) {
  return s->count == 0 && s->pending == 0;
}

static time_t now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

/* The slot of `k` or, when absent, the free one it would take (lock held).
 * Linear probing: a lookup stops at the first free slot, so removing an
 * entry shifts the rest of its cluster back (remove below). */
static slot *find(conn_limit *l, const addr_key *k) {
  size_t mask = l->nslots - 1;
  for (size_t i = 0, at = hash(k) & mask; i < l->nslots;
       i++, at = (at + 1) & mask) {
    slot *s = &l->slots[at];
    if (is_free(s) || memcmp(&s->key, k, sizeof *k) == 0)
      return s;
  }
  return NULL;
}

bool conn_limit_admit(conn_limit *l, const struct sockaddr *addr) {
  addr_key k;
  if (l->per_ip == 0 || !key_of(addr, &k) || exempt(l, &k))
    return true;
  time_t now = now_s();
  pthread_mutex_lock(&l->lock);
  slot *s = find(l, &k);
  if (s && s->pending && now - s->pending_since >= PENDING_TTL_S)
    s->pending = 0;
  bool ok = s && s->count + s->pending < l->per_ip;
  if (ok) {
    s->key = k;
    s->pending++;
    s->pending_since = now;
  }
  pthread_mutex_unlock(&l->lock);
  return ok;
}

void conn_limit_opened(conn_limit *l, const struct sockaddr *addr) {
  addr_key k;
  if (l->per_ip == 0 || !key_of(addr, &k) || exempt(l, &k))
    return;
  pthread_mutex_lock(&l->lock);
  slot *s = find(l, &k);
  if (s) {
    s->key = k;
    s->count++;
    if (s->pending)
      s->pending--;
  }
  pthread_mutex_unlock(&l->lock);
}

/* Frees slot `s` and moves the entries after it, up to the next free slot,
 * to where a lookup will find them again (lock held). */
static void remove_slot(conn_limit *l, slot *s) {
  size_t mask = l->nslots - 1;
  size_t at = (size_t)(s - l->slots);
  s->count = s->pending = 0;
  for (size_t next = (at + 1) & mask; !is_free(&l->slots[next]);
       next = (next + 1) & mask) {
    slot moved = l->slots[next];
    l->slots[next].count = l->slots[next].pending = 0;
    *find(l, &moved.key) = moved;
  }
}

void conn_limit_closed(conn_limit *l, const struct sockaddr *addr) {
  addr_key k;
  if (l->per_ip == 0 || !key_of(addr, &k) || exempt(l, &k))
    return;
  pthread_mutex_lock(&l->lock);
  slot *s = find(l, &k);
  if (s && s->count > 0 && memcmp(&s->key, &k, sizeof k) == 0 &&
      --s->count == 0 && s->pending == 0)
    remove_slot(l, s);
  pthread_mutex_unlock(&l->lock);
}
