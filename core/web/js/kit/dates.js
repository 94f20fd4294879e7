// Dates and times as the region reads them: in Europe/Rome whatever the
// browser's own zone (a doctor on a laptop set to UTC, a phone abroad),
// Italian first (it-IT, else en-GB), so every hospital, the console and
// every module page show the same wall-clock time for the same instant.
// Part of the module kit (kit/v1.js, docs/web-kit.md).
import { language } from '../i18n.js';

export const TIME_ZONE = 'Europe/Rome';

const DAY = /^(\d{4})-(\d\d)-(\d\d)$/;
const WALL = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/;

/** The locale of a language: it-IT, or en-GB for English. */
export function locale(lang = language()) {
  return lang === 'en' ? 'en-GB' : 'it-IT';
}

const partsFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** The wall-clock fields of an instant in Europe/Rome. */
function wall(date) {
  const p = {};
  partsFormat.formatToParts(date).forEach((x) => { p[x.type] = x.value; });
  return {
    y: Number(p.year), m: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute), s: Number(p.second),
  };
}

/** Minutes Europe/Rome is ahead of UTC at an instant (60 or 120). */
function offsetAt(ms) {
  const w = wall(new Date(ms));
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/** The instant (ms) of a wall-clock time in Europe/Rome. */
function instantOf(y, m, d, h = 0, mi = 0, s = 0) {
  const guess = Date.UTC(y, m - 1, d, h, mi, s);
  let off = offsetAt(guess - offsetAt(guess) * 60000);
  // Near a change of offset the first guess can be on the other side.
  if (offsetAt(guess - off * 60000) !== off) off = offsetAt(guess - off * 60000);
  return guess - off * 60000;
}

/**
 * A Date from what the server sends, or null: ISO 8601, PostgreSQL's text
 * form ("2026-11-22 10:17:04+00"), epoch milliseconds, a Date; a calendar
 * day "YYYY-MM-DD" (a birth date) is that day's midnight in Europe/Rome.
 */
export function parseDate(value) {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value) : null;
  const text = String(value);
  const day = text.match(DAY);
  if (day) return new Date(instantOf(Number(day[1]), Number(day[2]), Number(day[3])));
  const iso = text.replace(/^(\d{4}-\d\d-\d\d) (\d)/, '$1T$2').replace(/(T[\d:.]+[+-]\d\d)$/, '$1:00');
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function format(value, options, lang) {
  const d = parseDate(value);
  if (!d) return value === null || value === undefined ? '' : String(value);
  return d.toLocaleString(locale(lang), { timeZone: TIME_ZONE, ...options });
}

/**
 * "lun 23/11/2026, 10:00" (weekday and seconds optional: {weekday: false,
 * seconds: true} is the console's "23/11/2026, 10:00:04"; `lang` another
 * language than the page's). Text that is not a date comes back as it is;
 * nothing gives "".
 */
export function formatDateTime(value, { weekday = true, seconds = false, lang } = {}) {
  return format(value, {
    weekday: weekday ? 'short' : undefined,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: seconds ? '2-digit' : undefined,
  }, lang);
}

/** "23/11/2026". */
export function formatDate(value) {
  return format(value, { day: '2-digit', month: '2-digit', year: 'numeric' });
}

/** "10:00"; "" for what is not a time. */
export function formatTime(value) {
  return parseDate(value) ? format(value, { hour: '2-digit', minute: '2-digit' }) : '';
}

/** "lun 23/11/2026, 10:00 – 10:30" ("" without a start; the end may be missing). */
export function formatRange(start, end) {
  if (!parseDate(start)) return '';
  return parseDate(end) ? `${formatDateTime(start)} – ${formatTime(end)}` : formatDateTime(start);
}

/** "YYYY-MM-DD": the day an instant falls on in Europe/Rome (null if none). */
export function dayKey(value) {
  const d = parseDate(value);
  if (!d) return null;
  const w = wall(d);
  const p = (n) => String(n).padStart(2, '0');
  return `${w.y}-${p(w.m)}-${p(w.d)}`;
}

/**
 * What an <input type="datetime-local"> holds ("2026-11-23T10:00"), read as
 * Europe/Rome time, as ISO 8601 with that day's offset
 * ("2026-11-23T10:00:00+01:00"); "" when it is not such a value.
 */
export function fromLocalInput(value) {
  const m = String(value || '').match(WALL);
  if (!m) return '';
  const [y, mo, d, hh, mi, ss] = m.slice(1).map((x) => Number(x || 0));
  const ms = instantOf(y, mo, d, hh, mi, ss);
  const off = offsetAt(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${p(ss)}${off >= 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
}
