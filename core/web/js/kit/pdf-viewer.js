// PDF viewer with Debian's pdf.js (libjs-pdf, served by the core at
// /vendor/pdf/). pdf.js is a classic UMD script: it is loaded with a
// <script src> (script-src 'self'); its worker comes from the same origin
// (worker-src falls back to script-src 'self'). isEvalSupported: false keeps
// pdf.js from compiling code at run time (no 'unsafe-eval' in the policy).
// Part of the module kit (kit/v1.js, docs/web-kit.md; styles in
// /static/css/kit/v1.css).
import { h } from '../dom.js';
import { t } from '../i18n.js';

const PDF_JS = '/vendor/pdf/build/pdf.js';
const PDF_WORKER = '/vendor/pdf/build/pdf.worker.js';
let loading = null;

function loadPdfJs() {
  if (window.pdfjsLib) return Promise.resolve(window.pdfjsLib);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = PDF_JS;
      s.async = true;
      s.addEventListener('load', () => {
        const lib = window.pdfjsLib;
        if (!lib) {
          reject(new Error('pdf.js did not load'));
          return;
        }
        lib.GlobalWorkerOptions.workerSrc = PDF_WORKER;
        resolve(lib);
      });
      s.addEventListener('error', () => {
        loading = null;
        reject(new Error('pdf.js not available'));
      });
      document.head.append(s);
    });
  }
  return loading;
}

/**
 * Renders every page (up to maxPages) of the PDF at url (same origin, the
 * session's cookie is sent) into el, replacing what it held: a canvas plus
 * a text layer (selectable, findable) per page, at `width` pixels or el's
 * width. Sets el.dataset.pdf to "loading", "rendered" or "error"; on error
 * el shows a link to open the file instead. Resolves when done (it never
 * rejects).
 */
export async function showPdf(el, url, { maxPages = 20, width } = {}) {
  el.dataset.pdf = 'loading';
  const status = h('p', { class: 'small text-muted', role: 'status' }, t('kit.pdf.loading'));
  el.replaceChildren(status);
  try {
    const lib = await loadPdfJs();
    const doc = await lib.getDocument({
      url,
      withCredentials: true,
      isEvalSupported: false,
      standardFontDataUrl: '/vendor/pdf/web/standard_fonts/',
      cMapUrl: '/vendor/pdf/web/cmaps/',
      cMapPacked: true,
    }).promise;
    const pages = Math.min(doc.numPages, maxPages);
    status.textContent = t('kit.pdf.pages', { n: doc.numPages });
    const avail = width || Math.max(280, Math.min(el.clientWidth || 800, 1000) - 8);
    for (let i = 1; i <= pages; i += 1) {
      const page = await doc.getPage(i);
      const base = page.getViewport({ scale: 1 });
      const scale = avail / base.width;
      const viewport = page.getViewport({ scale });
      const ratio = window.devicePixelRatio || 1;
      const canvas = h('canvas', { class: 'kit-pdf-canvas', 'aria-hidden': 'true' });
      canvas.width = Math.floor(viewport.width * ratio);
      canvas.height = Math.floor(viewport.height * ratio);
      canvas.style.width = `${Math.floor(viewport.width)}px`;
      canvas.style.height = `${Math.floor(viewport.height)}px`;
      const textLayer = h('div', { class: 'textLayer kit-pdf-text' });
      const wrap = h('div', {
        class: 'kit-pdf-page', 'data-page': i, role: 'region', 'aria-label': t('kit.pdf.page', { n: i, of: doc.numPages }),
      }, canvas, textLayer);
      wrap.style.width = `${Math.floor(viewport.width)}px`;
      wrap.style.height = `${Math.floor(viewport.height)}px`;
      el.append(wrap);
      const ctx2d = canvas.getContext('2d');
      await page.render({
        canvasContext: ctx2d, viewport, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
      }).promise;
      const textContent = await page.getTextContent();
      textLayer.style.setProperty('--scale-factor', String(scale));
      const task = lib.renderTextLayer({
        textContent, container: textLayer, viewport, textDivs: [],
      });
      await task.promise;
      wrap.dataset.rendered = 'true';
    }
    if (doc.numPages > pages) el.append(h('p', { class: 'small text-muted' }, t('kit.pdf.morePages', { n: doc.numPages - pages })));
    el.dataset.pdf = 'rendered';
  } catch (err) {
    el.dataset.pdf = 'error';
    el.replaceChildren(h('div', { class: 'alert alert-warning', role: 'alert' }, t('kit.pdf.error'), ' ',
      h('a', { href: url, target: '_blank', rel: 'noopener' }, t('kit.pdf.openNewTab'))));
    console.warn('pdf viewer', err);
  }
}
