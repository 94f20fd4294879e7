// Stand-ins inside the browser (page.route) for server APIs that are being
// built: the forms/rules API of hospital IT, following its documented
// contract. Used by editor-stub.test.mjs and docs-images.mjs.

const TENANT = 'AOUP-PA';

// What the core renders from fixtures/scompenso.lua (per the contract).
export const SCOMPENSO_FORM = {
  id: 'scompenso',
  title: 'Scompenso cardiaco - follow-up',
  version: 1,
  description: 'Scheda di prova dei test nel browser.',
  sections: [
    {
      id: 'parametri',
      title: 'Parametri',
      fields: [
        { id: 'peso', type: 'number', label: 'Peso', unit: 'kg', min: 2, max: 300, step: 0.10000000000000001, required: true },
        { id: 'altezza', type: 'integer', label: 'Altezza', unit: 'cm', min: 30, max: 250, required: true },
        { id: 'bmi', type: 'computed', label: 'Indice di massa corporea', unit: 'kg/m²', required: false, read_only: true },
        { id: 'ultimo_ricovero', type: 'date', label: "Data dell'ultimo ricovero", max: 'today' },
      ],
    },
    {
      id: 'anamnesi',
      title: 'Anamnesi',
      fields: [
        { id: 'fumatore', type: 'boolean', label: 'Fumatore' },
        { id: 'sigarette', type: 'integer', label: 'Sigarette al giorno', min: 0, max: 100, visible_if: { field: 'fumatore', equals: true } },
        {
          id: 'nyha', type: 'single_choice', label: 'Classe NYHA', required: true,
          choices: [{ value: 'I', label: 'I - nessuna limitazione' }, { value: 'II', label: 'II - lieve' },
            { value: 'III', label: 'III - marcata' }, { value: 'IV', label: 'IV - a riposo' }],
        },
        {
          id: 'sintomi', type: 'multiple_choice', label: 'Sintomi',
          choices: [{ value: 'dispnea', label: 'Dispnea' }, { value: 'palpitazioni', label: 'Palpitazioni' }, { value: 'edemi', label: 'Edemi declivi' }],
        },
        { id: 'dolore', type: 'scale', label: 'Dolore toracico', min: 0, max: 10, labels: { min: 'nessuno', max: 'il peggiore' } },
        { id: 'terapia', type: 'long_text', label: 'Terapia in corso', help: 'Farmaci e dosaggi' },
        { id: 'curante', type: 'text', label: 'Medico curante' },
      ],
    },
  ],
};

/** A stand-in for the forms/rules API, following the documented contract. */
export async function fakeScriptsApi(page) {
  const forms = new Map(); // id -> {versions: [{version, source, form, active, created_at}]}
  const rules = new Map();
  const limit = 15;
  const now = () => new Date().toISOString();
  const activeCount = () => [...forms.values()].filter((f) => f.versions.some((v) => v.active)).length;
  const json = (route, status, body) => route.fulfill({
    status, contentType: status >= 400 ? 'application/problem+json' : 'application/json', body: JSON.stringify(body),
  });
  const activeOf = (entry) => entry.versions.find((v) => v.active) || entry.versions[entry.versions.length - 1];
  const put = (store, id, source, render) => {
    const entry = store.get(id) || { versions: [] };
    entry.versions.forEach((v) => { v.active = false; });
    const version = entry.versions.length + 1;
    entry.versions.push({ version, source, form: render && render(version), active: true, created_at: now() });
    store.set(id, entry);
    return { entry, version };
  };
  const csrfOk = (route) => Boolean(route.request().headers()['x-csrf-token']);

  await page.route(`**/api/v1/tenants/${TENANT}/forms**`, async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const parts = url.pathname.split('/').slice(6); // after /api/v1/tenants/CODE/forms
    const method = req.method();
    if (method !== 'GET' && !csrfOk(route)) return json(route, 403, { code: 'csrf_failed', detail: 'no CSRF token' });
    if (!parts.length && method === 'GET') {
      return json(route, 200, {
        forms: [...forms.entries()].map(([id, e]) => {
          const a = activeOf(e);
          return { form_id: id, title: a.form.title, version: a.version, active: a.active, updated_at: a.created_at };
        }),
        active_count: activeCount(),
        limit,
      });
    }
    const id = parts[0];
    const body = req.postDataJSON ? (() => { try { return req.postDataJSON(); } catch { return null; } })() : null;
    if (parts.length === 1 && method === 'GET') {
      const e = forms.get(id);
      if (!e) return json(route, 404, { code: 'not_found', detail: 'No such form.' });
      const a = activeOf(e);
      return json(route, 200, {
        form_id: id, version: a.version, source: a.source, form: a.form,
        versions: e.versions.map((v) => ({ version: v.version, active: v.active, created_at: v.created_at })),
      });
    }
    if (parts.length === 1 && method === 'PUT') {
      const source = body.source || '';
      if (source.includes('Scheda con errore')) {
        return json(route, 422, {
          code: 'script_invalid', detail: 'The script does not compile.',
          errors: [{ field: 'source', message: `${id}.lua:9: '}' expected (to close '{' at line 7) near '{'`, line: 9 }],
        });
      }
      if (!forms.has(id) && activeCount() >= limit) {
        return json(route, 409, { code: 'form_limit_reached', detail: `This hospital has ${limit} active forms already.` });
      }
      const title = (source.match(/title\s*=\s*"([^"]*)"/) || [])[1] || id;
      const render = () => (id === 'scompenso'
        ? { ...SCOMPENSO_FORM, title }
        : { id, title, version: 1, sections: [{ id: 's', title: 'Sezione', fields: [{ id: 'nota', type: 'text', label: 'Nota' }] }] });
      const isNew = !forms.has(id);
      const { entry, version } = put(forms, id, source, render);
      return json(route, isNew ? 201 : 200, { form_id: id, version, form: entry.versions[version - 1].form });
    }
    if (parts[1] === 'activate' && method === 'POST') {
      const e = forms.get(id);
      e.versions.forEach((v) => { v.active = v.version === body.version; });
      return json(route, 200, { form_id: id, version: body.version });
    }
    if (parts[1] === 'validate' && method === 'POST') {
      const v = body.values || {};
      const errors = [];
      if (v.peso === undefined) errors.push({ field: 'peso', message: 'This field is required', code: 'required' });
      else if (v.peso > 300) errors.push({ field: 'peso', message: 'Must be at most 300', code: 'max' });
      if (!v.nyha) errors.push({ field: 'nyha', message: 'This field is required', code: 'required' });
      if (v.ultimo_ricovero === '2000-01-01') errors.push({ field: 'ultimo_ricovero', message: 'Troppo vecchio', code: 'custom' });
      const bmi = v.peso && v.altezza ? Math.round((v.peso / (v.altezza / 100) ** 2) * 10) / 10 + 1e-15 : undefined;
      return errors.length ? json(route, 422, { code: 'validation_failed', errors })
        : json(route, 200, { valid: true, version: 1, values: { ...v, bmi } });
    }
    return json(route, 404, { code: 'not_found' });
  });

  // The rules the loaded modules declare, as the server lists them.
  await page.route('**/api/v1/scripts/catalog', (route) => json(route, 200, {
    rules: [
      { name: 'route_teleconsult', owner: 'teleconsult', description: '', default_decision: {},
        sample_args: [{ specialty: 'cardiologia', urgency: 'emergency', reason: 'dolore toracico' }] },
      { name: 'on_event', owner: 'core', description: '', default_decision: { actions: [] },
        sample_args: ['teleconsult.closed', {}] },
    ],
    functions: [],
  }));

  await page.route(`**/api/v1/tenants/${TENANT}/rules**`, async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const parts = url.pathname.split('/').slice(6);
    const method = req.method();
    if (method !== 'GET' && !csrfOk(route)) return json(route, 403, { code: 'csrf_failed' });
    const body = (() => { try { return req.postDataJSON(); } catch { return null; } })();
    if (!parts.length) {
      return json(route, 200, {
        rules: [...rules.entries()].map(([id, e]) => {
          const a = activeOf(e);
          return { rule_id: id, version: a.version, active: a.active, updated_at: a.created_at };
        }),
      });
    }
    const id = parts[0];
    if (parts.length === 1 && method === 'GET') {
      const e = rules.get(id);
      const a = activeOf(e);
      return json(route, 200, {
        rule_id: id, version: a.version, source: a.source,
        versions: e.versions.map((v) => ({ version: v.version, active: v.active, created_at: v.created_at })),
      });
    }
    if (parts.length === 1 && method === 'PUT') {
      if (id !== 'rules') return json(route, 404, { code: 'not_found', detail: 'A hospital has one rules script, named "rules".' });
      const { version } = put(rules, id, body.source);
      return json(route, version === 1 ? 201 : 200, { rule_id: id, version });
    }
    if (parts[1] === 'test' && method === 'POST') {
      const input = body.input || {};
      if (body.function !== 'route_teleconsult') return json(route, 422, { code: 'script_error', detail: `no function ${body.function}` });
      if (input.urgency === 'emergency' && !input.patient) {
        return json(route, 422, {
          code: 'script_error', detail: `${TENANT}/rules.lua:7: attempt to index a nil value (field 'patient')`, line: 7,
        });
      }
      return json(route, 200, { result: { group: input.specialty || 'generale', priority: 'normal', sla_hours: 72 }, defaulted: false });
    }
    return json(route, 404, { code: 'not_found' });
  });
}
