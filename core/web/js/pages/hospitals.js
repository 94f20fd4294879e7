// Regional administrator: hospitals (health authorities), their sites and
// the outbound allow-list of each (where the server may connect on its
// behalf: webhooks, the directory).
import { h, field, newId } from '../dom.js';
import { t } from '../i18n.js';
import { api, get, enc } from '../api.js';
import { announce, refreshUser } from '../shell.js';
import {
  pageHeader, loading, messageArea, badge, errorAlert, applyFieldErrors, clearFieldErrors, submitBusy,
} from '../ui.js';
import { outboundFacts, localizeCidrErrors } from '../outbound.js';

const KINDS = ['ASL', 'AO', 'AOU', 'IRCCS'];

function createHospitalForm(onDone) {
  const code = h('input', { class: 'form-control text-uppercase', name: 'code', required: true, maxlength: '32', autocomplete: 'off' });
  const name = h('input', { class: 'form-control', name: 'name', required: true, maxlength: '200', autocomplete: 'off' });
  const kind = h('select', { class: 'form-select', name: 'kind' }, KINDS.map((k) => h('option', { value: k }, `${k} — ${t(`kind.${k}`)}`)));
  const hubId = newId('hub');
  const hub = h('input', { class: 'form-check-input', type: 'checkbox', id: hubId, name: 'hub' });
  const msg = messageArea();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('hospitals.create'));
  const controls = { code, name, kind };
  const form = h('form', { novalidate: true, 'aria-labelledby': 'new-hospital-title' },
    h('h2', { class: 'h5', id: 'new-hospital-title' }, t('hospitals.new')),
    msg.el,
    h('div', { class: 'row' },
      h('div', { class: 'col-md-3' }, field({ label: t('hospitals.code'), control: code, help: t('hospitals.codeHelp') })),
      h('div', { class: 'col-md-5' }, field({ label: t('hospitals.name'), control: name })),
      h('div', { class: 'col-md-4' }, field({ label: t('hospitals.kind'), control: kind }))),
    h('div', { class: 'form-check mb-3' }, hub, h('label', { class: 'form-check-label', for: hubId }, t('hospitals.isHub'))),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(controls);
    msg.clear();
    submitBusy(submit, true);
    try {
      const body = { code: code.value.trim().toUpperCase(), name: name.value.trim(), kind: kind.value, hub: hub.checked };
      await api('POST', '/api/v1/tenants', body);
      msg.ok(t('hospitals.created', { code: body.code }));
      announce(t('hospitals.created', { code: body.code }));
      form.reset();
      onDone();
    } catch (err) {
      const rest = applyFieldErrors(controls, err);
      if (err.status === 409) msg.error(t('hospitals.duplicate'));
      else if (err.status !== 422 || rest.length) msg.error(err);
    } finally {
      submitBusy(submit, false);
    }
  });
  return h('section', { class: 'card mb-4' }, h('div', { class: 'card-body' }, form));
}

function siteForm(tenant, onDone) {
  const code = h('input', { class: 'form-control text-uppercase', required: true, maxlength: '32', autocomplete: 'off' });
  const name = h('input', { class: 'form-control', required: true, maxlength: '200', autocomplete: 'off' });
  const city = h('input', { class: 'form-control', maxlength: '100', autocomplete: 'address-level2' });
  const msg = messageArea();
  const submit = h('button', { type: 'submit', class: 'btn btn-sm btn-primary' }, t('hospitals.addSite'));
  const controls = { code, name, city };
  const form = h('form', { novalidate: true, class: 'border rounded p-3 mt-2 bg-light', 'aria-label': t('hospitals.newSiteFor', { name: tenant.name }) },
    msg.el,
    h('div', { class: 'row' },
      h('div', { class: 'col-md-3' }, field({ label: t('hospitals.siteCode'), control: code })),
      h('div', { class: 'col-md-5' }, field({ label: t('hospitals.siteName'), control: name })),
      h('div', { class: 'col-md-4' }, field({ label: t('hospitals.city'), control: city }))),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(controls);
    submitBusy(submit, true);
    try {
      const body = { code: code.value.trim().toUpperCase(), name: name.value.trim() };
      if (city.value.trim()) body.city = city.value.trim();
      await api('POST', `/api/v1/tenants/${enc(tenant.code)}/sites`, body);
      announce(t('hospitals.siteCreated', { code: body.code }));
      onDone(t('hospitals.siteCreated', { code: body.code }));
    } catch (err) {
      const rest = applyFieldErrors(controls, err);
      if (err.status === 409) msg.error(t('hospitals.siteDuplicate'));
      else if (err.status !== 422 || rest.length) msg.error(err);
      submitBusy(submit, false);
    }
  });
  setTimeout(() => code.focus(), 0);
  return form;
}

/** The allow-list editor of one hospital: ranges one per line, plaintext. */
function outboundForm(tenant, policy, onDone) {
  const cidrs = h('textarea', {
    class: 'form-control mono', rows: '4', spellcheck: 'false', autocomplete: 'off',
    placeholder: '10.20.0.0/16', value: ((policy && policy.allow_cidrs) || []).join('\n'),
  });
  const plainId = newId('plain');
  const plain = h('input', {
    class: 'form-check-input', type: 'checkbox', id: plainId, checked: !!(policy && policy.allow_plaintext),
  });
  const msg = messageArea();
  const submit = h('button', { type: 'submit', class: 'btn btn-sm btn-primary' }, t('outbound.save'));
  const controls = { allow_cidrs: cidrs, allow_plaintext: plain };
  const form = h('form', {
    novalidate: true, class: 'border rounded p-3 mt-2 bg-light', 'data-testid': `outbound-form-${tenant.code}`,
    'aria-label': t('outbound.formFor', { name: tenant.name }),
  },
  msg.el,
  field({ label: t('outbound.rangesLabel'), control: cidrs, help: t('outbound.rangesHelp') }),
  h('div', { class: 'form-check mb-1' }, plain,
    h('label', { class: 'form-check-label', for: plainId }, t('outbound.plaintextLabel')),
    h('div', { class: 'invalid-feedback', id: `${plainId}-err` })),
  h('p', { class: 'form-text mt-0 mb-3' }, t('outbound.plaintextHelp')),
  submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(controls);
    msg.clear();
    submitBusy(submit, true);
    try {
      const body = {
        allow_cidrs: cidrs.value.split(/[\s,;]+/).filter(Boolean),
        allow_plaintext: plain.checked,
      };
      await api('PUT', `/api/v1/tenants/${enc(tenant.code)}/outbound`, body);
      announce(t('outbound.saved', { code: tenant.code }));
      onDone(t('outbound.saved', { code: tenant.code }));
    } catch (err) {
      const rest = applyFieldErrors(controls, localizeCidrErrors(err));
      if (err.status !== 422 || rest.length) msg.error(err);
      submitBusy(submit, false);
    }
  });
  setTimeout(() => cidrs.focus(), 0);
  return form;
}

/** The outbound section of a hospital's card: what is allowed, and an editor. */
function outboundSection(tenant, policy, reload) {
  const slot = h('div', {});
  const edit = h('button', {
    type: 'button', class: 'btn btn-sm btn-outline-primary mt-2', 'aria-expanded': 'false',
    'aria-label': t('outbound.editFor', { name: tenant.name }),
    onclick: () => {
      if (slot.firstChild) {
        slot.replaceChildren();
        edit.setAttribute('aria-expanded', 'false');
        return;
      }
      edit.setAttribute('aria-expanded', 'true');
      slot.replaceChildren(outboundForm(tenant, policy, (text) => reload(text)));
    },
  }, t('outbound.edit'));
  return h('div', { 'data-testid': `outbound-${tenant.code}` },
    h('h4', { class: 'h6 mt-3 mb-1 small text-uppercase text-muted' }, t('outbound.title')),
    outboundFacts(policy),
    edit, slot);
}

export async function render(ctx) {
  const { main } = ctx;
  main.append(pageHeader(t('hospitals.title'), t('hospitals.intro')));
  const msg = messageArea();
  const list = h('section', { 'aria-labelledby': 'hospital-list-title' },
    h('h2', { class: 'h5', id: 'hospital-list-title' }, t('hospitals.list')), loading());
  main.append(msg.el, createHospitalForm(() => { load(); refreshUser().catch(() => {}); }), list);

  async function load(note) {
    let data;
    let outbound;
    try {
      [data, outbound] = await Promise.all([get('/api/v1/tenants'), get('/api/v1/outbound')]);
    } catch (err) {
      list.replaceChildren(errorAlert(err));
      return;
    }
    const policies = new Map((outbound.outbound || []).map((o) => [o.tenant, o]));
    if (!ctx.alive()) return;
    if (note) msg.ok(note);
    const cards = data.tenants.map((tn) => {
      const siteSlot = h('div', {});
      const addBtn = h('button', {
        type: 'button', class: 'btn btn-sm btn-outline-primary', 'aria-expanded': 'false',
        onclick: () => {
          if (siteSlot.firstChild) {
            siteSlot.replaceChildren();
            addBtn.setAttribute('aria-expanded', 'false');
            return;
          }
          addBtn.setAttribute('aria-expanded', 'true');
          siteSlot.replaceChildren(siteForm(tn, (text) => load(text)));
        },
      }, t('hospitals.addSite'));
      const toggle = h('button', {
        type: 'button', class: 'btn btn-sm btn-outline-secondary',
        onclick: async () => {
          const verb = tn.active ? t('hospitals.deactivate') : t('hospitals.activate');
          if (!window.confirm(`${verb}: ${tn.name}?`)) return;
          try {
            await api('PATCH', `/api/v1/tenants/${enc(tn.code)}`, { active: !tn.active });
            load(tn.active ? t('hospitals.deactivated', { code: tn.code }) : t('hospitals.activated', { code: tn.code }));
            refreshUser().catch(() => {});
          } catch (err) {
            msg.error(err);
          }
        },
      }, tn.active ? t('hospitals.deactivate') : t('hospitals.activate'));
      return h('article', { class: 'card mb-3', 'data-hospital': tn.code, 'aria-labelledby': `h-${tn.code}` },
        h('div', { class: 'card-body' },
          h('div', { class: 'd-flex flex-wrap justify-content-between gap-2' },
            h('div', {},
              h('h3', { class: 'h6 mb-1', id: `h-${tn.code}` }, tn.name),
              h('div', {},
                badge(tn.code, 'dark'), badge(tn.kind, 'secondary'),
                badge(tn.hub ? t('hospitals.hub') : t('hospitals.spoke'), tn.hub ? 'primary' : 'info'),
                tn.active ? null : badge(t('hospitals.inactive'), 'danger'))),
            h('div', { class: 'd-flex gap-2 align-items-start' }, addBtn, toggle)),
          h('h4', { class: 'h6 mt-3 mb-1 small text-uppercase text-muted' }, t('hospitals.sites')),
          tn.sites && tn.sites.length
            ? h('ul', { class: 'mb-0' }, tn.sites.map((s) => h('li', {},
              h('span', { class: 'mono' }, s.code), ` — ${s.name}${s.city ? ` (${s.city})` : ''}`)))
            : h('p', { class: 'text-muted small mb-0' }, t('hospitals.noSites')),
          siteSlot,
          outboundSection(tn, policies.get(tn.code), (text) => load(text))));
    });
    list.replaceChildren(h('h2', { class: 'h5', id: 'hospital-list-title' }, t('hospitals.list'), ' ',
      h('span', { class: 'badge text-bg-secondary' }, String(data.tenants.length))), ...cards);
  }
  await load();
}
