// Patients of a session (R3.6) and their anamnesis (R3.7): the core's
// registry for search/registration; any staff participant (SPOKE or HUB)
// fills the anamnesis with the Lua forms of their current hospital,
// rendered with the shell's renderForm, submitted to the core, then linked
// to the session patient, which keeps a copy of the answers that every
// participant reads.
import {
  h, field, newId, api, get, enc, renderForm, renderAnswers, messageArea, errorAlert, submitBusy, patientPicker,
} from '/static/js/kit/v1.js';
import {
  BASE, tc, fmtDate, fmtDateTime, patientName, emptyText,
} from './common.js';

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

  // Filled in with the forms of the caller's current hospital (SPOKE or
  // HUB): the core stores the submission there, the module copies the
  // answers onto the session patient.
  async function openAnamnesis(sp) {
    anam.dataset.showing = `fill-${sp.id}`;
    anam.replaceChildren(h('h3', { class: 'h6', tabindex: '-1' }, tc('anamnesis.titleFor', { name: patientName(sp.patient) })),
      h('p', { class: 'small text-muted' }, tc('anamnesis.formsOf', { hospital: tenant() })));
    anam.querySelector('h3').focus();
    let forms;
    try {
      forms = ((await get(`/api/v1/tenants/${enc(tenant())}/forms`)).forms || []).filter((f) => f.active !== false);
    } catch (err) {
      anam.append(errorAlert(err));
      return;
    }
    if (anam.dataset.showing !== `fill-${sp.id}`) return;
    if (!forms.length) {
      anam.append(emptyText(tc('anamnesis.noForms')));
      return;
    }
    const fid = newId('anf');
    const sel = h('select', { class: 'form-select', 'data-testid': 'anamnesis-form' },
      h('option', { value: '' }, tc('anamnesis.choose')),
      forms.map((f) => h('option', { value: f.form_id || f.id }, f.title || f.form_id || f.id)));
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
      const formId = sel.value;
      // The server works out computed fields and Lua visibility as the
      // doctor types, so a field shown is exactly a field it will check.
      const rendered = renderForm(form, {
        idPrefix: `an-${sp.id}-${formId}`,
        evaluate: (values) => api('POST', `/api/v1/tenants/${enc(tenant())}/forms/${enc(formId)}/evaluate`, { values }),
      });
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
          anam.dataset.showing = '';
          anam.replaceChildren(h('div', { class: 'alert alert-success', role: 'status', 'data-testid': 'anamnesis-saved' }, tc('anamnesis.saved')));
          await state.reload();
        } catch (err) {
          if (err.code === 'unknown_submission' || (err.errors || []).some((x) => x.code === 'unknown_submission')) {
            amsg.error(tc('anamnesis.unknownSubmission', { hospital: tenant() }));
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

  // The linked answers are a copy kept on the session patient, readable by
  // every participant whichever hospital filled them in; the original
  // submission stays with its hospital and is never fetched from here.
  // Every version linked, oldest first, each in the words of the form it
  // was filled with (the server keeps that form with the version).
  async function showAnamnesis(sp) {
    const a = sp.anamnesis || {};
    anam.replaceChildren(h('h3', { class: 'h6', tabindex: '-1' }, tc('anamnesis.titleFor', { name: patientName(sp.patient) })));
    anam.querySelector('h3').focus();
    const versions = Array.isArray(a.versions) && a.versions.length ? a.versions
      : [{ form_id: a.form_id, form_version: a.form_version, hospital: a.hospital, answers: a.answers, form: a.form, linked_at: a.linked_at }];
    versions.forEach((v, i) => {
      const latest = i === versions.length - 1;
      anam.append(h('section', { class: ['border rounded p-2 mb-2', latest ? 'border-primary' : ''], 'data-testid': 'anamnesis-version', 'data-version': String(i + 1) },
        h('p', { class: 'small text-muted mb-1', 'data-testid': 'anamnesis-meta' },
          versions.length > 1 ? h('strong', {}, `${tc('anamnesis.versionN', { n: i + 1 })}${latest ? ` (${tc('anamnesis.latest')})` : ''} · `) : null,
          tc('anamnesis.meta', {
            form: (v.form && v.form.title) || v.form_id || '—',
            version: v.form_version ?? '—',
            hospital: v.hospital || '—',
            when: fmtDateTime(v.linked_at) || '—',
          }), v.linked_by ? ` · ${tc('anamnesis.linkedBy', { who: v.linked_by })}` : ''),
        renderAnswers(v.form, v.answers)));
    });
  }

  function draw() {
    const s = state.session;
    const closed = s.status === 'closed' || s.status === 'cancelled';
    const staff = !!(s.me && (s.me.participant_id || s.me.organizer));
    const org = !!(s.me && s.me.organizer);
    const pts = s.patients || [];
    list.replaceChildren(pts.length ? h('ul', { class: 'list-group' }, pts.map((sp) => h('li', { class: 'list-group-item', 'data-session-patient': sp.id },
      h('div', { class: 'd-flex flex-wrap align-items-center gap-2' },
        h('div', { class: 'flex-grow-1' }, h('strong', {}, patientName(sp.patient)), ' ',
          h('span', { class: 'small text-muted' }, `${sp.patient.fiscal_code || ''} · ${fmtDate(sp.patient.birth_date)}`),
          h('div', { class: 'small' }, sp.anamnesis
            ? h('span', { class: 'text-success', 'data-testid': 'anamnesis-linked', 'data-form': sp.anamnesis.form_id || '' },
              tc('anamnesis.linked', { form: sp.anamnesis.form_id || '—', hospital: sp.anamnesis.hospital || '—' }))
            : h('span', { class: 'text-muted' }, tc('anamnesis.none')))),
        sp.anamnesis ? h('button', {
          type: 'button', class: 'btn btn-sm btn-outline-secondary', 'data-testid': 'anamnesis-view',
          'aria-label': tc('anamnesis.viewFor', { name: patientName(sp.patient) }),
          onclick: () => {
            anam.dataset.showing = String(sp.id);
            showAnamnesis(sp);
          },
        }, tc('anamnesis.view')) : null,
        !closed && staff ? h('button', {
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
    adder.classList.toggle('d-none', closed || !org);
  }
  return { el: root, update: draw };
}
