/* UTF-8 -> CP1252 for the PDF fonts, and the PDF writer end to end (the
 * accents must survive a round trip through pdftotext). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp1252.h"
#include "pdf.h"

static void latin1_and_windows_range(void **state) {
  (void)state;
  char out[64];
  assert_int_equal(tc_utf8_to_cp1252("perché è così", out, sizeof out), 13);
  assert_string_equal(out, "perch\xe9 \xe8 cos\xec");
  tc_utf8_to_cp1252(
      "\xe2\x82\xac 5 \xe2\x80\x94 \xe2\x80\x9cs\xc3\xac\xe2\x80\x9d", out,
      sizeof out);
  assert_string_equal(out, "\x80 5 \x97 \x93s\xec\x94");
  tc_utf8_to_cp1252("\xc5\x92\xc5\xbd\xc5\xb8", out, sizeof out);
  assert_string_equal(out, "\x8c\x8e\x9f");
}

static void unknown_and_malformed(void **state) {
  (void)state;
  char out[64];
  tc_utf8_to_cp1252("\xe6\x97\xa5 \xf0\x9f\x98\x80", out, sizeof out);
  assert_string_equal(out, "? ?");             /* CJK, emoji */
  tc_utf8_to_cp1252("a\xc3", out, sizeof out); /* truncated at the end */
  assert_string_equal(out, "a?");
  tc_utf8_to_cp1252("\xc0\xaf|\xed\xa0\x80|\xff", out, sizeof out);
  assert_string_equal(out, "?|?|?"); /* overlong, surrogate, invalid */
  tc_utf8_to_cp1252("\xc2\x80", out, sizeof out); /* C1 control */
  assert_string_equal(out, "?");
  tc_utf8_to_cp1252("a\tb\nc\x01", out, sizeof out);
  assert_string_equal(out, "a\tb\nc ");
}

static void output_is_bounded(void **state) {
  (void)state;
  char out[4];
  assert_int_equal(tc_utf8_to_cp1252("èèèèèè", out, sizeof out), 3);
  assert_string_equal(out, "\xe8\xe8\xe8");
  char one[1];
  assert_int_equal(tc_utf8_to_cp1252("abc", one, 1), 0);
  assert_string_equal(one, "");
}

static void pdf_keeps_accents_and_pages(void **state) {
  (void)state;
  tc_pdf *p = tc_pdf_new("AOU Policlinico - Verbale n. 1 - BOZZA");
  assert_non_null(p);
  tc_pdf_title(p, "Verbale di teleconsulto");
  tc_pdf_field(p, "Paziente", "Verdi Giuseppe, nato a Agrigento");
  char long_text[6000] = "";
  for (int i = 0; i < 80; i++)
    strcat(long_text, "La terapia è già stata modificata perché serve. ");
  for (int i = 0; i < 4; i++)
    tc_pdf_text(p, long_text);
  tc_pdf_text(p, "Fine: caffè \xe2\x82\xac 12");
  unsigned char *pdf;
  size_t len;
  assert_true(tc_pdf_finish(p, &pdf, &len));
  assert_true(len > 100 && memcmp(pdf, "%PDF-", 5) == 0);
  if (access("/usr/bin/pdftotext", X_OK) != 0) {
    free(pdf);
    skip();
  }
  char path[] = "/tmp/tc-pdf-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, pdf, len), (ssize_t)len);
  close(fd);
  free(pdf);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s -", path);
  FILE *f = popen(cmd, "r");
  char *text = calloc(1, 1 << 20);
  size_t n = fread(text, 1, (1 << 20) - 1, f);
  pclose(f);
  unlink(path);
  text[n] = '\0';
  assert_non_null(strstr(text, "Verbale di teleconsulto"));
  assert_non_null(strstr(text, "Verdi Giuseppe"));
  assert_non_null(strstr(text, "è già stata modificata perché"));
  assert_non_null(strstr(text, "caffè € 12"));
  assert_non_null(strstr(text, "Pagina 2")); /* it did break pages */
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(latin1_and_windows_range),
      cmocka_unit_test(unknown_and_malformed),
      cmocka_unit_test(output_is_bounded),
      cmocka_unit_test(pdf_keeps_accents_and_pages),
  };
  return cmocka_run_group_tests_name("teleconsult_cp1252", tests, NULL, NULL);
}
