// Background jobs: the runs of the hospital's jobs and timers (a regional
// administrator sees every hospital's and the region's), with their state,
// attempts, last error and when they run next; a run that failed for good
// (dead) can be queued again once its cause is fixed.
import { h, field, formatDate } from '../dom.js';
import { t, language } from '../i18n.js';
import { api, get } from '../api.js';
import { announce, rolesIn } from '../shell.js';
import {
  pageHeader, loading, messageArea, submitBusy, tenantPicker, alertBox, errorAlert, badge, refreshButton,
} from '../ui.js';

const when = (iso) => (iso ? formatDate(iso, language()) : '—');
const STATES = ['', 'pending', 'running', 'done', 'dead'];
const STATE_BADGE = {
  pending: 'info', running: 'primary', done: 'success', dead: 'danger',
};

/** The hospitals whose runs the user may see: administrator or IT there. */
function jobTenants(user) {
  return (user.tenants || []).filter((x) => {
    const roles = rolesIn(user, x.code);
    return roles.includes('hospital_admin') || roles.includes('hospital_it');
  });
}

/** When the run happens next: a pending run's due time, a running one's lease. */
function nextRun(j) {
  if (j.state === 'pending') return when(j.next_attempt_at);
  if (j.state === 'running') return t('jobs.leaseUntil', { when: when(j.lease_until) });
  return '—';
}

function runsCard(ctx, user, code) {
  const msg = messageArea();
  const list = h('div', {}, loading());
  const opts = user.regional_admin ? {} : { tenant: code };
  const state = h('select', { class: 'form-select', 'data-testid': 'jobs-state' },
    STATES.map((s) => h('option', { value: s }, t(s ? `jobs.state.${s}` : 'jobs.state.all'))));
  state.addEventListener('change', () => load());
  const refresh = refreshButton({
    label: t('jobs.refresh'),
    testid: 'jobs-refresh',
    msg,
    load: () => load(),
    after: () => announce(t('jobs.refreshed')),
    className: 'btn btn-outline-primary',
  });

  function row(j) {
    const cell = h('div', {});
    const name = `${j.module}:${j.job}`;
    const replay = j.state === 'dead' ? h('button', {
      type: 'button', class: 'btn btn-sm btn-primary',
      'aria-label': t('jobs.replayOne', { job: name, id: j.id }),
      onclick: async (e) => {
        const btn = e.currentTarget;
        submitBusy(btn, true);
        try {
          await api('POST', `/api/v1/jobs/${encodeURIComponent(j.id)}/replay`, undefined, opts);
          btn.remove();
          cell.replaceChildren(badge(t('jobs.state.pending'), 'info'));
          msg.ok(t('jobs.replayed', { job: name, id: j.id }));
          announce(t('jobs.replayed', { job: name, id: j.id }));
          refresh.focus();
        } catch (err) {
          submitBusy(btn, false);
          msg.error(err);
        }
      },
    }, t('jobs.replay')) : null;
    return h('tr', { 'data-job': j.id },
      h('td', {}, h('span', { class: 'mono' }, name),
        h('div', { class: 'small text-muted' },
          t(j.periodic ? 'jobs.periodic' : 'jobs.enqueued'), ' · ', t('jobs.runId', { id: j.id }))),
      h('td', {}, j.tenant || t('jobs.regional')),
      h('td', {}, cell, badge(t(`jobs.state.${j.state}`), STATE_BADGE[j.state] || 'secondary')),
      h('td', {}, t('jobs.attemptsOf', { n: j.attempts, max: j.max_attempts })),
      h('td', { class: 'small text-break dead-error' }, j.last_error || '—'),
      h('td', {}, nextRun(j)),
      h('td', {}, when(j.scheduled_at)),
      h('td', { class: 'text-end' }, replay));
  }

  async function load() {
    let data;
    const q = state.value ? `?state=${encodeURIComponent(state.value)}` : '';
    try {
      data = await get(`/api/v1/jobs${q}`, opts);
    } catch (err) {
      if (ctx.alive()) list.replaceChildren(errorAlert(err));
      return;
    }
    if (!ctx.alive()) return;
    const rows = data.jobs || [];
    if (!rows.length) {
      list.replaceChildren(alertBox('info', t('jobs.none')));
      list.firstChild.dataset.testid = 'jobs-empty';
      return;
    }
    const heads = ['jobs.job', 'common.hospital', 'jobs.stateCol', 'jobs.attempts', 'jobs.lastError',
      'jobs.next', 'jobs.scheduled'];
    list.replaceChildren(h('div', { class: 'table-responsive position-relative' },
      h('table', { class: 'table table-sm align-middle bg-white mb-0', 'data-testid': 'jobs-table' },
        h('caption', {}, t('jobs.caption', { n: rows.length })),
        h('thead', {}, h('tr', {}, heads.map((k) => h('th', { scope: 'col' }, t(k))),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
        h('tbody', {}, rows.map(row)))));
  }

  load();
  return h('section', { class: 'card mb-4', 'aria-labelledby': 'jobs-runs' },
    h('div', { class: 'card-body' },
      h('h2', { class: 'h5', id: 'jobs-runs' }, t('jobs.runs')),
      h('p', { class: 'text-muted' }, user.regional_admin ? t('jobs.introRegional') : t('jobs.introHospital')),
      h('div', { class: 'row g-2 align-items-end mb-3' },
        h('div', { class: 'col-12 col-sm-6 col-lg-4' }, field({ label: t('jobs.filter'), control: state })),
        h('div', { class: 'col-auto mb-3' }, refresh)),
      msg.el, list));
}

export async function render(ctx) {
  const { main, user } = ctx;
  main.append(pageHeader(t('jobs.title'), t('jobs.intro')));
  if (user.regional_admin) {
    main.append(runsCard(ctx, user, null));
    return;
  }
  const tenants = jobTenants(user);
  if (!tenants.length) {
    main.append(h('p', {}, t('users.noHospitals')));
    return;
  }
  let code = (tenants.find((x) => x.code === user.current_tenant) || tenants[0]).code;
  const body = h('div', {});
  const picker = tenantPicker(tenants, code, (c) => { code = c; draw(); });
  main.append(picker.el, body);
  function draw() {
    body.replaceChildren(runsCard(ctx, user, code));
  }
  draw();
}
