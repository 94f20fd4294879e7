#include "password.h"

#include <argon2.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ceilings for parameters read back from a stored hash. A row is trusted
 * data, but a corrupted or tampered one must not make a single login
 * allocate terabytes or spin for minutes; our own hashes stay far below. */
#define VERIFY_MAX_T 32u
#define VERIFY_MAX_M_KIB (1u << 20) /* 1 GiB */
#define VERIFY_MAX_P 16u
#define MIN_M_KIB 8u /* argon2: 8 KiB per lane */
/* Longest PHC string we produce is about 100 bytes (10-digit m, t and p
 * included); anything much longer is not ours. */
#define PHC_MAX_LEN 256u

/* t in the high half, m in the low half: one atomic word, so a reader never
 * sees t from one password_set_cost call and m from another. */
static _Atomic uint64_t current_cost =
    ((uint64_t)PASSWORD_T_COST << 32) | PASSWORD_M_COST_KIB;

static void cost_get(uint32_t *t, uint32_t *m) {
  uint64_t c = atomic_load(&current_cost);
  *t = (uint32_t)(c >> 32);
  *m = (uint32_t)c;
}

void password_set_cost(unsigned t_cost, unsigned m_cost_kib) {
  uint64_t t = t_cost < 1 ? 1 : t_cost > VERIFY_MAX_T ? VERIFY_MAX_T : t_cost;
  uint64_t m = m_cost_kib < MIN_M_KIB          ? MIN_M_KIB
               : m_cost_kib > VERIFY_MAX_M_KIB ? VERIFY_MAX_M_KIB
                                               : m_cost_kib;
  atomic_store(&current_cost, (t << 32) | m);
}

/* Every argon2 computation, hash or verify: lets tests check that the
 * unknown-user path does the same work as a real login without timing it. */
static _Atomic unsigned long argon2_runs;

unsigned long password_argon2_runs(void) {
  return atomic_load(&argon2_runs);
}

/* Hashes into a caller buffer, so the dummy hash needs no heap. */
static bool hash_into(const char *password, char *out, size_t outlen) {
  size_t len = strlen(password);
  if (len > ARGON2_MAX_PWD_LENGTH)
    return false;
  unsigned char salt[PASSWORD_SALT_BYTES];
  if (RAND_bytes(salt, sizeof salt) != 1)
    return false;
  uint32_t t, m;
  cost_get(&t, &m);
  atomic_fetch_add(&argon2_runs, 1);
  return argon2id_hash_encoded(t, m, PASSWORD_PARALLELISM, password, len, salt,
                               sizeof salt, PASSWORD_HASH_BYTES, out,
                               outlen) == ARGON2_OK;
}

char *password_hash(const char *password) {
  if (!password)
    return NULL;
  char buf[PHC_MAX_LEN];
  if (!hash_into(password, buf, sizeof buf))
    return NULL;
  return strdup(buf);
}

/* The PHC fields needs_rehash and verify look at. Parsed here rather than
 * through libargon2, which has no public decoder. A string whose cost is past
 * the ceilings counts as malformed: it could never be verified. */
typedef struct phc {
  uint32_t version, m, t, p;
  size_t salt_b64, hash_b64; /* lengths of the unpadded base64 fields */
} phc;

static bool take(const char **s, const char *lit) {
  size_t n = strlen(lit);
  if (strncmp(*s, lit, n) != 0)
    return false;
  *s += n;
  return true;
}

/* Decimal without sign or leading zeros, as libargon2 writes it. */
static bool take_u32(const char **s, uint32_t *out) {
  const char *p = *s;
  if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
    return false;
  uint64_t v = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    v = v * 10 + (uint64_t)(*p - '0');
    if (v > UINT32_MAX)
      return false;
  }
  *out = (uint32_t)v;
  *s = p;
  return true;
}

static size_t take_b64(const char **s) {
  size_t n = strspn(*s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789+/");
  *s += n;
  return n;
}

static bool phc_parse(const char *e, phc *out) {
  if (!e || strnlen(e, PHC_MAX_LEN) >= PHC_MAX_LEN || !take(&e, "$argon2id$"))
    return false;
  out->version = ARGON2_VERSION_10; /* what a missing v= means */
  if (take(&e, "v=") && !(take_u32(&e, &out->version) && take(&e, "$")))
    return false;
  if (!take(&e, "m=") || !take_u32(&e, &out->m) || !take(&e, ",t=") ||
      !take_u32(&e, &out->t) || !take(&e, ",p=") || !take_u32(&e, &out->p) ||
      !take(&e, "$"))
    return false;
  out->salt_b64 = take_b64(&e);
  if (!take(&e, "$"))
    return false;
  out->hash_b64 = take_b64(&e);
  return *e == '\0' && out->salt_b64 > 0 && out->hash_b64 > 0 &&
         out->t <= VERIFY_MAX_T && out->m <= VERIFY_MAX_M_KIB &&
         out->p <= VERIFY_MAX_P;
}

bool password_verify(const char *encoded, const char *password) {
  phc p;
  if (!password || !phc_parse(encoded, &p))
    return false;
  /* argon2_verify compares the hashes in constant time. */
  atomic_fetch_add(&argon2_runs, 1);
  return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

bool password_needs_rehash(const char *encoded) {
  phc p;
  if (!phc_parse(encoded, &p))
    return true;
  uint32_t t, m;
  cost_get(&t, &m);
  /* Unpadded base64: 4 characters per 3 bytes, rounded down. */
  return p.version != ARGON2_VERSION_13 || p.m < m || p.t < t ||
         p.salt_b64 * 3 / 4 < PASSWORD_SALT_BYTES ||
         p.hash_b64 * 3 / 4 < PASSWORD_HASH_BYTES;
}

/* A static buffer rather than a heap copy: nothing to free at exit. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_encoded[PHC_MAX_LEN];
static bool dummy_ready;

static void dummy_init(void) {
  dummy_ready = hash_into("concerto: no such account", dummy_encoded,
                          sizeof dummy_encoded);
}

const char *password_dummy_reference(void) {
  pthread_once(&dummy_once, dummy_init);
  return dummy_ready ? dummy_encoded : NULL;
}

void password_verify_dummy(const char *password) {
  /* pthread_once orders dummy_init's writes before every later read. */
  pthread_once(&dummy_once, dummy_init);
  const char *pw = password ? password : "";
  if (dummy_ready) {
    (void)password_verify(dummy_encoded, pw);
    return;
  }
  /* No reference hash (no randomness or memory at the first call): hashing
   * still costs what a verify would. */
  char scratch[PHC_MAX_LEN];
  (void)hash_into(pw, scratch, sizeof scratch);
}

/* Well-known passwords that pass the length and class rules, or nearly do;
 * compared case-insensitively. A short list on purpose: the other rules do
 * the heavy lifting, this catches what people type first. */
static const char *const common_passwords[] = {
    "password123!",  "password1234",  "password2024!", "password2025!",
    "password2026!", "passw0rd1234",  "qwertyuiop12",  "qwerty123456",
    "1q2w3e4r5t6y",  "123456789012",  "111111111111",  "abc123456789",
    "iloveyou1234",  "welcome12345",  "letmein12345",  "admin1234567",
    "changeme1234",  "concerto2025!", "concerto2026!", "ambulatorio1!",
    "ospedale1234",  "benvenuto123",
};

static char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII-only folding, so the result does not depend on the locale. */
static bool equal_ci(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (ascii_lower(*a) != ascii_lower(*b))
      return false;
  return *a == *b;
}

static bool contains_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++) {
    size_t i = 0;
    while (i < n && hay[i] && ascii_lower(hay[i]) == ascii_lower(needle[i]))
      i++;
    if (i == n)
      return true;
  }
  return false;
}

/* Counts code points of strict UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF); false when s is not valid UTF-8. */
static bool utf8_length(const char *str, size_t *count) {
  const unsigned char *s = (const unsigned char *)str;
  size_t n = 0;
  while (*s) {
    unsigned c = *s;
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) {
      len = 1, cp = c, min = 0;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    for (size_t i = 1; i < len; i++) {
      if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
        return false;
      cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    s += len;
    n++;
  }
  *count = n;
  return true;
}

static int char_classes(const char *s) {
  bool lower = false, upper = false, digit = false, other = false;
  for (; *s; s++) {
    if (*s >= 'a' && *s <= 'z')
      lower = true;
    else if (*s >= 'A' && *s <= 'Z')
      upper = true;
    else if (*s >= '0' && *s <= '9')
      digit = true;
    else
      other = true; /* symbols, spaces and every non-ASCII character */
  }
  return lower + upper + digit + other;
}

/* The messages spell the limits out for the UI; keep them in step. */
_Static_assert(PASSWORD_MIN_CHARS == 12 && PASSWORD_MAX_BYTES == 256,
               "update the policy messages");

static const char *policy_failure(const char *password, const char *username) {
  if (!password)
    return "password is required";
  if (strnlen(password, PASSWORD_MAX_BYTES + 1) > PASSWORD_MAX_BYTES)
    return "password must be at most 256 bytes long";
  size_t chars;
  if (!utf8_length(password, &chars))
    return "password must be valid UTF-8";
  if (chars < PASSWORD_MIN_CHARS)
    return "password must be at least 12 characters long";
  for (size_t i = 0; i < sizeof common_passwords / sizeof common_passwords[0];
       i++)
    if (equal_ci(password, common_passwords[i]))
      return "password is too common";
  if (username && strlen(username) >= 3 && contains_ci(password, username))
    return "password must not contain the username";
  if (char_classes(password) < 3)
    return "password must contain at least 3 of: lower-case letters, "
           "upper-case letters, digits, other characters";
  return NULL;
}

bool password_policy_check(const char *password, const char *username,
                           char *msg, size_t msglen) {
  const char *why = policy_failure(password, username);
  if (msg && msglen > 0)
    snprintf(msg, msglen, "%s", why ? why : "");
  return why == NULL;
}
