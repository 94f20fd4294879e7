// The UI side of features whose server half is still being built, against
// stand-ins inside the browser (page.route), so the screens are checked
// today:
//   - the forms/rules editor against a fake of the documented API contract
//     (the real API is tested by scripts.test.mjs);
//   - the notifications area against a canned Server-Sent Events stream;
//   - a module's own page (no test module ships one yet) using the shell.
// Login, the shell and everything else are the real server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startServer, launchBrowser, newPage, login, shot, unlabelledControls, missingTranslations, apiSession,
} from './harness.mjs';
import { fakeScriptsApi } from './stubs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name) => readFileSync(path.join(here, 'fixtures', name), 'utf8');

let server;
let browser;
let base;

async function done(page) {
  assert.deepEqual(await missingTranslations(page), [], 'every text has a translation');
  assert.deepEqual(page.problems, [], 'no script errors or CSP violations');
  await page.context().close();
}

function see(page, text) {
  return page.locator('main').getByText(text).first().waitFor();
}

async function openScripts(page, tab) {
  // On a loaded machine the header may still be settling (module entries
  // arrive after their manifests) and the menu close under the click:
  // open it again, a bounded number of times.
  const link = page.getByRole('link', { name: 'Schede e regole (Lua)', exact: true });
  for (let attempt = 1; ; attempt++) {
    if (await page.locator('#admin-menu-button').getAttribute('aria-expanded') !== 'true') {
      await page.locator('#admin-menu-button').click();
    }
    try {
      await link.click({ timeout: 5000 });
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  await page.getByRole('heading', { name: 'Schede e regole', exact: true }).waitFor();
  if (tab) await page.getByRole('tab', { name: tab }).click();
}

describe('UI against stand-in APIs (forms/rules editor, notifications)', { timeout: 600000 }, () => {
  before(async () => {
    server = await startServer({ name: 'stub' });
    base = server.url;
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('forms editor: syntax error line, upload, preview of every field type, validation, rollback', async () => {
    const page = await newPage(browser);
    await fakeScriptsApi(page);
    await login(page, base, 'it.pa');
    await openScripts(page);
    assert.equal(await page.getByTestId('forms-counter').innerText(), '0/15');
    await page.getByRole('button', { name: 'Nuova scheda' }).click();
    await page.getByLabel('Identificativo della scheda').fill('broken');
    await page.getByLabel('Codice Lua').fill(fixture('broken_form.lua'));
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    const errors = page.getByTestId('script-errors');
    await errors.waitFor();
    assert.match(await errors.innerText(), /Riga 9: broken\.lua:9: '}' expected/);
    assert.deepEqual(await page.locator('.code-gutter div.error').allInnerTexts(), ['9']);
    await page.getByRole('button', { name: 'Vai alla riga 9' }).click();
    assert.equal(await page.evaluate(() => document.activeElement.value.slice(0, document.activeElement.selectionStart).split('\n').length), 9);
    await shot(page, 'stub-forms-syntax-error');

    await page.getByLabel('Identificativo della scheda').fill('scompenso');
    await page.getByLabel('Codice Lua').fill(fixture('scompenso.lua'));
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    await see(page, 'Scheda scompenso: versione 1 caricata.');
    assert.equal(await page.locator('.code-gutter div.error').count(), 0, 'error marks cleared');
    const preview = page.getByTestId('form-preview');
    await preview.getByText('Scompenso cardiaco - follow-up', { exact: true }).waitFor();
    const types = await preview.locator('[data-type]').evaluateAll((els) => [...new Set(els.map((e) => e.dataset.type))]);
    assert.deepEqual(types.sort(), ['boolean', 'choice', 'computed', 'date', 'integer', 'long_text', 'multi_choice', 'number', 'scale', 'text']);
    assert.equal(await page.getByTestId('forms-counter').innerText(), '1/15');
    assert.equal(await preview.getByLabel(/^Sigarette al giorno/).isVisible(), false);
    await preview.getByLabel('Fumatore').check();
    assert.equal(await preview.getByLabel(/^Sigarette al giorno/).isVisible(), true);
    assert.equal(await preview.getByLabel(/^Indice di massa corporea/).getAttribute('readonly'), '');
    await preview.getByLabel('II - lieve').check();
    await preview.getByLabel('Dispnea').check();
    await preview.locator('label', { hasText: /^7$/ }).click();
    assert.deepEqual(await unlabelledControls(page), []);

    await preview.getByLabel(/^Peso/).fill('500');
    await preview.getByLabel(/^Data dell'ultimo ricovero/).fill('2000-01-01');
    await page.getByRole('button', { name: 'Verifica i valori inseriti' }).click();
    await page.getByTestId('validate-result').getByText('Campi da correggere: 2.').waitFor();
    assert.equal(await preview.getByLabel(/^Peso/).getAttribute('aria-invalid'), 'true');
    await preview.getByText('Il valore massimo è 300.').waitFor(); // translated by code
    await preview.getByText('Troppo vecchio').waitFor(); // the form author's own message
    await shot(page, 'stub-forms-preview');
    await preview.getByLabel(/^Peso/).fill('72.5');
    await preview.getByLabel(/^Altezza/).fill('175');
    await preview.getByLabel(/^Data dell'ultimo ricovero/).fill('2026-01-10');
    await page.getByRole('button', { name: 'Verifica i valori inseriti' }).click();
    await page.getByTestId('validate-result').getByText('I valori sono validi.').waitFor();
    assert.equal(await preview.getByLabel(/^Indice di massa corporea/).inputValue(), '23.7');

    await page.getByLabel('Codice Lua').fill(fixture('scompenso.lua').replace('title = "Scompenso cardiaco - follow-up"', 'title = "Scompenso cardiaco (v2)"'));
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    await see(page, 'Scheda scompenso: versione 2 caricata.');
    await preview.getByText('Scompenso cardiaco (v2)').waitFor();
    await page.getByRole('button', { name: 'Attiva la versione 1' }).click();
    await see(page, 'Versione 1 attivata.');
    await page.locator('[data-testid="versions-table"] tr[data-version="1"]', { hasText: 'attiva' }).waitFor();
    await shot(page, 'stub-forms-versions');
    await done(page);
  });

  it('forms editor: the 16th active form gets a readable refusal', async () => {
    const page = await newPage(browser);
    await fakeScriptsApi(page);
    await login(page, base, 'it.pa');
    // Fill the stand-in with 15 forms through the page's own fetch (CSRF included).
    await page.evaluate(async () => {
      const csrf = (await (await fetch('/api/v1/me')).json()).csrf_token;
      for (let i = 1; i <= 15; i++) {
        await fetch(`/api/v1/tenants/AOUP-PA/forms/extra_${i}`, {
          method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify({ source: `return { id = "extra_${i}", title = "Scheda ${i}" }` }),
        });
      }
    });
    await openScripts(page);
    assert.equal(await page.getByTestId('forms-counter').innerText(), '15/15');
    await see(page, 'Hai raggiunto il limite di 15 schede attive.');
    await page.getByRole('button', { name: 'Nuova scheda' }).click();
    await page.getByLabel('Identificativo della scheda').fill('sedicesima');
    await page.getByLabel('Codice Lua').fill(fixture('small_form.lua.in').replaceAll('@ID@', 'sedicesima'));
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    const alert = page.getByTestId('upload-result').getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /^Limite raggiunto: un ospedale può avere al massimo 15 schede attive\. La scheda non è stata caricata\./);
    await shot(page, 'stub-forms-limit');
    await done(page);
  });

  it('rules editor: dry run with the Lua error line, then a result', async () => {
    const page = await newPage(browser);
    await fakeScriptsApi(page);
    await login(page, base, 'it.pa');
    await openScripts(page, 'Regole');
    // Arrow keys move between the tabs.
    await page.getByRole('tab', { name: 'Regole' }).press('ArrowLeft');
    assert.equal(await page.getByRole('tab', { name: 'Schede anamnestiche' }).getAttribute('aria-selected'), 'true');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Regole' }).getAttribute('aria-selected'), 'true');
    await page.getByRole('button', { name: 'Nuova regola' }).click();
    assert.equal(await page.getByLabel('Identificativo della regola').inputValue(), 'rules');
    await page.getByLabel('Codice Lua').fill(fixture('routing_rule.lua'));
    await page.getByRole('button', { name: 'Esegui la prova' }).click();
    await see(page, 'Carica la regola prima di provarla.');
    await page.getByRole('button', { name: 'Carica e controlla' }).click();
    await see(page, 'Regola rules: versione 1 caricata.');
    assert.equal(await page.getByLabel('Funzione').inputValue(), 'route_teleconsult');
    await page.getByLabel('Dati di esempio (JSON)').fill('{"urgency": "emergency",');
    await page.getByRole('button', { name: 'Esegui la prova' }).click();
    await see(page, /I dati di esempio non sono JSON valido/);
    await page.getByLabel('Dati di esempio (JSON)').fill('{"specialty": "cardiologia", "urgency": "emergency"}');
    await page.getByRole('button', { name: 'Esegui la prova' }).click();
    const err = page.getByTestId('dryrun-error');
    await err.waitFor();
    assert.match(await err.innerText(), /La regola si è interrotta con un errore alla riga 7/);
    assert.match(await err.innerText(), /rules\.lua:7: attempt to index a nil value/);
    assert.deepEqual(await page.locator('.code-gutter div.error').allInnerTexts(), ['7']);
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'stub-rules-dryrun-error');
    await page.getByLabel('Dati di esempio (JSON)').fill('{"specialty": "neurologia", "urgency": "normal"}');
    await page.getByRole('button', { name: 'Esegui la prova' }).click();
    const out = page.getByTestId('dryrun-output');
    await out.waitFor();
    assert.equal(JSON.parse(await out.innerText()).group, 'neurologia');
    await page.locator('tr[data-rule="rules"]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Nuova regola' }).count(), 0, 'one rules script per hospital');
    await shot(page, 'stub-rules-dryrun-ok');
    await done(page);
  });

  it('notifications: events from the stream appear as a toast and in the list', async () => {
    const page = await newPage(browser);
    let connections = 0;
    await page.route('**/api/v1/me/notifications', (route) => {
      connections += 1;
      return route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' },
        body: connections === 1
          ? 'retry: 500\n\nevent: notification\ndata: {"title":"Nuovo teleconsulto","body":"Richiesta urgente da ASP-AG","level":"warning"}\n\n'
          : 'retry: 600000\n\nevent: notification\ndata: {"title":"Referto firmato","body":"Paziente VRDGPP45C12A089J","level":"success"}\n\n',
      });
    });
    await login(page, base, 'cardio.pa');
    await page.locator('.toast', { hasText: 'Nuovo teleconsulto' }).waitFor();
    // The stream ended: the browser reconnects by itself and gets the next event.
    await page.locator('.toast', { hasText: 'Referto firmato' }).waitFor();
    assert.ok(connections >= 2, 'reconnected after the stream ended');
    const bell = page.locator('#notifications-button');
    assert.equal(await bell.getAttribute('aria-label'), 'Notifiche: 2 da leggere');
    await bell.click();
    const items = page.getByTestId('notifications-list').locator('li');
    await items.nth(1).waitFor();
    assert.deepEqual((await items.allInnerTexts()).map((s) => s.split('\n')[0]), ['Referto firmato', 'Nuovo teleconsulto']);
    await shot(page, 'it-notifications', { fullPage: false });
    await page.getByRole('button', { name: 'Segna tutte come lette' }).click();
    assert.equal(await page.locator('#notifications-button').getAttribute('aria-label'), 'Notifiche');
    await page.keyboard.press('Escape');
    await done(page);
  });

  it('notifications: a refused stream is retried with backoff and never breaks the page', async () => {
    const page = await newPage(browser);
    let attempts = 0;
    await page.route('**/api/v1/me/notifications', (route) => {
      attempts += 1;
      return route.fulfill({ status: 404, contentType: 'application/problem+json', body: '{"code":"not_found"}' });
    });
    await login(page, base, 'cardio.pa');
    const t0 = Date.now();
    while (attempts < 2 && Date.now() - t0 < 10000) await page.waitForTimeout(100);
    assert.equal(attempts, 2, 'retried after the refusal');
    await page.waitForTimeout(2500);
    assert.equal(attempts, 2, 'the next retry waits longer (backoff), no hammering');
    await page.locator('#notifications-button').click();
    assert.equal(await page.getByTestId('notify-status').innerText(), 'riconnessione…');
    await done(page);
  });

  it('module pages: the manifest names the entry, the page gets the shell', async () => {
    const admin = await apiSession(base, 'admin');
    assert.equal((await admin.call('PUT', '/api/v1/tenants/ASP-AG/modules/ward', { enabled: true })).status, 200);
    const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    const files = {
      'manifest.json': ['application/json', JSON.stringify({ title: { it: 'Reparto', en: 'Ward' }, roles: ['requesting_doctor'] })],
      'index.html': ['text/html; charset=utf-8', `<!doctype html><html lang="it"><head><meta charset="utf-8">
<link rel="stylesheet" href="/vendor/bootstrap5/css/bootstrap.min.css"><link rel="stylesheet" href="/static/css/app.css">
<script src="/vendor/bootstrap5/js/bootstrap.bundle.min.js" defer></script><script type="module" src="/modules/ward/app.js"></script>
</head><body><header id="app-header"></header><div id="app-status" class="visually-hidden" role="status" aria-live="polite"></div>
<main id="main" class="container-xxl py-4" tabindex="-1"></main><div id="toasts" class="toast-container position-fixed bottom-0 end-0 p-3"></div></body></html>`],
      'app.js': ['text/javascript', `import { startModulePage } from '/static/js/module-page.js';
const { user, h, main, get } = await startModulePage();
if (user) {
  const beds = await get('/api/v1/ward/beds/count');
  main.append(h('h1', {}, 'Reparto'), h('p', { 'data-testid': 'beds' }, 'Letti: ' + beds.count));
}`],
    };
    const page = await newPage(browser);
    await page.route('**/modules/ward/*', (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop();
      const f = files[name];
      return f ? route.fulfill({ status: 200, headers: { 'Content-Type': f[0], 'Content-Security-Policy': csp }, body: f[1] })
        : route.fulfill({ status: 404, body: '' });
    });
    // Signed out: the module page sends to the login page and back.
    await page.goto(`${base}/modules/ward/index.html`);
    await page.waitForFunction(() => location.hash === '#/login');
    await login(page, base, 'mmg.ag', undefined, { expectOk: false });
    await page.waitForURL('**/modules/ward/index.html');
    await page.getByRole('heading', { name: 'Reparto' }).waitFor();
    assert.match(await page.getByTestId('beds').innerText(), /^Letti: \d+$/);
    const link = page.locator('nav [data-module="ward"]');
    await link.waitFor();
    assert.equal(await link.innerText(), 'Reparto');
    assert.equal(await link.getAttribute('aria-current'), 'page', 'the entry is marked current on its page');
    await shot(page, 'stub-module-page');
    await page.locator('nav').getByRole('link', { name: 'Home' }).click();
    await page.locator('[data-testid="home-modules"] [data-module="ward"]', { hasText: 'Reparto' }).waitFor();
    await done(page);

    // The manifest's roles: a help-desk operator of the same hospital has no entry.
    const help = await newPage(browser);
    await help.route('**/modules/ward/*', (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop();
      const f = files[name];
      return f ? route.fulfill({ status: 200, headers: { 'Content-Type': f[0] }, body: f[1] }) : route.fulfill({ status: 404, body: '' });
    });
    await login(help, base, 'help.ag');
    await help.getByRole('heading', { name: /^Benvenuto/ }).waitFor();
    await help.getByText('Nessun servizio clinico è ancora attivo per questo ospedale.').waitFor();
    assert.equal(await help.locator('[data-module="ward"]').count(), 0);
    await done(help);
  });
});
