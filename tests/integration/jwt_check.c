#include "jwt_check.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

/* base64url without padding to bytes; malloc'ed, NUL-terminated, NULL when
 * not base64url. */
static char *b64url_decode(const char *s, size_t n) {
  char *std = calloc(1, n + 4);
  if (!std)
    return NULL;
  for (size_t i = 0; i < n; i++)
    std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
  size_t padded = n;
  while (padded % 4)
    std[padded++] = '=';
  unsigned char *out = calloc(1, padded + 1);
  int len = out ? EVP_DecodeBlock(out, (unsigned char *)std, (int)padded) : -1;
  free(std);
  if (len < 0 || (size_t)len < padded - n) {
    free(out);
    return NULL;
  }
  out[len - (int)(padded - n)] = '\0';
  return (char *)out;
}

json_t *th_jwt_verify(const char *token, const char *secret) {
  const char *dot1 = token ? strchr(token, '.') : NULL;
  const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
  if (!dot2)
    return NULL;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)token,
       (size_t)(dot2 - token), mac, &maclen);
  unsigned char b64[64];
  int len = EVP_EncodeBlock(b64, mac, (int)maclen);
  while (len > 0 && b64[len - 1] == '=')
    len--;
  for (int i = 0; i < len; i++)
    b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
  if ((size_t)len != strlen(dot2 + 1) ||
      CRYPTO_memcmp(b64, dot2 + 1, (size_t)len) != 0)
    return NULL;
  char *head = b64url_decode(token, (size_t)(dot1 - token));
  bool header_ok = head && strstr(head, "\"alg\":\"HS256\"") &&
                   strstr(head, "\"typ\":\"JWT\"");
  free(head);
  if (!header_ok)
    return NULL;
  char *body = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1));
  json_t *p = body ? json_loads(body, 0, NULL) : NULL;
  free(body);
  return p;
}
