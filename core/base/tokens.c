#include "tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "sha256.h"

bool token_new(char out[TOKEN_TEXT_LEN + 1]) {
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char raw[33] = {0};
  if (RAND_bytes(raw, 32) != 1)
    return false;
  size_t o = 0;
  for (size_t i = 0; i < 33 && o < TOKEN_TEXT_LEN; i += 3) {
    unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 |
                 (i + 2 < 33 ? raw[i + 2] : 0);
    for (int k = 3; k >= 0 && o < TOKEN_TEXT_LEN; k--)
      out[o++] = alphabet[(v >> (6 * k)) & 63];
  }
  out[TOKEN_TEXT_LEN] = '\0';
  OPENSSL_cleanse(raw, sizeof raw);
  return true;
}

bool token_hash(const char *token, char out[65]) {
  if (!token)
    return false;
  size_t n = strlen(token);
  if (n == 0 || n > 512)
    return false;
  return sha256_hex(token, n, out);
}

bool token_equal(const char *a, const char *b) {
  if (!a || !b)
    return false;
  size_t n = strlen(a);
  if (n != strlen(b))
    return false;
  return CRYPTO_memcmp(a, b, n) == 0;
}
