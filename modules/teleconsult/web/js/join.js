// The page an invitation's personal link opens (join.html#<secret>), for
// people with or without an account: an external specialist, the patient,
// a colleague on the phone. No login: the secret in the fragment (never
// sent to a server log or in a Referer) is posted to the public join API,
// which answers whether the video room is open - with a link made now for
// this person - or when it opens (docs/modules/teleconsult.md, "Inviti").
// body[data-rendered="join"] and main[data-state] tell the tests what is
// drawn.
import {
  h, clear, loadTexts, pickLanguage, storeLanguage,
} from '/static/js/kit/v1.js';
import { tc, fmtDateTime, BASE } from './common.js';

const main = document.getElementById('main');
const langBox = document.getElementById('join-lang');
let token = '';
let lastAnswer = null;
let timer = null;

async function useLanguage(lang) {
  await loadTexts('teleconsult', lang);
  document.title = `${tc('join.title')} · Concerto`;
  clear(langBox).append(
    ...['it', 'en'].map((l) => h('button', {
      type: 'button',
      class: ['btn', l === lang ? 'btn-primary' : 'btn-outline-primary'],
      lang: l,
      'aria-pressed': String(l === lang),
      onclick: async () => { storeLanguage(l); await useLanguage(l); draw(); },
    }, l === 'it' ? 'Italiano' : 'English')),
  );
}

// Asks again when the room opens (timers cannot wait longer than ~24 days;
// an hour at a time is plenty for a page left open).
function recheckAt(iso) {
  if (timer) clearTimeout(timer);
  const when = new Date(iso).getTime();
  if (Number.isNaN(when)) return;
  const wait = Math.min(Math.max(when - Date.now() + 1000, 1000), 3600 * 1000);
  timer = setTimeout(ask, wait);
}

async function ask() {
  let res;
  try {
    res = await fetch(`${BASE}/join`, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
    });
  } catch {
    lastAnswer = { state: 'offline' };
    draw();
    return;
  }
  if (res.status === 404 || res.status === 422) lastAnswer = { state: 'invalid' };
  else if (!res.ok) lastAnswer = { state: 'offline' };
  else lastAnswer = await res.json();
  draw();
  if (lastAnswer.state === 'early' && lastAnswer.opens_at) recheckAt(lastAnswer.opens_at);
}

function facts(a) {
  return h('dl', { class: 'row mb-3' },
    h('dt', { class: 'col-sm-4' }, tc('join.theme')),
    h('dd', { class: 'col-sm-8' }, a.theme),
    h('dt', { class: 'col-sm-4' }, tc('join.when')),
    h('dd', { class: 'col-sm-8' }, a.starts_at ? fmtDateTime(a.starts_at) : tc('join.noDate')),
    h('dt', { class: 'col-sm-4' }, tc('join.organizer')),
    h('dd', { class: 'col-sm-8' }, tc('join.organizerAt', { name: a.organizer, hospital: a.hospital })));
}

function stateBlock(a) {
  switch (a.state) {
    case 'open':
      return [
        h('p', { class: 'lead' }, tc('join.open')),
        h('a', { class: 'btn btn-primary btn-lg', href: a.url, rel: 'noopener noreferrer', id: 'join-room' }, tc('join.enter')),
        h('p', { class: 'small text-muted mt-3' }, tc('join.camera')),
      ];
    case 'early':
      return [
        h('p', { class: 'lead' }, tc('join.early', { when: fmtDateTime(a.opens_at) })),
        h('p', { class: 'small text-muted' }, tc('join.earlyHint')),
      ];
    case 'no_video':
      return h('div', { class: 'alert alert-warning' }, tc('join.noVideo'));
    case 'not_scheduled':
      return h('div', { class: 'alert alert-info' }, tc('join.notScheduled'));
    default:
      return h('div', { class: 'alert alert-secondary' }, tc('join.over'));
  }
}

function draw() {
  const a = lastAnswer;
  clear(main);
  main.dataset.state = a ? a.state : 'loading';
  const title = h('h1', { class: 'h3 mb-3' }, tc('join.title'));
  if (!a) {
    main.append(title, h('p', { role: 'status' }, tc('join.loading')));
    return;
  }
  if (a.state === 'invalid' || a.state === 'offline') {
    main.append(title, h('div', { class: 'alert alert-danger', role: 'alert' },
      tc(a.state === 'invalid' ? 'join.invalid' : 'join.offline')));
  } else {
    main.append(title,
      h('p', {}, tc('join.hello', { name: a.name })),
      facts(a),
      h('div', { role: 'status', 'aria-live': 'polite' }, stateBlock(a)),
      h('p', { class: 'small text-muted mt-4' }, tc('join.personal')));
  }
  document.body.dataset.rendered = 'join';
}

// The secret of the fragment; again when another link is pasted into the
// same tab (only the fragment changes, so the page is not reloaded).
async function start() {
  if (timer) clearTimeout(timer);
  token = location.hash.replace(/^#/, '');
  lastAnswer = /^[A-Za-z0-9_-]{43}$/.test(token) ? null : { state: 'invalid' };
  draw();
  if (!lastAnswer) await ask();
}

await useLanguage(pickLanguage());
window.addEventListener('hashchange', start);
await start();
