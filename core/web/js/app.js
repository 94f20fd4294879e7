// The console: boot (language, who is signed in), hash routing, page
// rendering. Pages live in ./pages/*.js and export render(ctx).

import { clear } from './dom.js';
import { t, setLanguage, storedLanguage, storeLanguage, language } from './i18n.js';
import { get, onUnauthenticated } from './api.js';
import { installDropdowns } from './dropdown.js';
import {
  session, setUser, onUserChange, renderHeader, can, watchNotifications, toast,
} from './shell.js';

const ROUTES = {
  '/login': { page: 'login', public: true },
  '/home': { page: 'home' },
  '/admin/hospitals': { page: 'hospitals', allow: can.hospitals },
  '/admin/modules': { page: 'modules', allow: can.modules },
  '/admin/users': { page: 'users', allow: can.users },
  '/admin/ldap': { page: 'ldap', allow: can.ldap },
  '/admin/settings': { page: 'settings', allow: can.settings },
  '/admin/integrations': { page: 'integrations', allow: can.integrations },
  '/admin/scripts': { page: 'scripts', allow: can.scripts },
  '/admin/jobs': { page: 'jobs', allow: can.jobs },
  '/audit': { page: 'audit', allow: can.audit },
  '/sessions': { page: 'sessions' },
  '/error/403': { page: 'errors', public: true, params: { status: '403' } },
  '/error/404': { page: 'errors', public: true, params: { status: '404' } },
  '/error/503': { page: 'errors', public: true, params: { status: '503' } },
};

const header = document.getElementById('app-header');
const main = document.getElementById('main');
let renderToken = 0;
let firstRender = true;

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [path, query] = raw.split('?');
  return { path: path || '', query: new URLSearchParams(query || '') };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function showPage(name, ctx) {
  const mod = await import(`./pages/${name}.js`);
  if (!ctx.alive()) return;
  clear(main);
  await mod.render(ctx);
}

async function route() {
  const token = ++renderToken;
  const { path, query } = parseHash();
  // Which route is fully drawn (tests and assistive tooling wait on it).
  delete document.body.dataset.rendered;
  const user = session.user;
  if (!path || path === '/') {
    location.replace(user ? '#/home' : '#/login');
    return;
  }
  const def = ROUTES[path];
  renderHeader(header, path);
  const ctx = {
    main, path, query, user, params: (def && def.params) || {},
    alive: () => token === renderToken,
    rerender: () => route(),
  };
  try {
    if (!def) {
      await showPage('errors', { ...ctx, params: { status: '404' } });
    } else if (!def.public && !user) {
      try {
        sessionStorage.setItem('concerto.next', `#${path}${query.toString() ? `?${query}` : ''}`);
      } catch { /* ignore */ }
      location.replace('#/login');
      return;
    } else if (path === '/login' && user) {
      location.replace('#/home');
      return;
    } else if (def.allow && !def.allow(user)) {
      await showPage('errors', { ...ctx, params: { status: '403' } });
    } else {
      await showPage(def.page, ctx);
    }
  } catch (err) {
    if (!ctx.alive()) return;
    console.error(err);
    const status = err && (err.status === 403 ? '403' : (err.status === 0 || err.status === 503) ? '503' : null);
    if (status) {
      await showPage('errors', { ...ctx, params: { status }, detail: err.detail });
    } else {
      toast(t('error.generic'), String((err && err.message) || err), 'error');
    }
  }
  if (!ctx.alive()) return;
  // Move focus to the page heading on navigation (not on first load), so
  // keyboard and screen-reader users start at the new content.
  // A menu the user opened while the page was loading keeps the focus:
  // taking it would close the menu under their pointer.
  const inMenu = document.querySelector('[data-dropdown][aria-expanded="true"]');
  if (!firstRender && !inMenu) {
    const h1 = main.querySelector('h1');
    if (h1) h1.focus({ preventScroll: false });
  }
  firstRender = false;
  document.body.dataset.rendered = path;
}

async function boot() {
  installDropdowns();
  await setLanguage(storedLanguage() || 'it');
  let me = null;
  try {
    me = await get('/api/v1/me', { noAuthEvent: true });
  } catch (err) {
    if (err.status !== 401) {
      renderHeader(header, null);
      const errors = await import('./pages/errors.js');
      errors.render({ main, params: { status: err.status === 403 ? '403' : '503' }, detail: err.detail });
      document.body.dataset.ready = 'true';
      return;
    }
  }
  if (me) {
    if (me.language && me.language !== language()) {
      await setLanguage(me.language);
      storeLanguage(me.language);
    }
    setUser(me);
  }
  onUserChange(() => route());
  onUnauthenticated(() => {
    if (!session.user) return;
    try {
      sessionStorage.setItem('concerto.flash', 'sessionExpired');
      sessionStorage.setItem('concerto.next', location.hash);
    } catch { /* ignore */ }
    setUser(null);
    location.hash = '#/login';
  });
  watchNotifications();
  window.addEventListener('hashchange', route);
  document.getElementById('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });
  await route();
  document.body.dataset.ready = 'true';
}

boot();
