// The notifications area: the stored ones (GET /api/v1/me/inbox, the
// latest 50 with the unread count: what arrived while the user was away)
// and a Server-Sent Events stream from GET /api/v1/me/notifications
// (events "notification" with JSON {title, body, level, id}) for new ones.
// Marking read goes to the server (POST /api/v1/me/inbox/read), so the
// count agrees across tabs and the next login. EventSource reconnects by itself after a dropped
// stream; when the server refuses the stream (an error status, e.g. before
// the endpoint exists or after the session ended) the browser gives up, so
// we reconnect with a bounded exponential backoff until stop().

import { api } from './api.js';

const URL_PATH = '/api/v1/me/notifications';
const INBOX = '/api/v1/me/inbox';
const MIN_RETRY_MS = 2000;
const MAX_RETRY_MS = 60000;
const KEEP = 30;

let source = null;
let timer = null;
let retryMs = MIN_RETRY_MS;
let running = false;
let status = 'off'; // off | connecting | live | retrying
const items = [];
const subscribers = new Set();
let serverUnread = 0; // unread stored ones beyond those listed here

function levelOf(l) {
  return ['info', 'success', 'warning', 'error', 'danger'].includes(l) ? l : 'info';
}

/* The stored notifications, merged with any that arrived live meanwhile. */
async function loadInbox() {
  let res;
  try {
    res = await api('GET', INBOX, undefined, { noAuthEvent: true });
  } catch {
    return; // a patient's session, or the server away: live ones still come
  }
  if (!running || !res || !Array.isArray(res.items)) return;
  const known = new Set(items.map((i) => i.id));
  res.items.forEach((n) => {
    if (known.has(String(n.id))) return;
    items.push({
      id: String(n.id), stored: true, title: String(n.title || ''), body: n.body ? String(n.body) : '',
      level: levelOf(n.level), at: new Date(n.created_at), read: !!n.read,
    });
  });
  items.sort((a, b) => b.at - a.at);
  items.length = Math.min(items.length, KEEP);
  serverUnread = Math.max(0, Number(res.unread || 0) - items.filter((i) => i.stored && !i.read).length);
  emit('inbox');
}

function emit(kind, item) {
  subscribers.forEach((fn) => fn(kind, item));
}

function setStatus(s) {
  if (status !== s) {
    status = s;
    emit('status');
  }
}

function connect() {
  timer = null;
  if (!running) return;
  setStatus('connecting');
  let es;
  try {
    es = new EventSource(URL_PATH, { withCredentials: true });
  } catch {
    schedule();
    return;
  }
  source = es;
  es.addEventListener('open', () => {
    retryMs = MIN_RETRY_MS;
    setStatus('live');
  });
  es.addEventListener('notification', (ev) => {
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      data = { title: String(ev.data || '') };
    }
    const item = {
      id: data.id ? String(data.id) : ev.lastEventId || `${Date.now()}-${Math.random()}`,
      stored: !!data.id,
      title: String(data.title || ''),
      body: data.body ? String(data.body) : '',
      level: levelOf(data.level),
      at: new Date(),
      read: false,
    };
    if (item.stored && items.some((i) => i.id === item.id)) return;
    items.unshift(item);
    items.length = Math.min(items.length, KEEP);
    emit('notification', item);
  });
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      if (source === es) source = null;
      schedule();
    } else {
      setStatus('retrying'); // the browser reconnects by itself
    }
  });
}

function schedule() {
  if (!running || timer) return;
  setStatus('retrying');
  const jitter = Math.floor(Math.random() * 500);
  timer = setTimeout(connect, retryMs + jitter);
  retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
}

export function start() {
  if (running) return;
  running = true;
  retryMs = MIN_RETRY_MS;
  connect();
  loadInbox();
}

export function stop() {
  running = false;
  if (timer) clearTimeout(timer);
  timer = null;
  if (source) source.close();
  source = null;
  items.length = 0;
  serverUnread = 0;
  setStatus('off');
}

export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

export function list() {
  return items.slice();
}

export function unreadCount() {
  return items.filter((i) => !i.read).length + serverUnread;
}

export async function markAllRead() {
  items.forEach((i) => { i.read = true; });
  serverUnread = 0;
  emit('read');
  try {
    await api('POST', `${INBOX}/read`, {}, { noAuthEvent: true });
  } catch {
    /* stays unread on the server: listed again at the next visit */
  }
}

export function connectionStatus() {
  return status;
}
