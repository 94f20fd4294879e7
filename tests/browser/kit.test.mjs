// The module kit v1 (/static/js/kit/v1.js, docs/web-kit.md) in Chromium
// against the real server: a module page that calls every function of the
// kit (fixtures/kitpage, served as /modules/kitpage/ through page.route, so
// the server loads no module for it; its upload route is a stand-in too).
// The browser's own zone is New York: the dates must follow Europe/Rome,
// not the browser.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startServer, launchBrowser, newPage, login, shot, done, apiSession, unlabelledControls,
} from './harness.mjs';
import { makePdf, canvasPainted } from './pdf-fixture.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.join(here, 'fixtures', 'kitpage');
const PAGE = '/modules/kitpage/index.html';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json' };
const plusDays = (key, n) => new Date(Date.parse(`${key}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
const daysBetween = (a, b) => (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000;

describe('module kit v1', () => {
  let server;
  let base;
  let browser;
  let page;
  let csp;
  const posted = [];

  // The fixture folder as the module's static files, with the server's own
  // Content-Security-Policy, so a violation still shows.
  async function servePage(p) {
    await p.route('**/modules/kitpage/**', (route) => {
      const rel = new URL(route.request().url()).pathname.replace('/modules/kitpage/', '');
      if (rel === 'sample.pdf') {
        return route.fulfill({
          status: 200,
          headers: { 'Content-Type': 'application/pdf', 'Content-Security-Policy': csp },
          body: makePdf(['Referto di prova del kit', 'Seconda riga'], 'Kit'),
        });
      }
      const file = path.join(FIXTURE, rel);
      if (rel.includes('..') || !existsSync(file)) return route.fulfill({ status: 404, body: '' });
      return route.fulfill({
        status: 200,
        headers: { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Content-Security-Policy': csp },
        body: readFileSync(file),
      });
    });
    await p.route('**/api/v1/kitpage/**', (route) => {
      const r = route.request();
      posted.push({ url: r.url(), method: r.method(), headers: r.headers(), body: r.postDataBuffer() });
      if (r.url().endsWith('/too-large')) {
        return route.fulfill({
          status: 413,
          headers: { 'Content-Type': 'application/problem+json' },
          body: JSON.stringify({ status: 413, title: 'Content Too Large', code: 'payload_too_large' }),
        });
      }
      return route.fulfill({ status: 201, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: '7', stored: true }) });
    });
  }

  /** Opens a screen and waits until it is drawn (also for a hash-only change). */
  async function openKit(hash, rendered) {
    await page.evaluate(() => { delete document.body.dataset.rendered; }).catch(() => {});
    const url = `${base}${PAGE}${hash}`;
    if (page.url() === url) await page.reload();
    else await page.goto(url);
    await page.waitForSelector(`body[data-rendered="${rendered}"]`);
  }

  /** Changes the hash from inside the page (the app's own navigation). */
  async function follow(hash, rendered) {
    await page.evaluate((h) => { delete document.body.dataset.rendered; location.hash = h; }, hash);
    await page.waitForSelector(`body[data-rendered="${rendered}"]`);
  }

  const out = (id) => page.getByTestId(id).innerText();

  before(async () => {
    server = await startServer({ name: 'kit' });
    base = server.url;
    csp = (await fetch(`${base}/`)).headers.get('content-security-policy');
    assert.ok(csp, 'the server sends a Content-Security-Policy');
    browser = await launchBrowser();
    page = await newPage(browser, { timezoneId: 'America/New_York' });
    await servePage(page);
    await login(page, base, 'cardio.pa');
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('startModuleApp: the shell, the module texts, routes with parameters, not found, errors, clean-up, focus', async () => {
    await openKit('#/', 'home');
    await page.locator('#app-header nav').waitFor();
    assert.equal(await out('greeting'), 'Ciao Anna');
    assert.equal(await out('fallback'), 'solo in italiano');
    assert.equal(await out('optional'), 'otherwise');
    assert.equal(await out('same-texts'), 'true');
    assert.equal(await out('language'), 'it');
    assert.deepEqual(JSON.parse(await out('roles')), ['Specialista', 'no_such_role']);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'it');
    await shot(page, 'kit-home-it');

    await openKit('#/items/42?x=1', 'item');
    assert.deepEqual(JSON.parse(await out('params')), { id: '42' });
    assert.equal(await out('query'), '1');
    assert.equal(await out('route'), 'item');
    // Moving inside the app: the heading takes the focus, the screen left
    // runs its clean-up once.
    await follow('#/leave', 'leave');
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
    await follow('#/items/a%2Fb', 'item');
    assert.deepEqual(JSON.parse(await out('params')), { id: 'a/b' });
    assert.equal(await page.evaluate(() => window.kitLeft), 1);
    await follow('#/lazy', 'lazy');
    assert.equal(await out('lazy-name'), 'lazy');

    await follow('#/no/such/screen', 'not-found');
    assert.equal(await page.locator('main [role="alert"]').innerText(), 'Pagina non trovata.');
    assert.equal(await page.locator('main a[href="#/"]').innerText(), 'Inizio');
    await follow('#/broken', 'broken');
    assert.match(await page.locator('main .alert-danger').innerText(), /Rotto apposta/);
    assert.equal(await page.locator('main a[href="#/"]').innerText(), 'Inizio');
    assert.deepEqual(page.problems, [], 'a screen that throws is an error alert, not a script error');
  });

  it('dates are Europe/Rome whatever the browser\'s zone, Italian first, English on request', async () => {
    await openKit('#/dates', 'dates');
    // The browser itself is in New York (UTC-5 in November).
    assert.equal(await page.evaluate(() => new Date('2026-11-23T09:00:00Z').getTimezoneOffset()), 300);
    assert.equal(await out('zone'), 'Europe/Rome');
    assert.match(await out('winter'), /^lun\b.*23\/11\/2026.*\b10:00$/);
    assert.match(await out('summer'), /01\/07\/2026.*\b10:00$/);
    assert.equal(await out('pg-text'), '22/11/2026, 11:17:04');
    assert.equal(await out('birth'), '12/03/1945');
    assert.equal(await out('time'), '10:00');
    assert.match(await out('range'), /10:00 – 10:30$/);
    assert.equal(await out('no-range'), '');
    assert.equal(await out('not-a-date'), 'domani');
    assert.equal(await out('day-late'), '2026-11-24', '23:30 UTC is already the next day in Rome');
    assert.equal(await out('parse'), '2026-11-22T10:17:04.000Z');
    assert.equal(await out('parse-day'), '1990-03-11T23:00:00.000Z', 'a calendar day is its midnight in Rome');
    assert.equal(await out('local-winter'), '2026-11-23T10:00:00+01:00');
    assert.equal(await out('local-summer'), '2026-07-01T10:00:00+02:00');
    assert.equal(await out('local-after-change'), '2026-03-29T03:30:00+02:00');
    assert.equal(await out('local-bad'), '');
    await shot(page, 'kit-dates-it');

    // The account's language applies to the kit's texts, the module's and the dates.
    const me = await apiSession(base, 'cardio.pa');
    assert.equal((await me.call('PATCH', '/api/v1/me', { language: 'en' })).status, 200);
    try {
      await openKit('#/dates', 'dates');
      assert.match(await out('winter'), /^Mon\b.*23\/11\/2026.*\b10:00$/);
      await openKit('#/', 'home');
      assert.equal(await out('greeting'), 'Hello Anna');
      assert.equal(await out('fallback'), 'solo in italiano', 'Italian is the fallback of a key English lacks');
      assert.equal(await out('language'), 'en');
      await follow('#/nowhere', 'not-found');
      assert.equal(await page.locator('main [role="alert"]').innerText(), 'Page not found.');
      assert.equal(await page.locator('main a[href="#/"]').innerText(), 'Start');
      await shot(page, 'kit-not-found-en');
    } finally {
      await me.call('PATCH', '/api/v1/me', { language: 'it' });
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
    }
  });

  it('patientPicker searches the regional registry for one person and registers a new one', async () => {
    await openKit('#/patients', 'patients');
    const q = page.getByLabel('Cerca il paziente');
    await q.fill('Verdi');
    await page.getByRole('button', { name: 'Cerca', exact: true }).click();
    await page.locator('[data-testid="patient-results"]', { hasText: 'prime 2 lettere del nome' }).waitFor();
    await q.fill('Verdi Giu');
    await q.press('Enter');
    const row = page.locator('[data-testid="patient-results"] [data-patient]').first();
    await row.waitFor();
    assert.match(await row.innerText(), /Verdi Giuseppe.*VRDGPP45C12A089J.*12\/03\/1945/s);
    await row.getByRole('button', { name: /^Prendi: Verdi Giuseppe$/ }).click();
    assert.match(await out('picked'), /^\d+ Verdi$/);
    assert.equal(await page.locator('[data-testid="patient-results"] [data-patient]').count(), 0, 'clear() empties the results');
    // A new patient: the core checks the codice fiscale, the field says why.
    await page.getByRole('button', { name: 'Registra un nuovo paziente' }).click();
    const form = page.getByTestId('patient-register');
    // The codice fiscale fills birth date and sex (a woman born 12/03/1945;
    // omocodia letters read as digits).
    await form.getByLabel('Codice fiscale').fill('RSSMRA45C52A089U');
    assert.equal(await form.getByLabel('Data di nascita').inputValue(), '1945-03-12');
    assert.equal(await form.getByLabel('Sesso').inputValue(), 'F');
    await form.getByLabel('Codice fiscale').fill('RSSMRAQ5C52A089U');
    assert.equal(await form.getByLabel('Data di nascita').inputValue(), '1945-03-12');
    await form.getByLabel('Data di nascita').fill('');
    await form.getByLabel('Codice fiscale').fill('XXXXXXXXXXXXXXXX');
    await form.getByLabel('Cognome').fill('Prova');
    await form.getByLabel('Nome', { exact: true }).fill('Paola');
    await form.getByLabel('Data di nascita').fill('1980-01-01');
    await form.getByRole('button', { name: 'Registra', exact: true }).click();
    await form.locator('input[aria-invalid="true"]').first().waitFor();
    assert.equal(await form.getByLabel('Codice fiscale').getAttribute('aria-invalid'), 'true');
    // Issue 12 item 12: the server's field error reaches the Italian page in
    // Italian, by its code, not as "codice fiscale ... does not match".
    await form.locator('.invalid-feedback', { hasText: 'Il codice fiscale ha un carattere non ammesso' }).waitFor();
    await form.getByLabel('Codice fiscale').fill('RSSMRA45C52A089X');
    await form.getByLabel('Data di nascita').fill('1945-03-12');
    await form.getByRole('button', { name: 'Registra', exact: true }).click();
    await form.locator('.invalid-feedback', { hasText: 'Il carattere di controllo del codice fiscale non corrisponde' }).waitFor();
    assert.doesNotMatch(await form.innerText(), /does not match|not allowed|Some fields/, 'no English from the server');
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'kit-patients-it');
  });

  it('showPdf draws the pages with pdf.js, with a text layer', async () => {
    await openKit('#/pdf', 'pdf');
    await page.waitForSelector('[data-testid="pdf"][data-pdf="rendered"]', { timeout: 30000 });
    const page1 = page.locator('[data-testid="pdf"] .kit-pdf-page[data-page="1"]');
    assert.equal(await page1.locator('canvas').count(), 1);
    assert.match(await page1.locator('.textLayer').innerText(), /Referto di prova del kit/);
    assert.equal(Math.round((await page1.boundingBox()).width), 500, 'at the width asked for');
    const painted = await canvasPainted(page1.locator('canvas'));
    assert.ok(painted, 'the page is drawn on the canvas');
    await shot(page, 'kit-pdf-it');
  });

  it('calendar asks for the days it shows and puts each event on its day in Rome', async () => {
    await openKit('#/calendar', 'calendar');
    const cal = page.getByTestId('calendar');
    await page.locator('[data-testid="calendar"][data-loaded="true"]').waitFor();
    const loads = () => page.evaluate(() => window.kitLoads);
    const [[from, to]] = await loads();
    assert.equal(new Date(`${from}T00:00:00Z`).getUTCDay(), 1, 'the grid starts on a Monday');
    assert.ok([35, 42].includes(daysBetween(from, to)), `a month is 5 or 6 weeks: ${from}..${to}`);
    const todayRome = await page.evaluate(() => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date()));
    assert.equal(await cal.locator(`[data-day="${todayRome}"].today`).count(), 1, 'today is marked (Rome)');
    const first = cal.locator(`[data-day="${from}"] a[data-event="first"]`);
    assert.equal((await first.innerText()).trim(), '10:00 Primo');
    assert.equal(await first.getAttribute('href'), '#/items/1');
    assert.match(await cal.locator(`[data-day="${from}"]`).getAttribute('aria-label'), /eventi: 1$/);
    const night = cal.locator(`[data-day="${plusDays(from, 3)}"] a[data-event="night"]`);
    assert.match(await night.innerText(), /^00:30 Notte ok$/);
    assert.equal(await night.locator('.badge').count(), 1);
    await shot(page, 'kit-calendar-it');

    await cal.getByRole('button', { name: 'Periodo successivo' }).click();
    await page.locator('[data-testid="calendar"][data-loaded="true"]').waitFor();
    await page.waitForFunction(() => window.kitLoads.length === 2);
    assert.ok((await loads())[1][0] > from, 'the next month asks for later days');
    await cal.getByRole('button', { name: 'Settimana' }).click();
    await page.waitForFunction(() => window.kitLoads.length === 3);
    await page.locator('[data-testid="calendar"][data-loaded="true"]').waitFor();
    const [wFrom, wTo] = (await loads())[2];
    assert.equal(daysBetween(wFrom, wTo), 7);
    assert.equal(await cal.getByRole('button', { name: 'Settimana' }).getAttribute('aria-pressed'), 'true');
    await cal.getByRole('button', { name: 'Oggi' }).click();
    await page.waitForFunction(() => window.kitLoads.length === 4);
    const [tFrom, tTo] = (await loads())[3];
    assert.ok(tFrom <= todayRome && todayRome < tTo, 'Today shows the week of today');
    await page.evaluate(() => { window.kitCalendarFails = true; });
    await cal.getByRole('button', { name: 'Periodo precedente' }).click();
    await cal.locator('.text-danger', { hasText: 'Impossibile caricare il calendario.' }).waitFor();
    assert.equal(await cal.getAttribute('data-loaded'), 'true');
  });

  it('uploadFile sends the bytes with their type and the CSRF token, and fails with an ApiError', async () => {
    await openKit('#/upload', 'upload');
    await page.getByTestId('upload-ok').click();
    await page.locator('[data-testid="upload-result"]', { hasText: 'stored' }).waitFor();
    assert.deepEqual(JSON.parse(await out('upload-result')), { id: '7', stored: true });
    const sent = posted.at(-1);
    assert.equal(sent.method, 'POST');
    assert.equal(sent.headers['content-type'], 'application/pdf');
    assert.equal(sent.body.toString('latin1'), '%PDF-1.4 test');
    const csrf = await page.evaluate(async () => (await (await fetch('/api/v1/me')).json()).csrf_token);
    assert.ok(csrf && sent.headers['x-csrf-token'] === csrf, 'the session\'s CSRF token is sent');
    await page.getByTestId('upload-big').click();
    await page.locator('[data-testid="upload-result"]', { hasText: '413' }).waitFor();
    assert.equal(await out('upload-result'), 'true 413 Il contenuto inviato è troppo grande.');
    await done(page);
  });
});
