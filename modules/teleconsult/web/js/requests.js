// Requests: the list (mine, or to my hospital's groups) and one request,
// from which an organizer plans a session (R3.1, R3.3).
import {
  h, field, newId, api, get, enc, messageArea, errorAlert, submitBusy, loading,
} from '/static/js/kit/v1.js';
import {
  BASE, tc, subnav, pageTitle, card, emptyText, statusBadge, urgencyBadge, priorityLabel, slaLabel,
  fmtDateTime, hospitalName, patientName,
} from './common.js';
import { requestRow } from './dashboard.js';

async function renderList(ctx) {
  const { main } = ctx;
  main.append(subnav('requests'), pageTitle(tc('requests.title'), tc('requests.intro')));
  const status = ctx.query.get('status') || 'open';
  const id = newId('rq');
  const sel = h('select', { class: 'form-select', id: `${id}-status`, 'data-testid': 'requests-status' },
    ['open', 'scheduled', 'closed', 'cancelled', 'all'].map((s) => h('option', { value: s, selected: s === status }, tc(`requests.filter.${s}`))));
  sel.addEventListener('change', () => ctx.navigate(`#/requests?status=${enc(sel.value)}`));
  main.append(h('div', { class: 'row g-2 align-items-center mb-3' },
    h('div', { class: 'col-auto' }, h('label', { class: 'col-form-label', for: sel.id }, tc('requests.status'))),
    h('div', { class: 'col-12 col-sm-6 col-lg-3' }, sel)));
  const box = h('div', {}, loading());
  main.append(box);
  let data;
  try {
    data = await get(`${BASE}/requests${status === 'all' ? '' : `?status=${enc(status)}`}`);
  } catch (err) {
    box.replaceChildren(errorAlert(err));
    return;
  }
  if (!ctx.alive()) return;
  const list = (data && data.requests) || [];
  box.replaceChildren(list.length
    ? h('ul', { class: 'list-group', 'data-testid': 'requests-list' }, list.map(requestRow))
    : emptyText(tc('requests.none')));
}

function planForm(ctx, r) {
  const id = newId('plan');
  const theme = h('input', {
    class: 'form-control', required: true, maxlength: '200', 'data-testid': 'plan-theme',
    value: [r.specialty, r.reason].filter(Boolean).join(': '),
  });
  const kind = h('select', { class: 'form-select', 'data-testid': 'plan-kind' },
    ['planned', 'urgent'].map((k) => h('option', { value: k, selected: (r.urgency === 'routine' ? 'planned' : 'urgent') === k }, tc(`kind.${k}`))));
  const msg = messageArea();
  const btn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'plan-submit' }, tc('request.plan'));
  const form = h('form', { novalidate: true, 'data-testid': 'plan-form' },
    field({ label: tc('session.theme'), control: theme, id: `${id}-theme` }),
    field({ label: tc('session.kind'), control: kind, id: `${id}-kind` }),
    msg.el, btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!theme.value.trim()) {
      msg.error(tc('session.themeRequired'));
      theme.focus();
      return;
    }
    submitBusy(btn, true);
    try {
      const body = {
        theme: theme.value.trim(), group_id: String(r.group && r.group.id), request_id: String(r.id), kind: kind.value,
      };
      const s = await api('POST', `${BASE}/sessions`, body);
      ctx.announce(tc('session.created'));
      ctx.navigate(`#/sessions/${s.id}?tab=availability`);
    } catch (err) {
      msg.error(err);
      submitBusy(btn, false);
    }
  });
  return form;
}

async function renderOne(ctx) {
  const { main } = ctx;
  main.append(subnav('requests'));
  let r;
  try {
    r = await get(`${BASE}/requests/${enc(ctx.params.id)}`);
  } catch (err) {
    main.append(pageTitle(tc('request.title')), errorAlert(err));
    return;
  }
  if (!ctx.alive()) return;
  main.append(pageTitle(tc('request.titleOf', { specialty: r.specialty || '' }), r.reason || ''));
  const g = r.group || {};
  const msg = messageArea();
  const dl = h('dl', { class: 'row mb-0', 'data-testid': 'request-detail' },
    h('dt', { class: 'col-sm-4' }, tc('request.status')), h('dd', { class: 'col-sm-8' }, statusBadge(r.status)),
    h('dt', { class: 'col-sm-4' }, tc('request.urgency')), h('dd', { class: 'col-sm-8' }, urgencyBadge(r.urgency)),
    h('dt', { class: 'col-sm-4' }, tc('routing.group')), h('dd', { class: 'col-sm-8' }, g.name || g.slug || '—', g.hospital ? ` — ${hospitalName(g.hospital)}` : ''),
    h('dt', { class: 'col-sm-4' }, tc('routing.priority')), h('dd', { class: 'col-sm-8' }, priorityLabel(r.priority)),
    h('dt', { class: 'col-sm-4' }, tc('routing.sla')), h('dd', { class: 'col-sm-8' }, slaLabel(r.sla_hours), r.due_at ? ` (${tc('routing.due', { when: fmtDateTime(r.due_at) })})` : ''),
    h('dt', { class: 'col-sm-4' }, tc('routing.rule')), h('dd', { class: 'col-sm-8' }, (r.defaulted || r.rule_defaulted)
      ? h('span', { class: 'badge text-bg-warning' }, tc('routing.defaulted')) : tc('routing.hospitalRule')),
    h('dt', { class: 'col-sm-4' }, tc('request.question')), h('dd', { class: 'col-sm-8 tc-prewrap' }, r.question || '—'),
    h('dt', { class: 'col-sm-4' }, tc('request.patient')), h('dd', { class: 'col-sm-8' }, r.patient ? patientName(r.patient) : (r.patient_id ? `#${r.patient_id}` : tc('request.noPatient'))),
    h('dt', { class: 'col-sm-4' }, tc('request.requester')), h('dd', { class: 'col-sm-8' },
      [r.requester && (r.requester.display_name || r.requester.username), hospitalName(r.requester_hospital || (r.requester && r.requester.hospital))].filter(Boolean).join(' — ') || '—'),
    h('dt', { class: 'col-sm-4' }, tc('request.createdAt')), h('dd', { class: 'col-sm-8' }, fmtDateTime(r.created_at)));
  const actions = h('div', { class: 'd-flex flex-wrap gap-2 mt-3' });
  if (r.session_id) actions.append(h('a', { class: 'btn btn-primary', href: `#/sessions/${r.session_id}` }, tc('request.openSession')));
  if (r.status === 'open' && r.can_cancel !== false) {
    actions.append(h('button', {
      type: 'button', class: 'btn btn-outline-danger', 'data-testid': 'request-cancel',
      onclick: async (e) => {
        if (!window.confirm(tc('request.cancelConfirm'))) return;
        submitBusy(e.target, true);
        try {
          await api('POST', `${BASE}/requests/${enc(r.id)}/cancel`, {});
          ctx.rerender();
        } catch (err) {
          msg.error(err);
          submitBusy(e.target, false);
        }
      },
    }, tc('request.cancel')));
  }
  main.append(card(tc('request.detail'), dl, msg.el, actions));
  // The server knows who may plan (HUB organizer, or organizer member of
  // the group): can_schedule, not a role check here.
  if (r.status === 'open' && r.can_schedule === true) {
    const form = planForm(ctx, r);
    // From a list's "Schedule session": the theme takes the focus.
    if (ctx.query.get('plan') === '1') form.querySelector('[data-testid="plan-theme"]').dataset.autofocus = 'true';
    main.append(card(tc('request.planTitle'), form));
  }
}

export async function render(ctx, name) {
  if (name === 'request') return renderOne(ctx);
  return renderList(ctx);
}
