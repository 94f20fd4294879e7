/* A minimal text-document writer over libharu: titles, paragraphs with
 * word wrap and page breaks, Helvetica with WinAnsiEncoding (UTF-8 input is
 * converted to CP1252). Host-free, so tests can link it. */
#ifndef TELECONSULT_PDF_H
#define TELECONSULT_PDF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tc_pdf tc_pdf;

/* `header` is repeated at the top of every page (UTF-8). NULL on failure. */
tc_pdf *tc_pdf_new(const char *header);
void tc_pdf_title(tc_pdf *p, const char *utf8);   /* bold, larger */
void tc_pdf_heading(tc_pdf *p, const char *utf8); /* bold section title */
void tc_pdf_text(tc_pdf *p, const char *utf8);    /* wrapped, \n kept */
void tc_pdf_field(tc_pdf *p, const char *label, const char *utf8);
/* Finishes the document: *out malloc'ed (caller frees). Frees `p` in any
 * case. Returns false when libharu reported an error. */
bool tc_pdf_finish(tc_pdf *p, unsigned char **out, size_t *len);

#endif
