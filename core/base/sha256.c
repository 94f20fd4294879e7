#include "sha256.h"

#include <openssl/evp.h>

static void to_hex(const unsigned char md[32], char out[65]) {
  static const char hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < 32; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  out[64] = '\0';
}

bool sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
    return false;
  to_hex(md, out);
  return true;
}

/* The context is EVP's own; the typedef only hides OpenSSL from callers. */
sha256_ctx *sha256_begin(void) {
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  if (c && !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
    EVP_MD_CTX_free(c);
    c = NULL;
  }
  return (sha256_ctx *)c;
}

bool sha256_update(sha256_ctx *c, const void *data, size_t len) {
  return c && EVP_DigestUpdate((EVP_MD_CTX *)c, data, len) == 1;
}

bool sha256_end(sha256_ctx *c, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  bool ok =
      c && EVP_DigestFinal_ex((EVP_MD_CTX *)c, md, &mdlen) == 1 && mdlen == 32;
  EVP_MD_CTX_free((EVP_MD_CTX *)c);
  if (ok)
    to_hex(md, out);
  return ok;
}

void sha256_abort(sha256_ctx *c) {
  EVP_MD_CTX_free((EVP_MD_CTX *)c);
}
