/* libFuzzer target: UTF-8 -> CP1252 (libs/cp1252) on arbitrary bytes, the
 * text users type into a minutes PDF. The output must stay inside the
 * caller's buffer, be NUL-terminated at the length returned, and hold no
 * control byte but \n and \t (the PDF writer relies on it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <concerto/cp1252.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  /* The first byte picks the output size, so short buffers are cut too. */
  size_t outlen = (size_t)data[0] + 1;
  char *in = malloc(size);
  char *out = malloc(outlen); /* exact size: ASan sees a write past it */
  if (!in || !out) {
    free(in);
    free(out);
    return 0;
  }
  memcpy(in, data + 1, size - 1);
  in[size - 1] = '\0';
  size_t n = concerto_cp1252_from_utf8(in, out, outlen);
  if (n >= outlen || out[n] != '\0' || strlen(out) != n)
    abort();
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)out[i];
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
      abort();
  }
  free(in);
  free(out);
  return 0;
}
