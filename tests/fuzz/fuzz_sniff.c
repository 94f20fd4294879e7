/* libFuzzer target: the content sniffer on arbitrary bytes (ZIP local
 * headers with hostile sizes and names above all). It must never read
 * outside the buffer and always answer one of its types. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* An exact-size copy, so reading one byte past the end is caught. */
  unsigned char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  memcpy(copy, data, size);
  const char *t = sniff_content_type(copy, size);
  if (!t || (strcmp(t, SNIFF_PDF) && strcmp(t, SNIFF_JPEG) &&
             strcmp(t, SNIFF_PNG) && strcmp(t, SNIFF_DICOM) &&
             strcmp(t, SNIFF_DOCX) && strcmp(t, SNIFF_OTHER)))
    abort();
  free(copy);
  return 0;
}
