// Entry point for a module's own page (/modules/<name>/index.html): the
// same header, session, CSRF token and language as the console. See
// docs/ui.md, "Module pages: the convention".
//
//   import { startModulePage } from '/static/js/module-page.js';
//   const { user, api, t, h, main } = await startModulePage();
import { h, field, clear } from './dom.js';
import { t, setLanguage, storedLanguage, storeLanguage, language } from './i18n.js';
import { api, get, enc, onUnauthenticated } from './api.js';
import { installDropdowns } from './dropdown.js';
import {
  session, setUser, onUserChange, renderHeader, watchNotifications, toast, announce, currentTenant, hasRole,
} from './shell.js';
import { renderForm } from './form-render.js';

function toLogin() {
  try {
    sessionStorage.setItem('concerto.next', location.pathname + location.search + location.hash);
  } catch { /* ignore */ }
  location.href = '/#/login';
}

/**
 * Renders the shell around the page. Resolves with helpers and the user;
 * without a session it goes to the login page (and comes back afterwards),
 * resolving with user null.
 */
export async function startModulePage() {
  installDropdowns();
  await setLanguage(storedLanguage() || 'it');
  const header = document.getElementById('app-header');
  const main = document.getElementById('main');
  const helpers = {
    api, get, enc, t, h, field, clear, main, renderForm, toast, announce, language, currentTenant, hasRole,
  };
  let me;
  try {
    me = await get('/api/v1/me', { noAuthEvent: true });
  } catch (err) {
    if (err.status === 401) {
      toLogin();
    } else if (main) {
      main.replaceChildren(h('div', { class: 'alert alert-danger', role: 'alert' }, t('errorPage.503.text')));
    }
    return { ...helpers, user: null };
  }
  if (me.language && me.language !== language()) {
    await setLanguage(me.language);
    storeLanguage(me.language);
  }
  setUser(me, { silent: true });
  // Another hospital or language: the module page starts again.
  onUserChange(() => location.reload());
  onUnauthenticated(() => toLogin());
  watchNotifications();
  if (header) await renderHeader(header, null);
  document.body.dataset.ready = 'true';
  return { ...helpers, user: session.user };
}
