// A submitted form as a clinician reads it (every module that shows an
// anamnesis): the form's sections and fields in the form's order, labels
// instead of codes, units, Sì/No, choices by their label, numbers with the
// field's precision in the reader's language, dates in the reader's
// format. Answers the form does not describe (a field of another version)
// follow under "Altre risposte" by code, so nothing shared is hidden.
// The server's minutes use the same rules (modules/teleconsult/src/
// anamnesis_text.c).
import { h } from './dom.js';
import { t, language } from './i18n.js';

function decimalsOf(field) {
  const step = Number(field && field.step);
  if (!(step > 0 && step < 1)) return null;
  const digits = String(step).split('.')[1] || '';
  return Math.min(digits.length, 6);
}

function numberText(v, field) {
  const d = decimalsOf(field);
  const opts = d === null ? { maximumFractionDigits: 6 } : { minimumFractionDigits: d, maximumFractionDigits: d };
  return new Intl.NumberFormat(language() === 'en' ? 'en-GB' : 'it-IT', opts).format(v);
}

function dateText(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(s);
  if (!m) return s;
  const day = `${m[3]}/${m[2]}/${m[1]}`;
  return m[4] ? `${day} ${m[4]}:${m[5]}` : day;
}

function choiceLabel(field, v) {
  const c = (field && Array.isArray(field.choices) ? field.choices : [])
    .find((x) => (x && typeof x === 'object' ? x.value : x) === v);
  if (c === undefined) return null;
  return typeof c === 'object' ? String(c.label ?? c.value) : String(c);
}

/** One answer as text, in the words of its field (field may be null). */
export function answerText(v, field) {
  if (v === true) return t('answers.yes');
  if (v === false) return t('answers.no');
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.map((x) => choiceLabel(field, x) ?? answerText(x, null)).join(', ');
  const label = choiceLabel(field, v);
  if (label !== null) return label;
  const unit = field && field.unit ? ` ${field.unit}` : '';
  if (typeof v === 'number') return `${numberText(v, field)}${unit}`;
  if (typeof v === 'string' && field && /^date/.test(field.type || '')) return dateText(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return `${v}${unit}`;
}

const answered = (v) => !(v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length));

/**
 * The answers (object) of `form` (its rendered JSON, may be null) as
 * sections of label/value pairs. Returns an element.
 */
export function renderAnswers(form, answers) {
  const values = answers && typeof answers === 'object' && !Array.isArray(answers) ? answers : {};
  const sections = form && Array.isArray(form.sections) ? form.sections : [];
  const seen = new Set();
  const root = h('div', { class: 'form-answers', 'data-testid': 'form-answers' });
  const block = (title, rows) => h('section', { class: 'mb-2' },
    title ? h('h4', { class: 'h6 text-muted mb-1' }, title) : null,
    h('dl', { class: 'row mb-0' }, rows.flatMap(([id, label, value]) => [
      h('dt', { class: 'col-sm-5 fw-normal text-muted' }, label),
      h('dd', { class: 'col-sm-7 mb-1', 'data-answer': id }, value)])));
  sections.forEach((sec) => {
    const rows = [];
    (Array.isArray(sec.fields) ? sec.fields : []).forEach((f) => {
      if (!f || !f.id) return;
      seen.add(f.id);
      if (answered(values[f.id])) rows.push([f.id, f.label || f.id, answerText(values[f.id], f)]);
    });
    if (rows.length) root.append(block(sec.title, rows));
  });
  const extra = Object.keys(values).filter((k) => !seen.has(k) && answered(values[k]))
    .map((k) => [k, k, answerText(values[k], null)]);
  if (extra.length) root.append(block(sections.length ? t('answers.other') : null, extra));
  if (!root.children.length) root.append(h('p', { class: 'text-muted small mb-0' }, t('answers.none')));
  return root;
}
