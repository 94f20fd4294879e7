/* libharu text layout. libharu reports errors through a callback: we
 * record that one happened and carry on, checking once at the end, so the
 * callers need no error path per line. */
#include <concerto/pdf.h>

#include <hpdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <concerto/cp1252.h>

#define MARGIN 56.0f
#define PAGE_W 595.0f /* A4 */
#define PAGE_H 842.0f

struct concerto_pdf {
  HPDF_Doc doc;
  HPDF_Page page;
  HPDF_Font regular, bold;
  float y;
  int pages;
  bool failed;
  char header[256];   /* CP1252 */
  char page_word[32]; /* CP1252 */
};

static void on_error(HPDF_STATUS error, HPDF_STATUS detail, void *ud) {
  (void)error;
  (void)detail;
  ((concerto_pdf *)ud)->failed = true;
}

static void new_page(concerto_pdf *p) {
  p->page = HPDF_AddPage(p->doc);
  if (!p->page) {
    p->failed = true;
    return;
  }
  HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
  p->pages++;
  HPDF_Page_BeginText(p->page);
  HPDF_Page_SetFontAndSize(p->page, p->regular, 8);
  HPDF_Page_TextOut(p->page, MARGIN, PAGE_H - 30, p->header);
  char num[48];
  snprintf(num, sizeof num, "%s %d", p->page_word, p->pages);
  /* 40 pt from the margin fits "Pagina 99"; a longer label ends at it. */
  float x = PAGE_W - MARGIN - 40, width = HPDF_Page_TextWidth(p->page, num);
  if (x + width > PAGE_W - MARGIN)
    x = PAGE_W - MARGIN - width;
  HPDF_Page_TextOut(p->page, x, 24, num);
  HPDF_Page_EndText(p->page);
  p->y = PAGE_H - 56;
}

concerto_pdf *concerto_pdf_new(const char *header, const char *page_word) {
  concerto_pdf *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->doc = HPDF_New(on_error, p);
  if (!p->doc) {
    free(p);
    return NULL;
  }
  HPDF_SetCompressionMode(p->doc, HPDF_COMP_ALL);
  p->regular = HPDF_GetFont(p->doc, "Helvetica", "WinAnsiEncoding");
  p->bold = HPDF_GetFont(p->doc, "Helvetica-Bold", "WinAnsiEncoding");
  concerto_cp1252_from_utf8(header ? header : "", p->header, sizeof p->header);
  concerto_cp1252_from_utf8(page_word ? page_word : "Pagina", p->page_word,
                            sizeof p->page_word);
  new_page(p);
  return p;
}

/* One physical line at the cursor; a new page when the bottom is near. */
static void put_line(concerto_pdf *p, HPDF_Font font, float size,
                     const char *cp, size_t n) {
  if (p->failed)
    return;
  if (p->y < 60)
    new_page(p);
  if (p->failed)
    return;
  char buf[1024];
  if (n >= sizeof buf)
    n = sizeof buf - 1;
  memcpy(buf, cp, n);
  buf[n] = '\0';
  HPDF_Page_BeginText(p->page);
  HPDF_Page_SetFontAndSize(p->page, font, size);
  HPDF_Page_TextOut(p->page, MARGIN, p->y, buf);
  HPDF_Page_EndText(p->page);
  p->y -= size * 1.35f;
}

/* Word wrap of CP1252 text to the page width (long words are cut). */
static void wrap(concerto_pdf *p, HPDF_Font font, float size,
                 const char *utf8) {
  if (!utf8 || p->failed)
    return;
  size_t cap = strlen(utf8) + 1;
  char *cp = malloc(cap);
  if (!cp) {
    p->failed = true;
    return;
  }
  concerto_cp1252_from_utf8(utf8, cp, cap);
  HPDF_Page_SetFontAndSize(p->page, font, size);
  const float width = PAGE_W - 2 * MARGIN;
  for (char *line = cp; line && !p->failed;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    size_t len = strlen(line);
    if (len == 0)
      put_line(p, font, size, "", 0);
    while (len > 0 && !p->failed) {
      HPDF_Page_SetFontAndSize(p->page, font, size);
      HPDF_REAL real;
      HPDF_UINT fit =
          HPDF_Page_MeasureText(p->page, line, width, HPDF_TRUE, &real);
      if (fit == 0) /* a word longer than the line: cut it */
        fit = HPDF_Page_MeasureText(p->page, line, width, HPDF_FALSE, &real);
      if (fit == 0 || fit > len)
        fit = (HPDF_UINT)len;
      put_line(p, font, size, line, fit);
      line += fit;
      len -= fit;
      while (len > 0 && *line == ' ') {
        line++;
        len--;
      }
    }
    line = nl ? nl + 1 : NULL;
  }
  free(cp);
}

void concerto_pdf_title(concerto_pdf *p, const char *utf8) {
  wrap(p, p->bold, 15, utf8);
  p->y -= 4;
}

/* A heading never ends a page alone: with less room than the heading
 * and its first lines of text, it starts the next page. */
#define HEADING_KEEP (60 + 6 + 11.5f * 1.35f + 3 * 10 * 1.35f)

void concerto_pdf_heading(concerto_pdf *p, const char *utf8) {
  if (!p->failed && p->y < HEADING_KEEP)
    new_page(p);
  p->y -= 6;
  wrap(p, p->bold, 11.5f, utf8);
}

void concerto_pdf_text(concerto_pdf *p, const char *utf8) {
  wrap(p, p->regular, 10, utf8);
}

void concerto_pdf_field(concerto_pdf *p, const char *label, const char *utf8) {
  if (!label)
    label = "";
  const char *value = utf8 && *utf8 ? utf8 : "-";
  size_t n = strlen(label) + strlen(value) + 3;
  char *s = malloc(n);
  if (!s) {
    p->failed = true;
    return;
  }
  snprintf(s, n, "%s: %s", label, value);
  wrap(p, p->regular, 10, s);
  free(s);
}

bool concerto_pdf_finish(concerto_pdf *p, unsigned char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  bool ok = !p->failed && HPDF_SaveToStream(p->doc) == HPDF_OK;
  if (ok) {
    HPDF_UINT32 size = HPDF_GetStreamSize(p->doc);
    unsigned char *buf = malloc(size ? size : 1);
    HPDF_UINT32 got = size;
    HPDF_ResetStream(p->doc);
    /* At the end of the stream libharu answers HPDF_STREAM_EOF (and calls
     * the error callback): what counts is that every byte arrived. */
    if (buf)
      HPDF_ReadFromStream(p->doc, buf, &got);
    if (buf && got == size) {
      *out = buf;
      *len = size;
    } else {
      free(buf);
      ok = false;
    }
  }
  HPDF_Free(p->doc);
  free(p);
  return ok;
}
