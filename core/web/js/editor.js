// A plain code editor: a textarea with a line-number gutter, error-line
// marks and "go to line". Tab is left to the browser (moves focus), so the
// editor never traps keyboard users; indent with spaces.
import { h, newId } from './dom.js';
import { t } from './i18n.js';

export function codeEditor({ label, value = '', describedBy } = {}) {
  const id = newId('code');
  const gutter = h('div', { class: 'code-gutter', 'aria-hidden': 'true' });
  const ta = h('textarea', {
    class: 'code-input', id, spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
    wrap: 'off', rows: '20', 'aria-describedby': [`${id}-status`, describedBy].filter(Boolean).join(' '),
  });
  ta.value = value;
  const status = h('div', { class: 'code-status mt-1', id: `${id}-status` });
  let marked = new Set();
  let lines = 0;

  function drawGutter() {
    const n = ta.value.split('\n').length;
    if (n === lines && !drawGutter.force) return;
    drawGutter.force = false;
    lines = n;
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= n; i++) {
      const d = document.createElement('div');
      d.textContent = String(i);
      if (marked.has(i)) d.className = 'error';
      frag.append(d);
    }
    gutter.replaceChildren(frag);
    gutter.scrollTop = ta.scrollTop;
  }

  function caret() {
    const before = ta.value.slice(0, ta.selectionStart);
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    status.textContent = t('editor.position', { line, col, lines });
  }

  ta.addEventListener('input', () => { drawGutter(); caret(); });
  ta.addEventListener('scroll', () => { gutter.scrollTop = ta.scrollTop; });
  ['keyup', 'click', 'focus'].forEach((ev) => ta.addEventListener(ev, caret));

  const el = h('div', {},
    h('label', { class: 'form-label', for: id }, label || t('editor.source')),
    h('div', { class: 'code-editor' }, gutter, ta),
    status);
  drawGutter();

  return {
    el,
    textarea: ta,
    value: () => ta.value,
    setValue(v) {
      ta.value = v;
      marked = new Set();
      drawGutter.force = true;
      drawGutter();
    },
    /** Marks lines (1-based) as erroneous in the gutter. */
    markLines(list) {
      marked = new Set((list || []).filter((n) => Number.isInteger(n) && n > 0));
      drawGutter.force = true;
      drawGutter();
    },
    /** Focuses the editor with line n selected and scrolled into view. */
    goToLine(n) {
      const all = ta.value.split('\n');
      const line = Math.max(1, Math.min(n, all.length));
      let start = 0;
      for (let i = 0; i < line - 1; i++) start += all[i].length + 1;
      ta.focus();
      ta.setSelectionRange(start, start + all[line - 1].length);
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
      ta.scrollTop = Math.max(0, (line - 4) * lh);
      gutter.scrollTop = ta.scrollTop;
      caret();
    },
  };
}

/** The line of a Lua error: {line} if given, else "chunk.lua:12: ..." */
export function errorLine(e) {
  if (!e) return null;
  if (Number.isInteger(e.line)) return e.line;
  if (typeof e.line === 'string' && /^\d+$/.test(e.line)) return Number(e.line);
  const text = String(e.message || e.detail || '');
  const m = text.match(/:(\d+):/);
  return m ? Number(m[1]) : null;
}
