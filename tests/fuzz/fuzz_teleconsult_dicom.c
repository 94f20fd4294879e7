/* libFuzzer target: the teleconsult module's DICOM tag reader
 * (modules/teleconsult/src/dicom.c) on arbitrary bytes. Registered by
 * modules/teleconsult/CMakeLists.txt in fuzz builds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dicom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Inputs without the preamble would stop at once: prepend it to half of
   * them so the fuzzer spends its time inside the element walker. */
  tc_dicom_tags t;
  if (size > 0 && (data[0] & 1)) {
    /* An exact-size heap copy: ASan sees a read one byte past it. */
    unsigned char *buf = malloc(size - 1 + 132);
    if (!buf)
      return 0;
    memset(buf, 0, 128);
    memcpy(buf + 128, "DICM", 4);
    memcpy(buf + 132, data + 1, size - 1);
    tc_dicom_parse(buf, size - 1 + 132, &t);
    free(buf);
  } else {
    tc_dicom_parse(data, size, &t);
  }
  return 0;
}
