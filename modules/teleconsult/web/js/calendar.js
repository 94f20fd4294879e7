// Month / week calendar of the caller's sessions, pure DOM, from
// GET /calendar?from=&to= (at most 62 days per call).
import { h } from '/static/js/dom.js';
import { get, enc } from '/static/js/api.js';
import {
  BASE, tc, isoDay, toDate, fmtTime, currentLang, statusBadge,
} from './common.js';

function startOfWeek(d) {
  const x = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const dow = (x.getDay() + 6) % 7; // Monday first
  x.setDate(x.getDate() - dow);
  return x;
}

function addDays(d, n) {
  const x = new Date(d);
  x.setDate(x.getDate() + n);
  return x;
}

export function calendar() {
  let view = 'month';
  let anchor = new Date();
  const grid = h('div', { class: 'tc-calendar', 'aria-live': 'polite' });
  const title = h('h3', { class: 'h6 mb-0 flex-grow-1 text-capitalize', id: 'tc-cal-title' });
  const viewBtns = {};
  const setView = (v) => {
    view = v;
    Object.entries(viewBtns).forEach(([k, b]) => {
      b.classList.toggle('active', k === v);
      b.setAttribute('aria-pressed', k === v ? 'true' : 'false');
    });
    draw();
  };
  const move = (n) => {
    if (view === 'month') anchor = new Date(anchor.getFullYear(), anchor.getMonth() + n, 1);
    else anchor = addDays(anchor, 7 * n);
    draw();
  };
  viewBtns.month = h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onclick: () => setView('month') }, tc('calendar.month'));
  viewBtns.week = h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onclick: () => setView('week') }, tc('calendar.week'));
  const bar = h('div', { class: 'd-flex flex-wrap align-items-center gap-2 mb-2' },
    h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', 'aria-label': tc('calendar.prev'), onclick: () => move(-1) }, '‹'),
    h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onclick: () => { anchor = new Date(); draw(); } }, tc('calendar.today')),
    h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', 'aria-label': tc('calendar.next'), onclick: () => move(1) }, '›'),
    title,
    h('div', { class: 'btn-group', role: 'group', 'aria-label': tc('calendar.view') }, viewBtns.month, viewBtns.week));
  const el = h('div', { 'data-testid': 'calendar' }, bar, grid);
  let seq = 0;

  async function draw() {
    const my = ++seq;
    el.dataset.loaded = 'false';
    let from;
    let days;
    const locale = currentLang() === 'en' ? 'en-GB' : 'it-IT';
    if (view === 'month') {
      const first = new Date(anchor.getFullYear(), anchor.getMonth(), 1);
      from = startOfWeek(first);
      const last = new Date(anchor.getFullYear(), anchor.getMonth() + 1, 0);
      const end = addDays(startOfWeek(last), 7);
      days = Math.round((end - from) / 86400000);
      title.textContent = first.toLocaleDateString(locale, { month: 'long', year: 'numeric' });
    } else {
      from = startOfWeek(anchor);
      days = 7;
      const to = addDays(from, 6);
      title.textContent = `${from.toLocaleDateString(locale, { day: 'numeric', month: 'short' })} – ${to.toLocaleDateString(locale, { day: 'numeric', month: 'short', year: 'numeric' })}`;
    }
    const to = addDays(from, days);
    let events = [];
    try {
      const r = await get(`${BASE}/calendar?from=${enc(isoDay(from))}&to=${enc(isoDay(to))}`);
      events = (r && r.events) || [];
    } catch (err) {
      if (my !== seq) return;
      grid.replaceChildren(h('p', { class: 'text-danger' }, tc('calendar.error')));
      el.dataset.loaded = 'true';
      return;
    }
    if (my !== seq) return;
    const byDay = new Map();
    events.forEach((e) => {
      const d = toDate(e.starts_at);
      if (!d) return;
      const k = isoDay(d);
      if (!byDay.has(k)) byDay.set(k, []);
      byDay.get(k).push(e);
    });
    const today = isoDay(new Date());
    const heads = [];
    for (let i = 0; i < 7; i += 1) {
      heads.push(h('div', { class: 'tc-cal-head', role: 'columnheader' },
        addDays(from, i).toLocaleDateString(locale, { weekday: 'short' })));
    }
    const rows = [];
    for (let w = 0; w < days / 7; w += 1) {
      const cells = [];
      for (let i = 0; i < 7; i += 1) {
        const d = addDays(from, w * 7 + i);
        const k = isoDay(d);
        const list = (byDay.get(k) || []).sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
        const outside = view === 'month' && d.getMonth() !== anchor.getMonth();
        cells.push(h('div', {
          class: ['tc-cal-day', outside ? 'outside' : '', k === today ? 'today' : '', view === 'week' ? 'week' : ''],
          role: 'gridcell', 'data-day': k,
          'aria-label': `${d.toLocaleDateString(locale, { weekday: 'long', day: 'numeric', month: 'long' })}${list.length ? `, ${tc('calendar.events', { n: list.length })}` : ''}`,
        },
        h('div', { class: 'tc-cal-num', 'aria-hidden': 'true' }, String(d.getDate())),
        list.map((e) => h('a', {
          class: 'tc-cal-event', href: `#/sessions/${e.session_id}`, 'data-session': e.session_id,
        }, h('span', { class: 'tc-cal-time' }, fmtTime(e.starts_at)), ' ', e.theme || '', ' ', statusBadge(e.status)))));
      }
      rows.push(h('div', { class: 'tc-cal-row', role: 'row' }, cells));
    }
    grid.replaceChildren(h('div', { class: 'tc-cal-grid', role: 'grid', 'aria-labelledby': 'tc-cal-title' },
      h('div', { class: 'tc-cal-row tc-cal-heads', role: 'row' }, heads), rows));
    el.dataset.loaded = 'true';
  }
  setView('month');
  return el;
}
