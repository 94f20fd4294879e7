// startModuleApp: a module page as a small single-page app inside the
// console's shell (header, session, CSRF token, language, notifications),
// with the module's texts loaded and a hash router over its screens. What
// every module page would otherwise write again; part of the module kit
// (kit/v1.js, docs/web-kit.md).
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { errorAlert } from '../ui.js';
import { startModulePage } from '../module-page.js';
import { texts } from './texts.js';

/** '/sessions/:id' -> {re, keys}; a :name takes one non-empty segment. */
function compile(path) {
  const keys = [];
  const body = path.replace(/\/+$/, '').split('/').filter(Boolean).map((seg) => {
    if (seg.startsWith(':')) {
      keys.push(seg.slice(1));
      return '([^/]+)';
    }
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return { re: new RegExp(`^/${body.join('/')}/?$`), keys };
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const i = raw.indexOf('?');
  const path = (i < 0 ? raw : raw.slice(0, i)) || '/';
  return { path: path.startsWith('/') ? path : `/${path}`, query: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
}

/**
 * Starts module `name`'s page. `routes`: [{path, name, render(ctx) | load()}]
 * in order, the first match wins; `load` resolves with an ES module whose
 * render(ctx, name) draws the screen (so screens load when first opened).
 * `homeText`: the key of the module's own text for the link back to "#/"
 * on the not-found and error screens (default: the kit's "Back to the
 * start"). Resolves with the app: the shell's helpers, `user` (null
 * without a session: the browser is then on its way to the login page and
 * nothing is drawn), `texts` and `navigate(hash)`.
 */
export async function startModuleApp({ name, routes = [], homeText } = {}) {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(name)) {
    throw new Error('startModuleApp: name must be the module name');
  }
  const table = routes.map((r) => ({ ...r, ...compile(r.path) }));
  const helpers = await startModulePage();
  const own = texts(name);
  const { main } = helpers;
  let token = 0;
  let leaving = [];
  let first = true;

  function navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  const home = () => h('a', { href: '#/', class: 'btn btn-outline-primary' },
    homeText ? own.t(homeText) : t('kit.app.home'));

  async function route() {
    const my = ++token;
    delete document.body.dataset.rendered;
    leaving.forEach((fn) => { try { fn(); } catch { /* a screen's clean-up must not stop the next */ } });
    leaving = [];
    const { path, query } = parseHash();
    let def = null;
    const params = {};
    for (const r of table) {
      const m = path.match(r.re);
      if (m) {
        def = r;
        r.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
        break;
      }
    }
    const ctx = {
      ...helpers,
      t: own.t,
      tOpt: own.tOpt,
      texts: own,
      route: def ? def.name : 'not-found',
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
        main.append(h('div', { class: 'alert alert-warning', role: 'alert' }, t('kit.app.notFound')), home());
      } else if (def.render) {
        await def.render(ctx, def.name);
      } else {
        const mod = await def.load();
        if (my !== token) return;
        await mod.render(ctx, def.name);
      }
    } catch (err) {
      if (my !== token) return;
      console.warn(err);
      main.replaceChildren(errorAlert(err), home());
    }
    if (my !== token) return;
    if (!first) {
      // After a move inside the app, focus goes where a screen reader
      // should start: a control the screen names (data-autofocus), else
      // its heading (made focusable for that).
      const target = main.querySelector('[data-autofocus="true"]') || main.querySelector('h1');
      if (target && target.tagName === 'H1' && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      if (target) target.focus();
    }
    first = false;
    document.body.dataset.rendered = ctx.route;
  }

  const app = {
    ...helpers, name, texts: own, navigate,
  };
  if (!helpers.user) return app;
  await own.load(helpers.language());
  const skip = document.getElementById('skip-link');
  if (skip) {
    skip.addEventListener('click', (e) => {
      e.preventDefault();
      main.focus();
    });
  }
  window.addEventListener('hashchange', route);
  await route();
  return app;
}
