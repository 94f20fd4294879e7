// The shell around every page: the signed-in user, the header (navigation
// built from the current hospital's enabled modules and the user's roles,
// hospital switcher, notifications, user menu), live announcements and
// toasts. Used by the single-page console (app.js) and by module pages
// (module-page.js), so a module's page gets the same header.

import { h, clear, formatDate } from './dom.js';
import { t, tOpt, language, setLanguage, storeLanguage, LANGUAGES } from './i18n.js';
import { api, get, setCsrf, enc } from './api.js';
import * as notifications from './notifications.js';
import { openDropdown } from './dropdown.js';

export const session = { user: null };
const changeListeners = new Set();

/* ---------- the user and what they may do ---------- */

/** Sets the signed-in user; listeners (the router) re-render unless silent. */
export function setUser(user, { silent = false } = {}) {
  session.user = user || null;
  setCsrf(user ? user.csrf_token : null);
  if (user) notifications.start();
  else notifications.stop();
  if (!silent) changeListeners.forEach((fn) => fn(session.user));
}

export function onUserChange(fn) {
  changeListeners.add(fn);
}

export function currentTenant(user = session.user) {
  if (!user || !user.current_tenant) return null;
  return user.tenants.find((x) => x.code === user.current_tenant) || null;
}

export function rolesIn(user, code) {
  if (!user || !code) return [];
  return (user.roles && user.roles[code]) || [];
}

export function hasRole(user, ...roles) {
  const here = rolesIn(user, user && user.current_tenant);
  return roles.some((r) => here.includes(r));
}

/** Hospitals where the user may administer staff and settings. */
export function adminTenants(user = session.user) {
  if (!user) return [];
  if (user.regional_admin) return user.tenants;
  return user.tenants.filter((x) => rolesIn(user, x.code).includes('hospital_admin'));
}

/** Which console pages the user may open (the server checks again). */
export const can = {
  hospitals: (u) => !!u.regional_admin,
  modules: (u) => !!u.regional_admin || hasRole(u, 'hospital_admin'),
  users: (u) => !!u.regional_admin || hasRole(u, 'hospital_admin'),
  ldap: (u) => !!u.regional_admin || hasRole(u, 'hospital_admin'),
  settings: (u) => !!u.regional_admin || hasRole(u, 'hospital_admin'),
  integrations: (u) => !!u.regional_admin || hasRole(u, 'hospital_admin'),
  scripts: (u) => hasRole(u, 'hospital_it'),
  jobs: (u) => !!u.regional_admin || hasRole(u, 'hospital_admin', 'hospital_it'),
  audit: (u) => !!u.regional_admin || hasRole(u, 'privacy_officer'),
};

export const ADMIN_PAGES = [
  { key: 'hospitals', href: '#/admin/hospitals', label: 'nav.hospitals' },
  { key: 'modules', href: '#/admin/modules', label: 'nav.modules' },
  { key: 'users', href: '#/admin/users', label: 'nav.users' },
  { key: 'ldap', href: '#/admin/ldap', label: 'nav.ldap' },
  { key: 'settings', href: '#/admin/settings', label: 'nav.settings' },
  { key: 'integrations', href: '#/admin/integrations', label: 'nav.integrations' },
  { key: 'scripts', href: '#/admin/scripts', label: 'nav.scripts' },
  { key: 'jobs', href: '#/admin/jobs', label: 'nav.jobs' },
];

/* ---------- roles: declared by the core and by modules ---------- */

// GET /api/v1/roles, loaded once per page load: every role the server knows
// with its Italian and English labels. A role only the database remembers
// (its module is not installed) has registered: false and cannot be granted.
let roleList = null;
let roleLoad = null;

/** Loads the roles (once); resolves to the list. */
export function loadRoles() {
  if (!roleLoad) {
    roleLoad = get('/api/v1/roles').then((list) => {
      roleList = list;
      return list;
    }).catch(() => {
      roleLoad = null;
      return [];
    });
  }
  return roleLoad;
}

/** Names of the roles that may be granted now, in the server's order. */
export function grantableRoles() {
  return (roleList || []).filter((r) => r.registered).map((r) => r.name);
}

export function roleLabel(role) {
  const known = roleList && roleList.find((r) => r.name === role);
  if (known) return language() === 'en' ? known.label_en : known.label_it;
  return tOpt(`role.${role}`, role);
}

/* ---------- module entries ---------- */

// A module's page lives at /modules/<name>/index.html (its static folder).
// It may ship /modules/<name>/manifest.json:
//   {"title": {"it": "...", "en": "..."}, "roles": ["specialist"], "path": "index.html"}
// Without a manifest the entry is shown to every staff user of the hospital
// with the label from the core dictionaries (module.<name>) or the name.
const manifests = new Map();

function loadManifest(name) {
  if (!manifests.has(name)) {
    manifests.set(name, fetch(`/modules/${enc(name)}/manifest.json`, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null));
  }
  return manifests.get(name);
}

function moduleEntry(name, manifest) {
  const lang = language();
  let label = tOpt(`module.${name}`, name);
  if (manifest && manifest.title) {
    label = typeof manifest.title === 'string' ? manifest.title
      : (manifest.title[lang] || manifest.title.it || label);
  }
  let path = 'index.html';
  if (manifest && typeof manifest.path === 'string' && /^[\w./-]+$/.test(manifest.path)
      && !manifest.path.includes('..')) path = manifest.path.replace(/^\/+/, '');
  return { name, label, href: `/modules/${enc(name)}/${path}` };
}

/** The navigation entries of the current hospital's enabled modules. */
export async function moduleEntries(user = session.user) {
  const tenant = currentTenant(user);
  if (!tenant) return [];
  const out = [];
  for (const name of tenant.modules || []) {
    const m = await loadManifest(name);
    if (m && Array.isArray(m.roles) && m.roles.length && !user.regional_admin
        && !m.roles.some((r) => rolesIn(user, tenant.code).includes(r))) continue;
    out.push(moduleEntry(name, m));
  }
  return out;
}

/* ---------- announcements and toasts ---------- */

/** Says something to screen readers (polite) without moving focus. */
export function announce(text) {
  const region = document.getElementById('app-status');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}

const LEVEL_CLASS = {
  info: 'text-bg-primary', success: 'text-bg-success', warning: 'text-bg-warning',
  error: 'text-bg-danger', danger: 'text-bg-danger',
};

export function toast(title, body, level = 'info') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const el = h('div', {
    class: ['toast align-items-center border-0', LEVEL_CLASS[level] || LEVEL_CLASS.info],
    role: level === 'error' || level === 'danger' ? 'alert' : 'status',
    'aria-live': level === 'error' || level === 'danger' ? 'assertive' : 'polite',
    'aria-atomic': 'true',
  },
  h('div', { class: 'd-flex' },
    h('div', { class: 'toast-body' },
      h('strong', { class: 'd-block' }, title),
      body ? h('span', {}, body) : null),
    h('button', {
      type: 'button', class: ['btn-close me-2 m-auto', level === 'warning' ? '' : 'btn-close-white'],
      'data-bs-dismiss': 'toast', 'aria-label': t('common.close'),
    })));
  box.append(el);
  if (window.bootstrap && window.bootstrap.Toast) {
    const tt = new window.bootstrap.Toast(el, { delay: 8000 });
    el.addEventListener('hidden.bs.toast', () => el.remove());
    tt.show();
  } else {
    el.classList.add('show');
    setTimeout(() => el.remove(), 8000);
  }
}

/* ---------- actions ---------- */

/**
 * Reloads the profile (e.g. after a module was enabled). By default only
 * the header follows; {page: true} re-renders the page too.
 */
export async function refreshUser({ page = false } = {}) {
  const me = await get('/api/v1/me');
  setUser(me, { silent: !page });
  if (!page) rerenderHeader();
  return me;
}

/**
 * Follows a module switched on or off for the current hospital. The
 * notification and the server's module cache travel on separate
 * PostgreSQL notifications, so the first profile may not show the change
 * yet: ask again a few times (bounded) until it does.
 */
async function followModuleChange(module, enabled) {
  const page = location.hash === '#/home';
  for (let attempt = 0; attempt < 10; attempt++) {
    const me = await get('/api/v1/me');
    const here = (me.tenants || []).find((x) => x.code === me.current_tenant);
    const has = !!here && (here.modules || []).includes(module);
    if (has === enabled || attempt === 9) {
      setUser(me, { silent: !page });
      if (!page) rerenderHeader();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let lastHeader = null;
export function rerenderHeader() {
  if (lastHeader) renderHeader(lastHeader.container, lastHeader.route);
}

export async function switchTenant(code) {
  const me = await api('PATCH', '/api/v1/me', { current_tenant: code });
  setUser(me);
  const tn = currentTenant(me);
  announce(t('shell.switched', { name: tn ? tn.name : code }));
  return me;
}

/** Changes the language; remembered in this browser and, signed in, on the account. */
export async function changeLanguage(lang) {
  await setLanguage(lang);
  storeLanguage(lang);
  if (session.user && session.user.language !== lang) {
    try {
      const me = await api('PATCH', '/api/v1/me', { language: lang });
      setUser(me, { silent: true });
    } catch {
      /* the local choice still applies */
    }
  }
  changeListeners.forEach((fn) => fn(session.user));
}

export async function logout() {
  try {
    await api('POST', '/api/v1/auth/logout', {}, { noAuthEvent: true });
  } catch {
    /* the session may be gone already */
  }
  setUser(null);
}

/* ---------- the header ---------- */

function navLink(href, label, active, attrs = {}) {
  return h('li', { class: 'nav-item' },
    h('a', {
      class: ['nav-link', active ? 'active' : ''], href, 'aria-current': active ? 'page' : null, ...attrs,
    }, label));
}

function languageItems() {
  return LANGUAGES.map((l) => h('li', {},
    h('button', {
      type: 'button',
      class: ['dropdown-item', language() === l ? 'active' : ''],
      lang: l,
      'aria-pressed': language() === l ? 'true' : 'false',
      onclick: () => changeLanguage(l),
    }, t(`lang.${l}`))));
}

function hospitalSwitcher(user) {
  if (!user.tenants.length) return null;
  if (user.tenants.length === 1 && user.current_tenant) {
    return h('span', { class: 'navbar-text text-white small me-lg-2', 'data-testid': 'current-hospital' },
      h('span', { class: 'visually-hidden' }, `${t('shell.hospital')}: `), user.tenants[0].name);
  }
  const sel = h('select', {
    class: 'form-select form-select-sm hospital-select', id: 'hospital-switcher',
    onchange: async (e) => {
      const code = e.target.value;
      sel.disabled = true;
      try {
        await switchTenant(code);
      } catch (err) {
        toast(t('shell.switchFailed'), err.detail || err.message, 'error');
        sel.disabled = false;
        sel.value = user.current_tenant || '';
      }
    },
  },
  user.current_tenant ? null : h('option', { value: '', selected: true, disabled: true }, t('shell.region')),
  user.tenants.map((x) => h('option', { value: x.code, selected: x.code === user.current_tenant },
    `${x.name} (${x.code})`)));
  return h('div', { class: 'd-flex align-items-center gap-2 me-lg-2' },
    h('label', { for: 'hospital-switcher', class: 'form-label text-white small mb-0 text-nowrap' }, t('shell.hospital')),
    sel);
}

function notificationsMenu() {
  const count = notifications.unreadCount();
  const st = notifications.connectionStatus();
  const list = notifications.list();
  const btn = h('button', {
    type: 'button', class: 'btn btn-sm btn-outline-light position-relative', id: 'notifications-button',
    'data-dropdown': true, 'aria-expanded': 'false',
    'aria-label': count ? t('notify.buttonUnread', { n: count }) : t('notify.button'),
  },
  h('img', { src: '/static/img/bell.svg', alt: '', width: '16', height: '16', class: 'bell' }),
  h('span', { class: 'd-lg-none ms-1' }, t('notify.title')),
  count ? h('span', { class: 'position-absolute top-0 start-100 translate-middle badge rounded-pill bg-danger', 'aria-hidden': 'true' }, String(count)) : null);
  const menu = h('div', { class: 'dropdown-menu dropdown-menu-end notifications-menu p-0', 'aria-labelledby': 'notifications-button', 'data-keep-open': true },
    h('div', { class: 'd-flex justify-content-between align-items-center px-3 py-2 border-bottom' },
      h('strong', {}, t('notify.title')),
      h('span', { class: ['badge', st === 'live' ? 'text-bg-success' : 'text-bg-secondary'], 'data-testid': 'notify-status' },
        t(`notify.status.${st}`))),
    list.length
      ? h('ul', { class: 'list-unstyled mb-0 notifications-list', 'data-testid': 'notifications-list' },
        list.map((n) => notificationText(n)).map((x, i) => [x, list[i]]).map(([x, n]) => h('li', { class: ['px-3 py-2 border-bottom', `notify-${n.level}`, n.read ? '' : 'unread'] },
          h('div', { class: 'fw-semibold' }, x.title),
          x.body ? h('div', { class: 'small' }, x.body) : null,
          h('div', { class: 'small text-muted' }, formatDate(n.at, language())))))
      : h('p', { class: 'px-3 py-2 mb-0 text-muted' }, t('notify.empty')),
    list.length ? h('div', { class: 'px-3 py-2' },
      h('button', { type: 'button', class: 'btn btn-sm btn-link p-0', onclick: () => notifications.markAllRead() },
        t('notify.markRead'))) : null);
  return h('div', { class: 'dropdown' }, btn, menu);
}

function userMenu(user) {
  return h('div', { class: 'dropdown' },
    h('button', {
      type: 'button', class: 'btn btn-sm btn-outline-light dropdown-toggle', id: 'user-menu-button',
      'data-dropdown': true, 'aria-expanded': 'false',
    }, h('span', { class: 'visually-hidden' }, `${t('shell.userMenu')}: `), user.display_name || user.username),
    h('ul', { class: 'dropdown-menu dropdown-menu-end', 'aria-labelledby': 'user-menu-button' },
      h('li', {}, h('span', { class: 'dropdown-item-text small text-muted' }, user.username)),
      h('li', {}, h('hr', { class: 'dropdown-divider' })),
      h('li', {}, h('h2', { class: 'dropdown-header h6' }, t('shell.language'))),
      languageItems(),
      h('li', {}, h('hr', { class: 'dropdown-divider' })),
      h('li', {}, h('a', { class: 'dropdown-item', href: '/#/sessions' }, t('nav.sessions'))),
      h('li', {}, h('button', {
        type: 'button', class: 'dropdown-item', 'data-testid': 'logout',
        onclick: async () => {
          await logout();
          try {
            sessionStorage.setItem('concerto.flash', 'loggedOut');
          } catch { /* ignore */ }
          if (location.pathname === '/' || location.pathname === '/index.html') location.hash = '#/login';
          else location.href = '/#/login';
        },
      }, t('shell.logout')))));
}

/**
 * Swaps the header for a fresh one. The header is re-drawn whenever the
 * profile changes (a module switched on, a hospital renamed), which can
 * happen while the user has a menu open: keep that menu open and the focus
 * where it was, so the re-draw never swallows a click.
 */
function replaceKeepingMenus(container, nav) {
  const open = container.querySelector('[data-dropdown][aria-expanded="true"]');
  const openId = open && open.id;
  const focused = container.contains(document.activeElement) ? document.activeElement : null;
  const focusId = focused && focused.id;
  const focusHref = focused && focused.getAttribute('href');
  clear(container).append(nav);
  if (openId) {
    const again = nav.querySelector(`#${CSS.escape(openId)}`);
    if (again) openDropdown(again);
  }
  if (focused) {
    const target = (focusId && nav.querySelector(`#${CSS.escape(focusId)}`))
      || (focusHref && [...nav.querySelectorAll('a[href]')].find((a) => a.getAttribute('href') === focusHref));
    if (target) target.focus();
  }
}

/**
 * Renders the header into `container`. `route` is the current hash route
 * (e.g. "/admin/users") for aria-current, or null on module pages.
 */
export async function renderHeader(container, route) {
  lastHeader = { container, route };
  const user = session.user;
  const nav = h('nav', { class: 'navbar navbar-expand-lg navbar-dark bg-concerto', 'aria-label': t('shell.mainNav') });
  const inner = h('div', { class: 'container-xxl' },
    h('a', { class: 'navbar-brand d-flex align-items-center gap-2', href: user ? '/#/home' : '/#/login' },
      h('img', { src: '/static/img/logo.svg', alt: '', width: '28', height: '28' }), 'Concerto'));
  nav.append(inner);
  if (!user) {
    const langs = h('div', { class: 'ms-auto btn-group', role: 'group', 'aria-label': t('shell.language') },
      LANGUAGES.map((l) => h('button', {
        type: 'button', lang: l, class: ['btn btn-sm', language() === l ? 'btn-light' : 'btn-outline-light'],
        'aria-pressed': language() === l ? 'true' : 'false', onclick: () => changeLanguage(l),
      }, t(`lang.${l}`))));
    inner.append(langs);
    clear(container).append(nav);
    return;
  }
  const collapseId = 'nav-main';
  inner.append(h('button', {
    class: 'navbar-toggler', type: 'button', 'data-bs-toggle': 'collapse', 'data-bs-target': `#${collapseId}`,
    'aria-controls': collapseId, 'aria-expanded': 'false', 'aria-label': t('shell.toggleNav'),
  }, h('span', { class: 'navbar-toggler-icon' })));
  const links = h('ul', { class: 'navbar-nav me-auto mb-2 mb-lg-0', 'data-testid': 'main-nav' });
  links.append(navLink('/#/home', t('nav.home'), route === '/home'));
  const modulesSlot = h('li', { class: 'nav-item module-slot', 'aria-hidden': 'true' });
  links.append(modulesSlot);
  const admin = ADMIN_PAGES.filter((p) => can[p.key](user));
  if (admin.length) {
    const isAdminRoute = route && route.startsWith('/admin/');
    links.append(h('li', { class: 'nav-item dropdown' },
      h('button', {
        type: 'button', class: ['nav-link dropdown-toggle btn btn-link', isAdminRoute ? 'active' : ''],
        id: 'admin-menu-button', 'data-dropdown': true, 'aria-expanded': 'false',
      }, t('nav.admin')),
      h('ul', { class: 'dropdown-menu', 'aria-labelledby': 'admin-menu-button' },
        admin.map((p) => h('li', {}, h('a', {
          class: ['dropdown-item', route === p.href.slice(1) ? 'active' : ''],
          href: `/${p.href}`, 'aria-current': route === p.href.slice(1) ? 'page' : null,
        }, t(p.label)))))));
  }
  if (can.audit(user)) links.append(navLink('/#/audit', t('nav.audit'), route === '/audit'));
  const right = h('div', { class: 'd-flex flex-column flex-lg-row align-items-lg-center gap-2 pb-2 pb-lg-0' },
    hospitalSwitcher(user), h('div', { id: 'notify-slot' }, notificationsMenu()), userMenu(user));
  inner.append(h('div', { class: 'collapse navbar-collapse', id: collapseId }, links, right));
  replaceKeepingMenus(container, nav);

  // Module entries arrive after their (optional) manifests.
  const entries = await moduleEntries(user);
  if (session.user !== user) return;
  const items = entries.map((e) => navLink(e.href, e.label,
    location.pathname.startsWith(`/modules/${e.name}/`), { 'data-module': e.name }));
  modulesSlot.replaceWith(...items);
}

/** Keeps the notifications area current: toasts, announcements, the list. */
/**
 * A notification's text: the server may send a code as the title (e.g.
 * "module.enabled" with the module's name as body), translated here.
 */
export function notificationText(item) {
  const tpl = tOpt(`notify.msg.${item.title}`, null);
  if (tpl) return { title: tpl.replace('{body}', item.body || ''), body: '' };
  return { title: item.title, body: item.body };
}

export function watchNotifications() {
  notifications.subscribe((kind, item) => {
    // At login, what arrived while the user was away is said once.
    if (kind === 'inbox' && notifications.unreadCount() > 0) {
      const n = notifications.unreadCount();
      toast(t('notify.missed', { n }), '', 'info');
      announce(t('notify.missed', { n }));
    }
    if (kind === 'notification') {
      const text = notificationText(item);
      toast(text.title, text.body, item.level);
      announce(`${t('notify.new')}: ${text.title}`);
      // A module switched on or off for this hospital: the navigation follows.
      const change = /^module\.(enabled|disabled)$/.exec(item.title);
      if (change && session.user) {
        followModuleChange(item.body, change[1] === 'enabled').catch(() => {});
      }
    }
    const slot = document.getElementById('notify-slot');
    if (!slot || !session.user) return;
    const open = slot.querySelector('.notifications-menu.show');
    if (open && kind === 'status') return;
    const hadFocus = slot.contains(document.activeElement);
    clear(slot).append(notificationsMenu());
    if (open) {
      const btn = slot.querySelector('#notifications-button');
      if (btn) openDropdown(btn);
    }
    if (hadFocus) {
      const btn = slot.querySelector('#notifications-button');
      if (btn) btn.focus();
    }
  });
}
