// Staff accounts and roles of one hospital (regional administrator: any
// hospital; hospital administrator: theirs). Accounts are regional, roles
// are per hospital.
import { h, field, newId, setInvalid } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, enc } from '../api.js';
import {
  announce, adminTenants, roleLabel, refreshUser, session, loadRoles, grantableRoles,
} from '../shell.js';
import {
  pageHeader, loading, messageArea, badge, errorAlert, applyFieldErrors, clearFieldErrors,
  submitBusy, tenantPicker,
} from '../ui.js';

/**
 * A fieldset of role checkboxes; .value() gives the checked roles. Offers
 * the roles that can be granted (call loadRoles() first) plus any the
 * account holds already whose module is not installed, so saving keeps them.
 */
export function rolePicker(legend, selected = [], idPrefix = newId('roles')) {
  const grantable = grantableRoles();
  const names = grantable.concat(selected.filter((r) => !grantable.includes(r)));
  const boxes = names.map((r) => {
    const id = `${idPrefix}-${r}`;
    const input = h('input', { class: 'form-check-input', type: 'checkbox', id, value: r, checked: selected.includes(r) });
    return { r, input, el: h('div', { class: 'form-check col-sm-6 col-lg-4' }, input, h('label', { class: 'form-check-label', for: id }, roleLabel(r))) };
  });
  const errId = `${idPrefix}-err`;
  const fs = h('fieldset', { class: 'mb-3', 'aria-describedby': errId },
    h('legend', { class: 'form-label fs-6' }, legend),
    h('div', { class: 'row' }, boxes.map((b) => b.el)),
    h('div', { class: 'invalid-feedback d-block', id: errId }));
  return {
    el: fs,
    value: () => boxes.filter((b) => b.input.checked).map((b) => b.r),
    setError: (m) => {
      fs.querySelector(`#${errId}`).textContent = m || '';
      boxes.forEach((b) => b.input.classList.toggle('is-invalid', !!m));
    },
    focus: () => boxes[0].input.focus(),
  };
}

function createUserForm(tenant, onDone) {
  const username = h('input', { class: 'form-control', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: '64' });
  const display = h('input', { class: 'form-control', autocomplete: 'off', required: true, maxlength: '200' });
  const email = h('input', { class: 'form-control', type: 'email', autocomplete: 'off', maxlength: '254' });
  const source = h('select', { class: 'form-select' },
    h('option', { value: 'local' }, t('users.sourceLocal')), h('option', { value: 'ldap' }, t('users.sourceLdap')));
  const password = h('input', { class: 'form-control', type: 'password', autocomplete: 'new-password', maxlength: '256' });
  const pwGroup = field({ label: t('users.password'), control: password, help: t('users.passwordHelp') });
  source.addEventListener('change', () => pwGroup.classList.toggle('d-none', source.value === 'ldap'));
  const roles = rolePicker(t('users.roles'));
  const msg = messageArea();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('users.create'));
  const controls = {
    username, display_name: display, email, password, auth_source: source,
  };
  const form = h('form', { novalidate: true, 'aria-labelledby': 'new-user-title' },
    h('h2', { class: 'h5', id: 'new-user-title' }, t('users.new', { hospital: tenant.name })),
    msg.el,
    h('div', { class: 'row' },
      h('div', { class: 'col-md-4' }, field({ label: t('users.username'), control: username, help: t('users.usernameHelp') })),
      h('div', { class: 'col-md-4' }, field({ label: t('users.displayName'), control: display })),
      h('div', { class: 'col-md-4' }, field({ label: t('users.email'), control: email }))),
    h('div', { class: 'row' },
      h('div', { class: 'col-md-4' }, field({ label: t('users.source'), control: source })),
      h('div', { class: 'col-md-8' }, pwGroup)),
    roles.el,
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(controls);
    roles.setError(null);
    msg.clear();
    const body = {
      username: username.value.trim().toLowerCase(),
      display_name: display.value.trim(),
      roles: roles.value(),
    };
    if (email.value.trim()) body.email = email.value.trim();
    if (source.value === 'ldap') body.auth_source = 'ldap';
    else body.password = password.value;
    let bad = false;
    if (!body.username) { setInvalid(username, t('common.required')); bad = true; }
    if (!body.display_name) { setInvalid(display, t('common.required')); bad = true; }
    if (source.value === 'local' && !body.password) { setInvalid(password, t('common.required')); bad = true; }
    if (!body.roles.length) { roles.setError(t('users.pickRole')); bad = true; }
    if (bad) {
      const first = form.querySelector('.is-invalid');
      if (first) first.focus();
      return;
    }
    submitBusy(submit, true);
    try {
      await api('POST', `/api/v1/tenants/${enc(tenant.code)}/users`, body);
      const text = t('users.created', { username: body.username, hospital: tenant.name });
      announce(text);
      onDone(text);
    } catch (err) {
      const rest = applyFieldErrors(controls, err).filter((x) => {
        if (x.field === 'roles') { roles.setError(x.message); return false; }
        return true;
      });
      if (err.status === 409) msg.error(t('users.duplicate'));
      else if (err.status !== 422 || rest.length) msg.error(err);
    } finally {
      submitBusy(submit, false);
    }
  });
  return form;
}

function grantForm(tenant, onDone) {
  const username = h('input', { class: 'form-control', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true });
  const roles = rolePicker(t('users.roles'));
  const msg = messageArea();
  const submit = h('button', { type: 'submit', class: 'btn btn-outline-primary' }, t('users.grant'));
  const form = h('form', { novalidate: true, 'aria-labelledby': 'grant-title' },
    h('h2', { class: 'h5', id: 'grant-title' }, t('users.grantTitle', { hospital: tenant.name })),
    h('p', { class: 'small text-muted' }, t('users.grantIntro')),
    msg.el,
    h('div', { class: 'row' }, h('div', { class: 'col-md-4' }, field({ label: t('users.username'), control: username }))),
    roles.el,
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setInvalid(username, null);
    roles.setError(null);
    const name = username.value.trim().toLowerCase();
    if (!name) { setInvalid(username, t('common.required')); username.focus(); return; }
    if (!roles.value().length) { roles.setError(t('users.pickRole')); roles.focus(); return; }
    submitBusy(submit, true);
    try {
      await api('PUT', `/api/v1/tenants/${enc(tenant.code)}/users/${enc(name)}/roles`, { roles: roles.value() });
      const text = t('users.rolesSaved', { username: name });
      announce(text);
      onDone(text);
    } catch (err) {
      if (err.status === 404) setInvalid(username, t('users.noSuchUser'));
      else if (err.status === 403 && err.code === 'account_not_shared') setInvalid(username, t('users.notShared'));
      else msg.error(err);
    } finally {
      submitBusy(submit, false);
    }
  });
  return form;
}

function rolesEditor(tenant, u, onDone, onCancel) {
  const roles = rolePicker(t('users.rolesOf', { username: u.username }), u.roles || [], `edit-${u.username.replace(/[^a-z0-9]/g, '-')}`);
  const msg = messageArea();
  const save = h('button', { type: 'submit', class: 'btn btn-sm btn-primary' }, t('common.save'));
  const form = h('form', { novalidate: true, class: 'border rounded p-3 bg-light' },
    msg.el, roles.el,
    h('div', { class: 'd-flex gap-2' }, save,
      h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onclick: onCancel }, t('common.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!roles.value().length) { roles.setError(t('users.pickRole')); return; }
    submitBusy(save, true);
    try {
      await api('PUT', `/api/v1/tenants/${enc(tenant.code)}/users/${enc(u.username)}/roles`, { roles: roles.value() });
      onDone(t('users.rolesSaved', { username: u.username }));
      if (session.user && u.username === session.user.username) refreshUser().catch(() => {});
    } catch (err) {
      msg.error(err);
      submitBusy(save, false);
    }
  });
  setTimeout(() => roles.focus(), 0);
  return form;
}

// Sharing an account this hospital owns with another hospital, whose
// administrator may then give it roles there (and ending that).
function sharesEditor(tenant, u, hospitals, onDone) {
  const others = hospitals.filter((x) => x.code !== tenant.code && !(u.shares || []).includes(x.code));
  const sid = `share-${u.username.replace(/[^a-z0-9]/g, '-')}`;
  const select = h('select', { class: 'form-select form-select-sm', id: sid },
    others.map((x) => h('option', { value: x.code }, `${x.name} (${x.code})`)));
  const msg = messageArea();
  const act = async (method, code, text) => {
    msg.clear();
    try {
      await api(method, `/api/v1/tenants/${enc(tenant.code)}/users/${enc(u.username)}/shares/${enc(code)}`);
      onDone(text);
    } catch (err) {
      msg.error(err);
    }
  };
  return h('div', { class: 'border rounded p-3 mt-2', 'data-testid': 'shares' },
    h('h3', { class: 'h6' }, t('users.shares')),
    h('p', { class: 'small text-muted mb-2' }, t('users.sharesHelp')),
    msg.el,
    (u.shares || []).length
      ? h('ul', { class: 'list-inline mb-2' }, u.shares.map((code) => h('li', { class: 'list-inline-item mb-1' },
        h('span', { class: 'badge text-bg-light border me-1' }, code),
        h('button', {
          type: 'button', class: 'btn btn-sm btn-outline-danger',
          'aria-label': t('users.unshareFrom', { hospital: code }),
          onclick: () => act('DELETE', code, t('users.unshared', { username: u.username, hospital: code })),
        }, t('users.unshare')))))
      : h('p', { class: 'small mb-2' }, t('users.noShares')),
    others.length ? h('div', { class: 'd-flex gap-2 align-items-end flex-wrap' },
      h('div', {}, h('label', { class: 'form-label small mb-1', for: sid }, t('users.shareWith')), select),
      h('button', {
        type: 'button', class: 'btn btn-sm btn-outline-primary',
        onclick: () => act('PUT', select.value, t('users.shared', { username: u.username, hospital: select.value })),
      }, t('users.share'))) : null);
}

export async function render(ctx) {
  await loadRoles();
  const { main, user } = ctx;
  main.append(pageHeader(t('users.title'), user.regional_admin ? t('users.introRegional') : t('users.intro')));
  const tenants = adminTenants(user);
  if (!tenants.length) {
    main.append(h('p', {}, t('users.noHospitals')));
    return;
  }
  let code = (tenants.find((x) => x.code === ctx.query.get('hospital'))
    || tenants.find((x) => x.code === user.current_tenant) || tenants[0]).code;
  const picker = tenantPicker(tenants, code, (c) => { code = c; draw(); });
  const body = h('div', {});
  main.append(picker.el, body);

  async function draw(note) {
    const tenant = tenants.find((x) => x.code === code);
    const msg = messageArea();
    const list = h('section', { class: 'mb-4', 'aria-labelledby': 'user-list-title' }, loading());
    body.replaceChildren(msg.el, list,
      h('section', { class: 'card mb-4' }, h('div', { class: 'card-body' }, createUserForm(tenant, (text) => draw(text)))),
      h('section', { class: 'card mb-4' }, h('div', { class: 'card-body' }, grantForm(tenant, (text) => draw(text)))));
    if (note) msg.ok(note);
    let data;
    try {
      data = await get(`/api/v1/tenants/${enc(code)}/users`);
    } catch (err) {
      list.replaceChildren(errorAlert(err));
      return;
    }
    if (!ctx.alive() || tenant.code !== code) return;
    let hospitals = [];
    try {
      hospitals = ((await get('/api/v1/tenants')).tenants || []).filter((x) => x.active !== false);
    } catch (err) {
      hospitals = [];
    }
    const rows = [];
    for (const u of data.users || []) {
      const editRow = h('tr', { class: 'd-none' }, h('td', { colspan: '5' }));
      const editBtn = h('button', {
        type: 'button', class: 'btn btn-sm btn-outline-primary', 'aria-expanded': 'false',
        'aria-label': t('users.editRolesOf', { username: u.username }),
        onclick: () => {
          const open = editRow.classList.toggle('d-none') === false;
          editBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
          if (open) {
            editRow.firstChild.replaceChildren(rolesEditor(tenant, u, (text) => draw(text), () => {
              editRow.classList.add('d-none');
              editBtn.setAttribute('aria-expanded', 'false');
              editBtn.focus();
            }));
            // Only the owning hospital (or the region) shares an account.
            if (u.home === tenant.code || user.regional_admin) {
              editRow.firstChild.append(sharesEditor(tenant, u, hospitals, (text) => draw(text)));
            }
          }
        },
      }, t('users.editRoles'));
      rows.push(h('tr', { 'data-username': u.username },
        h('td', {}, h('span', { class: 'fw-semibold d-block' }, u.display_name), h('span', { class: 'mono small' }, u.username),
          u.home && u.home !== tenant.code ? h('span', { class: 'd-block small text-muted', 'data-testid': 'owner' }, t('users.ownedBy', { hospital: u.home })) : null),
        h('td', { class: 'small' }, u.email || '—'),
        h('td', {}, badge(u.auth_source === 'ldap' ? t('users.sourceLdapShort') : t('users.sourceLocalShort'), 'light border text-dark'),
          u.disabled ? badge(t('users.disabled'), 'danger') : null),
        h('td', {}, (u.roles || []).map((r) => badge(roleLabel(r), 'primary'))),
        h('td', { class: 'text-end' }, editBtn)));
      rows.push(editRow);
    }
    list.replaceChildren(
      h('h2', { class: 'h5', id: 'user-list-title' }, t('users.list', { hospital: tenant.name }), ' ',
        h('span', { class: 'badge text-bg-secondary' }, String((data.users || []).length))),
      h('div', { class: 'table-responsive' },
        h('table', { class: 'table bg-white align-middle', 'data-testid': 'users-table' },
          h('thead', {}, h('tr', {},
            ['users.person', 'users.email', 'users.source', 'users.roles'].map((k) => h('th', { scope: 'col' }, t(k))),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
          h('tbody', {}, rows))));
  }
  await draw();
}
