// Renders a form's JSON (as the core renders a hospital's Lua form) into
// the HTML a clinician fills in. Used by the forms editor's preview and,
// later, by the clinical modules.
//
// form: {id, title, version, sections: [{id, title, fields: [{id, type,
//   label, required, help, unit, min, max, step, pattern, choices:
//   [{value, label}], visible_if, read_only, placeholder}]}]}
//
// Field types (docs/scripting.md): text, long_text, number, integer, date,
// boolean, single_choice, multiple_choice, scale, computed; also datetime,
// time, email, phone, info and common aliases. Unknown types fall back to a
// text box labelled with their type name. Lua `pattern`s are not HTML
// patterns: only `pattern_message` is shown, the server checks them.

import { h, append, newId, setInvalid } from './dom.js';
import { t, tOpt } from './i18n.js';

const ALIASES = {
  string: 'text', short_text: 'text', text: 'text',
  long_text: 'long_text', longtext: 'long_text', textarea: 'long_text', memo: 'long_text', text_long: 'long_text', 'long text': 'long_text',
  number: 'number', decimal: 'number', float: 'number', real: 'number', numeric: 'number',
  integer: 'integer', int: 'integer',
  date: 'date', datetime: 'datetime', 'date-time': 'datetime', date_time: 'datetime', time: 'time',
  boolean: 'boolean', bool: 'boolean', checkbox: 'boolean', yes_no: 'boolean', yesno: 'boolean',
  choice: 'choice', single_choice: 'choice', select: 'choice', radio: 'choice', enum: 'choice', single: 'choice',
  multi_choice: 'multi_choice', multiple_choice: 'multi_choice', multichoice: 'multi_choice', multiselect: 'multi_choice', checkboxes: 'multi_choice', multi: 'multi_choice',
  scale: 'scale', range: 'scale', likert: 'scale', rating: 'scale',
  email: 'email', phone: 'phone', tel: 'phone',
  computed: 'computed', calculated: 'computed', calc: 'computed', formula: 'computed',
  info: 'info', note: 'info', label: 'info', heading: 'info',
};

export function normalType(type) {
  return ALIASES[String(type || 'text').toLowerCase()] || 'unknown';
}

function choicesOf(f) {
  const c = Array.isArray(f.choices) ? f.choices : (Array.isArray(f.options) ? f.options : []);
  return c.map((x) => (typeof x === 'object' && x !== null
    ? { value: String(x.value ?? x.id ?? x.label), label: String(x.label ?? x.value) }
    : { value: String(x), label: String(x) }));
}

/* visible_if: {field, equals|value|not_equals|in|not_in|gt|lt} or a simple
   "field == value" / "field ~= value" expression. Anything else: always visible
   (and the condition is shown as a note). */
function parseLiteral(s) {
  const v = s.trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 'nil') return null;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  const m = v.match(/^(["'])(.*)\1$/);
  return m ? m[2] : v;
}

function hasValue(v) {
  return v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && !v.length);
}

/* A condition on a field without a value (hidden, unanswered) is false,
   whatever its kind (docs/scripting.md, "Conditional visibility"). */
export function compileCondition(cond) {
  const c = compileRaw(cond);
  return c ? { field: c.field, test: (v) => hasValue(v) && c.test(v) } : null;
}

function compileRaw(cond) {
  if (!cond) return null;
  if (typeof cond === 'object' && cond.field) {
    const f = String(cond.field);
    if ('equals' in cond || 'value' in cond || 'eq' in cond) {
      const want = cond.equals ?? cond.value ?? cond.eq;
      return { field: f, test: (v) => looseEq(v, want) };
    }
    if ('not_equals' in cond || 'ne' in cond) {
      const no = cond.not_equals ?? cond.ne;
      return { field: f, test: (v) => !looseEq(v, no) };
    }
    if (Array.isArray(cond.in)) return { field: f, test: (v) => cond.in.some((x) => looseEq(v, x)) };
    if (Array.isArray(cond.not_in)) return { field: f, test: (v) => !cond.not_in.some((x) => looseEq(v, x)) };
    if ('gt' in cond) return { field: f, test: (v) => v !== null && Number(v) > Number(cond.gt) };
    if ('lt' in cond) return { field: f, test: (v) => v !== null && Number(v) < Number(cond.lt) };
    if ('gte' in cond) return { field: f, test: (v) => v !== null && Number(v) >= Number(cond.gte) };
    if ('lte' in cond) return { field: f, test: (v) => v !== null && Number(v) <= Number(cond.lte) };
    return { field: f, test: (v) => v !== null && v !== undefined && v !== false && v !== '' && !(Array.isArray(v) && !v.length) };
  }
  if (typeof cond === 'string') {
    const m = cond.match(/^\s*([A-Za-z_][\w]*)\s*(==|~=|!=|>=|<=|>|<)\s*(.+?)\s*$/);
    if (!m) {
      const bare = cond.match(/^\s*([A-Za-z_][\w]*)\s*$/);
      if (bare) return compileRaw({ field: bare[1] });
      return null;
    }
    const [, f, op, lit] = m;
    const want = parseLiteral(lit);
    const tests = {
      '==': (v) => looseEq(v, want),
      '~=': (v) => !looseEq(v, want),
      '!=': (v) => !looseEq(v, want),
      '>': (v) => v !== null && Number(v) > Number(want),
      '<': (v) => v !== null && Number(v) < Number(want),
      '>=': (v) => v !== null && Number(v) >= Number(want),
      '<=': (v) => v !== null && Number(v) <= Number(want),
    };
    return { field: f, test: tests[op] };
  }
  return null;
}

function looseEq(v, want) {
  if (Array.isArray(v)) return v.some((x) => looseEq(x, want));
  if (v === null || v === undefined) return want === null || want === undefined;
  if (typeof want === 'boolean') return v === want;
  return String(v) === String(want);
}

/* A computed value as a clinician reads it: Sì/No, not true/false. */
function shownValue(def, v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'boolean') return v ? t('answers.yes') : t('answers.no');
  return String(v);
}

function todayIso() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/* The server's validation messages are English; codes are translated here
   (docs/scripting.md: required, type, min, max, step, pattern, choice,
   length, unknown_field, custom). Custom messages are the form author's. */
function errorText(e, def = {}) {
  if (!e.code || e.code === 'custom') return e.message;
  if (e.code === 'pattern' && def.pattern_message) return def.pattern_message;
  const vars = {
    min: def.min_selected ?? def.min ?? '', max: def.max_selected ?? def.max ?? '', step: def.step ?? '',
    length: def.max_length ?? '',
  };
  const key = def.type && normalType(def.type) === 'multi_choice' && (e.code === 'min' || e.code === 'max')
    ? `validation.${e.code}_selected` : `validation.${e.code}`;
  const text = tOpt(key, null);
  return text ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : e.message;
}

/**
 * Builds the form. Returns {el, values(), showErrors(errors), clearErrors()}.
 * opts.idPrefix keeps ids unique when several previews are on one page.
 */
export function renderForm(form, opts = {}) {
  const prefix = opts.idPrefix || newId('pv');
  const controls = new Map(); // field id -> {type, get(), focusEl, group, inputs}
  const root = h('form', { class: 'form-preview', novalidate: true, 'data-form-id': form.id || '' });
  root.addEventListener('submit', (e) => e.preventDefault());
  root.append(h('h3', { class: 'h5 mb-1' }, form.title || form.id || t('preview.untitled')));
  // The stored version (opts.version, what the versions table lists) when
  // the caller knows it; the version the script declares otherwise.
  const shown = opts.version ?? form.version;
  if (shown !== undefined && shown !== null) {
    root.append(h('p', { class: 'small text-muted mb-1' }, t('preview.version', { v: shown })));
  }
  if (form.description) root.append(h('p', { class: 'small' }, form.description));
  const general = h('div', { class: 'preview-errors', 'aria-live': 'polite' });
  root.append(general);
  const sections = Array.isArray(form.sections) ? form.sections : [];
  if (!sections.length && Array.isArray(form.fields)) sections.push({ id: 'main', title: '', fields: form.fields });
  sections.forEach((sec) => {
    const fs = h('fieldset', { class: 'section', 'data-section': sec.id || '' });
    if (sec.title) fs.append(h('legend', {}, sec.title));
    if (sec.help) fs.append(h('p', { class: 'small text-muted' }, sec.help));
    const secCond = sec.visible_if ? compileCondition(sec.visible_if) : null;
    fs.dataset.byServer = sec.visible_if && !secCond ? '1' : '';
    (sec.fields || []).forEach((f) => fs.append(renderField(f, fs, secCond)));
    root.append(fs);
  });

  function renderField(f, sectionEl, sectionCond) {
    const type = normalType(f.type);
    const fid = String(f.id || newId('field'));
    const id = `${prefix}-${fid}`.replace(/[^\w-]/g, '_');
    const helpId = `${id}-help`;
    const errId = `${id}-err`;
    const readOnly = !!f.read_only || type === 'computed';
    const required = !!f.required && !readOnly;
    const labelText = [f.label || fid];
    const reqMark = required ? [h('span', { class: 'required-mark', 'aria-hidden': 'true' }, '*'),
      h('span', { class: 'visually-hidden' }, ` (${t('preview.required')})`)] : [];
    const metaBits = [];
    if (f.unit && type !== 'number' && type !== 'integer') metaBits.push(f.unit);
    if ((type === 'number' || type === 'integer') && (f.min !== undefined || f.max !== undefined)) {
      metaBits.push(t('preview.range', { min: f.min ?? '−∞', max: f.max ?? '+∞' }));
    }
    if (readOnly) metaBits.push(type === 'computed' ? t('preview.computed') : t('preview.readOnly'));
    if (f.pattern_message) metaBits.push(f.pattern_message);
    if (type === 'multi_choice' && (f.min_selected || f.max_selected)) {
      metaBits.push(t('preview.selections', { min: f.min_selected ?? 0, max: f.max_selected ?? '∞' }));
    }
    if (type === 'unknown') metaBits.push(t('preview.unknownType', { type: f.type }));
    const help = (f.help || metaBits.length)
      ? h('div', { class: 'form-text', id: helpId },
        f.help || '', f.help && metaBits.length ? ' · ' : '', metaBits.join(' · '))
      : null;
    const err = h('div', { class: 'invalid-feedback', id: errId });
    const describedBy = [help ? helpId : null].filter(Boolean).join(' ') || null;
    const group = h('div', { class: 'mb-3 field', 'data-field': fid, 'data-type': type });
    const add = (...nodes) => append(group, nodes); // skips null (native append would print "null")
    let get = () => null;
    let focusEl = null;
    let inputs = [];

    const simpleInput = (attrs) => {
      const input = h('input', {
        class: 'form-control', id, name: fid, required, readonly: readOnly, 'aria-describedby': describedBy,
        placeholder: f.placeholder, ...attrs,
      });
      inputs = [input];
      focusEl = input;
      return input;
    };

    switch (type) {
      case 'info':
        add(h('p', { class: 'mb-0' }, f.label || f.text || ''), help);
        return group;
      case 'long_text': {
        const ta = h('textarea', {
          class: 'form-control', id, name: fid, rows: '3', required, readonly: readOnly, 'aria-describedby': describedBy, placeholder: f.placeholder,
        });
        if (f.max_length) ta.maxLength = Number(f.max_length);
        inputs = [ta];
        focusEl = ta;
        get = () => (ta.value.trim() === '' ? null : ta.value);
        add(h('label', { class: 'form-label', for: id }, labelText, reqMark), ta, help, err);
        break;
      }
      case 'number':
      case 'integer': {
        const input = simpleInput({
          type: 'number', inputmode: type === 'integer' ? 'numeric' : 'decimal',
          step: f.step ?? (type === 'integer' ? '1' : 'any'), min: f.min, max: f.max,
        });
        get = () => (input.value === '' ? null : Number(input.value));
        const ctl = f.unit
          ? h('div', { class: 'input-group has-validation' }, input, h('span', { class: 'input-group-text' }, f.unit), err)
          : input;
        add(h('label', { class: 'form-label', for: id }, labelText, reqMark), ctl, help, f.unit ? null : err);
        break;
      }
      case 'date':
      case 'datetime':
      case 'time': {
        const bound = (b) => (b === 'today' ? todayIso() : b);
        const input = simpleInput({ type: type === 'datetime' ? 'datetime-local' : type, min: bound(f.min), max: bound(f.max) });
        get = () => (input.value === '' ? null : input.value);
        add(h('label', { class: 'form-label', for: id }, labelText, reqMark), input, help, err);
        break;
      }
      case 'email':
      case 'phone':
      case 'text':
      case 'unknown':
      case 'computed': {
        const input = simpleInput({
          type: type === 'email' ? 'email' : type === 'phone' ? 'tel' : 'text',
          maxlength: f.max_length,
          value: type === 'computed' ? (f.value ?? '') : undefined,
          placeholder: type === 'computed' ? '—' : f.placeholder,
        });
        get = () => (type === 'computed' ? undefined : (input.value.trim() === '' ? null : input.value));
        add(h('label', { class: 'form-label', for: id }, labelText, reqMark), input, help, err);
        break;
      }
      case 'boolean': {
        const input = h('input', {
          class: 'form-check-input', type: 'checkbox', id, name: fid, disabled: readOnly, 'aria-describedby': describedBy,
        });
        inputs = [input];
        focusEl = input;
        get = () => input.checked;
        add(h('div', { class: 'form-check' }, input,
          h('label', { class: 'form-check-label', for: id }, labelText, reqMark), err), help);
        break;
      }
      case 'choice': {
        const choices = choicesOf(f);
        if (choices.length > 5) {
          const sel = h('select', { class: 'form-select', id, name: fid, required, disabled: readOnly, 'aria-describedby': describedBy },
            h('option', { value: '' }, t('preview.choose')),
            choices.map((c) => h('option', { value: c.value }, c.label)));
          inputs = [sel];
          focusEl = sel;
          get = () => (sel.value === '' ? null : sel.value);
          add(h('label', { class: 'form-label', for: id }, labelText, reqMark), sel, help, err);
        } else {
          const fs = h('fieldset', { 'aria-describedby': describedBy, id },
            h('legend', { class: 'form-label fs-6' }, labelText, reqMark));
          choices.forEach((c, i) => {
            const cid = `${id}-${i}`;
            const r = h('input', { class: 'form-check-input', type: 'radio', name: id, id: cid, value: c.value, disabled: readOnly, required });
            inputs.push(r);
            fs.append(h('div', { class: 'form-check' }, r, h('label', { class: 'form-check-label', for: cid }, c.label)));
          });
          fs.append(err);
          focusEl = inputs[0] || null;
          get = () => {
            const r = inputs.find((x) => x.checked);
            return r ? r.value : null;
          };
          add(fs, help);
        }
        break;
      }
      case 'multi_choice': {
        const fs = h('fieldset', { 'aria-describedby': describedBy, id },
          h('legend', { class: 'form-label fs-6' }, labelText, reqMark));
        choicesOf(f).forEach((c, i) => {
          const cid = `${id}-${i}`;
          const r = h('input', { class: 'form-check-input', type: 'checkbox', id: cid, value: c.value, disabled: readOnly });
          inputs.push(r);
          fs.append(h('div', { class: 'form-check' }, r, h('label', { class: 'form-check-label', for: cid }, c.label)));
        });
        fs.append(err);
        focusEl = inputs[0] || null;
        get = () => {
          const v = inputs.filter((x) => x.checked).map((x) => x.value);
          return v.length ? v : null;
        };
        add(fs, help);
        break;
      }
      case 'scale': {
        const min = Number.isFinite(Number(f.min)) ? Number(f.min) : 0;
        const max = Number.isFinite(Number(f.max)) ? Number(f.max) : 10;
        const step = Number(f.step) > 0 ? Number(f.step) : 1;
        const fs = h('fieldset', { 'aria-describedby': describedBy, id },
          h('legend', { class: 'form-label fs-6' }, labelText, reqMark));
        const btns = h('div', { class: 'btn-group flex-wrap scale-group', role: 'group' });
        const labels = choicesOf(f);
        const ends = f.labels && typeof f.labels === 'object' && !Array.isArray(f.labels) ? f.labels : null;
        for (let v = min, i = 0; v <= max && i < 101; v += step, i++) {
          const cid = `${id}-${i}`;
          const r = h('input', { class: 'btn-check', type: 'radio', name: id, id: cid, value: String(v), autocomplete: 'off', disabled: readOnly });
          const lab = labels.find((c) => Number(c.value) === v);
          inputs.push(r);
          btns.append(r, h('label', { class: 'btn btn-outline-primary', for: cid, title: lab ? lab.label : null }, String(v)));
        }
        fs.append(btns);
        const lo = ends ? ends.min : (labels[0] || {}).label;
        const hi = ends ? ends.max : (labels[labels.length - 1] || {}).label;
        if (lo || hi) {
          fs.append(h('div', { class: 'd-flex justify-content-between gap-2 small text-muted mt-1' },
            h('span', {}, lo ? `${min}: ${lo}` : ''), h('span', { class: 'text-end' }, hi ? `${max}: ${hi}` : '')));
        }
        fs.append(err);
        focusEl = inputs[0] || null;
        get = () => {
          const r = inputs.find((x) => x.checked);
          return r ? Number(r.value) : null;
        };
        add(fs, help);
        break;
      }
      default:
        break;
    }
    controls.set(fid, {
      type, get, focusEl, group, inputs, errEl: err, def: f,
      cond: f.visible_if ? compileCondition(f.visible_if) : null, sectionEl, sectionCond,
      byServer: !!f.visible_if && !compileCondition(f.visible_if),
    });
    return group;
  }

  function values() {
    const out = {};
    for (const [fid, c] of controls) {
      if (c.group.classList.contains('is-hidden-by-rule')) continue;
      const v = c.get();
      if (v !== null && v !== undefined) out[fid] = v;
    }
    return out;
  }

  // In form order, like the server: a condition sees the fields before it,
  // and a hidden field counts as having no value (so chains hide too).
  // Conditions the page cannot read (Lua functions) follow the server's
  // last evaluation; so do all fields while that evaluation is of the
  // values on screen, since the server also drops invalid values.
  let server = null; // {values: key of what was sent, fields: Set, sections: Set}
  function applyConditions() {
    const vals = {};
    const sections = new Map();
    const current = server && server.key === valuesKey();
    for (const [fid, c] of controls) {
      let secShown = true;
      if (c.sectionEl.dataset.byServer || (current && c.sectionCond)) {
        if (!sections.has(c.sectionEl)) sections.set(c.sectionEl, !!server && server.sections.has(c.sectionEl.dataset.section));
        secShown = sections.get(c.sectionEl);
      } else if (c.sectionCond) {
        if (!sections.has(c.sectionEl)) sections.set(c.sectionEl, c.sectionCond.test(vals[c.sectionCond.field] ?? null));
        secShown = sections.get(c.sectionEl);
      }
      let shown;
      if (c.byServer || (current && (c.cond || c.sectionCond))) shown = !!server && server.fields.has(fid);
      else shown = secShown && (!c.cond || c.cond.test(vals[c.cond.field] ?? null));
      shown = shown && secShown;
      c.group.classList.toggle('is-hidden-by-rule', !shown);
      c.group.hidden = !shown;
      vals[fid] = shown ? (c.type === 'computed' ? c.computed ?? null : c.get()) : null;
    }
    for (const [el, shown] of sections) {
      el.hidden = !shown;
      el.classList.toggle('is-hidden-by-rule', !shown);
    }
  }

  // Live evaluation (opts.evaluate(values) -> the server's {values,
  // visible_fields, visible_sections}): debounced while the user types; a
  // late answer for values no longer on screen only updates what the page
  // cannot work out itself.
  const evaluate = typeof opts.evaluate === 'function' ? opts.evaluate : null;
  let evalTimer = null;
  let evalSeq = 0;
  function valuesKey() {
    return JSON.stringify(values());
  }
  async function evaluateNow() {
    const seq = ++evalSeq;
    const sent = values();
    let res;
    try {
      res = await evaluate(sent);
    } catch {
      return; // the page keeps its own reading; the submission is checked anyway
    }
    if (seq !== evalSeq || !res) return;
    server = {
      key: JSON.stringify(sent),
      fields: new Set(res.visible_fields || []),
      sections: new Set(res.visible_sections || []),
    };
    setComputed(res.values || {});
    root.dataset.evaluated = String(seq);
    if (valuesKey() !== server.key) schedule(); // a field appeared or hid: check again
  }
  function schedule() {
    if (!evaluate) return;
    clearTimeout(evalTimer);
    evalTimer = setTimeout(evaluateNow, opts.evaluateDelay ?? 300);
  }
  const onEdit = () => {
    applyConditions();
    schedule();
  };
  root.addEventListener('input', onEdit);
  root.addEventListener('change', onEdit);

  function clearErrors() {
    general.replaceChildren();
    for (const c of controls.values()) {
      c.inputs.forEach((i) => {
        i.classList.remove('is-invalid');
        i.removeAttribute('aria-invalid');
      });
      c.errEl.textContent = '';
      c.errEl.classList.remove('d-block');
      if (c.focusEl && c.focusEl.id) setInvalid(c.focusEl, null);
    }
  }

  function showErrors(errors) {
    clearErrors();
    const rest = [];
    let first = null;
    for (const e of errors || []) {
      const c = controls.get(e.field);
      if (!c) {
        rest.push(e);
        continue;
      }
      // The server judged it visible: never leave an error where no one sees it.
      c.group.hidden = false;
      c.group.classList.remove('is-hidden-by-rule');
      c.sectionEl.hidden = false;
      c.sectionEl.classList.remove('is-hidden-by-rule');
      c.inputs.forEach((i) => {
        i.classList.add('is-invalid');
        i.setAttribute('aria-invalid', 'true');
      });
      c.errEl.textContent = errorText(e, c.def);
      c.errEl.classList.add('d-block');
      const target = c.inputs[0];
      if (target) {
        const ids = (target.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
        if (!ids.includes(c.errEl.id)) ids.push(c.errEl.id);
        target.setAttribute('aria-describedby', ids.join(' '));
      }
      if (!first) first = c.focusEl;
    }
    if (rest.length) {
      general.append(h('div', { class: 'alert alert-danger', role: 'alert' },
        h('ul', { class: 'mb-0' }, rest.map((e) => h('li', {}, errorText(e))))));
    }
    if (first) first.focus();
  }

  /** Shows the server's normalized values of computed fields. */
  function setComputed(values) {
    for (const [fid, c] of controls) {
      if (c.type !== 'computed') continue;
      const v = values ? values[fid] : undefined;
      c.computed = v ?? null;
      // 12 significant digits: the server's JSON may print 23.7 as 23.699999999999999.
      const shown = typeof v === 'number' ? String(Number(v.toPrecision(12))) : v;
      if (c.inputs[0]) c.inputs[0].value = shownValue(c.def, shown);
    }
    applyConditions();
  }

  applyConditions();
  if (evaluate) evaluateNow();

  return {
    el: root, values, showErrors, clearErrors, setComputed, fieldTypes: () => [...controls.values()].map((c) => c.type),
  };
}
