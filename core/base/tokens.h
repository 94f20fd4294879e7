/* Secret tokens (session cookies, CSRF tokens, API tokens, patient links):
 * 256 random bits as base64url text, and the SHA-256 hex under which a
 * token is stored. The database never holds a usable token. */
#ifndef CONCERTO_CORE_TOKENS_H
#define CONCERTO_CORE_TOKENS_H

#include <stdbool.h>

#define TOKEN_TEXT_LEN 43 /* base64url of 32 bytes, no padding */

/* Writes TOKEN_TEXT_LEN characters and a NUL. False if the RNG failed. */
bool token_new(char out[TOKEN_TEXT_LEN + 1]);
/* SHA-256 hex of the token text; false for NULL or overlong input. */
bool token_hash(const char *token, char out[65]);
/* Constant-time comparison of two NUL-terminated strings. */
bool token_equal(const char *a, const char *b);

#endif
