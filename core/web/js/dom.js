// Tiny DOM helpers. Text always goes through textContent (never parsed as HTML),
// so data from the server can never become markup, and nothing here needs
// an inline style or handler (the Content-Security-Policy forbids both).

import { formatDateTime } from './kit/dates.js';

/**
 * h('button', {class: 'btn', onclick: fn, 'aria-label': 'x'}, 'text', child)
 * Attributes: class, text, html is NOT supported on purpose; on<event>
 * become listeners; boolean true sets an empty attribute, false/null/undefined
 * skip it; dataset: {...}; for: sets htmlFor.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2).toLowerCase(), v);
      } else if (k === 'class') {
        el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      } else if (k === 'text') {
        el.textContent = v;
      } else if (k === 'dataset') {
        Object.assign(el.dataset, v);
      } else if (k === 'value' && 'value' in el) {
        el.value = v;
      } else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'indeterminate') {
        el[k] = Boolean(v);
        if (k === 'disabled' && v) el.setAttribute('disabled', '');
      } else if (v === true) {
        el.setAttribute(k, '');
      } else {
        el.setAttribute(k, String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let uid = 0;
/** A unique element id with a readable prefix (labels need ids). */
export function newId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled form control in a Bootstrap "mb-3" group. */
export function field({ label, id = newId('in'), control, help, invalid }) {
  control.id = id;
  const helpId = help ? `${id}-help` : null;
  const errId = `${id}-err`;
  if (helpId) control.setAttribute('aria-describedby', helpId);
  const group = h('div', { class: 'mb-3' },
    h('label', { class: 'form-label', for: id }, label),
    control,
    help ? h('div', { class: 'form-text', id: helpId }, help) : null,
    h('div', { class: 'invalid-feedback', id: errId }, invalid || ''));
  return group;
}

/** Marks a control invalid (or valid again) with a message read by screen readers. */
export function setInvalid(control, message) {
  const err = document.getElementById(`${control.id}-err`);
  const described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  if (message) {
    control.classList.add('is-invalid');
    control.setAttribute('aria-invalid', 'true');
    if (err) {
      err.textContent = message;
      if (!described.includes(err.id)) described.push(err.id);
    }
  } else {
    control.classList.remove('is-invalid');
    control.removeAttribute('aria-invalid');
    if (err) err.textContent = '';
    const i = err ? described.indexOf(err.id) : -1;
    if (i >= 0) described.splice(i, 1);
  }
  if (described.length) control.setAttribute('aria-describedby', described.join(' '));
  else control.removeAttribute('aria-describedby');
}

/**
 * The console's date and time, "23/11/2026, 10:17:04", in Europe/Rome like
 * every page (kit/dates.js); `lang` 'en' gives the en-GB form.
 */
export function formatDate(iso, lang) {
  return formatDateTime(iso, { weekday: false, seconds: true, lang });
}
