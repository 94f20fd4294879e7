// The notifications area: a Server-Sent Events stream from
// GET /api/v1/me/notifications (events "notification" with JSON
// {title, body, level}). EventSource reconnects by itself after a dropped
// stream; when the server refuses the stream (an error status, e.g. before
// the endpoint exists or after the session ended) the browser gives up, so
// we reconnect with a bounded exponential backoff until stop().

const URL_PATH = '/api/v1/me/notifications';
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
      id: ev.lastEventId || `${Date.now()}-${Math.random()}`,
      title: String(data.title || ''),
      body: data.body ? String(data.body) : '',
      level: ['info', 'success', 'warning', 'error', 'danger'].includes(data.level) ? data.level : 'info',
      at: new Date(),
      read: false,
    };
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
}

export function stop() {
  running = false;
  if (timer) clearTimeout(timer);
  timer = null;
  if (source) source.close();
  source = null;
  items.length = 0;
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
  return items.filter((i) => !i.read).length;
}

export function markAllRead() {
  items.forEach((i) => { i.read = true; });
  emit('read');
}

export function connectionStatus() {
  return status;
}
