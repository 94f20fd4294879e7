/* The content sniffer on real-shaped files: DOCX packages written in Word's
 * and in LibreOffice's entry order (tests/unit/fixtures/sniff, made with
 * the zip tool), ZIPs that are not DOCX, and the headers of PDF, PNG, JPEG
 * and DICOM files. The name of a file never matters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sniff.h"

#define FIXTURES CONCERTO_SOURCE_DIR "/tests/unit/fixtures/sniff/"

/* The first SNIFF_HEAD_BYTES of a fixture, as the upload path keeps them. */
static size_t load(const char *name, unsigned char *buf, size_t cap) {
  char path[512];
  snprintf(path, sizeof path, FIXTURES "%s", name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

static const char *sniff_file(const char *name) {
  static unsigned char buf[SNIFF_HEAD_BYTES];
  return sniff_content_type(buf, load(name, buf, sizeof buf));
}

static void docx_in_word_and_libreoffice_order(void **state) {
  (void)state;
  assert_string_equal(sniff_file("word-order.docx"), SNIFF_DOCX);
  assert_string_equal(sniff_file("libreoffice-order.docx"), SNIFF_DOCX);
}

static void zips_that_are_not_docx(void **state) {
  (void)state;
  /* word/ without the OPC markers; the markers without word/. */
  assert_string_equal(sniff_file("plain.zip"), SNIFF_OTHER);
  assert_string_equal(sniff_file("spreadsheet.xlsx"), SNIFF_OTHER);
}

static void png_named_pdf_is_png(void **state) {
  (void)state;
  assert_string_equal(sniff_file("referto.pdf"), SNIFF_PNG);
}

static void document_and_image_headers(void **state) {
  (void)state;
  const char pdf[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog";
  assert_string_equal(
      sniff_content_type((const unsigned char *)pdf, sizeof pdf - 1),
      SNIFF_PDF);
  const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',
                                'F',  'I',  'F',  0x00, 0x01, 0x01};
  assert_string_equal(sniff_content_type(jpeg, sizeof jpeg), SNIFF_JPEG);
  /* DICOM Part 10: 128-byte preamble, "DICM", then group 0002. */
  unsigned char dcm[160] = {0};
  memcpy(dcm + 128, "DICM\x02\x00\x00\x00UL\x04\x00", 12);
  assert_string_equal(sniff_content_type(dcm, sizeof dcm), SNIFF_DICOM);
  assert_string_equal(sniff_content_type(dcm, 131), SNIFF_OTHER);
  /* Almost-signatures are not enough. */
  assert_string_equal(sniff_content_type((const unsigned char *)"%PDF", 4),
                      SNIFF_OTHER);
  assert_string_equal(
      sniff_content_type((const unsigned char *)"\x89PNG\r\n\x1a", 7),
      SNIFF_OTHER);
  assert_string_equal(sniff_content_type((const unsigned char *)"\xff\xd8", 2),
                      SNIFF_OTHER);
  assert_string_equal(sniff_content_type(NULL, 0), SNIFF_OTHER);
  assert_string_equal(sniff_content_type((const unsigned char *)"hello", 5),
                      SNIFF_OTHER);
}

/* Appends a ZIP local file header for `name` with `csize` bytes of data. */
static size_t local_header(unsigned char *p, const char *name, unsigned flags,
                           uint32_t csize) {
  size_t n = strlen(name);
  memset(p, 0, 30);
  memcpy(p, "PK\x03\x04", 4);
  p[4] = 20;
  p[6] = (unsigned char)flags;
  p[8] = 8; /* deflate */
  p[18] = (unsigned char)csize;
  p[19] = (unsigned char)(csize >> 8);
  p[26] = (unsigned char)n;
  memcpy(p + 30, name, n);
  return 30 + n;
}

static void data_descriptors_and_hostile_sizes(void **state) {
  (void)state;
  unsigned char buf[512];
  /* Sizes unknown in the header (flag bit 3): skipped by signature. */
  size_t n = local_header(buf, "[Content_Types].xml", 8, 0);
  memcpy(buf + n, "\x4b\x4c\x4d\x4e some deflate bytes", 22);
  n += 22;
  memcpy(buf + n, "PK\x07\x08", 4); /* the data descriptor */
  memset(buf + n + 4, 0, 12);
  n += 16;
  n += local_header(buf + n, "word/document.xml", 8, 0);
  assert_string_equal(sniff_content_type(buf, n), SNIFF_DOCX);
  /* A compressed size pointing far beyond the head stops the walk. */
  n = local_header(buf, "[Content_Types].xml", 0, 0xffff);
  n += local_header(buf + n, "word/document.xml", 0, 0);
  assert_string_equal(sniff_content_type(buf, n), SNIFF_OTHER);
  /* A name running past the end of the head. */
  n = local_header(buf, "_rels/.rels", 0, 0);
  buf[26] = 200;
  assert_string_equal(sniff_content_type(buf, n), SNIFF_OTHER);
  /* A real DOCX cut short before its word/ entry. */
  unsigned char docx[SNIFF_HEAD_BYTES];
  size_t len = load("word-order.docx", docx, sizeof docx);
  assert_true(len > 100);
  assert_string_equal(sniff_content_type(docx, 100), SNIFF_OTHER);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(docx_in_word_and_libreoffice_order),
      cmocka_unit_test(zips_that_are_not_docx),
      cmocka_unit_test(png_named_pdf_is_png),
      cmocka_unit_test(document_and_image_headers),
      cmocka_unit_test(data_descriptors_and_hostile_sizes),
  };
  return cmocka_run_group_tests_name("sniff", tests, NULL, NULL);
}
