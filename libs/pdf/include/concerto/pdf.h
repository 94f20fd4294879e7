/* libs/pdf: a minimal text-document writer over libharu - titles,
 * headings, wrapped paragraphs and "label: value" fields on A4 pages, with
 * a header line and a page number on every page. Helvetica with
 * WinAnsiEncoding: UTF-8 input is converted to CP1252 (libs/cp1252), so
 * Italian text prints, scripts outside Latin-1 become '?'. Host-free, so
 * tests link it alone (libs/pdf/tests/).
 *
 * Version 1 (CONCERTO_PDF_VERSION): only ever grows; an incompatible change
 * would be a new header concerto/pdf_v2.h (libs/README.md). */
#ifndef CONCERTO_PDF_H
#define CONCERTO_PDF_H

#include <stdbool.h>
#include <stddef.h>

#define CONCERTO_PDF_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* A document being written; owned by the caller from concerto_pdf_new until
 * concerto_pdf_finish, which frees it. Not thread-safe: one writer each. */
typedef struct concerto_pdf concerto_pdf;

/* `header` (UTF-8, NULL for none) is repeated at the top of every page;
 * `page_word` labels the number at the bottom ("Pagina" when NULL, so
 * Italian comes first: "Pagina 2"). Both are copied. NULL when libharu
 * cannot start or memory is short. */
concerto_pdf *concerto_pdf_new(const char *header, const char *page_word);
/* The texts below are UTF-8, borrowed for the call; NULL prints nothing
 * (a field prints "-"). Errors are recorded and reported by _finish. */
void concerto_pdf_title(concerto_pdf *p, const char *utf8);   /* bold, 15 pt */
void concerto_pdf_heading(concerto_pdf *p, const char *utf8); /* bold 11.5 */
void concerto_pdf_text(concerto_pdf *p,
                       const char *utf8); /* wrapped, \n kept */
void concerto_pdf_field(concerto_pdf *p, const char *label, const char *utf8);
/* Finishes the document: *out is malloc'ed (the caller frees it with
 * free()), *len its size. Frees `p` in every case. Returns false (and
 * *out NULL) when libharu reported an error or memory was short. */
bool concerto_pdf_finish(concerto_pdf *p, unsigned char **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
