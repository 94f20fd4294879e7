// The teleconsult module's page (docs/modules/teleconsult.md): the shell
// from the core, then a small hash router over the module's screens.
//   #/                  dashboard (agenda, groups, calendar, open requests)
//   #/requests/new      new consult request, then the routing decision
//   #/requests          requests; #/requests/<id> one request
//   #/groups            groups; #/groups/<id> one group with its members
//   #/sessions/<id>     a session (?tab=participants|availability|...)
// body[data-rendered] names the drawn screen (tests wait on it).
import { startModulePage } from '/static/js/module-page.js';
import { loadDictionaries, tc, markRendered } from './js/common.js';

const helpers = await startModulePage();
const { user, main, h } = helpers;

const ROUTES = [
  { re: /^\/?$/, page: 'dashboard', name: 'dashboard' },
  { re: /^\/dashboard$/, page: 'dashboard', name: 'dashboard' },
  { re: /^\/requests\/new$/, page: 'request-new', name: 'request-new' },
  { re: /^\/requests$/, page: 'requests', name: 'requests' },
  { re: /^\/requests\/(\d+)$/, page: 'requests', name: 'request', keys: ['id'] },
  { re: /^\/groups$/, page: 'groups', name: 'groups' },
  { re: /^\/groups\/(\d+)$/, page: 'groups', name: 'group', keys: ['id'] },
  { re: /^\/sessions\/(\d+)$/, page: 'session', name: 'session', keys: ['id'] },
];

let token = 0;
let leaving = [];
let first = true;

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [path, q] = raw.split('?');
  return { path: path || '/', query: new URLSearchParams(q || '') };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function route() {
  const my = ++token;
  delete document.body.dataset.rendered;
  leaving.forEach((fn) => { try { fn(); } catch { /* ignore */ } });
  leaving = [];
  const { path, query } = parseHash();
  let def = null;
  const params = {};
  for (const r of ROUTES) {
    const m = path.match(r.re);
    if (m) {
      def = r;
      (r.keys || []).forEach((k, i) => { params[k] = m[i + 1]; });
      break;
    }
  }
  const ctx = {
    ...helpers,
    path,
    query,
    params,
    alive: () => my === token,
    navigate,
    rerender: () => route(),
    onLeave: (fn) => leaving.push(fn),
  };
  main.replaceChildren();
  try {
    if (!def) {
      main.append(h('div', { class: 'alert alert-warning', role: 'alert' }, tc('error.notFound')),
        h('a', { href: '#/', class: 'btn btn-primary' }, tc('nav.dashboard')));
    } else {
      const mod = await import(`./js/${def.page}.js`);
      if (my !== token) return;
      await mod.render(ctx, def.name);
    }
  } catch (err) {
    if (my !== token) return;
    console.warn(err);
    const { errorAlert } = await import('/static/js/ui.js');
    main.replaceChildren(errorAlert(err), h('a', { href: '#/', class: 'btn btn-outline-primary' }, tc('nav.dashboard')));
  }
  if (my !== token) return;
  if (!first) {
    // A screen may name the control to start from (data-autofocus).
    const target = main.querySelector('[data-autofocus="true"]') || main.querySelector('h1');
    if (target) target.focus();
  }
  first = false;
  markRendered(def ? def.name : 'not-found');
}

if (user) {
  await loadDictionaries(helpers.language());
  const skip = document.getElementById('skip-link');
  if (skip) {
    skip.addEventListener('click', (e) => {
      e.preventDefault();
      main.focus();
    });
  }
  window.addEventListener('hashchange', route);
  await route();
}
