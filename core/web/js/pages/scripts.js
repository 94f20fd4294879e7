// Hospital IT: the hospital's Lua anamnesis forms and routing rules. Forms:
// list with versions and the active-form counter, edit, upload with syntax
// check (errors with their line), preview as a clinician sees it, check
// sample values, activate / roll back a version. Rules: the same editor and
// a dry run against sample JSON showing the result or the error line.
import { h, field, formatDate, newId } from '../dom.js';
import { t, language } from '../i18n.js';
import { api, get, enc } from '../api.js';
import { announce, currentTenant } from '../shell.js';
import {
  pageHeader, loading, messageArea, errorAlert, alertBox, badge, submitBusy, problemMessage,
} from '../ui.js';
import { codeEditor, errorLine } from '../editor.js';
import { renderForm } from '../form-render.js';

const ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const FORM_TEMPLATE = `-- Scheda anamnestica / anamnesis form
return {
  id = "nuova_scheda",
  title = "Nuova scheda",
  sections = {
    {
      id = "generale",
      title = "Dati generali",
      fields = {
        { id = "peso", type = "number", label = "Peso", unit = "kg", min = 1, max = 300, required = true },
        { id = "altezza", type = "number", label = "Altezza", unit = "cm", min = 30, max = 250, required = true },
        { id = "fumatore", type = "boolean", label = "Fumatore" },
        { id = "note", type = "long_text", label = "Note" },
      },
    },
  },
}
`;

const RULE_TEMPLATE = `-- Regola di instradamento / routing rule
function route_teleconsult(request)
  if request.urgency == "emergency" then
    return { group = "reperibili", priority = "high", sla_minutes = 30 }
  end
  return { group = request.specialty or "generale", priority = "normal", sla_minutes = 2880 }
end
`;

function setQuery(params) {
  const q = new URLSearchParams(params);
  const hash = `#/admin/scripts${q.toString() ? `?${q}` : ''}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

/** Upload/activation errors, with "go to line" buttons for Lua errors. */
function scriptErrors(err, editor, limit) {
  if (err.code === 'form_limit_reached') {
    return alertBox('danger', t('scripts.limitReached', { limit: limit || 15 }),
      err.detail ? h('div', { class: 'small mt-1' }, err.detail) : null);
  }
  if (err.status === 422 && err.errors && err.errors.length) {
    const lines = [];
    const items = err.errors.map((e) => {
      const line = errorLine(e);
      if (line) lines.push(line);
      return h('li', {},
        line ? h('strong', {}, `${t('scripts.line', { n: line })}: `) : null,
        h('span', { class: 'mono' }, e.message),
        line ? h('button', { type: 'button', class: 'btn btn-link btn-sm py-0', onclick: () => editor.goToLine(line) },
          t('scripts.goToLine', { n: line })) : null);
    });
    editor.markLines(lines);
    return h('div', { class: 'alert alert-danger', role: 'alert', 'data-testid': 'script-errors' },
      h('p', { class: 'mb-1 fw-semibold' }, err.code === 'script_invalid' ? t('scripts.invalid') : problemMessage(err)),
      h('ul', { class: 'mb-0' }, items));
  }
  return errorAlert(err);
}

function versionsTable(versions, onActivate) {
  if (!versions || !versions.length) return null;
  return h('section', { class: 'mt-4', 'aria-label': t('scripts.versions') },
    h('h3', { class: 'h6' }, t('scripts.versions')),
    h('div', { class: 'table-responsive' },
      h('table', { class: 'table table-sm bg-white', 'data-testid': 'versions-table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, t('scripts.version')), h('th', { scope: 'col' }, t('scripts.created')),
          h('th', { scope: 'col' }, t('scripts.state')),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
        h('tbody', {}, versions.map((v) => h('tr', { 'data-version': String(v.version) },
          h('td', {}, String(v.version)),
          h('td', {}, formatDate(v.created_at, language())),
          h('td', {}, v.active ? badge(t('scripts.active'), 'success') : badge(t('scripts.inactive'), 'secondary')),
          h('td', { class: 'text-end' }, v.active ? null : h('button', {
            type: 'button', class: 'btn btn-sm btn-outline-primary',
            onclick: (e) => onActivate(v.version, e.target),
          }, t('scripts.activateVersion', { v: v.version })))))))));
}

function fileLoader(editor, idInput) {
  const id = newId('file');
  const input = h('input', { class: 'form-control form-control-sm', type: 'file', id, accept: '.lua,text/plain,text/x-lua' });
  input.addEventListener('change', () => {
    const f = input.files && input.files[0];
    if (!f) return;
    if (f.size > 512 * 1024) {
      announce(t('scripts.fileTooBig'));
      return;
    }
    f.text().then((text) => {
      editor.setValue(text);
      if (idInput && !idInput.value) idInput.value = f.name.replace(/\.lua$/i, '').toLowerCase().replace(/[^a-z0-9_-]/g, '_');
      announce(t('scripts.fileLoaded', { name: f.name }));
    });
  });
  return h('div', { class: 'mb-2' }, h('label', { class: 'form-label small', for: id }, t('scripts.fromFile')), input);
}

/* ---------------- forms ---------------- */

function formsPanel(ctx, tenant, base) {
  const panel = h('div', {});
  const list = h('section', { 'aria-labelledby': 'forms-title' }, loading());
  const editorBox = h('div', {});
  panel.append(list, editorBox);
  let limit = 15;

  async function loadList() {
    let data;
    try {
      data = await get(`${base}/forms`);
    } catch (err) {
      list.replaceChildren(h('h2', { class: 'h5', id: 'forms-title' }, t('scripts.forms')),
        err.status === 404 ? alertBox('warning', t('scripts.unavailable')) : errorAlert(err));
      return;
    }
    if (!ctx.alive()) return;
    limit = data.limit || 15;
    const active = data.active_count ?? (data.forms || []).filter((f) => f.active).length;
    const pct = Math.min(100, Math.round((active / limit) * 100));
    const full = active >= limit;
    list.replaceChildren(
      h('div', { class: 'd-flex flex-wrap justify-content-between align-items-center gap-2 mb-2' },
        h('h2', { class: 'h5 mb-0', id: 'forms-title' }, t('scripts.forms')),
        h('button', { type: 'button', class: 'btn btn-primary btn-sm', onclick: () => openForm(null) }, t('scripts.newForm'))),
      h('div', { class: 'mb-3' },
        h('div', { class: 'd-flex justify-content-between small' },
          h('span', { id: 'forms-counter-label' }, t('scripts.activeForms')),
          h('strong', { 'data-testid': 'forms-counter' }, `${active}/${limit}`)),
        h('div', {
          class: 'progress', role: 'progressbar', 'aria-labelledby': 'forms-counter-label',
          'aria-valuenow': String(active), 'aria-valuemin': '0', 'aria-valuemax': String(limit),
        }, h('div', { class: ['progress-bar', full ? 'bg-danger' : ''] })),
        full ? h('p', { class: 'small text-danger mt-1 mb-0' }, t('scripts.limitNote', { limit })) : null),
      (data.forms || []).length
        ? h('div', { class: 'table-responsive' },
          h('table', { class: 'table table-hover bg-white', 'data-testid': 'forms-table' },
            h('thead', {}, h('tr', {},
              ['scripts.formId', 'scripts.titleCol', 'scripts.version', 'scripts.state', 'scripts.updated']
                .map((k) => h('th', { scope: 'col' }, t(k))),
              h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
            h('tbody', {}, data.forms.map((f) => h('tr', { 'data-form': f.form_id },
              h('td', { class: 'mono' }, f.form_id),
              h('td', {}, f.title || ''),
              h('td', {}, String(f.version ?? '')),
              h('td', {}, f.active ? badge(t('scripts.active'), 'success') : badge(t('scripts.inactive'), 'secondary')),
              h('td', { class: 'small' }, formatDate(f.updated_at, language())),
              h('td', { class: 'text-end' }, h('button', {
                type: 'button', class: 'btn btn-sm btn-outline-primary',
                'aria-label': t('scripts.openForm', { id: f.form_id }), onclick: () => openForm(f.form_id),
              }, t('scripts.open'))))))))
        : h('p', { class: 'text-muted' }, t('scripts.noForms')));
    // Width from JS: the CSP forbids style attributes in markup.
    const bar = list.querySelector('.progress-bar');
    if (bar) bar.style.width = `${pct}%`;
  }

  async function openForm(formId) {
    setQuery(formId ? { tab: 'forms', form: formId } : { tab: 'forms', new: '1' });
    editorBox.replaceChildren(loading());
    let detail = null;
    if (formId) {
      try {
        detail = await get(`${base}/forms/${enc(formId)}`);
      } catch (err) {
        editorBox.replaceChildren(errorAlert(err));
        return;
      }
    }
    if (!ctx.alive()) return;
    const idInput = h('input', {
      class: 'form-control mono', value: formId || '', readonly: !!formId, autocomplete: 'off', spellcheck: 'false',
      pattern: '[a-z0-9][a-z0-9_\\-]{0,63}', required: true,
    });
    const editor = codeEditor({ label: t('scripts.source'), value: detail ? detail.source || '' : FORM_TEMPLATE });
    const result = h('div', { 'aria-live': 'polite', 'data-testid': 'upload-result' });
    const upload = h('button', { type: 'button', class: 'btn btn-primary' }, t('scripts.upload'));
    const previewBox = h('div', { 'data-testid': 'form-preview' });
    const versionsBox = h('div', {});
    const validateResult = h('div', { 'aria-live': 'polite', 'data-testid': 'validate-result' });
    let preview = null;

    function showPreview(form) {
      validateResult.replaceChildren();
      if (!form) {
        previewBox.replaceChildren(h('p', { class: 'text-muted' }, t('scripts.previewEmpty')));
        preview = null;
        return;
      }
      preview = renderForm(form, { idPrefix: `pv-${form.id || 'form'}` });
      previewBox.replaceChildren(preview.el);
    }
    function showVersions(versions, id) {
      versionsBox.replaceChildren(versionsTable(versions, async (version, btn) => {
        submitBusy(btn, true);
        try {
          await api('POST', `${base}/forms/${enc(id)}/activate`, { version });
          announce(t('scripts.activated', { v: version }));
          await loadList();
          await openForm(id);
          const area = editorBox.querySelector('[data-testid="upload-result"]');
          if (area) area.replaceChildren(alertBox('success', t('scripts.activated', { v: version })));
        } catch (err) {
          submitBusy(btn, false);
          result.replaceChildren(scriptErrors(err, editor, limit));
        }
      }) || '');
    }

    upload.addEventListener('click', async () => {
      const id = (idInput.value.trim() || (editor.value().match(/\bid\s*=\s*["']([\w-]+)["']/) || [])[1] || '').toLowerCase();
      if (!ID_RE.test(id)) {
        result.replaceChildren(alertBox('danger', t('scripts.badId')));
        idInput.focus();
        return;
      }
      idInput.value = id;
      editor.markLines([]);
      result.replaceChildren();
      submitBusy(upload, true);
      try {
        const res = await api('PUT', `${base}/forms/${enc(id)}`, { source: editor.value() });
        const text = t('scripts.uploaded', { id, v: res && res.version !== undefined ? res.version : '?' });
        result.replaceChildren(alertBox('success', text));
        announce(text);
        idInput.readOnly = true;
        editorBox.querySelector('#form-editor-title').textContent = t('scripts.editForm', { id });
        setQuery({ tab: 'forms', form: id });
        showPreview(res && res.form);
        loadList();
        try {
          const d = await get(`${base}/forms/${enc(id)}`);
          showVersions(d.versions, id);
        } catch { /* the list still shows it */ }
      } catch (err) {
        result.replaceChildren(scriptErrors(err, editor, limit));
      } finally {
        submitBusy(upload, false);
      }
    });

    const check = h('button', { type: 'button', class: 'btn btn-outline-primary btn-sm mt-2' }, t('scripts.checkValues'));
    check.addEventListener('click', async () => {
      const id = idInput.value.trim();
      if (!preview || !id) return;
      preview.clearErrors();
      validateResult.replaceChildren();
      submitBusy(check, true);
      try {
        await api('POST', `${base}/forms/${enc(id)}/validate`, { values: preview.values() });
        validateResult.replaceChildren(alertBox('success', t('scripts.valuesValid')));
      } catch (err) {
        if (err.status === 422 && err.errors) {
          preview.showErrors(err.errors);
          validateResult.replaceChildren(alertBox('warning', t('scripts.valuesInvalid', { n: err.errors.length })));
        } else {
          validateResult.replaceChildren(errorAlert(err));
        }
      } finally {
        submitBusy(check, false);
      }
    });

    editorBox.replaceChildren(h('section', { class: 'card mt-4', 'aria-labelledby': 'form-editor-title' },
      h('div', { class: 'card-body' },
        h('div', { class: 'd-flex justify-content-between align-items-center mb-3' },
          h('h2', { class: 'h5 mb-0', id: 'form-editor-title', tabindex: '-1' },
            formId ? t('scripts.editForm', { id: formId }) : t('scripts.newForm')),
          h('button', {
            type: 'button', class: 'btn-close', 'aria-label': t('common.close'),
            onclick: () => { editorBox.replaceChildren(); setQuery({ tab: 'forms' }); },
          })),
        h('div', { class: 'row g-4' },
          h('div', { class: 'col-lg-7' },
            field({ label: t('scripts.formId'), control: idInput, help: t('scripts.idHelp') }),
            fileLoader(editor, idInput),
            editor.el,
            h('div', { class: 'd-flex gap-2 mt-3' }, upload),
            h('div', { class: 'mt-3' }, result),
            versionsBox),
          h('div', { class: 'col-lg-5' },
            h('h3', { class: 'h6' }, t('scripts.preview')),
            h('p', { class: 'small text-muted' }, t('scripts.previewIntro')),
            previewBox, check, validateResult)))));
    showPreview(detail && detail.form);
    if (detail) showVersions(detail.versions, formId);
    editorBox.querySelector('#form-editor-title').focus();
  }

  return { el: panel, loadList, openForm };
}

/* ---------------- rules ---------------- */

function functionsIn(source) {
  const out = [];
  const re = /^\s*(?:local\s+)?function\s+(?:[\w]+[.:])?([A-Za-z_]\w*)\s*\(|^\s*([A-Za-z_]\w*)\s*=\s*function\s*\(/gm;
  let m;
  while ((m = re.exec(source))) {
    const name = m[1] || m[2];
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

const SAMPLE_INPUT = '{\n  "specialty": "cardiologia",\n  "urgency": "emergency"\n}';

function rulesPanel(ctx, tenant, base) {
  const panel = h('div', {});
  const list = h('section', { 'aria-labelledby': 'rules-title' }, loading());
  const editorBox = h('div', {});
  panel.append(list, editorBox);

  async function loadList() {
    let data;
    try {
      data = await get(`${base}/rules`);
    } catch (err) {
      list.replaceChildren(h('h2', { class: 'h5', id: 'rules-title' }, t('scripts.rules')),
        err.status === 404 ? alertBox('warning', t('scripts.unavailable')) : errorAlert(err));
      return;
    }
    if (!ctx.alive()) return;
    list.replaceChildren(
      h('div', { class: 'd-flex flex-wrap justify-content-between align-items-center gap-2 mb-2' },
        h('h2', { class: 'h5 mb-0', id: 'rules-title' }, t('scripts.rules')),
        h('button', { type: 'button', class: 'btn btn-primary btn-sm', onclick: () => openRule(null) }, t('scripts.newRule'))),
      (data.rules || []).length
        ? h('div', { class: 'table-responsive' },
          h('table', { class: 'table table-hover bg-white', 'data-testid': 'rules-table' },
            h('thead', {}, h('tr', {},
              ['scripts.ruleId', 'scripts.version', 'scripts.state', 'scripts.updated'].map((k) => h('th', { scope: 'col' }, t(k))),
              h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
            h('tbody', {}, data.rules.map((r) => h('tr', { 'data-rule': r.rule_id },
              h('td', { class: 'mono' }, r.rule_id),
              h('td', {}, String(r.version ?? '')),
              h('td', {}, r.active ? badge(t('scripts.active'), 'success') : badge(t('scripts.inactive'), 'secondary')),
              h('td', { class: 'small' }, formatDate(r.updated_at, language())),
              h('td', { class: 'text-end' }, h('button', {
                type: 'button', class: 'btn btn-sm btn-outline-primary',
                'aria-label': t('scripts.openRule', { id: r.rule_id }), onclick: () => openRule(r.rule_id),
              }, t('scripts.open'))))))))
        : h('p', { class: 'text-muted' }, t('scripts.noRules')));
  }

  async function openRule(ruleId) {
    setQuery(ruleId ? { tab: 'rules', rule: ruleId } : { tab: 'rules', new: '1' });
    editorBox.replaceChildren(loading());
    let detail = null;
    if (ruleId) {
      try {
        detail = await get(`${base}/rules/${enc(ruleId)}`);
      } catch (err) {
        editorBox.replaceChildren(errorAlert(err));
        return;
      }
    }
    if (!ctx.alive()) return;
    const idInput = h('input', {
      class: 'form-control mono', value: ruleId || '', readonly: !!ruleId, autocomplete: 'off', spellcheck: 'false', required: true,
    });
    const editor = codeEditor({ label: t('scripts.source'), value: detail ? detail.source || '' : RULE_TEMPLATE });
    const result = h('div', { 'aria-live': 'polite', 'data-testid': 'upload-result' });
    const upload = h('button', { type: 'button', class: 'btn btn-primary' }, t('scripts.upload'));
    const versionsBox = h('div', {});
    const fnList = newId('fns');
    const fnInput = h('input', { class: 'form-control mono', list: fnList, autocomplete: 'off', spellcheck: 'false' });
    const fnData = h('datalist', { id: fnList });
    const refreshFns = () => {
      const fns = functionsIn(editor.value());
      fnData.replaceChildren(...fns.map((f) => h('option', { value: f })));
      if (!fnInput.value && fns.length) fnInput.value = fns[0];
    };
    editor.textarea.addEventListener('change', refreshFns);
    refreshFns();
    const input = h('textarea', { class: 'form-control json-input', rows: '8', spellcheck: 'false' });
    input.value = SAMPLE_INPUT;
    const run = h('button', { type: 'button', class: 'btn btn-outline-primary' }, t('scripts.run'));
    const runResult = h('div', { 'aria-live': 'polite', 'data-testid': 'dryrun-result', class: 'mt-3' });

    function showVersions(versions, id) {
      versionsBox.replaceChildren(versionsTable(versions, async (version, btn) => {
        submitBusy(btn, true);
        try {
          await api('POST', `${base}/rules/${enc(id)}/activate`, { version });
          announce(t('scripts.activated', { v: version }));
          await loadList();
          await openRule(id);
        } catch (err) {
          submitBusy(btn, false);
          result.replaceChildren(scriptErrors(err, editor));
        }
      }) || '');
    }

    upload.addEventListener('click', async () => {
      const id = idInput.value.trim().toLowerCase();
      if (!ID_RE.test(id)) {
        result.replaceChildren(alertBox('danger', t('scripts.badId')));
        idInput.focus();
        return;
      }
      idInput.value = id;
      editor.markLines([]);
      result.replaceChildren();
      submitBusy(upload, true);
      try {
        const res = await api('PUT', `${base}/rules/${enc(id)}`, { source: editor.value() });
        const text = t('scripts.uploadedRule', { id, v: res && res.version !== undefined ? res.version : '?' });
        result.replaceChildren(alertBox('success', text));
        announce(text);
        idInput.readOnly = true;
        editorBox.querySelector('#rule-editor-title').textContent = t('scripts.editRule', { id });
        setQuery({ tab: 'rules', rule: id });
        loadList();
        refreshFns();
        try {
          const d = await get(`${base}/rules/${enc(id)}`);
          showVersions(d.versions, id);
        } catch { /* ignore */ }
      } catch (err) {
        result.replaceChildren(scriptErrors(err, editor));
      } finally {
        submitBusy(upload, false);
      }
    });

    run.addEventListener('click', async () => {
      runResult.replaceChildren();
      editor.markLines([]);
      input.classList.remove('is-invalid');
      const id = idInput.value.trim();
      if (!id || !idInput.readOnly) {
        runResult.replaceChildren(alertBox('warning', t('scripts.uploadFirst')));
        return;
      }
      let sample;
      try {
        sample = JSON.parse(input.value || 'null');
      } catch (e) {
        input.classList.add('is-invalid');
        runResult.replaceChildren(alertBox('danger', t('scripts.badJson', { detail: e.message })));
        input.focus();
        return;
      }
      submitBusy(run, true);
      try {
        const body = { input: sample };
        if (fnInput.value.trim()) body.function = fnInput.value.trim();
        const res = await api('POST', `${base}/rules/${enc(id)}/test`, body);
        runResult.replaceChildren(
          h('p', { class: 'text-success fw-semibold mb-1' }, t('scripts.runOk')),
          h('pre', { class: 'result mono', 'data-testid': 'dryrun-output' }, JSON.stringify(res ? res.result : null, null, 2)));
        announce(t('scripts.runOk'));
      } catch (err) {
        const line = errorLine({ line: err.problem.line, message: err.detail });
        if (line) editor.markLines([line]);
        runResult.replaceChildren(h('div', { class: 'alert alert-danger', role: 'alert', 'data-testid': 'dryrun-error' },
          h('p', { class: 'fw-semibold mb-1' }, line ? t('scripts.runErrorLine', { n: line }) : t('scripts.runError')),
          h('pre', { class: 'mb-1 mono text-wrap' }, err.detail || problemMessage(err)),
          line ? h('button', { type: 'button', class: 'btn btn-sm btn-outline-danger', onclick: () => editor.goToLine(line) },
            t('scripts.goToLine', { n: line })) : null));
      } finally {
        submitBusy(run, false);
      }
    });

    editorBox.replaceChildren(h('section', { class: 'card mt-4', 'aria-labelledby': 'rule-editor-title' },
      h('div', { class: 'card-body' },
        h('div', { class: 'd-flex justify-content-between align-items-center mb-3' },
          h('h2', { class: 'h5 mb-0', id: 'rule-editor-title', tabindex: '-1' },
            ruleId ? t('scripts.editRule', { id: ruleId }) : t('scripts.newRule')),
          h('button', {
            type: 'button', class: 'btn-close', 'aria-label': t('common.close'),
            onclick: () => { editorBox.replaceChildren(); setQuery({ tab: 'rules' }); },
          })),
        h('div', { class: 'row g-4' },
          h('div', { class: 'col-lg-7' },
            field({ label: t('scripts.ruleId'), control: idInput, help: t('scripts.idHelp') }),
            fileLoader(editor, idInput),
            editor.el,
            h('div', { class: 'd-flex gap-2 mt-3' }, upload),
            h('div', { class: 'mt-3' }, result),
            versionsBox),
          h('div', { class: 'col-lg-5' },
            h('h3', { class: 'h6' }, t('scripts.dryRun')),
            h('p', { class: 'small text-muted' }, t('scripts.dryRunIntro')),
            field({ label: t('scripts.function'), control: fnInput, help: t('scripts.functionHelp') }), fnData,
            field({ label: t('scripts.input'), control: input, help: t('scripts.inputHelp') }),
            run, runResult)))));
    if (detail) showVersions(detail.versions, ruleId);
    editorBox.querySelector('#rule-editor-title').focus();
  }

  return { el: panel, loadList, openRule };
}

/* ---------------- page ---------------- */

export async function render(ctx) {
  const { main, user } = ctx;
  const tenant = currentTenant(user);
  main.append(pageHeader(t('scripts.title'), t('scripts.intro', { hospital: tenant ? tenant.name : '' })));
  const base = `/api/v1/tenants/${enc(tenant.code)}`;
  const forms = formsPanel(ctx, tenant, base);
  const rules = rulesPanel(ctx, tenant, base);
  const tabs = [
    { key: 'forms', label: t('scripts.forms'), panel: forms },
    { key: 'rules', label: t('scripts.rules'), panel: rules },
  ];
  let active = ctx.query.get('tab') === 'rules' ? 'rules' : 'forms';
  const tablist = h('div', { class: 'nav nav-tabs mb-3', role: 'tablist', 'aria-label': t('scripts.title') });
  const panels = h('div', {});
  const buttons = {};
  tabs.forEach((tab) => {
    const b = h('button', {
      type: 'button', class: 'nav-link', role: 'tab', id: `tab-${tab.key}`, 'aria-controls': `panel-${tab.key}`,
    }, tab.label);
    b.addEventListener('click', () => select(tab.key, true));
    b.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const i = tabs.findIndex((x) => x.key === tab.key);
      const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
      select(next.key, true);
      buttons[next.key].focus();
    });
    buttons[tab.key] = b;
    tablist.append(b);
    panels.append(h('div', { role: 'tabpanel', id: `panel-${tab.key}`, 'aria-labelledby': `tab-${tab.key}` }, tab.panel.el));
  });
  const loaded = {};
  function select(key, userAction) {
    active = key;
    tabs.forEach((tab) => {
      const on = tab.key === key;
      buttons[tab.key].classList.toggle('active', on);
      buttons[tab.key].setAttribute('aria-selected', on ? 'true' : 'false');
      buttons[tab.key].tabIndex = on ? 0 : -1;
      document.getElementById(`panel-${tab.key}`).hidden = !on;
    });
    if (userAction) setQuery({ tab: key });
    if (!loaded[key]) {
      loaded[key] = true;
      tabs.find((x) => x.key === key).panel.loadList();
    }
  }
  main.append(tablist, panels);
  select(active, false);
  const q = ctx.query;
  if (active === 'forms' && q.get('form')) await forms.openForm(q.get('form'));
  else if (active === 'forms' && q.get('new')) await forms.openForm(null);
  else if (active === 'rules' && q.get('rule')) await rules.openRule(q.get('rule'));
  else if (active === 'rules' && q.get('new')) await rules.openRule(null);
}
