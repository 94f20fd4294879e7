// UI behaviour that needs conditions the real server does not produce on
// demand, against stand-ins inside the browser (page.route):
//   - the notifications area against a canned Server-Sent Events stream
//     (toasts, the list, reconnection with backoff);
//   - a module's own page using the shell.
// (The forms/rules editor is tested against the real API in
// scripts.test.mjs.)
// Login, the shell and everything else are the real server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, login, shot, missingTranslations, apiSession,
} from './harness.mjs';

let server;
let browser;
let base;

async function done(page) {
  assert.deepEqual(await missingTranslations(page), [], 'every text has a translation');
  assert.deepEqual(page.problems, [], 'no script errors or CSP violations');
  await page.context().close();
}

describe('UI against stand-in streams (notifications, module pages)', { timeout: 600000 }, () => {
  before(async () => {
    server = await startServer({ name: 'stub' });
    base = server.url;
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
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
    // Services are on here, none for this role: the page says so.
    await help.getByText('Nessun servizio clinico per il tuo ruolo in questo ospedale.').waitFor();
    assert.equal(await help.locator('[data-module="ward"]').count(), 0);
    await done(help);
  });
});
