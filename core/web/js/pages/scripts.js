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

const ID_RE = /^[a-z][a-z0-9_]{0,63}$/;

const FORM_TEMPLATE = `-- Scheda anamnestica / anamnesis form (docs/scripting.md)
return {
  id = "nuova_scheda",
  title = "Nuova scheda",
  version = 1,
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

const RULE_TEMPLATE = `-- Regole dell'ospedale / the hospital's rules (docs/scripting.md)
local concerto = require "concerto"
local rules = {}

function rules.route_teleconsult(req)
  if req.urgency == "emergency" and concerto.is_night() then
    return { group = "reperibili", priority = "critical", sla_hours = 0.5, on_call = true }
  end
  return { group = req.specialty or "generale", priority = "normal", sla_hours = 72 }
end

return rules
`;

const LIB_TEMPLATE = `-- Libreria / library: require "lib.<nome>"
local M = {}

return M
`;

/* The rules the core and the loaded modules call (GET
   /api/v1/scripts/catalog), with the sample the server uses at upload: one
   argument as itself, two as an array. Loaded by render. */
let RULE_SAMPLES = {};

async function loadRuleSamples() {
  try {
    const catalog = await get('/api/v1/scripts/catalog');
    RULE_SAMPLES = Object.fromEntries((catalog.rules || []).map((r) => [
      r.name, r.sample_args.length === 1 ? r.sample_args[0] : r.sample_args]));
  } catch {
    RULE_SAMPLES = {}; /* the editor still works, without samples */
  }
}

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
        e.path ? h('span', { class: 'mono fw-semibold' }, `${e.path}: `) : null,
        h('span', { class: 'mono' }, e.message),
        line ? h('button', { type: 'button', class: 'btn btn-link btn-sm py-0', onclick: () => editor && editor.goToLine(line) },
          t('scripts.goToLine', { n: line })) : null);
    });
    if (editor) editor.markLines(lines);
    return h('div', { class: 'alert alert-danger', role: 'alert', 'data-testid': 'script-errors' },
      h('p', { class: 'mb-1 fw-semibold' }, err.code === 'script_invalid' ? t('scripts.invalid') : problemMessage(err)),
      h('ul', { class: 'mb-0' }, items));
  }
  return errorAlert(err);
}

/* A version's state as hospital IT reads it: the one doctors use, a draft
 * uploaded after it (never activated), or an older one. */
function versionState(v, versions) {
  if (v.active) return badge(t('scripts.active'), 'success');
  const active = versions.find((x) => x.active);
  if (!active || v.version > active.version) return badge(t('scripts.draft'), 'warning');
  return badge(t('scripts.inactive'), 'secondary');
}

/**
 * Activation is its own, confirmed step: doctors start using the version
 * at once. Returns false when the user declined.
 */
async function confirmActivation(url, id, version) {
  if (!window.confirm(t('scripts.confirmActivate', { id, v: version }))) return false;
  await api('POST', url, { version });
  return true;
}

/** The result of an upload: a draft, with the button that activates it. */
function uploadedDraft(text, version, onActivate) {
  const button = h('button', { type: 'button', class: 'btn btn-sm btn-success mt-2', 'data-testid': 'activate-draft' },
    t('scripts.activateVersion', { v: version }));
  button.addEventListener('click', () => onActivate(version, button));
  return h('div', { class: 'alert alert-info', role: 'status' },
    h('p', { class: 'mb-1' }, text),
    h('p', { class: 'small mb-0' }, t('scripts.draftNote')),
    button);
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
          h('td', {}, versionState(v, versions)),
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
              h('td', {}, String(f.version ?? '—'),
                f.latest_version && String(f.latest_version) !== String(f.version ?? '')
                  ? h('span', { class: 'd-block small text-muted' }, t('scripts.latest', { v: f.latest_version })) : null),
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
      pattern: '[a-z][a-z0-9_]{0,63}', required: true,
    });
    const editor = codeEditor({ label: t('scripts.source'), value: detail ? detail.source || '' : FORM_TEMPLATE });
    const result = h('div', { 'aria-live': 'polite', 'data-testid': 'upload-result' });
    const upload = h('button', { type: 'button', class: 'btn btn-primary' }, t('scripts.upload'));
    const previewBox = h('div', { 'data-testid': 'form-preview' });
    const versionsBox = h('div', {});
    const validateResult = h('div', { 'aria-live': 'polite', 'data-testid': 'validate-result' });
    let preview = null;
    // The stored version the preview shows and checks against: the draft
    // just uploaded, or the version opened.
    let shownVersion = detail ? detail.version : null;

    function showPreview(form) {
      validateResult.replaceChildren();
      check.classList.toggle('d-none', !form);
      if (!form) {
        previewBox.replaceChildren(h('p', { class: 'text-muted' }, t('scripts.previewEmpty')));
        preview = null;
        return;
      }
      const previewVersion = shownVersion;
      preview = renderForm(form, {
        idPrefix: `pv-${form.id || 'form'}`,
        version: previewVersion,
        // The draft's own Lua decides what shows, not what doctors use.
        evaluate: (values) => api('POST', `${base}/forms/${enc(form.id)}/evaluate`,
          previewVersion ? { values, version: previewVersion } : { values }),
      });
      previewBox.replaceChildren(preview.el);
    }
    async function activateVersion(id, version, btn) {
      submitBusy(btn, true);
      try {
        if (!await confirmActivation(`${base}/forms/${enc(id)}/activate`, id, version)) {
          submitBusy(btn, false);
          return;
        }
        announce(t('scripts.activated', { v: version }));
        await loadList();
        await openForm(id);
        const area = editorBox.querySelector('[data-testid="upload-result"]');
        if (area) area.replaceChildren(alertBox('success', t('scripts.activated', { v: version })));
      } catch (err) {
        submitBusy(btn, false);
        result.replaceChildren(scriptErrors(err, editor, limit));
      }
    }
    function showVersions(versions, id) {
      versionsBox.replaceChildren(versionsTable(versions, (version, btn) => activateVersion(id, version, btn)) || '');
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
        const text = t('scripts.uploaded', { id, v: res.version });
        shownVersion = res.version;
        result.replaceChildren(res.active ? alertBox('success', text)
          : uploadedDraft(text, res.version, (v, btn) => activateVersion(id, v, btn)));
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

    const isActive = detail && (detail.versions || []).some((v) => v.active);
    const deactivate = h('button', { type: 'button', class: ['btn btn-outline-danger', isActive ? '' : 'd-none'] }, t('scripts.deactivate'));
    deactivate.addEventListener('click', async () => {
      const id = idInput.value.trim();
      if (!window.confirm(t('scripts.confirmDeactivate', { id }))) return;
      submitBusy(deactivate, true);
      try {
        await api('DELETE', `${base}/forms/${enc(id)}`);
        announce(t('scripts.deactivated', { id }));
        await loadList();
        await openForm(id);
        const area = editorBox.querySelector('[data-testid="upload-result"]');
        if (area) area.replaceChildren(alertBox('success', t('scripts.deactivated', { id })));
      } catch (err) {
        submitBusy(deactivate, false);
        result.replaceChildren(errorAlert(err));
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
        const body = { values: preview.values() };
        if (shownVersion) body.version = shownVersion; // the draft, not what doctors use
        const res = await api('POST', `${base}/forms/${enc(id)}/validate`, body);
        if (res && res.values) preview.setComputed(res.values);
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
            h('div', { class: 'd-flex flex-wrap gap-2 mt-3' }, upload, deactivate),
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

/**
 * Rules (one script per hospital, named "rules", with a dry run) and
 * libraries (any number, `require "lib.<name>"`, no dry run).
 */
function scriptPanel(ctx, base, kind) {
  const isRules = kind === 'rules';
  const K = isRules
    ? { title: 'scripts.rules', none: 'scripts.noRules', add: 'scripts.newRule', idLabel: 'scripts.ruleId', edit: 'scripts.editRule', uploaded: 'scripts.uploadedRule', open: 'scripts.openRule', template: RULE_TEMPLATE }
    : { title: 'scripts.libs', none: 'scripts.noLibs', add: 'scripts.newLib', idLabel: 'scripts.libId', edit: 'scripts.editLib', uploaded: 'scripts.uploadedLib', open: 'scripts.openLib', template: LIB_TEMPLATE };
  const panel = h('div', {});
  const titleId = `${kind}-title`;
  const list = h('section', { 'aria-labelledby': titleId }, loading());
  const editorBox = h('div', {});
  panel.append(list, editorBox);
  let existing = [];

  async function loadList() {
    let data;
    try {
      data = await get(`${base}/${kind}`);
    } catch (err) {
      list.replaceChildren(h('h2', { class: 'h5', id: titleId }, t(K.title)),
        err.status === 404 ? alertBox('warning', t('scripts.unavailable')) : errorAlert(err));
      return;
    }
    if (!ctx.alive()) return;
    const rows = data[kind] || [];
    existing = rows.map((r) => r.rule_id || r.id);
    list.replaceChildren(
      h('div', { class: 'd-flex flex-wrap justify-content-between align-items-center gap-2 mb-2' },
        h('h2', { class: 'h5 mb-0', id: titleId }, t(K.title)),
        isRules && rows.length ? null
          : h('button', { type: 'button', class: 'btn btn-primary btn-sm', onclick: () => openScript(null) }, t(K.add))),
      isRules ? h('p', { class: 'small text-muted' }, t('scripts.rulesIntro'))
        : h('p', { class: 'small text-muted' }, t('scripts.libsIntro')),
      rows.length
        ? h('div', { class: 'table-responsive' },
          h('table', { class: 'table table-hover bg-white', 'data-testid': `${kind}-table` },
            h('thead', {}, h('tr', {},
              [K.idLabel, 'scripts.version', 'scripts.state', 'scripts.updated'].map((k) => h('th', { scope: 'col' }, t(k))),
              h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
            h('tbody', {}, rows.map((r) => {
              const id = r.rule_id || r.id;
              return h('tr', { 'data-script': id, 'data-rule': isRules ? id : null },
                h('td', { class: 'mono' }, id),
                h('td', {}, String(r.version ?? '—'),
                  r.latest_version && String(r.latest_version) !== String(r.version ?? '')
                    ? h('span', { class: 'd-block small text-muted' }, t('scripts.latest', { v: r.latest_version })) : null),
                h('td', {}, r.active ? badge(t('scripts.active'), 'success') : badge(t('scripts.inactive'), 'secondary')),
                h('td', { class: 'small' }, formatDate(r.updated_at, language())),
                h('td', { class: 'text-end' }, h('button', {
                  type: 'button', class: 'btn btn-sm btn-outline-primary',
                  'aria-label': t(K.open, { id }), onclick: () => openScript(id),
                }, t('scripts.open'))));
            }))))
        : h('p', { class: 'text-muted' }, t(K.none)));
  }

  async function openScript(scriptId) {
    const q = { tab: kind };
    if (scriptId) q.id = scriptId; else q.new = '1';
    setQuery(q);
    editorBox.replaceChildren(loading());
    let detail = null;
    if (scriptId) {
      try {
        detail = await get(`${base}/${kind}/${enc(scriptId)}`);
      } catch (err) {
        editorBox.replaceChildren(errorAlert(err));
        return;
      }
    }
    if (!ctx.alive()) return;
    const fixedId = isRules ? 'rules' : scriptId;
    const idInput = h('input', {
      class: 'form-control mono', value: fixedId || '', readonly: !!fixedId, autocomplete: 'off', spellcheck: 'false',
      pattern: '[a-z][a-z0-9_]{0,63}', required: true,
    });
    let uploaded = !!scriptId;
    // The stored version the dry run tries: the draft just uploaded, or the
    // version opened (the active one, else the latest).
    let triedVersion = detail ? detail.version : null;
    const editor = codeEditor({ label: t('scripts.source'), value: detail ? detail.source || '' : K.template });
    const result = h('div', { 'aria-live': 'polite', 'data-testid': 'upload-result' });
    const upload = h('button', { type: 'button', class: 'btn btn-primary' }, t('scripts.upload'));
    const versionsBox = h('div', {});
    const editorTitleId = `${kind}-editor-title`;

    async function activateVersion(id, version, btn) {
      submitBusy(btn, true);
      try {
        if (!await confirmActivation(`${base}/${kind}/${enc(id)}/activate`, id, version)) {
          submitBusy(btn, false);
          return;
        }
        announce(t('scripts.activated', { v: version }));
        await loadList();
        await openScript(id);
        const area = editorBox.querySelector('[data-testid="upload-result"]');
        if (area) area.replaceChildren(alertBox('success', t('scripts.activated', { v: version })));
      } catch (err) {
        submitBusy(btn, false);
        result.replaceChildren(scriptErrors(err, editor));
      }
    }
    function showVersions(versions, id) {
      versionsBox.replaceChildren(versionsTable(versions, (version, btn) => activateVersion(id, version, btn)) || '');
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
        const res = await api('PUT', `${base}/${kind}/${enc(id)}`, { source: editor.value() });
        const text = t(K.uploaded, { id, v: res.version });
        triedVersion = res.version;
        result.replaceChildren(res.active ? alertBox('success', text)
          : uploadedDraft(text, res.version, (v, btn) => activateVersion(id, v, btn)));
        announce(text);
        idInput.readOnly = true;
        uploaded = true;
        editorBox.querySelector(`#${editorTitleId}`).textContent = t(K.edit, { id });
        setQuery({ tab: kind, id });
        loadList();
        if (refreshFns) refreshFns();
        try {
          const d = await get(`${base}/${kind}/${enc(id)}`);
          showVersions(d.versions, id);
        } catch { /* ignore */ }
      } catch (err) {
        result.replaceChildren(scriptErrors(err, editor));
      } finally {
        submitBusy(upload, false);
      }
    });

    let refreshFns = null;
    let side = null;
    if (isRules) {
      const fnList = newId('fns');
      const fnInput = h('input', { class: 'form-control mono', list: fnList, autocomplete: 'off', spellcheck: 'false' });
      const fnData = h('datalist', { id: fnList });
      const input = h('textarea', { class: 'form-control json-input', rows: '8', spellcheck: 'false' });
      // The sample follows the chosen function until the user edits it.
      let autoSample = '';
      const setSample = () => {
        const sample = RULE_SAMPLES[fnInput.value.trim()];
        if (sample === undefined || (input.value.trim() && input.value !== autoSample)) return;
        autoSample = JSON.stringify(sample, null, 2);
        input.value = autoSample;
      };
      fnInput.addEventListener('input', setSample);
      refreshFns = () => {
        const fns = [...new Set([...Object.keys(RULE_SAMPLES), ...functionsIn(editor.value())])];
        fnData.replaceChildren(...fns.map((f) => h('option', { value: f })));
        if (!fnInput.value) {
          fnInput.value = functionsIn(editor.value()).find((f) => f in RULE_SAMPLES)
            || Object.keys(RULE_SAMPLES)[0] || '';
          setSample();
        }
      };
      editor.textarea.addEventListener('change', refreshFns);
      refreshFns();
      const run = h('button', { type: 'button', class: 'btn btn-outline-primary' }, t('scripts.run'));
      const runResult = h('div', { 'aria-live': 'polite', 'data-testid': 'dryrun-result', class: 'mt-3' });
      run.addEventListener('click', async () => {
        runResult.replaceChildren();
        editor.markLines([]);
        input.classList.remove('is-invalid');
        if (!uploaded) {
          runResult.replaceChildren(alertBox('warning', t('scripts.uploadFirst')));
          return;
        }
        let sample;
        try {
          sample = JSON.parse(input.value || '{}');
        } catch (e) {
          input.classList.add('is-invalid');
          runResult.replaceChildren(alertBox('danger', t('scripts.badJson', { detail: e.message })));
          input.focus();
          return;
        }
        submitBusy(run, true);
        try {
          // One argument as "input", two (an array) as "args".
          const body = { function: fnInput.value.trim() };
          if (Array.isArray(sample)) body.args = sample;
          else body.input = sample;
          if (triedVersion) body.version = triedVersion; // the editor's version, not the active one
          const res = await api('POST', `${base}/rules/rules/test`, body);
          const decided = res.result !== null && res.result !== undefined;
          // replaceChildren writes a null child as the text "null": filter.
          runResult.replaceChildren(...[
            h('p', { class: 'text-success fw-semibold mb-1' },
              triedVersion ? t('scripts.runOkVersion', { v: triedVersion }) : t('scripts.runOk')),
            res.defaulted ? h('p', { class: 'small mb-1' }, t('scripts.defaulted')) : null,
            decided ? h('pre', { class: 'result mono', 'data-testid': 'dryrun-output' }, JSON.stringify(res.result, null, 2))
              : h('p', { class: 'mb-0', 'data-testid': 'dryrun-nothing' }, t('scripts.runNoDecision')),
          ].filter(Boolean));
          announce(t('scripts.runOk'));
        } catch (err) {
          const line = errorLine({ line: err.problem.line, message: err.detail });
          if (line) editor.markLines([line]);
          runResult.replaceChildren(h('div', { class: 'alert alert-danger', role: 'alert', 'data-testid': 'dryrun-error' },
            h('p', { class: 'fw-semibold mb-1' }, line ? t('scripts.runErrorLine', { n: line }) : t('scripts.runError')),
            h('pre', { class: 'mb-1 mono text-wrap' }, err.detail || problemMessage(err)),
            err.errors && err.errors.length ? h('ul', { class: 'mb-1' }, err.errors.map((x) => h('li', {}, `${x.field}: ${x.message}`))) : null,
            line ? h('button', { type: 'button', class: 'btn btn-sm btn-outline-danger', onclick: () => editor.goToLine(line) },
              t('scripts.goToLine', { n: line })) : null));
        } finally {
          submitBusy(run, false);
        }
      });
      side = h('div', { class: 'col-lg-5' },
        h('h3', { class: 'h6' }, t('scripts.dryRun')),
        h('p', { class: 'small text-muted' }, t('scripts.dryRunIntro')),
        field({ label: t('scripts.function'), control: fnInput, help: t('scripts.functionHelp') }), fnData,
        field({ label: t('scripts.input'), control: input, help: t('scripts.inputHelp') }),
        run, runResult);
    }

    editorBox.replaceChildren(h('section', { class: 'card mt-4', 'aria-labelledby': editorTitleId },
      h('div', { class: 'card-body' },
        h('div', { class: 'd-flex justify-content-between align-items-center mb-3' },
          h('h2', { class: 'h5 mb-0', id: editorTitleId, tabindex: '-1' },
            scriptId ? t(K.edit, { id: scriptId }) : t(K.add)),
          h('button', {
            type: 'button', class: 'btn-close', 'aria-label': t('common.close'),
            onclick: () => { editorBox.replaceChildren(); setQuery({ tab: kind }); },
          })),
        h('div', { class: 'row g-4' },
          h('div', { class: side ? 'col-lg-7' : 'col-12' },
            field({ label: t(K.idLabel), control: idInput, help: isRules ? t('scripts.rulesIdHelp') : t('scripts.libIdHelp') }),
            fileLoader(editor, isRules ? null : idInput),
            editor.el,
            h('div', { class: 'd-flex gap-2 mt-3' }, upload),
            h('div', { class: 'mt-3' }, result),
            versionsBox),
          side))));
    if (detail) showVersions(detail.versions, scriptId);
    editorBox.querySelector(`#${editorTitleId}`).focus();
  }

  return { el: panel, loadList, openScript, existing: () => existing };
}

/* ---------------- page ---------------- */

export async function render(ctx) {
  const { main, user } = ctx;
  await loadRuleSamples();
  const tenant = currentTenant(user);
  main.append(pageHeader(t('scripts.title'), t('scripts.intro', { hospital: tenant ? tenant.name : '' })));
  const base = `/api/v1/tenants/${enc(tenant.code)}`;
  const forms = formsPanel(ctx, tenant, base);
  const rules = scriptPanel(ctx, base, 'rules');
  const libs = scriptPanel(ctx, base, 'libs');
  const tabs = [
    { key: 'forms', label: t('scripts.forms'), panel: forms },
    { key: 'rules', label: t('scripts.rules'), panel: rules },
    { key: 'libs', label: t('scripts.libs'), panel: libs },
  ];
  let active = ['rules', 'libs'].includes(ctx.query.get('tab')) ? ctx.query.get('tab') : 'forms';
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
  else if (active !== 'forms' && q.get('id')) await (active === 'rules' ? rules : libs).openScript(q.get('id'));
  else if (active !== 'forms' && q.get('new')) await (active === 'rules' ? rules : libs).openScript(null);
}
