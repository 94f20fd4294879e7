/* SHA-256 as lowercase hex (OpenSSL's EVP), for migration checksums. */
#ifndef CONCERTO_CORE_SHA256_H
#define CONCERTO_CORE_SHA256_H

#include <stdbool.h>
#include <stddef.h>

/* Writes 64 hex digits and a NUL into out. */
bool sha256_hex(const void *data, size_t len, char out[65]);

#endif
