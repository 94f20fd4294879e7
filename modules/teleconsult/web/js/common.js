// Shared helpers of the teleconsult pages: the module's texts, the API
// base, dates, status labels, small building blocks. Everything from the
// console comes through the module kit (/static/js/kit/v1.js).
import {
  h, texts, formatDateTime, formatDate, formatTime, formatRange,
} from '/static/js/kit/v1.js';

export const BASE = '/api/v1/teleconsult';

const own = texts('teleconsult');

/** The module's texts: tc(key, {vars}) (loaded by startModuleApp or loadTexts). */
export const tc = own.t;

/** A text that may legitimately be absent (status codes from the server). */
export const tcOpt = own.tOpt;

export { formatDateTime as fmtDateTime, formatDate as fmtDate, formatTime as fmtTime };

/** A session's time, or "time to be set". */
export function fmtRange(a, b) {
  return formatRange(a, b) || tc('common.unscheduled');
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const STATUS_KIND = {
  draft: 'secondary', scheduling: 'warning', scheduled: 'primary', in_progress: 'success',
  closed: 'dark', cancelled: 'secondary', open: 'warning',
};
export function statusBadge(status) {
  return h('span', { class: `badge text-bg-${STATUS_KIND[status] || 'secondary'}`, 'data-status': status || '' },
    tcOpt(`status.${status}`, status || '—'));
}

const URGENCY_KIND = { routine: 'secondary', urgent: 'warning', emergency: 'danger' };
export function urgencyBadge(u) {
  return h('span', { class: `badge text-bg-${URGENCY_KIND[u] || 'secondary'}`, 'data-urgency': u || '' },
    tcOpt(`urgency.${u}`, u || '—'));
}

export function priorityLabel(p) {
  return tcOpt(`priority.${p}`, p || '—');
}

export function slaLabel(hours) {
  if (hours === undefined || hours === null || hours === '') return '—';
  const n = Number(hours);
  if (Number.isFinite(n) && n < 1) return tc('sla.minutes', { n: Math.round(n * 60) });
  return tc('sla.hours', { n });
}

export function patientName(p) {
  if (!p) return '';
  return [p.surname, p.given_name].filter(Boolean).join(' ');
}

export function hospitalName(x) {
  if (!x) return '';
  if (typeof x === 'string') return x;
  return x.name ? `${x.name}${x.code ? ` (${x.code})` : ''}` : (x.code || '');
}

/** A titled Bootstrap card; body children appended. */
export function card(title, ...children) {
  const id = `card-${Math.random().toString(36).slice(2, 8)}`;
  return h('section', { class: 'card mb-4', 'aria-labelledby': id },
    h('div', { class: 'card-header' }, h('h2', { class: 'h5 mb-0', id }, title)),
    h('div', { class: 'card-body' }, children));
}

export function emptyText(text) {
  return h('p', { class: 'text-muted mb-0' }, text);
}

/** The module's own navigation (under the shell's header). */
export function subnav(active) {
  const items = [
    ['dashboard', '#/', 'nav.dashboard'],
    ['request-new', '#/requests/new', 'nav.newRequest'],
    ['requests', '#/requests', 'nav.requests'],
    ['groups', '#/groups', 'nav.groups'],
  ];
  return h('nav', { class: 'tc-subnav mb-3', 'aria-label': tc('nav.label') },
    h('ul', { class: 'nav nav-pills flex-wrap gap-1' }, items.map(([key, href, label]) => h('li', { class: 'nav-item' },
      h('a', {
        class: ['nav-link', key === active ? 'active' : ''], href, 'aria-current': key === active ? 'page' : null,
      }, tc(label))))));
}

export function pageTitle(title, intro) {
  document.title = `${title} · ${tc('module.title')} · Concerto`;
  return h('div', { class: 'page-header mb-3' },
    h('h1', { class: 'h3 mb-1', tabindex: '-1' }, title),
    intro ? h('p', { class: 'text-muted mb-0' }, intro) : null);
}
