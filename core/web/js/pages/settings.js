// Per-hospital settings that modules declare (consent texts, limits) and
// the core's own (the video platform, module "video"): one form row per
// setting, saved one at a time.
import { h, field, newId } from '../dom.js';
import { t, language } from '../i18n.js';
import { api, get, enc } from '../api.js';
import { announce, adminTenants } from '../shell.js';
import {
  pageHeader, messageArea, applyFieldErrors, clearFieldErrors, submitBusy, tenantPicker, alertBox, badge,
} from '../ui.js';

function control(s) {
  const id = newId('set');
  if (s.secret) {
    // A secret (the video platform's shared key) is never sent back by the
    // server: the field starts empty and says whether one is set.
    const input = h('input', {
      class: 'form-control', id, type: 'password', autocomplete: 'new-password', value: '',
      placeholder: t(s.customized ? 'settings.secretSet' : 'settings.secretUnset'),
    });
    input.read = () => input.value;
    return input;
  }
  if (s.type === 'boolean') {
    const box = h('input', { class: 'form-check-input', type: 'checkbox', id, checked: s.value === 'true' });
    box.read = () => box.checked;
    return box;
  }
  const input = h('input', {
    class: 'form-control', id, autocomplete: 'off', value: s.value ?? '',
    type: s.type === 'integer' ? 'number' : 'text',
    min: s.type === 'integer' ? String(s.min) : null,
    max: s.type === 'integer' ? String(s.max) : null,
  });
  input.read = () => (s.type === 'integer' ? Number(input.value) : input.value);
  return input;
}

function settingRow(code, s) {
  const label = (language() === 'en' ? s.label_en : s.label_it) || s.label_it || s.key;
  const value = control(s);
  const msg = messageArea();
  const save = h('button', { type: 'submit', class: 'btn btn-sm btn-primary' }, t('common.save'));
  const help = [s.help, s.type === 'integer' ? t('settings.range', { min: s.min, max: s.max }) : null,
    s.default != null ? t('settings.default', { value: s.default }) : null].filter(Boolean).join(' · ');
  const body = s.type === 'boolean'
    ? h('div', { class: 'form-check' }, value, h('label', { class: 'form-check-label', for: value.id }, label))
    : field({ label, control: value, help });
  const form = h('form', { novalidate: true, class: 'border rounded p-3 mb-3 bg-white setting-row', 'data-key': `${s.module}.${s.key}` },
    h('div', { class: 'd-flex justify-content-between align-items-start' },
      h('div', { class: 'flex-grow-1 me-3' }, body),
      h('div', {}, badge(s.module, 'secondary'), ' ', s.customized ? badge(t('settings.customized'), 'info') : null)),
    msg.el, save);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors({ value });
    msg.clear();
    submitBusy(save, true);
    try {
      await api('PUT', `/api/v1/tenants/${enc(code)}/settings/${enc(s.module)}/${enc(s.key)}`, { value: value.read() });
      if (s.secret) {
        value.value = '';
        value.placeholder = t('settings.secretSet');
      }
      msg.ok(t('settings.saved', { setting: label }));
      announce(t('settings.saved', { setting: label }));
    } catch (err) {
      const rest = applyFieldErrors({ value }, err);
      if (err.status !== 422 || rest.length) msg.error(err);
    } finally {
      submitBusy(save, false);
    }
  });
  return form;
}

export async function render(ctx) {
  const { main, user } = ctx;
  main.append(pageHeader(t('settings.title'), t('settings.intro')));
  const tenants = adminTenants(user);
  if (!tenants.length) {
    main.append(h('p', {}, t('users.noHospitals')));
    return;
  }
  let code = (tenants.find((x) => x.code === user.current_tenant) || tenants[0]).code;
  const picker = tenantPicker(tenants, code, (c) => { code = c; draw(); });
  const body = h('div', {});
  main.append(picker.el, body);
  async function draw() {
    const drawing = code;
    const data = await get(`/api/v1/tenants/${enc(drawing)}/settings`);
    if (!ctx.alive() || drawing !== code) return;
    body.replaceChildren(...(data.settings.length
      ? data.settings.map((s) => settingRow(drawing, s))
      : [alertBox('info', t('settings.none'))]));
  }
  await draw();
}
