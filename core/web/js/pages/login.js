// Login: local accounts and hospital directory (LDAP/AD) accounts; the
// hospital selector is for directory accounts. SPID/CIE come later.
import { h, field, setInvalid } from '../dom.js';
import { t, language, setLanguage, storeLanguage } from '../i18n.js';
import { api, get, ApiError } from '../api.js';
import { setUser } from '../shell.js';
import { alertBox, problemMessage, submitBusy } from '../ui.js';

function takeSession(key) {
  try {
    const v = sessionStorage.getItem(key);
    sessionStorage.removeItem(key);
    return v;
  } catch {
    return null;
  }
}

/** Hospitals for the directory selector: public list if the server has one. */
async function directoryHospitals() {
  try {
    const data = await get('/api/v1/auth/tenants', { noAuthEvent: true });
    return (data && data.tenants) || [];
  } catch {
    return null;
  }
}

// What is typed in the sign-in fields, kept across redraws of this page: the
// language buttons redraw it, and someone who switches language mid-way, or
// types while the new dictionary loads, must not find the fields emptied.
// Forgotten once the sign-in succeeds.
const typed = { username: '', password: '' };

export async function render(ctx) {
  document.title = `${t('login.title')} · Concerto`;
  const flash = takeSession('concerto.flash');
  const msg = h('div', { id: 'login-message', 'aria-live': 'assertive' });
  if (flash === 'sessionExpired') msg.append(alertBox('warning', t('login.sessionExpired')));
  if (flash === 'loggedOut') msg.append(alertBox('success', t('login.loggedOut')));

  const username = h('input', {
    class: 'form-control', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false',
  });
  const password = h('input', {
    class: 'form-control', type: 'password', name: 'password', autocomplete: 'current-password', required: true,
  });
  username.value = typed.username;
  password.value = typed.password;
  username.addEventListener('input', () => { typed.username = username.value; });
  password.addEventListener('input', () => { typed.password = password.value; });
  const kindLocal = h('input', { class: 'form-check-input', type: 'radio', name: 'kind', id: 'kind-local', value: 'local', checked: true });
  const kindDir = h('input', { class: 'form-check-input', type: 'radio', name: 'kind', id: 'kind-dir', value: 'directory' });
  const hospitalBox = h('div', { class: 'd-none', id: 'hospital-box' });
  let hospital = null;

  async function showHospitalChooser() {
    if (hospital) return;
    const list = await directoryHospitals();
    if (list && list.length) {
      hospital = h('select', { class: 'form-select', name: 'tenant', required: true },
        h('option', { value: '' }, t('login.chooseHospital')),
        list.map((x) => h('option', { value: x.code }, `${x.name} (${x.code})`)));
      hospitalBox.append(field({ label: t('login.hospital'), id: 'login-hospital', control: hospital }));
    } else {
      hospital = h('input', {
        class: 'form-control text-uppercase', name: 'tenant', required: true, autocomplete: 'organization',
        placeholder: 'ASP-AG', pattern: '[A-Za-z0-9_\\-]{2,32}',
      });
      hospitalBox.append(field({
        label: t('login.hospitalCode'), id: 'login-hospital', control: hospital, help: t('login.hospitalCodeHelp'),
      }));
    }
  }
  const onKind = async () => {
    const dir = kindDir.checked;
    if (dir) await showHospitalChooser();
    hospitalBox.classList.toggle('d-none', !dir);
    if (hospital) hospital.required = dir;
  };
  kindLocal.addEventListener('change', onKind);
  kindDir.addEventListener('change', onKind);

  const submit = h('button', { type: 'submit', class: 'btn btn-primary w-100' }, t('login.submit'));
  const form = h('form', { novalidate: true, 'aria-describedby': 'login-message' },
    field({ label: t('login.username'), id: 'login-username', control: username }),
    field({ label: t('login.password'), id: 'login-password', control: password }),
    h('fieldset', { class: 'mb-3' },
      h('legend', { class: 'form-label fs-6' }, t('login.accountKind')),
      h('div', { class: 'form-check' }, kindLocal, h('label', { class: 'form-check-label', for: 'kind-local' }, t('login.kindLocal'))),
      h('div', { class: 'form-check' }, kindDir, h('label', { class: 'form-check-label', for: 'kind-dir' }, t('login.kindDirectory')))),
    hospitalBox,
    submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.replaceChildren();
    setInvalid(username, username.value.trim() ? null : t('login.required'));
    setInvalid(password, password.value ? null : t('login.required'));
    const dir = kindDir.checked;
    const tenant = dir && hospital ? hospital.value.trim().toUpperCase() : '';
    if (hospital) setInvalid(hospital, dir && !tenant ? t('login.required') : null);
    if (!username.value.trim() || !password.value || (dir && !tenant)) {
      form.querySelector('.is-invalid').focus();
      return;
    }
    submitBusy(submit, true);
    try {
      const body = { username: username.value.trim(), password: password.value };
      if (tenant) body.tenant = tenant;
      const res = await api('POST', '/api/v1/auth/login', body, { noAuthEvent: true });
      const user = res.user;
      user.csrf_token = res.csrf_token || user.csrf_token;
      // A language picked on this page wins and is saved on the account;
      // otherwise the account's remembered language applies.
      const picked = takeSession('concerto.langPicked');
      let next = takeSession('concerto.next');
      if (!next || !(next.startsWith('#/') || next.startsWith('/modules/'))
          || next.startsWith('#/login') || next.startsWith('#/error')) next = '#/home';
      setUser(user, { silent: true });
      if (picked && user.language !== language()) {
        try {
          const me = await api('PATCH', '/api/v1/me', { language: language() });
          setUser(me, { silent: true });
        } catch { /* keep the local choice */ }
      } else if (user.language && user.language !== language()) {
        await setLanguage(user.language);
        storeLanguage(user.language);
      }
      password.value = '';
      typed.username = '';
      typed.password = '';
      // A module page (/modules/<name>/...) sent us here: go back to it.
      if (next.startsWith('/modules/') && !next.startsWith('//')) {
        location.href = next;
        return;
      }
      if (location.hash === next) ctx.rerender();
      else location.hash = next;
    } catch (err) {
      submitBusy(submit, false);
      const e2 = err instanceof ApiError ? err : new ApiError(0, { detail: String(err) });
      let text;
      if (e2.code === 'invalid_credentials') text = t('login.invalid');
      else if (e2.code === 'rate_limited') text = t('login.locked', { seconds: e2.retryAfter || '?' });
      else text = problemMessage(e2);
      msg.replaceChildren(alertBox(e2.code === 'rate_limited' ? 'warning' : 'danger', text));
      password.value = '';
      typed.password = '';
      password.focus();
      return;
    }
  });

  const spid = h('section', { class: 'login-alt mt-4 pt-3 border-top', 'aria-labelledby': 'login-alt-title' },
    h('h2', { class: 'h6', id: 'login-alt-title' }, t('login.altTitle')),
    h('div', { class: 'd-grid gap-2' },
      h('button', { type: 'button', class: 'btn btn-outline-secondary', disabled: true, 'aria-describedby': 'login-alt-note' },
        h('span', { class: 'spid-mark' }, t('login.spid'))),
      h('button', { type: 'button', class: 'btn btn-outline-secondary', disabled: true, 'aria-describedby': 'login-alt-note' },
        h('span', { class: 'spid-mark' }, t('login.cie')))),
    h('p', { class: 'small text-muted mt-2 mb-0', id: 'login-alt-note' }, t('login.altSoon')));

  ctx.main.replaceChildren(h('div', { class: 'login-wrap' },
    h('div', { class: 'card shadow-sm' },
      h('div', { class: 'card-body p-4' },
        h('h1', { class: 'h3 mb-1', tabindex: '-1' }, t('login.title')),
        h('p', { class: 'text-muted' }, t('login.intro')),
        msg, form, spid))));
  username.focus();
}

// Remember that the language was chosen on the login page (see above).
document.addEventListener('click', (e) => {
  const b = e.target.closest && e.target.closest('header [lang]');
  if (b && location.hash.startsWith('#/login')) {
    try {
      sessionStorage.setItem('concerto.langPicked', '1');
    } catch { /* ignore */ }
  }
});
