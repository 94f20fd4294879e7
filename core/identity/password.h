/* Password storage and policy for local staff accounts: argon2id hashes in
 * the PHC string format, a constant-cost path for unknown users, and the
 * strength rules checked when a password is set. Every function is
 * thread-safe. See docs/identity-validation.md for the choices. */
#ifndef CONCERTO_CORE_PASSWORD_H
#define CONCERTO_CORE_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

/* Default argon2id cost. OWASP's Password Storage Cheat Sheet (2023) gives
 * equivalent argon2id minimums from m=46 MiB,t=1 down to m=7 MiB,t=5 (its
 * headline: 19 MiB, t=2, p=1); we take RFC 9106's second recommended option
 * (64 MiB, 3 passes), well above those floors, because staff logins are rare
 * (a few per shift) and the server has memory to spare. Measured on the
 * 2-core development machine: about 100 ms per hash or verify. One lane:
 * parallel logins already keep the cores busy, and the lane count does not
 * change the attacker's memory cost. */
#define PASSWORD_T_COST 3u
#define PASSWORD_M_COST_KIB 65536u
#define PASSWORD_PARALLELISM 1u
#define PASSWORD_SALT_BYTES 16u
#define PASSWORD_HASH_BYTES 32u

/* Length rules of password_policy_check. */
#define PASSWORD_MIN_CHARS 12u /* Unicode code points */
#define PASSWORD_MAX_BYTES 256u

/* Hashes password with argon2id at the current cost (see password_set_cost)
 * and a fresh 16-byte random salt. Returns the PHC string
 * "$argon2id$v=19$m=...,t=...,p=...$salt$hash", malloc'ed: the caller frees
 * it. NULL when password is NULL or on failure (no memory, no randomness).
 * The password is only read. */
char *password_hash(const char *password);

/* True when password matches the PHC string encoded, in constant time with
 * respect to the hash comparison. False for NULL arguments, a malformed or
 * non-argon2id string, or parameters beyond sane bounds (so a corrupted row
 * cannot make one login allocate gigabytes). Both strings stay the caller's. */
bool password_verify(const char *encoded, const char *password);

/* True when encoded should be replaced by a fresh password_hash at the next
 * successful login: its memory or time cost is below the current cost, its
 * salt or hash is shorter than ours, its version is not 1.3, or it is
 * malformed, NULL or refused by password_verify for its cost. encoded stays
 * the caller's. */
bool password_needs_rehash(const char *encoded);

/* Spends the same time as password_verify against a real account, and
 * discards the result: call it when the username is unknown so that timing
 * does not reveal which accounts exist. The reference hash is made once, at
 * the first call, with the cost in force then (set the cost before serving).
 * password may be NULL; it stays the caller's. */
void password_verify_dummy(const char *password);

/* The reference hash password_verify_dummy verifies against (making it if
 * needed), or NULL when it could not be made. Static storage: never free it.
 * For tests, which check its cost parameters instead of timing logins. */
const char *password_dummy_reference(void);

/* How many argon2 hashes and verifications this process has run. */
unsigned long password_argon2_runs(void);

/* Checks the rules for a new password: at least PASSWORD_MIN_CHARS code
 * points, at most PASSWORD_MAX_BYTES bytes of valid UTF-8, at least 3 of 4
 * classes (ASCII lower case, ASCII upper case, digits, anything else), does
 * not contain the username (ASCII case-insensitive; usernames shorter than 3
 * bytes are not checked, or they would forbid most passwords), and is not a
 * well-known password. On failure writes an English reason naming the rule
 * into msg (truncated to msglen, always NUL-terminated when msglen > 0); on
 * success writes "". msg may be NULL, username may be NULL. No allocation. */
bool password_policy_check(const char *password, const char *username,
                           char *msg, size_t msglen);

/* Sets the cost of later password_hash calls and of needs_rehash's
 * comparison. For tests and the dev server; production keeps the defaults.
 * Values are clamped to what password_verify accepts: 1 to 32 passes, 8 KiB
 * (argon2's minimum) to 1 GiB. Both values change together, atomically. */
void password_set_cost(unsigned t_cost, unsigned m_cost_kib);

#endif
