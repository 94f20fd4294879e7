/* The DICOM tag reader: explicit and implicit VR, sequences skipped, and
 * never a read out of bounds on truncated or hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <concerto/dicom.h>

typedef struct buf {
  unsigned char b[4096];
  size_t n;
} buf;

static void raw(buf *d, const void *p, size_t n) {
  memcpy(d->b + d->n, p, n);
  d->n += n;
}
static void u16(buf *d, uint16_t v) {
  unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  raw(d, x, 2);
}
static void u32(buf *d, uint32_t v) {
  unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                        (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  raw(d, x, 4);
}

static void el(buf *d, uint16_t g, uint16_t e, const char *vr, const char *v,
               size_t n) {
  u16(d, g);
  u16(d, e);
  raw(d, vr, 2);
  if (!strcmp(vr, "OB") || !strcmp(vr, "SQ") || !strcmp(vr, "UN")) {
    u16(d, 0);
    u32(d, (uint32_t)n);
  } else {
    u16(d, (uint16_t)n);
  }
  raw(d, v, n);
}

static void implicit(buf *d, uint16_t g, uint16_t e, const char *v, size_t n) {
  u16(d, g);
  u16(d, e);
  u32(d, (uint32_t)n);
  raw(d, v, n);
}

static void preamble(buf *d, const char *syntax) {
  memset(d, 0, sizeof *d);
  d->n = 128;
  raw(d, "DICM", 4);
  el(d, 0x0002, 0x0000, "UL", "\x1c\x00\x00\x00", 4);
  el(d, 0x0002, 0x0010, "UI", syntax, strlen(syntax) + (strlen(syntax) & 1));
}

static void sample_explicit(buf *d) {
  preamble(d, "1.2.840.10008.1.2.1");
  el(d, 0x0008, 0x0020, "DA", "20261120", 8);
  el(d, 0x0008, 0x0060, "CS", "CT", 2);
  el(d, 0x0008, 0x1030, "LO", "TC ENCEFALO ", 12);
  /* A sequence of undefined length with one undefined-length item. */
  u16(d, 0x0008);
  u16(d, 0x1110);
  raw(d, "SQ", 2);
  u16(d, 0);
  u32(d, 0xFFFFFFFFu);
  u16(d, 0xFFFE);
  u16(d, 0xE000);
  u32(d, 0xFFFFFFFFu);
  el(d, 0x0010, 0x0010, "PN", "NESTED^NAME ", 12); /* must be ignored */
  u16(d, 0xFFFE);
  u16(d, 0xE00D);
  u32(d, 0);
  u16(d, 0xFFFE);
  u16(d, 0xE0DD);
  u32(d, 0);
  el(d, 0x0010, 0x0010, "PN", "VERDI^GIUSEPPE", 14);
  el(d, 0x0010, 0x0020, "LO", "VRDGPP45C12A089J", 16);
  el(d, 0x7FE0, 0x0010, "OB", "\x01\x02\x03\x04", 4);
}

static void explicit_vr(void **state) {
  (void)state;
  buf d;
  sample_explicit(&d);
  concerto_dicom_tags t;
  assert_int_equal(concerto_dicom_parse(d.b, d.n, &t), 0);
  assert_string_equal(t.transfer_syntax, "1.2.840.10008.1.2.1");
  assert_string_equal(t.patient_name, "VERDI GIUSEPPE");
  assert_string_equal(t.patient_id, "VRDGPP45C12A089J");
  assert_string_equal(t.study_date, "20261120");
  assert_string_equal(t.modality, "CT");
  assert_string_equal(t.study_description, "TC ENCEFALO");
}

static void implicit_vr(void **state) {
  (void)state;
  buf d;
  preamble(&d, "1.2.840.10008.1.2");
  implicit(&d, 0x0008, 0x0060, "MR", 2);
  implicit(&d, 0x0010, 0x0010, "BIANCHI^LUCIA ", 14);
  concerto_dicom_tags t;
  assert_int_equal(concerto_dicom_parse(d.b, d.n, &t), 0);
  assert_string_equal(t.modality, "MR");
  assert_string_equal(t.patient_name, "BIANCHI LUCIA");
}

static void not_dicom(void **state) {
  (void)state;
  concerto_dicom_tags t;
  unsigned char pdf[200] = "%PDF-1.4";
  assert_int_equal(concerto_dicom_parse(pdf, sizeof pdf, &t), -1);
  assert_int_equal(concerto_dicom_parse(pdf, 10, &t), -1);
  assert_int_equal(concerto_dicom_parse(NULL, 0, &t), -1);
}

/* Every prefix of a valid file, in an exact-size heap copy so ASan would
 * catch a read one byte past the end. */
static void truncations_stay_in_bounds(void **state) {
  (void)state;
  buf d;
  sample_explicit(&d);
  for (size_t n = 0; n <= d.n; n++) {
    unsigned char *copy = malloc(n ? n : 1);
    memcpy(copy, d.b, n);
    concerto_dicom_tags t;
    int rc = concerto_dicom_parse(copy, n, &t);
    assert_true(rc == 0 || rc == -1);
    free(copy);
  }
}

static void hostile_lengths(void **state) {
  (void)state;
  buf d;
  preamble(&d, "1.2.840.10008.1.2.1");
  u16(&d, 0x0010);
  u16(&d, 0x0010);
  raw(&d, "UT", 2);
  u16(&d, 0);
  u32(&d, 0xFFFFFFF0u); /* far beyond the end */
  concerto_dicom_tags t;
  assert_int_equal(concerto_dicom_parse(d.b, d.n, &t), 0);
  assert_string_equal(t.patient_name, "");
  /* Deeply nested undefined-length sequences stop at the depth limit. */
  preamble(&d, "1.2.840.10008.1.2.1");
  for (int i = 0; i < 40; i++) {
    u16(&d, 0x0008);
    u16(&d, 0x1110);
    raw(&d, "SQ", 2);
    u16(&d, 0);
    u32(&d, 0xFFFFFFFFu);
    u16(&d, 0xFFFE);
    u16(&d, 0xE000);
    u32(&d, 0xFFFFFFFFu);
  }
  assert_int_equal(concerto_dicom_parse(d.b, d.n, &t), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(explicit_vr),
      cmocka_unit_test(implicit_vr),
      cmocka_unit_test(not_dicom),
      cmocka_unit_test(truncations_stay_in_bounds),
      cmocka_unit_test(hostile_lengths),
  };
  return cmocka_run_group_tests_name("dicom", tests, NULL, NULL);
}
