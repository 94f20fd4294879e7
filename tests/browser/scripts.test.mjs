// Hospital IT's Lua forms and rules editor against the REAL server API
// (GET/PUT /api/v1/tenants/{code}/forms..., rules/rules, validate,
// activate, test; docs/scripting.md): uploads are drafts, previews and dry
// runs use the draft, activation is a separate confirmed step.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startServer, launchBrowser, newPage, login, shot, apiSession, unlabelledControls, missingTranslations, onConfirm,
} from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name) => readFileSync(path.join(here, 'fixtures', name), 'utf8');
const TENANT = 'AOUP-PA';

let server;
let browser;
let base;
let itApi;
let doctorApi;

async function done(page) {
  assert.deepEqual(await missingTranslations(page), [], 'every text has a translation');
  assert.deepEqual(page.problems, [], 'no script errors or CSP violations');
  await page.context().close();
}

function see(page, text) {
  return page.locator('main').getByText(text).first().waitFor();
}

async function requireApi(kind) {
  const r = await itApi.call('GET', `/api/v1/tenants/${TENANT}/${kind}`);
  assert.equal(r.status, 200, `${kind} API missing in the server: GET /api/v1/tenants/${TENANT}/${kind} answered ${r.status}`);
  return r.body;
}

async function openScripts(page, tab) {
  await page.locator('#admin-menu-button').click();
  await page.getByRole('link', { name: 'Schede e regole (Lua)', exact: true }).click();
  await page.getByRole('heading', { name: 'Schede e regole', exact: true }).waitFor();
  if (tab) await page.getByRole('tab', { name: tab }).click();
}

describe('forms and rules editor against the server API', { timeout: 600000 }, () => {
  before(async () => {
    server = await startServer({ name: 'scripts' });
    base = server.url;
    browser = await launchBrowser();
    itApi = await apiSession(base, 'it.pa');
    doctorApi = await apiSession(base, 'cardio.pa');
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('shows syntax errors with their line, uploads a form as a draft, previews it, activates it', async () => {
    await requireApi('forms');
    const page = await newPage(browser);
    await login(page, base, 'it.pa');
    await openScripts(page);
    await page.getByTestId('forms-counter').waitFor();
    await page.getByRole('button', { name: 'Nuova scheda' }).click();
    await page.getByLabel('Identificativo della scheda').fill('broken');
    await page.getByLabel('Codice Lua').fill(fixture('broken_form.lua'));
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    const errors = page.getByTestId('script-errors');
    await errors.waitFor();
    assert.match(await errors.innerText(), /Riga 9/);
    assert.deepEqual(await page.locator('.code-gutter div.error').allInnerTexts(), ['9']);
    await page.getByRole('button', { name: 'Vai alla riga 9' }).first().click();
    const caretLine = await page.evaluate(() => {
      const ta = document.activeElement;
      return ta.value.slice(0, ta.selectionStart).split('\n').length;
    });
    assert.equal(caretLine, 9);
    await shot(page, 'it-forms-syntax-error');

    const counter = await page.getByTestId('forms-counter').innerText();
    await page.getByLabel('Identificativo della scheda').fill('scompenso');
    await page.getByLabel('Codice Lua').fill(fixture('scompenso.lua'));
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    await see(page, /Scheda scompenso: versione \d+ caricata come bozza\./);
    const draft = Number((await page.getByTestId('activate-draft').innerText()).match(/\d+/)[0]);
    // A draft: doctors cannot fill it yet, the counter of active forms did not move.
    assert.equal((await doctorApi.call('POST', `/api/v1/tenants/${TENANT}/forms/scompenso/validate`, { values: {} })).status, 404);
    await page.locator('tr[data-form="scompenso"]').waitFor();
    assert.equal(await page.getByTestId('forms-counter').innerText(), counter);
    const preview = page.getByTestId('form-preview');
    await preview.getByText(`Versione ${draft}`, { exact: true }).waitFor(); // the stored number, as in the table
    await preview.getByText('Scompenso cardiaco - follow-up', { exact: true }).waitFor();
    const types = await preview.locator('[data-type]').evaluateAll((els) => [...new Set(els.map((e) => e.dataset.type))]);
    for (const type of ['number', 'integer', 'computed', 'date', 'boolean', 'choice', 'multi_choice', 'scale', 'long_text', 'text']) {
      assert.ok(types.includes(type), `preview renders a ${type} field (got ${types})`);
    }
    assert.equal(await preview.locator('[data-type="unknown"]').count(), 0, 'every field type is known to the preview');
    await preview.getByLabel(/^Peso/).waitFor();
    await preview.getByText('kg', { exact: true }).waitFor();
    // Conditional visibility: cigarettes only for smokers.
    assert.equal(await preview.getByLabel(/^Sigarette al giorno/).isVisible(), false);
    await preview.getByLabel('Fumatore').check();
    assert.equal(await preview.getByLabel(/^Sigarette al giorno/).isVisible(), true);
    assert.deepEqual(await unlabelledControls(page), []);
    await page.locator('tr[data-form="scompenso"]').waitFor();

    // Server-side validation of sample values, messages on the fields.
    await preview.getByLabel(/^Peso/).fill('500');
    await page.getByRole('button', { name: 'Verifica i valori inseriti' }).click();
    await page.getByTestId('validate-result').getByRole('alert').waitFor();
    assert.equal(await preview.getByLabel(/^Peso/).getAttribute('aria-invalid'), 'true');
    await preview.getByText('Il valore massimo è 300.').waitFor(); // the server's code, translated
    await shot(page, 'it-forms-preview');
    // Valid values: the server's computed BMI appears in the preview.
    await preview.getByLabel(/^Peso/).fill('72.5');
    await preview.getByLabel(/^Altezza/).fill('175');
    await preview.getByLabel('II - lieve').check();
    await page.getByRole('button', { name: 'Verifica i valori inseriti' }).click();
    await page.getByTestId('validate-result').getByText('I valori sono validi.').waitFor();
    assert.equal(await preview.getByLabel(/^Indice di massa corporea/).inputValue(), '23.7');
    await shot(page, 'it-forms-draft');

    // Activation is a separate, confirmed step; declining changes nothing.
    let asked = onConfirm(page, false);
    await page.getByTestId('activate-draft').click();
    assert.match(await asked, new RegExp(`Attivare la versione ${draft} di scompenso\\?`));
    assert.equal((await doctorApi.call('POST', `/api/v1/tenants/${TENANT}/forms/scompenso/validate`, { values: {} })).status, 404);
    asked = onConfirm(page, true);
    await page.getByTestId('activate-draft').click();
    await asked;
    await see(page, `Versione ${draft} attivata.`);
    assert.equal((await doctorApi.call('POST', `/api/v1/tenants/${TENANT}/forms/scompenso/validate`, { values: {} })).status, 422,
      'the active form now answers doctors (field errors for an empty submission)');

    // A second version is a draft beside the active one: doctors keep the first.
    await page.getByLabel('Codice Lua').fill(fixture('scompenso.lua').replace('title = "Scompenso cardiaco - follow-up"', 'title = "Scompenso cardiaco (v2)"'));
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    await preview.getByText('Scompenso cardiaco (v2)').waitFor();
    await preview.getByText(`Versione ${draft + 1}`, { exact: true }).waitFor();
    await page.locator(`[data-testid="versions-table"] tr[data-version="${draft + 1}"]`, { hasText: 'bozza' }).waitFor();
    await page.locator(`[data-testid="versions-table"] tr[data-version="${draft}"]`, { hasText: 'attiva' }).waitFor();
    const detail = await doctorApi.call('GET', `/api/v1/tenants/${TENANT}/forms/scompenso`);
    assert.equal(detail.body.version, draft, 'doctors still get the active version');
    assert.equal(detail.body.form.title, 'Scompenso cardiaco - follow-up');
    await shot(page, 'it-forms-versions');
    await done(page);
  });

  it('refuses the 16th active form with a readable message', async () => {
    const list = await requireApi('forms');
    const limit = list.limit || 15;
    let active = list.active_count;
    for (let i = 1; active < limit; i++) {
      const id = `extra_${i}`;
      const r = await itApi.call('PUT', `/api/v1/tenants/${TENANT}/forms/${id}`, { source: fixture('small_form.lua.in').replaceAll('@ID@', id), activate: true });
      assert.ok([200, 201].includes(r.status), `upload ${id}: ${r.status} ${JSON.stringify(r.body)}`);
      active += 1;
    }
    const page = await newPage(browser);
    await login(page, base, 'it.pa');
    await openScripts(page);
    assert.equal(await page.getByTestId('forms-counter').innerText(), `${limit}/${limit}`);
    await page.getByRole('button', { name: 'Nuova scheda' }).click();
    await page.getByLabel('Identificativo della scheda').fill('sedicesima');
    await page.getByLabel('Codice Lua').fill(fixture('small_form.lua.in').replaceAll('@ID@', 'sedicesima'));
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    // The upload is a draft (allowed); activating it is what the limit refuses.
    await see(page, /Scheda sedicesima: versione 1 caricata come bozza\./);
    const asked = onConfirm(page, true);
    await page.getByTestId('activate-draft').click();
    await asked;
    const alert = page.getByTestId('upload-result').getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Limite raggiunto: un ospedale può avere al massimo 15 schede attive\. La versione resta una bozza/);
    assert.equal(await page.getByTestId('forms-counter').innerText(), `${limit}/${limit}`);
    await shot(page, 'it-forms-limit');
    await done(page);
  });

  it('dry-runs a rule and shows the Lua error line', async () => {
    await requireApi('rules');
    const page = await newPage(browser);
    await login(page, base, 'it.pa');
    await openScripts(page, 'Regole');
    // Arrow keys move between the tabs.
    await page.getByRole('tab', { name: 'Regole' }).press('ArrowLeft');
    assert.equal(await page.getByRole('tab', { name: 'Schede anamnestiche' }).getAttribute('aria-selected'), 'true');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Regole' }).getAttribute('aria-selected'), 'true');
    // One rules script per hospital ("rules"); the demo region may have one already.
    await page.locator('[data-testid="rules-table"], #panel-rules p.text-muted:not(.small)').first().waitFor();
    if (await page.getByTestId('rules-table').count()) await page.getByRole('button', { name: 'Apri la regola rules' }).click();
    else await page.getByRole('button', { name: 'Nuova regola' }).click();
    assert.equal(await page.getByLabel('Identificativo della regola').inputValue(), 'rules');
    await page.getByLabel('Codice Lua').fill(fixture('routing_rule.lua'));
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    await see(page, /Regola rules: versione \d+ caricata come bozza\./);
    const draft = Number((await page.getByTestId('activate-draft').innerText()).match(/\d+/)[0]);
    await page.getByLabel('Funzione').fill('route_teleconsult');
    await page.getByLabel('Dati di esempio (JSON)').fill('{"specialty": "cardiologia", "urgency": "emergency"}');
    await page.getByRole('button', { name: 'Esegui la prova' }).click();
    const err = page.getByTestId('dryrun-error');
    await err.waitFor();
    assert.match(await err.innerText(), /errore alla riga 7/);
    assert.match(await err.innerText(), /rules\.lua:7: attempt to index a nil value/);
    assert.deepEqual(await page.locator('.code-gutter div.error').allInnerTexts(), ['7']);
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'it-rules-dryrun-error');

    // The dry run tried the draft: the active rules (if any) do not fail there.
    const active = await itApi.call('POST', `/api/v1/tenants/${TENANT}/rules/rules/test`,
      { function: 'route_teleconsult', input: { specialty: 'cardiologia', urgency: 'emergency' } });
    assert.notEqual(active.status === 422 && active.body.line === 7 && /rules\.lua:7: attempt to index a nil value/.test(active.body.detail), true,
      'without a version the server runs the active rules, not the draft');

    await page.getByLabel('Dati di esempio (JSON)').fill('{"urgency": "emergency",');
    await page.getByRole('button', { name: 'Esegui la prova' }).click();
    await see(page, /I dati di esempio non sono JSON valido/);
    await page.getByLabel('Dati di esempio (JSON)').fill('{"specialty": "cardiologia", "urgency": "normal"}');
    await page.getByRole('button', { name: 'Esegui la prova' }).click();
    const out = page.getByTestId('dryrun-output');
    await out.waitFor();
    assert.equal(JSON.parse(await out.innerText()).group, 'cardiologia');
    await see(page, `Risultato della prova sulla versione ${draft}:`);
    await shot(page, 'it-rules-dryrun-ok');
    // A rule that decides nothing says so in words, not "null".
    await page.getByLabel('Funzione').fill('quiet');
    await page.getByLabel('Dati di esempio (JSON)').fill('{}');
    await page.getByRole('button', { name: 'Esegui la prova' }).click();
    await page.getByTestId('dryrun-nothing').waitFor();
    assert.equal(await page.getByTestId('dryrun-output').count(), 0);
    assert.doesNotMatch(await page.getByTestId('dryrun-result').innerText(), /null/);
    await done(page);
  });

  it('lists the form and rule uploads in the audit viewer', async () => {
    await requireApi('forms');
    const page = await newPage(browser);
    await login(page, base, 'privacy.pa');
    await page.getByRole('link', { name: 'Registro accessi' }).first().click();
    await page.getByTestId('chain-status').waitFor();
    assert.equal(await page.getByTestId('chain-status').getAttribute('data-intact'), 'true');
    await page.getByLabel('Azione', { exact: true }).fill('script.');
    await page.getByRole('button', { name: 'Cerca' }).click();
    const rows = page.getByTestId('audit-table').locator('tbody tr', { hasText: 'it.pa' });
    await rows.filter({ hasText: 'form:scompenso@' }).filter({ hasText: 'script.upload' }).first().waitFor();
    await rows.filter({ hasText: 'rules:rules@' }).filter({ hasText: 'script.upload' }).first().waitFor();
    await rows.filter({ hasText: 'script.activate' }).first().waitFor();
    await rows.filter({ hasText: 'fallita' }).filter({ hasText: 'form:broken' }).first().waitFor();
    await shot(page, 'it-audit-scripts');
    await done(page);
  });
});
