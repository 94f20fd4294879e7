/* Checking the video providers' tokens in tests, independently of libjwt:
 * the HS256 signature with OpenSSL's HMAC, then the header and payload. */
#ifndef CONCERTO_TEST_JWT_CHECK_H
#define CONCERTO_TEST_JWT_CHECK_H

#include <jansson.h>

/* The payload of `token` (a new reference) when it is a well-formed JWT
 * whose header says {"alg":"HS256","typ":"JWT"} and whose signature
 * verifies with `secret`; NULL otherwise. */
json_t *th_jwt_verify(const char *token, const char *secret);

#endif
