// Shared helpers of the teleconsult pages: the module's own dictionaries,
// the API base, dates, status labels, small building blocks.
import { h } from '/static/js/dom.js';
import { tOpt } from '/static/js/i18n.js';

export const BASE = '/api/v1/teleconsult';
export const MODULE = '/modules/teleconsult';

let dict = {};
let fallback = {};
let lang = 'it';
// Missing keys join the core's list so the browser tests catch them too.
const missing = window.__concertoMissingI18n || new Set();

export async function loadDictionaries(language) {
  lang = language === 'en' ? 'en' : 'it';
  const fetchDict = async (l) => {
    const r = await fetch(`${MODULE}/i18n/${l}.json`, { credentials: 'same-origin' });
    if (!r.ok) throw new Error(`teleconsult i18n ${l}: ${r.status}`);
    return r.json();
  };
  fallback = await fetchDict('it');
  dict = lang === 'it' ? fallback : await fetchDict(lang);
}

export function currentLang() {
  return lang;
}

/** The module's texts: tc(key, {vars}). */
export function tc(key, vars) {
  let s = dict[key];
  if (s === undefined) s = fallback[key];
  if (s === undefined) {
    missing.add(`teleconsult:${key}`);
    s = key;
  }
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  return s;
}

/** A text that may legitimately be absent (status codes from the server). */
export function tcOpt(key, otherwise) {
  const s = dict[key] ?? fallback[key];
  return s === undefined ? otherwise : s;
}

export function roleLabel(role) {
  return tOpt(`role.${role}`, role);
}

function toDate(iso) {
  if (!iso) return null;
  if (typeof iso === 'string' && /^\d{4}-\d\d-\d\d$/.test(iso)) {
    // A calendar date (birth date): local midnight, not UTC.
    const [y, m, dd] = iso.split('-').map(Number);
    return new Date(y, m - 1, dd);
  }
  // PostgreSQL's text form "2026-11-22 10:17:04+00" as ISO 8601 too.
  const text = typeof iso === 'string'
    ? iso.replace(/^(\d{4}-\d\d-\d\d) (\d)/, '$1T$2').replace(/(T[\d:.]+[+-]\d\d)$/, '$1:00') : iso;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}
export { toDate };

const locale = () => (lang === 'en' ? 'en-GB' : 'it-IT');

export function fmtDateTime(iso) {
  const d = toDate(iso);
  if (!d) return iso ? String(iso) : '';
  return d.toLocaleString(locale(), {
    weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

export function fmtDate(iso) {
  const d = toDate(iso);
  if (!d) return iso ? String(iso) : '';
  return d.toLocaleDateString(locale(), { day: '2-digit', month: '2-digit', year: 'numeric' });
}

export function fmtTime(iso) {
  const d = toDate(iso);
  return d ? d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' }) : '';
}

export function fmtRange(a, b) {
  if (!a) return tc('common.unscheduled');
  return b ? `${fmtDateTime(a)} – ${fmtTime(b)}` : fmtDateTime(a);
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** "YYYY-MM-DD" of a local date. */
export function isoDay(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** A local "datetime-local" value to ISO 8601 with the browser's offset. */
export function localToIso(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const p = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  return `${value.length === 16 ? `${value}:00` : value}${sign}${p(off / 60)}:${p(off % 60)}`;
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

/** Marks what is drawn, for tests and tooling: body[data-rendered]. */
export function markRendered(name) {
  document.body.dataset.rendered = name;
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

/** Roles in the current hospital (the server checks again). */
export function can(user, ...roles) {
  if (!user) return false;
  const here = (user.roles && user.roles[user.current_tenant]) || [];
  return roles.some((r) => here.includes(r));
}
