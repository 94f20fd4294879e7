// The audit trail for privacy officers (their hospital) and regional
// administrators (everything): filters, pages, and the hash chain's state.
import { h, field, formatDate } from '../dom.js';
import { t, language } from '../i18n.js';
import { get } from '../api.js';
import { announce } from '../shell.js';
import {
  pageHeader, loading, messageArea, errorAlert, badge, submitBusy,
} from '../ui.js';

const ACTIONS = ['auth.login', 'auth.logout', 'auth.session.revoke', 'user.create', 'user.roles.change',
  'user.roles.sync', 'tenant.create', 'tenant.update', 'site.create', 'module.enable', 'module.disable',
  'tenant.ldap.update', 'tenant.outbound.update', 'outbound.refused', 'api_token.create', 'api_token.revoke', 'audit.read', 'audit.verify', 'patient.',
  'script.upload', 'script.activate', 'script.deactivate', 'form.submission.'];
const OUTCOME_KIND = { success: 'success', failure: 'danger', denied: 'warning' };

function toIso(local) {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function verifyPanel() {
  const box = h('div', { 'aria-live': 'polite' }, loading());
  const btn = h('button', { type: 'button', class: 'btn btn-sm btn-outline-primary' }, t('audit.verifyAgain'));
  const panel = h('section', { class: 'card mb-4', 'aria-labelledby': 'verify-title' },
    h('div', { class: 'card-body d-flex flex-wrap justify-content-between align-items-center gap-2' },
      h('div', {}, h('h2', { class: 'h6 mb-1', id: 'verify-title' }, t('audit.chain')), box), btn));
  async function run() {
    submitBusy(btn, true);
    box.replaceChildren(loading());
    try {
      const v = await get('/api/v1/audit/verify');
      box.replaceChildren(v.intact
        ? h('p', { class: 'mb-0 text-success fw-semibold', 'data-testid': 'chain-status', 'data-intact': 'true' },
          '\u2714 ', t('audit.intact', { n: v.rows_checked }))
        : h('p', { class: 'mb-0 text-danger fw-semibold', 'data-testid': 'chain-status', 'data-intact': 'false' },
          '\u2716 ', t('audit.broken', { id: v.broken_id, chain: v.broken_chain || '?', n: v.rows_checked })));
    } catch (err) {
      box.replaceChildren(errorAlert(err));
    } finally {
      submitBusy(btn, false);
    }
  }
  btn.addEventListener('click', run);
  run();
  return panel;
}

export async function render(ctx) {
  const { main, user } = ctx;
  main.append(pageHeader(t('audit.title'), user.regional_admin ? t('audit.introRegional') : t('audit.intro')));
  main.append(verifyPanel());

  const q = ctx.query;
  const userF = h('input', { class: 'form-control', value: q.get('user') || '', autocomplete: 'off', autocapitalize: 'none' });
  const actionF = h('input', { class: 'form-control', value: q.get('action') || '', autocomplete: 'off', list: 'audit-actions' });
  const patientF = h('input', { class: 'form-control', value: q.get('patient') || '', inputmode: 'numeric', pattern: '[0-9]*', autocomplete: 'off' });
  const fromF = h('input', { class: 'form-control', type: 'datetime-local' });
  const toF = h('input', { class: 'form-control', type: 'datetime-local' });
  const limitF = h('select', { class: 'form-select' }, [50, 100, 200, 500].map((n) => h('option', { value: String(n), selected: n === 100 }, String(n))));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('audit.search'));
  const reset = h('button', { type: 'reset', class: 'btn btn-outline-secondary' }, t('audit.reset'));
  const form = h('form', { class: 'card mb-4', novalidate: true, 'aria-labelledby': 'filters-title' },
    h('div', { class: 'card-body' },
      h('h2', { class: 'h6', id: 'filters-title' }, t('audit.filters')),
      h('datalist', { id: 'audit-actions' }, ACTIONS.map((a) => h('option', { value: a }))),
      h('div', { class: 'row' },
        h('div', { class: 'col-sm-6 col-lg-3' }, field({ label: t('audit.user'), control: userF, help: t('audit.userHelp') })),
        h('div', { class: 'col-sm-6 col-lg-3' }, field({ label: t('audit.action'), control: actionF, help: t('audit.actionHelp') })),
        h('div', { class: 'col-sm-6 col-lg-2' }, field({ label: t('audit.patient'), control: patientF })),
        h('div', { class: 'col-sm-6 col-lg-2' }, field({ label: t('audit.from'), control: fromF })),
        h('div', { class: 'col-sm-6 col-lg-2' }, field({ label: t('audit.to'), control: toF }))),
      h('div', { class: 'row align-items-end' },
        h('div', { class: 'col-sm-4 col-lg-2' }, field({ label: t('audit.limit'), control: limitF })),
        h('div', { class: 'col mb-3 d-flex gap-2' }, submit, reset))));
  const msg = messageArea();
  const results = h('section', { 'aria-labelledby': 'results-title' });
  main.append(form, msg.el, results);

  const tbody = h('tbody', {});
  const more = h('button', { type: 'button', class: 'btn btn-outline-primary d-none' }, t('audit.more'));
  let cursor = null;
  let total = 0;
  const count = h('span', { class: 'badge text-bg-secondary' }, '0');

  function params() {
    const p = new URLSearchParams();
    if (userF.value.trim()) p.set('user', userF.value.trim());
    if (actionF.value.trim()) p.set('action', actionF.value.trim());
    if (patientF.value.trim()) p.set('patient', patientF.value.trim());
    const from = toIso(fromF.value);
    const to = toIso(toF.value);
    if (from) p.set('from', from);
    if (to) p.set('to', to);
    p.set('limit', limitF.value);
    return p;
  }

  function row(e) {
    return h('tr', { 'data-action': e.action },
      h('td', { class: 'text-nowrap' }, formatDate(e.at, language())),
      h('td', {}, e.actor_name || '—', e.actor_kind && e.actor_kind !== 'user' ? h('span', { class: 'd-block small text-muted', 'data-actor-kind': e.actor_kind }, t(`audit.actorKind.${e.actor_kind}`)) : null),
      h('td', { class: 'small' }, e.role || ''),
      h('td', { class: 'mono' }, e.tenant || t('audit.regional')),
      h('td', { class: 'mono' }, e.action),
      h('td', { class: 'mono small' }, e.resource || ''),
      h('td', {}, e.patient_id || ''),
      h('td', {}, badge(t(`audit.outcome.${e.outcome}`), OUTCOME_KIND[e.outcome] || 'secondary')),
      h('td', { class: 'mono small' }, e.client_addr || ''),
      h('td', { class: 'mono small text-break' }, e.request_id || ''));
  }

  async function search(append) {
    const p = params();
    if (append && cursor) p.set('cursor', cursor);
    submitBusy(submit, true);
    submitBusy(more, true);
    msg.clear();
    try {
      const data = await get(`/api/v1/audit?${p}`);
      if (!ctx.alive()) return;
      if (!append) {
        tbody.replaceChildren();
        total = 0;
      }
      (data.events || []).forEach((e) => tbody.append(row(e)));
      total += (data.events || []).length;
      count.textContent = String(total);
      cursor = data.next_cursor || null;
      more.classList.toggle('d-none', !cursor);
      announce(t('audit.found', { n: total }));
    } catch (err) {
      if (err.status === 422) {
        msg.error(err);
      } else {
        msg.error(err);
      }
    } finally {
      submitBusy(submit, false);
      submitBusy(more, false);
    }
  }

  results.append(
    h('h2', { class: 'h5', id: 'results-title' }, t('audit.results'), ' ', count),
    h('div', { class: 'table-responsive' },
      h('table', { class: 'table table-sm table-striped bg-white audit-table', 'data-testid': 'audit-table' },
        h('thead', {}, h('tr', {},
          ['audit.at', 'audit.actor', 'audit.role', 'audit.hospital', 'audit.actionCol', 'audit.resource', 'audit.patientCol',
            'audit.outcomeCol', 'audit.address', 'audit.request'].map((k) => h('th', { scope: 'col' }, t(k))))),
        tbody)),
    more);
  form.addEventListener('submit', (e) => { e.preventDefault(); search(false); });
  form.addEventListener('reset', () => setTimeout(() => search(false), 0));
  more.addEventListener('click', () => search(true));
  await search(false);
}
