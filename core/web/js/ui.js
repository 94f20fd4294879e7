// Building blocks shared by the console pages: page titles, loading and
// error states, problem+json messages, field errors from 422 answers.

import { h, setInvalid } from './dom.js';
import { t, tOpt } from './i18n.js';

export function pageHeader(title, intro) {
  document.title = `${title} · Concerto`;
  return h('div', { class: 'page-header mb-4' },
    h('h1', { class: 'h3 mb-1', tabindex: '-1' }, title),
    intro ? h('p', { class: 'text-muted mb-0' }, intro) : null);
}

export function loading() {
  return h('div', { class: 'd-flex align-items-center gap-2 my-3 text-muted', role: 'status' },
    h('div', { class: 'spinner-border spinner-border-sm', 'aria-hidden': 'true' }),
    h('span', {}, t('common.loading')));
}

/** A readable sentence for an ApiError (or any error). */
export function problemMessage(err) {
  if (!err) return t('error.generic');
  if (err.code === 'rate_limited') {
    return t('error.code.rate_limited', { seconds: err.retryAfter || '?' });
  }
  const byCode = err.code ? tOpt(`error.code.${err.code}`, null) : null;
  if (byCode) return byCode;
  if (err.status === 0) return t('error.network');
  if (err.detail) return err.detail;
  const byStatus = tOpt(`error.status.${err.status}`, null);
  return byStatus || err.message || t('error.generic');
}

/** An alert box; role=alert so it is read out when it appears. */
export function alertBox(kind, text, extra) {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'danger' || kind === 'warning' ? 'alert' : 'status' },
    text, extra || null);
}

/* A field error in the user's language: by its code where the core's
   dictionary has one (fieldError.<code>: required, type, length, email,
   phone, choice, date, the codice fiscale's cf_*), else the server's
   message (a module's own wording, or a detail like an example number). */
export function fieldErrorText(e) {
  const byCode = e && e.code ? tOpt(`fieldError.${e.code}`, null) : null;
  return byCode || (e && e.message) || t('error.generic');
}

/* A field's name for a list of errors: the page's label when given. */
function fieldName(field, labels) {
  return (labels && labels[field]) || tOpt(`field.${field}`, null) || field;
}

export function errorAlert(err, labels) {
  const items = (err && err.errors && err.errors.length)
    ? h('ul', { class: 'mb-0 mt-2' }, err.errors.map((e) => h('li', {}, e.field ? `${fieldName(e.field, labels)}: ${fieldErrorText(e)}` : fieldErrorText(e))))
    : null;
  return alertBox('danger', problemMessage(err), items);
}

/**
 * Shows a 422's per-field errors on the matching controls ({field: control}).
 * Returns the errors that matched no control.
 */
export function applyFieldErrors(controls, err) {
  Object.values(controls).forEach((c) => c && setInvalid(c, null));
  const rest = [];
  for (const e of (err && err.errors) || []) {
    const c = controls[e.field];
    if (c) setInvalid(c, fieldErrorText(e));
    else rest.push(e);
  }
  const first = Object.values(controls).find((c) => c && c.classList.contains('is-invalid'));
  if (first) first.focus();
  return rest;
}

export function clearFieldErrors(controls) {
  Object.values(controls).forEach((c) => c && setInvalid(c, null));
}

/** A message area that replaces its content (read by screen readers). */
export function messageArea() {
  const el = h('div', { class: 'message-area', 'aria-live': 'polite' });
  return {
    el,
    show(node) {
      el.replaceChildren(node);
    },
    clear() {
      el.replaceChildren();
    },
    ok(text) {
      el.replaceChildren(alertBox('success', text));
    },
    error(err) {
      el.replaceChildren(typeof err === 'string' ? alertBox('danger', err) : errorAlert(err));
    },
  };
}

export function badge(text, kind = 'secondary') {
  return h('span', { class: `badge text-bg-${kind} me-1` }, text);
}

/** Renders a page-level failure (403/503 get the error page's look). */
export function pageError(main, err) {
  main.replaceChildren(errorAlert(err));
}

export function submitBusy(button, busy) {
  button.disabled = busy;
  button.setAttribute('aria-busy', busy ? 'true' : 'false');
}

/** A labelled hospital selector for pages that work on one hospital. */
export function tenantPicker(tenants, selected, onChange, id = 'tenant-picker') {
  const sel = h('select', { class: 'form-select', id, onchange: () => onChange(sel.value) },
    tenants.map((x) => h('option', { value: x.code, selected: x.code === selected }, `${x.name} (${x.code})`)));
  return {
    el: h('div', { class: 'row g-2 align-items-center mb-3' },
      h('div', { class: 'col-auto' }, h('label', { class: 'col-form-label', for: id }, t('common.hospital'))),
      h('div', { class: 'col-12 col-sm-8 col-lg-5' }, sel)),
    select: sel,
  };
}

/**
 * A "refresh the list" button: clears the message area, awaits load(), then
 * calls after() (e.g. announce). Busy meanwhile through aria-busy only:
 * disabling it would drop the keyboard focus.
 */
export function refreshButton({
  label, testid, msg, load, after, className = 'btn btn-sm btn-outline-primary',
}) {
  const button = h('button', {
    type: 'button', class: className, 'data-testid': testid,
    onclick: async () => {
      if (button.getAttribute('aria-busy') === 'true') return;
      button.setAttribute('aria-busy', 'true');
      msg.clear();
      await load();
      button.setAttribute('aria-busy', 'false');
      if (after) after();
    },
  }, label);
  return button;
}

