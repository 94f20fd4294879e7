// New consult request (R3.1) and the routing decision of the requesting
// hospital's Lua rule route_teleconsult.
import {
  h, field, newId, api, get, messageArea, applyFieldErrors, clearFieldErrors, submitBusy, alertBox, patientPicker,
} from '/static/js/kit/v1.js';
import {
  BASE, tc, subnav, pageTitle, card, priorityLabel, slaLabel, fmtDateTime, hospitalName,
  patientName, fmtDate,
} from './common.js';

export function decisionView(r) {
  const g = r.group || {};
  return h('section', { class: 'card border-success mb-4', 'data-testid': 'routing-decision', 'aria-labelledby': 'tc-decision-title' },
    h('div', { class: 'card-header bg-success-subtle' },
      h('h2', { class: 'h5 mb-0', id: 'tc-decision-title' }, tc('routing.title'))),
    h('div', { class: 'card-body' },
      h('dl', { class: 'row mb-0' },
        h('dt', { class: 'col-sm-4' }, tc('routing.group')),
        h('dd', { class: 'col-sm-8', 'data-testid': 'routing-group' },
          g.name || g.slug || '—', g.hospital ? ` — ${hospitalName(g.hospital)}` : ''),
        h('dt', { class: 'col-sm-4' }, tc('routing.priority')),
        h('dd', { class: 'col-sm-8', 'data-testid': 'routing-priority' }, priorityLabel(r.priority)),
        h('dt', { class: 'col-sm-4' }, tc('routing.sla')),
        h('dd', { class: 'col-sm-8', 'data-testid': 'routing-sla' }, slaLabel(r.sla_hours),
          r.due_at ? ` (${tc('routing.due', { when: fmtDateTime(r.due_at) })})` : ''),
        h('dt', { class: 'col-sm-4' }, tc('routing.rule')),
        h('dd', { class: 'col-sm-8', 'data-testid': 'routing-rule' }, r.defaulted
          ? h('span', { class: 'badge text-bg-warning' }, tc('routing.defaulted'))
          : tc('routing.hospitalRule'))),
      h('div', { class: 'mt-3 d-flex flex-wrap gap-2' },
        h('a', { class: 'btn btn-primary', href: `#/requests/${r.id}` }, tc('routing.open')),
        h('a', { class: 'btn btn-outline-secondary', href: '#/' }, tc('nav.dashboard')))));
}

export async function render(ctx) {
  const { main } = ctx;
  main.append(subnav('request-new'), pageTitle(tc('request.newTitle'), tc('request.newIntro')));
  const id = newId('req');
  const specialties = new Set();
  try {
    const g = await get(`${BASE}/groups`);
    ((g && g.groups) || []).forEach((x) => x.specialty && specialties.add(x.specialty));
  } catch { /* the list is a help, not required */ }
  if (!ctx.alive()) return;
  const list = h('datalist', { id: `${id}-specialties` }, [...specialties].sort().map((s) => h('option', { value: s })));
  const ctl = {
    specialty: h('input', {
      class: 'form-control', required: true, list: `${id}-specialties`, autocomplete: 'off', 'data-testid': 'req-specialty',
    }),
    reason: h('input', { class: 'form-control', autocomplete: 'off', maxlength: '200', 'data-testid': 'req-reason' }),
    question: h('textarea', { class: 'form-control', rows: '4', maxlength: '4000', 'data-testid': 'req-question' }),
  };
  const urgencies = ['routine', 'urgent', 'emergency'];
  const urgencyInputs = urgencies.map((u) => h('input', {
    class: 'form-check-input', type: 'radio', name: `${id}-urgency`, id: `${id}-u-${u}`, value: u, checked: u === 'routine',
    'data-testid': `req-urgency-${u}`,
  }));
  const urgencySet = h('fieldset', { class: 'mb-3' },
    h('legend', { class: 'form-label fs-6' }, tc('request.urgency')),
    urgencies.map((u, i) => h('div', { class: 'form-check form-check-inline' },
      urgencyInputs[i], h('label', { class: 'form-check-label', for: `${id}-u-${u}` }, tc(`urgency.${u}`)))));
  let patient = null;
  const chosen = h('div', { class: 'mb-2', 'aria-live': 'polite', 'data-testid': 'req-patient' });
  const showChosen = () => {
    chosen.replaceChildren(patient
      ? h('div', { class: 'alert alert-info d-flex flex-wrap align-items-center gap-2 py-2 mb-0' },
        h('span', { class: 'flex-grow-1' }, tc('request.patientChosen', { name: patientName(patient) }), ' ',
          h('span', { class: 'small' }, `${patient.fiscal_code || ''} · ${fmtDate(patient.birth_date)}`)),
        h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onclick: () => { patient = null; showChosen(); } }, tc('request.patientRemove')))
      : h('p', { class: 'small text-muted mb-0' }, tc('request.noPatient')));
  };
  showChosen();
  const picker = patientPicker({ onPick: (p) => { patient = p; showChosen(); picker.clear(); } });
  const msg = messageArea();
  const result = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'req-submit' }, tc('request.submit'));
  // "Consult now" (R6.4): an urgent or emergency request can start the
  // session at once with the group the hospital's rule picks (on call at
  // night) instead of waiting for the HUB to schedule it.
  const now = h('button', { type: 'button', class: 'btn btn-danger d-none', 'data-testid': 'req-immediate' }, tc('request.immediate'));
  const nowHelp = h('p', { class: 'small text-muted mb-0 d-none', id: `${id}-immediate-help` }, tc('request.immediateHelp'));
  now.setAttribute('aria-describedby', nowHelp.id);
  const showNow = () => {
    const urgent = urgencyInputs.find((x) => x.checked).value !== 'routine';
    now.classList.toggle('d-none', !urgent);
    nowHelp.classList.toggle('d-none', !urgent);
  };
  urgencyInputs.forEach((x) => x.addEventListener('change', showNow));
  const form = h('form', { novalidate: true, 'data-testid': 'request-form' },
    field({ label: tc('request.specialty'), control: ctl.specialty, id: `${id}-specialty`, help: tc('request.specialtyHelp') }),
    list,
    urgencySet,
    field({ label: tc('request.reason'), control: ctl.reason, id: `${id}-reason`, help: tc('request.reasonHelp') }),
    field({ label: tc('request.question'), control: ctl.question, id: `${id}-question` }),
    h('fieldset', { class: 'mb-3 border rounded p-3' },
      h('legend', { class: 'form-label fs-6 float-none w-auto px-1 mb-0' }, tc('request.patientOptional')),
      chosen, picker.el),
    msg.el,
    h('div', { class: 'd-flex flex-wrap gap-2 align-items-center' }, submit, now),
    nowHelp);
  const send = async (immediate) => {
    clearFieldErrors(ctl);
    msg.clear();
    const body = {
      specialty: ctl.specialty.value.trim(),
      urgency: urgencyInputs.find((x) => x.checked).value,
      reason: ctl.reason.value.trim(),
      question: ctl.question.value.trim(),
    };
    if (patient) body.patient_id = String(patient.id);
    if (!body.specialty) {
      applyFieldErrors(ctl, { errors: [{ field: 'specialty', message: tc('request.specialtyRequired') }] });
      return;
    }
    if (immediate) {
      if (!window.confirm(tc('request.immediateConfirm'))) return;
      body.immediate = true;
    }
    const button = immediate ? now : submit;
    submitBusy(button, true);
    try {
      const r = await api('POST', `${BASE}/requests`, body);
      if (immediate && r.session_id) {
        ctx.announce(tc('request.immediateStarted'));
        window.location.hash = `#/sessions/${r.session_id}`;
        return;
      }
      form.classList.add('d-none');
      result.replaceChildren(alertBox('success', tc('request.sent')), decisionView(r));
      ctx.announce(tc('request.sentAnnounce', { group: (r.group && (r.group.name || r.group.slug)) || '' }));
      document.body.dataset.rendered = 'request-routed';
    } catch (err) {
      const errs = (err.errors || []).map((x) => {
        if (x.code === 'no_group') return { ...x, message: tc('request.noGroup') };
        if (x.code === 'routine_not_immediate') return { ...x, message: tc('request.routineNotImmediate') };
        return x;
      });
      const rest = applyFieldErrors(ctl, { ...err, errors: errs });
      if (rest.length || !errs.length) msg.error(err);
    } finally {
      submitBusy(button, false);
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); send(false); });
  now.addEventListener('click', () => send(true));
  main.append(h('div', { class: 'row' }, h('div', { class: 'col-lg-9 col-xl-8' }, card(tc('request.formTitle'), form), result)));
}
