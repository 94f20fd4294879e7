// The hospital's directory (LDAP / Active Directory) settings and the
// mapping from directory groups to Concerto roles.
import { h, field, newId } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, enc } from '../api.js';
import { announce, adminTenants, loadRoles } from '../shell.js';
import {
  pageHeader, messageArea, applyFieldErrors, clearFieldErrors, submitBusy, tenantPicker, alertBox,
} from '../ui.js';
import { rolePicker } from './users.js';
import { loadOutbound, outboundNotice, localizeOutboundErrors } from '../outbound.js';

/** Current settings, when the server offers a read endpoint (bind password never shown). */
async function loadSettings(code) {
  try {
    return await get(`/api/v1/tenants/${enc(code)}/ldap`);
  } catch {
    return null;
  }
}

function mappingRow(group = '', roles = [], onRemove) {
  const id = newId('grp');
  const input = h('input', { class: 'form-control', id, value: group, autocomplete: 'off', placeholder: 'telemed-specialisti' });
  const picker = rolePicker(t('ldap.rolesFor'), roles, `${id}-r`);
  const row = h('div', { class: 'border rounded p-3 mb-2 bg-light mapping-row' },
    h('div', { class: 'row align-items-end' },
      h('div', { class: 'col-md-8' }, h('label', { class: 'form-label', for: id }, t('ldap.group')), input),
      h('div', { class: 'col-md-4 text-md-end mt-2 mt-md-0' },
        h('button', { type: 'button', class: 'btn btn-sm btn-outline-danger', onclick: () => onRemove(row) }, t('ldap.removeGroup')))),
    h('div', { class: 'mt-2' }, picker.el));
  row.value = () => ({ group: input.value.trim(), roles: picker.value() });
  return row;
}

export async function render(ctx) {
  await loadRoles();
  const { main, user } = ctx;
  main.append(pageHeader(t('ldap.title'), t('ldap.intro')));
  const tenants = adminTenants(user);
  if (!tenants.length) {
    main.append(h('p', {}, t('users.noHospitals')));
    return;
  }
  let code = (tenants.find((x) => x.code === user.current_tenant) || tenants[0]).code;
  const picker = tenantPicker(tenants, code, (c) => { code = c; draw(); });
  const body = h('div', {});
  main.append(picker.el, body);

  async function draw() {
    const tenant = tenants.find((x) => x.code === code);
    const [current, outbound] = await Promise.all([loadSettings(code), loadOutbound(code)]);
    if (!ctx.alive() || tenant.code !== code) return;
    const s = current || {};
    const url = h('input', { class: 'form-control', value: s.url || '', placeholder: 'ldaps://ad.example.it', autocomplete: 'off', required: true });
    const bindDn = h('input', { class: 'form-control', value: s.bind_dn || '', autocomplete: 'off' });
    const bindPw = h('input', { class: 'form-control', type: 'password', autocomplete: 'new-password', placeholder: t('ldap.passwordKeep') });
    const userBase = h('input', { class: 'form-control', value: s.user_base || '', placeholder: 'ou=people,dc=example,dc=it', autocomplete: 'off', required: true });
    const userFilter = h('input', { class: 'form-control mono', value: s.user_filter || '(uid=%s)', autocomplete: 'off' });
    const groupBase = h('input', { class: 'form-control', value: s.group_base || '', autocomplete: 'off' });
    const groupFilter = h('input', { class: 'form-control mono', value: s.group_filter || '', placeholder: '(&(objectClass=groupOfNames)(member=%s))', autocomplete: 'off' });
    const tlsId = newId('tls');
    const tls = h('input', { class: 'form-check-input', type: 'checkbox', id: tlsId, checked: !!s.start_tls });
    const rows = h('div', {});
    const remove = (row) => row.remove();
    const mapping = s.group_roles && typeof s.group_roles === 'object' ? Object.entries(s.group_roles) : [];
    (mapping.length ? mapping : [['', []]]).forEach(([g, r]) => rows.append(mappingRow(g, r, remove)));
    const msg = messageArea();
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'));
    const controls = {
      url, bind_dn: bindDn, bind_password: bindPw, user_base: userBase, user_filter: userFilter,
      group_base: groupBase, group_filter: groupFilter,
    };
    const form = h('form', { novalidate: true, class: 'card' },
      h('div', { class: 'card-body' },
        msg.el,
        current ? null : alertBox('info', t('ldap.writeOnly')),
        h('h2', { class: 'h5' }, t('ldap.connection')),
        outboundNotice(outbound, 'ldap-outbound'),
        h('div', { class: 'row' },
          h('div', { class: 'col-md-6' }, field({ label: t('ldap.url'), control: url, help: t('ldap.urlHelp') })),
          h('div', { class: 'col-md-6 d-flex align-items-center' },
            h('div', { class: 'form-check mt-md-3' }, tls, h('label', { class: 'form-check-label', for: tlsId }, t('ldap.startTls'))))),
        h('div', { class: 'row' },
          h('div', { class: 'col-md-6' }, field({ label: t('ldap.bindDn'), control: bindDn })),
          h('div', { class: 'col-md-6' }, field({ label: t('ldap.bindPassword'), control: bindPw, help: t('ldap.bindPasswordHelp') }))),
        h('h2', { class: 'h5 mt-2' }, t('ldap.search')),
        h('div', { class: 'row' },
          h('div', { class: 'col-md-6' }, field({ label: t('ldap.userBase'), control: userBase })),
          h('div', { class: 'col-md-6' }, field({ label: t('ldap.userFilter'), control: userFilter, help: t('ldap.userFilterHelp') }))),
        h('div', { class: 'row' },
          h('div', { class: 'col-md-6' }, field({ label: t('ldap.groupBase'), control: groupBase })),
          h('div', { class: 'col-md-6' }, field({ label: t('ldap.groupFilter'), control: groupFilter, help: t('ldap.groupFilterHelp') }))),
        h('h2', { class: 'h5 mt-2', id: 'mapping-title' }, t('ldap.mapping')),
        h('p', { class: 'small text-muted' }, t('ldap.mappingHelp')),
        rows,
        h('button', {
          type: 'button', class: 'btn btn-sm btn-outline-primary mb-3',
          onclick: () => {
            const r = mappingRow('', [], remove);
            rows.append(r);
            r.querySelector('input').focus();
          },
        }, t('ldap.addGroup')),
        h('div', {}, submit)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(controls);
      msg.clear();
      const groupRoles = {};
      for (const r of rows.querySelectorAll('.mapping-row')) {
        const v = r.value();
        if (v.group && v.roles.length) groupRoles[v.group] = v.roles;
      }
      const bodyOut = {
        url: url.value.trim(), user_base: userBase.value.trim(), start_tls: tls.checked, group_roles: groupRoles,
      };
      const opt = (k, c) => { if (c.value.trim()) bodyOut[k] = c.value.trim(); };
      opt('bind_dn', bindDn);
      opt('user_filter', userFilter);
      opt('group_base', groupBase);
      opt('group_filter', groupFilter);
      if (bindPw.value) bodyOut.bind_password = bindPw.value;
      submitBusy(submit, true);
      try {
        await api('PUT', `/api/v1/tenants/${enc(tenant.code)}/ldap`, bodyOut);
        bindPw.value = '';
        msg.ok(t('ldap.saved', { hospital: tenant.name }));
        announce(t('ldap.saved', { hospital: tenant.name }));
      } catch (err) {
        const rest = applyFieldErrors(controls, localizeOutboundErrors(err, 'ldap'));
        if (err.status !== 422 || rest.length) msg.error(err);
      } finally {
        submitBusy(submit, false);
      }
    });
    body.replaceChildren(form);
  }
  await draw();
}
