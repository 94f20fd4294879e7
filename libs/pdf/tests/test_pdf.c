/* The PDF writer end to end: the accents must survive a round trip through
 * pdftotext, long text breaks pages, the page label is the caller's, and
 * missing texts print as documented instead of crashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <concerto/pdf.h>

/* Finishes `p`, which must give a PDF, and returns its text (malloc'ed),
 * or NULL without pdftotext. */
static char *finish_text(concerto_pdf *p) {
  unsigned char *pdf;
  size_t len;
  assert_true(concerto_pdf_finish(p, &pdf, &len));
  assert_true(len > 100 && memcmp(pdf, "%PDF-", 5) == 0);
  if (access("/usr/bin/pdftotext", X_OK) != 0) {
    free(pdf);
    return NULL;
  }
  char path[] = "/tmp/concerto-pdf-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, pdf, len), (ssize_t)len);
  close(fd);
  free(pdf);
  char cmd[128];
  /* -layout: plain pdftotext joins a line ending in '-' with the next. */
  snprintf(cmd, sizeof cmd, "pdftotext -layout -enc UTF-8 %s -", path);
  FILE *f = popen(cmd, "r");
  assert_non_null(f);
  char *text = calloc(1, 1 << 20);
  size_t n = fread(text, 1, (1 << 20) - 1, f);
  pclose(f);
  unlink(path);
  text[n] = '\0';
  return text;
}

static void keeps_accents_and_breaks_pages(void **state) {
  (void)state;
  concerto_pdf *p =
      concerto_pdf_new("AOU Policlinico - Verbale n. 1 - BOZZA", NULL);
  assert_non_null(p);
  concerto_pdf_title(p, "Verbale di teleconsulto");
  concerto_pdf_field(p, "Paziente", "Verdi Giuseppe, nato a Agrigento");
  char long_text[6000] = "";
  for (int i = 0; i < 80; i++)
    strcat(long_text, "La terapia è già stata modificata perché serve. ");
  for (int i = 0; i < 4; i++)
    concerto_pdf_text(p, long_text);
  concerto_pdf_text(p, "Fine: caffè \xe2\x82\xac 12");
  char *text = finish_text(p);
  if (!text)
    skip();
  assert_non_null(strstr(text, "AOU Policlinico - Verbale n. 1 - BOZZA"));
  assert_non_null(strstr(text, "Verbale di teleconsulto"));
  assert_non_null(strstr(text, "Verdi Giuseppe"));
  assert_non_null(strstr(text, "è già stata modificata perché"));
  assert_non_null(strstr(text, "caffè € 12"));
  assert_non_null(strstr(text, "Pagina 2")); /* it did break pages */
  free(text);
}

static void page_label_is_the_callers(void **state) {
  (void)state;
  concerto_pdf *p = concerto_pdf_new("Minutes", "Page");
  assert_non_null(p);
  concerto_pdf_title(p, "Teleconsult minutes");
  char *text = finish_text(p);
  if (!text)
    skip();
  assert_non_null(strstr(text, "Page 1"));
  assert_null(strstr(text, "Pagina"));
  free(text);
}

static void missing_texts_are_tolerated(void **state) {
  (void)state;
  concerto_pdf *p = concerto_pdf_new(NULL, NULL);
  assert_non_null(p);
  concerto_pdf_title(p, NULL);
  concerto_pdf_heading(p, NULL);
  concerto_pdf_text(p, NULL);
  concerto_pdf_field(p, "Esito", NULL);
  concerto_pdf_field(p, "Vuoto", "");
  concerto_pdf_field(p, NULL, "senza etichetta");
  char *text = finish_text(p);
  if (!text)
    skip();
  assert_non_null(strstr(text, "Esito: -"));
  assert_non_null(strstr(text, "Vuoto: -")); /* "" is missing too */
  assert_non_null(strstr(text, ": senza etichetta"));
  free(text);
}

/* Wherever the text before it ends, a heading stays on the page of the
 * text under it (no form feed between them in pdftotext's output). */
static void headings_stay_with_their_text(void **state) {
  (void)state;
  for (int before = 30; before <= 75; before++) {
    concerto_pdf *p = concerto_pdf_new("Verbale", NULL);
    assert_non_null(p);
    for (int i = 0; i < before; i++)
      concerto_pdf_text(p, "riga di testo");
    concerto_pdf_heading(p, "Esito del teleconsulto");
    concerto_pdf_text(p, "Paziente trasferito in stroke unit.");
    char *text = finish_text(p);
    if (!text)
      skip();
    const char *head = strstr(text, "Esito del teleconsulto");
    const char *body = strstr(text, "Paziente trasferito");
    assert_non_null(head);
    assert_non_null(body);
    assert_true(head < body);
    for (const char *c = head; c < body; c++)
      if (*c == '\f')
        fail_msg("a page break between the heading and its text after %d "
                 "lines",
                 before);
    free(text);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keeps_accents_and_breaks_pages),
      cmocka_unit_test(page_label_is_the_callers),
      cmocka_unit_test(missing_texts_are_tolerated),
      cmocka_unit_test(headings_stay_with_their_text),
  };
  return cmocka_run_group_tests_name("pdf", tests, NULL, NULL);
}
