// Month / week calendar, pure DOM: the caller loads the events of the days
// shown (a month view asks for at most 42 days). Days are Europe/Rome days
// (dates.js), whatever the browser's zone, and the week starts on Monday.
// Part of the module kit (kit/v1.js, docs/web-kit.md; styles in
// /static/css/kit/v1.css); first written for teleconsult's dashboard.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import {
  dayKey, formatTime, locale, parseDate,
} from './dates.js';

// Day arithmetic on plain calendar days, kept as UTC midnights so no
// zone or summer time can move them; shown with timeZone UTC.
const dayOf = (key) => {
  const [y, m, d] = key.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
};
const keyOf = (day) => day.toISOString().slice(0, 10);
const addDays = (day, n) => new Date(day.getTime() + n * 86400000);
const startOfWeek = (day) => addDays(day, -((day.getUTCDay() + 6) % 7));
const label = (day, options) => day.toLocaleDateString(locale(), { timeZone: 'UTC', ...options });

/**
 * The calendar element (data-testid="calendar"; data-loaded "true" once a
 * period is drawn). load(from, to) gets the first day shown and the day
 * after the last ("YYYY-MM-DD") and resolves with the events:
 * [{starts_at, title, href, badge?, dataset?}] - badge a Node shown after
 * the title, dataset data-* attributes of the event's link. eventsLabel(n)
 * names a day's count for screen readers (default "n events").
 */
export function calendar({ load, eventsLabel } = {}) {
  let view = 'month';
  let anchor = dayOf(dayKey(new Date()));
  const grid = h('div', { class: 'kit-calendar', 'aria-live': 'polite' });
  const titleId = `kit-cal-title-${Math.random().toString(36).slice(2, 8)}`;
  const title = h('h3', { class: 'h6 mb-0 flex-grow-1 text-capitalize', id: titleId });
  const viewBtns = {};
  const count = (n) => (eventsLabel ? eventsLabel(n) : t('kit.calendar.events', { n }));
  const setView = (v) => {
    view = v;
    Object.entries(viewBtns).forEach(([k, b]) => {
      b.classList.toggle('active', k === v);
      b.setAttribute('aria-pressed', k === v ? 'true' : 'false');
    });
    draw();
  };
  const move = (n) => {
    if (view === 'month') anchor = new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth() + n, 1));
    else anchor = addDays(anchor, 7 * n);
    draw();
  };
  const button = (text, onclick, aria) => h('button', {
    type: 'button', class: 'btn btn-sm btn-outline-secondary', 'aria-label': aria || null, onclick,
  }, text);
  viewBtns.month = button(t('kit.calendar.month'), () => setView('month'));
  viewBtns.week = button(t('kit.calendar.week'), () => setView('week'));
  const bar = h('div', { class: 'd-flex flex-wrap align-items-center gap-2 mb-2' },
    button('‹', () => move(-1), t('kit.calendar.prev')),
    button(t('kit.calendar.today'), () => { anchor = dayOf(dayKey(new Date())); draw(); }),
    button('›', () => move(1), t('kit.calendar.next')),
    title,
    h('div', { class: 'btn-group', role: 'group', 'aria-label': t('kit.calendar.view') }, viewBtns.month, viewBtns.week));
  const el = h('div', { 'data-testid': 'calendar' }, bar, grid);
  let seq = 0;

  async function draw() {
    const my = ++seq;
    el.dataset.loaded = 'false';
    let from;
    let days;
    if (view === 'month') {
      const first = new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth(), 1));
      const last = new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth() + 1, 0));
      from = startOfWeek(first);
      days = Math.round((addDays(startOfWeek(last), 7) - from) / 86400000);
      title.textContent = label(first, { month: 'long', year: 'numeric' });
    } else {
      from = startOfWeek(anchor);
      days = 7;
      title.textContent = `${label(from, { day: 'numeric', month: 'short' })} – ${label(addDays(from, 6), { day: 'numeric', month: 'short', year: 'numeric' })}`;
    }
    let events = [];
    try {
      events = (await load(keyOf(from), keyOf(addDays(from, days)))) || [];
    } catch (err) {
      if (my !== seq) return;
      console.warn('calendar', err);
      grid.replaceChildren(h('p', { class: 'text-danger' }, t('kit.calendar.error')));
      el.dataset.loaded = 'true';
      return;
    }
    if (my !== seq) return;
    const byDay = new Map();
    events.forEach((e) => {
      const k = dayKey(e.starts_at);
      if (!k) return;
      if (!byDay.has(k)) byDay.set(k, []);
      byDay.get(k).push(e);
    });
    const today = dayKey(new Date());
    const heads = [];
    for (let i = 0; i < 7; i += 1) {
      heads.push(h('div', { class: 'kit-cal-head', role: 'columnheader' }, label(addDays(from, i), { weekday: 'short' })));
    }
    const rows = [];
    for (let w = 0; w < days / 7; w += 1) {
      const cells = [];
      for (let i = 0; i < 7; i += 1) {
        const d = addDays(from, w * 7 + i);
        const k = keyOf(d);
        const list = (byDay.get(k) || []).sort((a, b) => parseDate(a.starts_at) - parseDate(b.starts_at));
        const outside = view === 'month' && d.getUTCMonth() !== anchor.getUTCMonth();
        cells.push(h('div', {
          class: ['kit-cal-day', outside ? 'outside' : '', k === today ? 'today' : '', view === 'week' ? 'week' : ''],
          role: 'gridcell',
          'data-day': k,
          'aria-label': `${label(d, { weekday: 'long', day: 'numeric', month: 'long' })}${list.length ? `, ${count(list.length)}` : ''}`,
        },
        h('div', { class: 'kit-cal-num', 'aria-hidden': 'true' }, String(d.getUTCDate())),
        // On a phone a day is ~50 px wide: the entry shows its time only
        // (kit/v1.css), the title stays in the link's name and tooltip
        // rather than broken letter by letter.
        list.map((e) => h('a', {
          class: 'kit-cal-event', href: e.href || null, dataset: e.dataset || {}, title: `${formatTime(e.starts_at)} ${e.title || ''}`.trim(),
        },
        h('span', { class: 'kit-cal-time' }, formatTime(e.starts_at)), ' ', h('span', { class: 'kit-cal-title' }, e.title || ''), e.badge ? [' ', e.badge] : null))));
      }
      rows.push(h('div', { class: 'kit-cal-row', role: 'row' }, cells));
    }
    grid.replaceChildren(h('div', { class: 'kit-cal-grid', role: 'grid', 'aria-labelledby': titleId },
      h('div', { class: 'kit-cal-row kit-cal-heads', role: 'row' }, heads), rows));
    el.dataset.loaded = 'true';
  }
  setView('month');
  return el;
}
