// Patient search and registration with the core's regional registry
// (GET /api/v1/patients?q=, POST /api/v1/patients): a search must name one
// person, as the registry requires; a new patient's codice fiscale is
// checked by the core. Part of the module kit (kit/v1.js,
// docs/web-kit.md); first written for teleconsult's request and session
// screens.
import { h, field, newId } from '../dom.js';
import { api, get, enc } from '../api.js';
import { t } from '../i18n.js';
import { messageArea, applyFieldErrors, submitBusy } from '../ui.js';
import { formatDate } from './dates.js';
import { decodeFiscalCode } from './fiscal-code.js';

const patientName = (p) => [p.surname, p.given_name].filter(Boolean).join(' ');

/**
 * {el, clear()}: onPick(patient) is called with the patient chosen from the
 * results or just registered (the registry's JSON: id, fiscal_code, surname,
 * given_name, birth_date, ...); pickLabel names the results' button.
 */
export function patientPicker({ onPick, pickLabel }) {
  const id = newId('pat');
  const q = h('input', { class: 'form-control', type: 'search', autocomplete: 'off', 'data-testid': 'patient-q' });
  const results = h('div', { class: 'kit-patient-results', 'aria-live': 'polite', 'data-testid': 'patient-results' });
  const msg = messageArea();
  let seq = 0;

  async function search() {
    const text = q.value.trim();
    const my = ++seq;
    results.dataset.loaded = 'false';
    // The core answers only a search naming one person (a codice
    // fiscale, or the surname and the first letters of the given name).
    const words = text.split(/\s+/);
    const namesPerson = /^[A-Za-z0-9]{16}$/.test(text) ||
      (words.length >= 2 && words[0].length >= 2 && words.slice(1).join('').length >= 2);
    if (!namesPerson) {
      results.replaceChildren(h('p', { class: 'small text-muted mb-0' }, t('kit.patient.typeMore')));
      results.dataset.loaded = 'true';
      return;
    }
    try {
      const r = await get(`/api/v1/patients?q=${enc(text)}`);
      if (my !== seq) return;
      const list = (r && r.patients) || [];
      results.replaceChildren(list.length
        ? h('ul', { class: 'list-group' }, list.map((p) => h('li', { class: 'list-group-item d-flex flex-wrap align-items-center gap-2', 'data-patient': p.id },
          h('span', { class: 'flex-grow-1' }, h('strong', {}, patientName(p)), ' ',
            h('span', { class: 'small text-muted' }, `${p.fiscal_code || ''} · ${formatDate(p.birth_date)}`)),
          h('button', {
            type: 'button', class: 'btn btn-sm btn-outline-primary',
            'aria-label': `${pickLabel || t('kit.patient.pick')}: ${patientName(p)}`,
            onclick: () => onPick(p),
          }, pickLabel || t('kit.patient.pick')))))
        : h('p', { class: 'small text-muted mb-0' }, t('kit.patient.none')));
      if (r && r.more) results.append(h('p', { class: 'small text-muted mt-2 mb-0', 'data-testid': 'patient-more' }, t('kit.patient.more')));
    } catch (err) {
      if (my !== seq) return;
      msg.error(err);
      results.replaceChildren();
    }
    results.dataset.loaded = 'true';
  }

  const searchBtn = h('button', { type: 'button', class: 'btn btn-outline-primary', onclick: search }, t('kit.patient.search'));
  q.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      search();
    }
  });

  // Registration of a new patient (codice fiscale checked by the core).
  const ctl = {
    fiscal_code: h('input', { class: 'form-control text-uppercase', autocomplete: 'off', maxlength: '16', required: true }),
    surname: h('input', { class: 'form-control', autocomplete: 'off', required: true }),
    given_name: h('input', { class: 'form-control', autocomplete: 'off', required: true }),
    birth_date: h('input', { class: 'form-control', type: 'date', required: true }),
    birth_place: h('input', { class: 'form-control', autocomplete: 'off' }),
    sex: h('select', { class: 'form-select' },
      h('option', { value: '' }, '—'), h('option', { value: 'F' }, t('kit.patient.sexF')), h('option', { value: 'M' }, t('kit.patient.sexM'))),
    email: h('input', { class: 'form-control', type: 'email', autocomplete: 'off' }),
    phone: h('input', { class: 'form-control', type: 'tel', autocomplete: 'off' }),
  };
  // The codice fiscale already says birth date and sex: fill them, unless
  // the user typed something else (what they typed wins; the core checks).
  const filled = {};
  ctl.fiscal_code.addEventListener('input', () => {
    const d = decodeFiscalCode(ctl.fiscal_code.value);
    if (!d) return;
    [['birth_date', d.birth_date], ['sex', d.sex]].forEach(([k, v]) => {
      if (!ctl[k].value || ctl[k].value === filled[k]) {
        ctl[k].value = v;
        filled[k] = v;
      }
    });
    if (d.abroad && !ctl.birth_place.value) ctl.birth_place.placeholder = t('kit.patient.abroad');
  });
  const regMsg = messageArea();
  const regBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, t('kit.patient.register'));
  const regForm = h('form', { class: 'row g-2 d-none mt-2', 'data-testid': 'patient-register', novalidate: true },
    ['fiscal_code', 'surname', 'given_name', 'birth_date', 'birth_place', 'sex', 'email', 'phone'].map((k) => h('div', { class: 'col-sm-6 col-lg-3' },
      field({ label: t(`kit.patient.${k}`), control: ctl[k], id: `${id}-${k}` }))),
    h('div', { class: 'col-12' }, regMsg.el, regBtn));
  regForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    Object.entries(ctl).forEach(([k, c]) => {
      const v = c.value.trim();
      if (v) body[k] = k === 'fiscal_code' ? v.toUpperCase() : v;
    });
    submitBusy(regBtn, true);
    try {
      const p = await api('POST', '/api/v1/patients', body);
      regMsg.ok(t('kit.patient.registered', { name: patientName(p) }));
      regForm.classList.add('d-none');
      toggle.setAttribute('aria-expanded', 'false');
      onPick(p);
    } catch (err) {
      const rest = applyFieldErrors(ctl, err);
      if (rest.length || !err.errors || !err.errors.length) regMsg.error(err);
    } finally {
      submitBusy(regBtn, false);
    }
  });
  const toggle = h('button', {
    type: 'button', class: 'btn btn-link px-0', 'aria-expanded': 'false', 'aria-controls': `${id}-reg`,
    onclick: () => {
      const open = regForm.classList.toggle('d-none') === false;
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (open) ctl.fiscal_code.focus();
    },
  }, t('kit.patient.new'));
  regForm.id = `${id}-reg`;

  const el = h('div', { class: 'kit-patient-picker' },
    h('label', { class: 'form-label', for: `${id}-q` }, t('kit.patient.searchLabel')),
    h('div', { class: 'input-group mb-2' }, q, searchBtn),
    h('div', { class: 'form-text mb-2', id: `${id}-q-help` }, t('kit.patient.searchHelp')),
    msg.el, results, toggle, regForm);
  q.id = `${id}-q`;
  q.setAttribute('aria-describedby', `${id}-q-help`);
  return {
    el,
    clear() {
      q.value = '';
      results.replaceChildren();
    },
  };
}
