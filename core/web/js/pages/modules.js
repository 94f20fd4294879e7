// The module enablement matrix: hospitals × modules, each switch takes
// effect at once (regional administrator). A hospital administrator sees
// their own hospital's row read-only.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, enc } from '../api.js';
import { announce, refreshUser, adminTenants } from '../shell.js';
import {
  pageHeader, loading, messageArea, badge, errorAlert,
} from '../ui.js';

const STATE_KIND = { started: 'success', ready: 'success', failed: 'danger', refused: 'danger', stopped: 'secondary', discovered: 'secondary' };

export async function render(ctx) {
  const { main, user } = ctx;
  const editable = !!user.regional_admin;
  main.append(pageHeader(t('modules.title'), editable ? t('modules.intro') : t('modules.introReadOnly')));
  const msg = messageArea();
  const box = h('div', {}, loading());
  main.append(msg.el, box);

  let tenants;
  let loaded = [];
  try {
    tenants = editable ? (await get('/api/v1/tenants')).tenants : adminTenants(user);
    loaded = (await get('/api/v1/modules')).modules || [];
  } catch (err) {
    box.replaceChildren(errorAlert(err));
    return;
  }
  const rows = await Promise.all(tenants.map(async (tn) => {
    try {
      const r = await get(`/api/v1/tenants/${enc(tn.code)}/modules`);
      return { tenant: tn, modules: r.modules || [] };
    } catch (err) {
      return { tenant: tn, error: err };
    }
  }));
  if (!ctx.alive()) return;
  const names = [];
  const states = {};
  rows.forEach((r) => (r.modules || []).forEach((m) => {
    if (!names.includes(m.module)) names.push(m.module);
    states[m.module] = m.state;
  }));
  loaded.forEach((m) => {
    if (!names.includes(m.name)) names.push(m.name);
    states[m.name] = states[m.name] || m.state;
  });
  names.sort();

  if (!names.length) {
    box.replaceChildren(h('p', { class: 'text-muted' }, t('modules.none')));
    return;
  }

  const table = h('table', { class: 'table table-bordered bg-white matrix mb-4', 'data-testid': 'module-matrix' },
    h('caption', {}, t('modules.caption')),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'sticky-col' }, t('modules.hospital')),
      names.map((n) => h('th', { scope: 'col', class: 'module' },
        h('span', { class: 'd-block mono' }, n),
        h('span', { class: `badge text-bg-${STATE_KIND[states[n]] || 'secondary'}` }, t(`modules.state.${states[n] || 'unknown'}`)))))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-hospital': r.tenant.code },
      h('th', { scope: 'row', class: 'hospital sticky-col' },
        h('span', { class: 'd-block' }, r.tenant.name), h('span', { class: 'small text-muted mono' }, r.tenant.code)),
      names.map((n) => {
        if (r.error) return h('td', { class: 'text-danger small' }, t('modules.unavailable'));
        const m = r.modules.find((x) => x.module === n);
        const input = h('input', {
          class: 'form-check-input', type: 'checkbox', role: 'switch',
          checked: !!(m && m.enabled), disabled: !editable || !m,
          'aria-label': t('modules.toggleLabel', { module: n, hospital: r.tenant.name }),
          'data-module': n, 'data-hospital': r.tenant.code,
        });
        input.addEventListener('change', async () => {
          const want = input.checked;
          // Off takes a service away from every user of the hospital at
          // once: ask first.
          if (!want && !window.confirm(t('modules.confirmOff', { module: n, hospital: r.tenant.name }))) {
            input.checked = true;
            return;
          }
          input.disabled = true;
          try {
            await api('PUT', `/api/v1/tenants/${enc(r.tenant.code)}/modules/${enc(n)}`, { enabled: want });
            const text = t(want ? 'modules.enabled' : 'modules.disabled', { module: n, hospital: r.tenant.name });
            msg.ok(text);
            announce(text);
            // The header's module entries follow the change at once.
            refreshUser().catch(() => {});
          } catch (err) {
            input.checked = !want;
            msg.error(err);
          } finally {
            input.disabled = false;
          }
        });
        return h('td', {}, h('div', { class: 'form-check form-switch' }, input));
      })))));
  const info = h('section', { 'aria-labelledby': 'loaded-title' },
    h('h2', { class: 'h5', id: 'loaded-title' }, t('modules.loaded')),
    h('div', { class: 'table-responsive' },
      h('table', { class: 'table table-sm bg-white' },
        h('thead', {}, h('tr', {}, ['modules.name', 'modules.version', 'modules.vendor', 'modules.abi', 'modules.stateCol']
          .map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, loaded.map((m) => h('tr', {},
          h('td', { class: 'mono' }, m.name), h('td', {}, m.version || ''), h('td', {}, m.vendor || ''),
          h('td', {}, m.abi || ''), h('td', {}, badge(t(`modules.state.${m.state || 'unknown'}`), STATE_KIND[m.state] || 'secondary'))))))));
  box.replaceChildren(h('div', { class: 'table-responsive' }, table), info);
}
