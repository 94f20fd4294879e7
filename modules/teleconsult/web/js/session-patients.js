// Patients of a session (R3.6) and their anamnesis (R3.7): the core's
// registry for search/registration, the hospital's Lua forms rendered with
// the shell's renderForm, submitted to the core, then linked to the
// session patient.
import { h, field, newId } from '/static/js/dom.js';
import { api, get, enc } from '/static/js/api.js';
import { renderForm } from '/static/js/form-render.js';
import { messageArea, errorAlert, submitBusy } from '/static/js/ui.js';
import {
  BASE, tc, fmtDate, fmtDateTime, patientName, emptyText,
} from './common.js';
import { patientPicker } from './patients.js';

export function patientsPanel(state) {
  const { id } = state;
  const root = h('div', { 'data-testid': 'patients' });
  const msg = messageArea();
  const list = h('div', { 'data-testid': 'patients-list' });
  const anam = h('div', { class: 'mt-3', 'data-testid': 'anamnesis' });
  const picker = patientPicker({
    pickLabel: tc('patients.addToSession'),
    onPick: async (p) => {
      try {
        await api('POST', `${BASE}/sessions/${enc(id)}/patients`, { patient_id: String(p.id) });
        state.announce(tc('patients.added', { name: patientName(p) }));
        picker.clear();
        await state.reload();
      } catch (err) {
        msg.error(err);
      }
    },
  });
  const adder = h('details', { class: 'mt-3', 'data-testid': 'patient-add' },
    h('summary', { class: 'mb-2' }, tc('patients.addTitle')), picker.el);
  root.append(msg.el, list, adder, anam);
  const tenant = () => state.user.current_tenant;

  async function openAnamnesis(sp) {
    anam.replaceChildren(h('h3', { class: 'h6', tabindex: '-1' }, tc('anamnesis.titleFor', { name: patientName(sp.patient) })));
    anam.querySelector('h3').focus();
    let forms;
    try {
      forms = ((await get(`/api/v1/tenants/${enc(tenant())}/forms`)).forms || []).filter((f) => f.active !== false);
    } catch (err) {
      anam.append(errorAlert(err));
      return;
    }
    if (!forms.length) {
      anam.append(emptyText(tc('anamnesis.noForms')));
      return;
    }
    const fid = newId('anf');
    const sel = h('select', { class: 'form-select', 'data-testid': 'anamnesis-form' },
      h('option', { value: '' }, tc('anamnesis.choose')),
      forms.map((f) => h('option', { value: f.id || f.form_id }, f.title || f.id)));
    const box = h('div', { class: 'mt-2' });
    const amsg = messageArea();
    anam.append(field({ label: tc('anamnesis.form'), control: sel, id: `${fid}-sel` }), box, amsg.el);
    sel.addEventListener('change', async () => {
      box.replaceChildren();
      amsg.clear();
      if (!sel.value) return;
      let detail;
      try {
        detail = await get(`/api/v1/tenants/${enc(tenant())}/forms/${enc(sel.value)}`);
      } catch (err) {
        amsg.error(err);
        return;
      }
      const form = detail.form || detail;
      const rendered = renderForm(form, { idPrefix: `an-${sp.id}-${sel.value}` });
      const btn = h('button', { type: 'button', class: 'btn btn-primary mt-3', 'data-testid': 'anamnesis-submit' }, tc('anamnesis.submit'));
      btn.addEventListener('click', async () => {
        rendered.clearErrors();
        amsg.clear();
        submitBusy(btn, true);
        try {
          const sub = await api('POST', `/api/v1/tenants/${enc(tenant())}/forms/${enc(sel.value)}/submissions`, {
            values: rendered.values(), patient_id: String(sp.patient.id), subject: `teleconsult:session:${id}`,
          });
          await api('PUT', `${BASE}/sessions/${enc(id)}/patients/${enc(sp.id)}/anamnesis`, {
            form_id: sel.value, submission_id: String(sub.id),
          });
          state.announce(tc('anamnesis.saved'));
          anam.replaceChildren(h('div', { class: 'alert alert-success', role: 'status', 'data-testid': 'anamnesis-saved' }, tc('anamnesis.saved')));
          await state.reload();
        } catch (err) {
          if (err.code === 'unknown_submission' || (err.errors || []).some((x) => x.code === 'unknown_submission')) {
            amsg.error(tc('anamnesis.unknownSubmission'));
          } else if (err.status === 422 && err.errors && err.errors.length) {
            rendered.showErrors(err.errors);
            amsg.error(tc('anamnesis.invalid'));
          } else amsg.error(err);
        } finally {
          submitBusy(btn, false);
        }
      });
      box.replaceChildren(rendered.el, btn);
    });
  }

  async function showSubmission(sp) {
    anam.replaceChildren(h('h3', { class: 'h6', tabindex: '-1' }, tc('anamnesis.titleFor', { name: patientName(sp.patient) })));
    try {
      const s = await get(`/api/v1/tenants/${enc(tenant())}/form-submissions/${enc(sp.anamnesis.submission_id)}`);
      const answers = s.answers || s.values || {};
      anam.append(h('p', { class: 'small text-muted' }, [s.title || sp.anamnesis.form_id, fmtDateTime(s.created_at)].filter(Boolean).join(' · ')),
        h('dl', { class: 'row' }, Object.keys(answers).flatMap((k) => [h('dt', { class: 'col-sm-4' }, k),
          h('dd', { class: 'col-sm-8' }, Array.isArray(answers[k]) ? answers[k].join(', ') : String(answers[k]))])));
    } catch (err) {
      anam.append(errorAlert(err));
    }
  }

  function draw() {
    const s = state.session;
    const closed = s.status === 'closed' || s.status === 'cancelled';
    const staff = !!(s.me && (s.me.participant_id || s.me.organizer));
    const org = !!(s.me && s.me.organizer);
    // Form submissions belong to a hospital: the anamnesis is filled in and
    // linked from the hospital that runs the session.
    const hub = s.hospital && typeof s.hospital === 'object' ? s.hospital.code : s.hospital;
    const atHub = !hub || hub === state.user.current_tenant;
    const pts = s.patients || [];
    list.replaceChildren(pts.length ? h('ul', { class: 'list-group' }, pts.map((sp) => h('li', { class: 'list-group-item', 'data-session-patient': sp.id },
      h('div', { class: 'd-flex flex-wrap align-items-center gap-2' },
        h('div', { class: 'flex-grow-1' }, h('strong', {}, patientName(sp.patient)), ' ',
          h('span', { class: 'small text-muted' }, `${sp.patient.fiscal_code || ''} · ${fmtDate(sp.patient.birth_date)}`),
          h('div', { class: 'small' }, sp.anamnesis
            ? h('span', { class: 'text-success', 'data-testid': 'anamnesis-linked' }, tc('anamnesis.linked', { form: sp.anamnesis.form_id }))
            : h('span', { class: 'text-muted' }, tc('anamnesis.none')))),
        sp.anamnesis ? h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onclick: () => showSubmission(sp) }, tc('anamnesis.view')) : null,
        !closed && staff && atHub ? h('button', {
          type: 'button', class: 'btn btn-sm btn-outline-primary', 'data-testid': 'anamnesis-open',
          'aria-label': tc('anamnesis.fillFor', { name: patientName(sp.patient) }), onclick: () => openAnamnesis(sp),
        }, sp.anamnesis ? tc('anamnesis.refill') : tc('anamnesis.fill')) : null,
        !closed && org ? h('button', {
          type: 'button', class: 'btn btn-sm btn-outline-danger', 'aria-label': tc('patients.removeName', { name: patientName(sp.patient) }),
          onclick: async (e) => {
            if (!window.confirm(tc('patients.removeConfirm', { name: patientName(sp.patient) }))) return;
            submitBusy(e.target, true);
            try {
              await api('DELETE', `${BASE}/sessions/${enc(id)}/patients/${enc(sp.id)}`);
              await state.reload();
            } catch (err) {
              msg.error(err);
              submitBusy(e.target, false);
            }
          },
        }, tc('patients.remove')) : null))))
      : emptyText(tc('patients.noneInSession')));
    if (pts.length && !atHub && !closed) list.append(h('p', { class: 'small text-muted mt-2 mb-0' }, tc('anamnesis.atHub')));
    adder.classList.toggle('d-none', closed || !org);
  }
  return { el: root, update: draw };
}
