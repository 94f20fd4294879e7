/* libFuzzer target: the DICOM tag reader (libs/dicom) on arbitrary bytes.
 * Registered by libs/dicom/CMakeLists.txt in fuzz builds. Besides ASan's
 * bounds, every tag it returns must be a NUL-terminated printable string:
 * what the reader hands on is shown in a page and written to JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <concerto/dicom.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s, size_t cap) {
  size_t n = strnlen(s, cap);
  if (n == cap)
    abort(); /* not terminated inside its field */
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Inputs without the preamble would stop at once: prepend it to half of
   * them so the fuzzer spends its time inside the element walker. */
  concerto_dicom_tags t;
  int rc;
  if (size > 0 && (data[0] & 1)) {
    /* An exact-size heap copy: ASan sees a read one byte past it. */
    unsigned char *buf = malloc(size - 1 + 132);
    if (!buf)
      return 0;
    memset(buf, 0, 128);
    memcpy(buf + 128, "DICM", 4);
    memcpy(buf + 132, data + 1, size - 1);
    rc = concerto_dicom_parse(buf, size - 1 + 132, &t);
    free(buf);
  } else {
    rc = concerto_dicom_parse(data, size, &t);
  }
  if (rc != 0 && rc != -1)
    abort();
  printable(t.patient_name, sizeof t.patient_name);
  printable(t.patient_id, sizeof t.patient_id);
  printable(t.study_date, sizeof t.study_date);
  printable(t.modality, sizeof t.modality);
  printable(t.study_description, sizeof t.study_description);
  printable(t.transfer_syntax, sizeof t.transfer_syntax);
  return 0;
}
