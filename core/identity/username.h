/* Account names. Directory accounts are often written with capitals
 * ("M.Rossi"); Concerto stores every name in lower case, so a name is one
 * account however it is typed, and uniqueness (the users table's unique,
 * lower-case-only column) is case-insensitive by construction. */
#ifndef CONCERTO_CORE_USERNAME_H
#define CONCERTO_CORE_USERNAME_H

#include <stdbool.h>
#include <stddef.h>

/* What a valid name is, for messages. */
#define USERNAME_RULE                                                          \
  "2-64 letters, digits, '.', '_' or '-', starting with a letter or digit "    \
  "(stored in lower case)"

/* Folds `name` to lower case into out[outlen] and checks it: 2-64 ASCII
 * letters (any case), digits, '.', '_' or '-', the first a letter or a
 * digit - the users table's CHECK once folded. false (out empty) when it
 * is not a valid name or does not fit. */
bool username_fold(const char *name, char *out, size_t outlen);

/* Lower-cases `name` in place (ASCII only), for lookups of a name as
 * typed: a name that is not valid just finds nobody. */
void username_lower(char *name);

#endif
