/* SHA-256 as lowercase hex (OpenSSL's EVP): whole buffers for migration
 * checksums and tokens, and incrementally for uploads streamed to the blob
 * store, which never hold the whole body. */
#ifndef CONCERTO_CORE_SHA256_H
#define CONCERTO_CORE_SHA256_H

#include <stdbool.h>
#include <stddef.h>

/* Writes 64 hex digits and a NUL into out. */
bool sha256_hex(const void *data, size_t len, char out[65]);

/* An incremental digest: sha256_begin, any number of sha256_update, then
 * sha256_end, which also releases it (sha256_abort releases one that is not
 * finished). Opaque; owned by whoever called sha256_begin. */
typedef struct sha256_ctx sha256_ctx;

/* NULL on out-of-memory. */
sha256_ctx *sha256_begin(void);
bool sha256_update(sha256_ctx *c, const void *data, size_t len);
/* Writes 64 hex digits and a NUL into out; frees `c` whatever happens. */
bool sha256_end(sha256_ctx *c, char out[65]);
/* Frees an unfinished digest; NULL is ignored. */
void sha256_abort(sha256_ctx *c);

#endif
