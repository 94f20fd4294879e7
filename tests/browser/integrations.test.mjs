// The Integrations page (#/admin/integrations) through a real browser: API
// tokens for other systems (created, shown once, used, revoked), webhooks
// (validation under the fields, secret shown once, deactivation) and
// undelivered events (a real dead letter from the test module "relay",
// replayed from the page). Its own server: modules ward and relay, fast
// retries so a failing subscriber dies in a fraction of a second.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, open, login, shot, apiSession, unlabelledControls, psql, done, expectFocus,
  see, onConfirm,
} from './harness.mjs';

let server;
let browser;
let base;

async function adminMenu(page, label) {
  await page.locator('#admin-menu-button').click();
  await page.getByRole('link', { name: label, exact: true }).click();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls a SQL query on the server's database until it returns `want` (bounded). */
async function waitSql(sql, want, seconds = 20) {
  const until = Date.now() + seconds * 1000;
  let got;
  for (;;) {
    got = (await psql(sql, server.db)).trim();
    if (got === want) return got;
    if (Date.now() > until) throw new Error(`${sql}: got "${got}", wanted "${want}"`);
    await sleep(100);
  }
}

async function bearerMe(token) {
  const r = await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

describe('integrations page', { timeout: 600000 }, () => {
  before(async () => {
    server = await startServer({
      name: 'integrations',
      modules: ['ward', 'relay'],
      config: { event_retry_base_ms: 50, event_max_attempts: 2 },
    });
    base = server.url;
    // The webhook receivers here are on loopback over plain HTTP, which the
    // region allows for ASP-AG first (refused by default: outbound.test.mjs).
    const admin = await apiSession(base, 'admin');
    const allowed = await admin.call('PUT', '/api/v1/tenants/ASP-AG/outbound',
      { allow_cidrs: ['127.0.0.0/8'], allow_plaintext: true });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('creates an API token shown once, which works as a Bearer token until revoked', async () => {
    const page = await newPage(browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await login(page, base, 'hadmin.ag');
    // Listed on the home page and in the Administration menu.
    await page.locator('main').getByRole('link', { name: /Integrazioni/ }).waitFor();
    await adminMenu(page, 'Integrazioni');
    await page.getByRole('heading', { name: 'Integrazioni con altri sistemi', level: 1 }).waitFor();
    assert.match(page.url(), /#\/admin\/integrations$/);
    await expectFocus(page, (el) => el && el.tagName === 'H1', 'focus on the heading');
    assert.equal(await page.getByLabel('Ospedale', { exact: true }).last().inputValue(), 'ASP-AG');
    await page.getByTestId('tokens-empty').waitFor();
    await page.getByTestId('webhooks-empty').waitFor();
    await page.getByTestId('dead-empty').waitFor();
    assert.deepEqual(await unlabelledControls(page), []);

    // Nothing filled in: the server's 422, in Italian under each field.
    const form = page.getByTestId('token-form');
    const name = form.getByLabel('Nome', { exact: true });
    const role = form.getByLabel('Ruolo', { exact: true });
    await form.getByRole('button', { name: 'Crea token' }).click();
    await form.locator('.invalid-feedback', { hasText: 'Campo obbligatorio.' }).nth(1).waitFor();
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.equal(await role.getAttribute('aria-invalid'), 'true');
    await expectFocus(page, (el) => el && el.closest('form') !== null && el.getAttribute('aria-invalid') === 'true',
      'focus on the first invalid field');

    await name.fill('CUP regionale');
    await role.selectOption('specialist');
    await form.getByRole('button', { name: 'Crea token' }).click();
    const box = page.getByTestId('one-time-token');
    await box.waitFor();
    await box.getByText('non sarà più mostrato').waitFor();
    const token = await box.getByLabel('Token', { exact: true }).inputValue();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, `a 43-character token: ${token}`);
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Nuovo token "CUP regionale"');
    assert.equal(await name.getAttribute('aria-invalid'), null, 'errors cleared');
    assert.equal(await name.inputValue(), '', 'form emptied');
    // The copy button puts it on the clipboard (or selects it for Ctrl+C).
    await box.getByRole('button', { name: 'Copia', exact: true }).click();
    await page.getByTestId('one-time-token-copy-status').filter({ hasText: /Copiato|selezionato/ }).waitFor();
    if (/Copiato/.test(await page.getByTestId('one-time-token-copy-status').innerText())) {
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    }
    const row = page.getByTestId('tokens-table').locator('tbody tr', { hasText: 'CUP regionale' });
    await row.getByText('Specialista').waitFor();
    await row.getByText('attivo', { exact: true }).waitFor();
    await row.getByText('da hadmin.ag').waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'it-integrations');

    // Another system uses it: GET /api/v1/me with the token alone.
    assert.equal(await bearerMe(token), 200);

    // Revoking asks first; "cancel" keeps it.
    const revoke = row.getByRole('button', { name: 'Revoca il token "CUP regionale"' });
    const dismissed = onConfirm(page, false);
    await revoke.click();
    assert.match(await dismissed, /Revocare il token "CUP regionale"\?/);
    assert.equal(await bearerMe(token), 200, 'still valid after cancel');
    const accepted = onConfirm(page, true);
    await revoke.click();
    await accepted;
    await see(page, 'Token "CUP regionale" revocato.');
    await row.getByText('revocato', { exact: true }).waitFor();
    assert.equal(await row.getByRole('button').count(), 0, 'no revoke button on a revoked token');
    assert.equal(await bearerMe(token), 401);
    // Closing the box removes the token from the page for good.
    await box.getByRole('button', { name: "L'ho copiato, chiudi" }).click();
    assert.equal(await page.getByTestId('one-time-token').count(), 0);
    assert.equal(await page.getByText(token).count(), 0);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await page.getByTestId('tokens-table').locator('tbody tr', { hasText: 'CUP regionale' }).waitFor();
    assert.equal(await page.getByTestId('one-time-token').count(), 0, 'never shown again');
    await done(page);
  });

  it('adds a webhook (invalid URL refused under the field), shows its secret once, deactivates it', async () => {
    const page = await newPage(browser);
    await login(page, base, 'hadmin.ag');
    await open(page, base, '#/admin/integrations');
    await page.getByRole('heading', { name: 'Webhook', level: 2 }).waitFor();
    const form = page.getByTestId('webhook-form');
    const url = form.getByLabel('Indirizzo (URL)');
    const events = form.getByLabel('Eventi', { exact: true });
    await url.fill('cup-regionale.local/hook');
    await events.fill('relay.ping');
    await form.getByRole('button', { name: 'Aggiungi webhook' }).click();
    await form.getByText("L'indirizzo deve iniziare con https://").waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    assert.equal(await events.getAttribute('aria-invalid'), null);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-invalid')), 'true');
    // A bad event name: the other field this time.
    await url.fill('http://127.0.0.1:9/hook');
    await events.fill('Relay Ping!');
    await form.getByRole('button', { name: 'Aggiungi webhook' }).click();
    await form.getByText('I nomi di evento sono in minuscolo').waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), null);
    assert.equal(await events.getAttribute('aria-invalid'), 'true');
    await shot(page, 'it-integrations-webhook-error', { fullPage: true });

    await events.fill('relay.ping teleconsult.closed');
    await form.getByRole('button', { name: 'Aggiungi webhook' }).click();
    const box = page.getByTestId('one-time-secret');
    await box.waitFor();
    const secret = await box.getByLabel('Segreto di firma').inputValue();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    await box.getByText('X-Concerto-Signature: t=').waitFor();
    await box.getByText('HMAC-SHA256').waitFor();
    const row = page.getByTestId('webhooks-table').locator('tbody tr', { hasText: 'http://127.0.0.1:9/hook' });
    await row.getByText('relay.ping', { exact: true }).waitFor();
    await row.getByText('teleconsult.closed', { exact: true }).waitFor();
    await row.getByText('attivo', { exact: true }).waitFor();
    await shot(page, 'it-integrations-webhook');
    // The server stored both names, and never shows the secret again.
    const ag = await apiSession(base, 'hadmin.ag');
    const list = await ag.call('GET', '/api/v1/tenants/ASP-AG/webhooks');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.webhooks.map((w) => w.events), [['relay.ping', 'teleconsult.closed']]);
    assert.ok(!JSON.stringify(list.body).includes(secret));

    const accepted = onConfirm(page, true);
    await row.getByRole('button', { name: 'Disattiva il webhook http://127.0.0.1:9/hook' }).click();
    assert.match(await accepted, /Disattivare il webhook/);
    await see(page, 'Webhook http://127.0.0.1:9/hook disattivato.');
    await row.getByText('disattivato', { exact: true }).waitFor();
    assert.equal(await row.getByRole('button').count(), 0);
    const after = await ag.call('GET', '/api/v1/tenants/ASP-AG/webhooks');
    assert.equal(after.body.webhooks[0].active, false);
    await done(page);
  });

  it('replays an undelivered event once its cause is fixed (regional administrator)', async () => {
    // A subscriber of the test module "relay" that fails while its switch is on.
    await psql('UPDATE relay.switches SET fail = true', server.db);
    const pub = await fetch(`${base}/api/v1/relay/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ count: 1, name: 'relay.fragile' }),
    });
    assert.equal(pub.status, 202, await pub.text());
    const deadSql = "SELECT count(*) FROM concerto.event_deliveries d JOIN concerto.events e ON e.id = d.event_id "
      + "WHERE e.name = 'relay.fragile' AND d.state = 'dead'";
    await waitSql(deadSql, '1');
    const [eventId, subscriber] = (await psql("SELECT d.event_id || '|' || d.subscriber FROM concerto.event_deliveries d "
      + "JOIN concerto.events e ON e.id = d.event_id WHERE e.name = 'relay.fragile'", server.db)).trim().split('|');

    // A hospital administrator does not see a regional event's delivery.
    const ag = await newPage(browser);
    await login(ag, base, 'hadmin.ag');
    await open(ag, base, '#/admin/integrations');
    await ag.getByTestId('dead-empty').waitFor();
    await see(ag, 'Nessun evento non consegnato');
    await done(ag);

    const page = await newPage(browser);
    await login(page, base, 'admin');
    await adminMenu(page, 'Integrazioni');
    await page.getByRole('heading', { name: 'Eventi non consegnati', level: 2 }).waitFor();
    await see(page, 'di tutti gli ospedali e regionali');
    const row = page.getByTestId('dead-table').locator(`tbody tr[data-event="${eventId}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-subscriber'), subscriber);
    await row.getByText('relay.fragile@1', { exact: true }).waitFor();
    await row.getByText('regionale', { exact: true }).waitFor();
    assert.equal((await row.locator('td').nth(3).innerText()).trim(), '2', 'two attempts');
    assert.ok((await row.locator('td').nth(4).innerText()).trim().length > 1, 'the last error is shown');
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'it-integrations-dead');

    // Fixed: "Riprova" puts it back in the queue, it is delivered, the list empties.
    await psql('UPDATE relay.switches SET fail = false', server.db);
    await row.getByRole('button', { name: /^Riprova la consegna di relay\.fragile/ }).click();
    await row.getByText('in coda', { exact: true }).waitFor();
    await see(page, `Evento relay.fragile #${eventId} rimesso in coda.`);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'dead-refresh');
    await waitSql(`SELECT state FROM concerto.event_deliveries WHERE event_id = ${Number(eventId)}`, 'done');
    assert.equal((await psql("SELECT count(*) FROM relay.effects WHERE kind = 'fragile'", server.db)).trim(), '1');
    await page.getByTestId('dead-refresh').press('Enter');
    await page.getByTestId('dead-empty').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'dead-refresh', 'focus stays on the button');
    assert.equal(await page.getByTestId('dead-table').count(), 0);
    // The replay is audited.
    const admin = await apiSession(base, 'admin');
    const audit = await admin.call('GET', '/api/v1/audit?action=event.replay');
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    assert.ok(JSON.stringify(audit.body).includes(`event:${eventId}:${subscriber}`), 'audited');
    await done(page);
  });

  it("shows a hospital administrator the hospital's own failed webhook call and retries it", async () => {
    // relay enabled for ASP-AG, a webhook to a closed port, one event of ASP-AG.
    const admin = await apiSession(base, 'admin');
    assert.equal((await admin.call('PUT', '/api/v1/tenants/ASP-AG/modules/relay', { enabled: true })).status, 200);
    const ag = await apiSession(base, 'hadmin.ag');
    const hook = await ag.call('POST', '/api/v1/tenants/ASP-AG/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['relay.ping'] });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const subscriber = (await psql(`SELECT 'webhook:' || ${Number(hook.body.id)}`, server.db)).trim();
    const pub = await ag.call('POST', '/api/v1/relay/publish_tenant', { count: 1, name: 'relay.ping' });
    assert.equal(pub.status, 202, JSON.stringify(pub.body));
    const stateSql = `SELECT string_agg(state, ',') FROM concerto.event_deliveries WHERE subscriber = '${subscriber}'`;
    await waitSql(stateSql, 'dead');

    const page = await newPage(browser);
    await login(page, base, 'hadmin.ag');
    await open(page, base, '#/admin/integrations');
    const row = page.getByTestId('dead-table').locator(`tbody tr[data-subscriber="${subscriber}"]`);
    await row.waitFor();
    await row.getByText('relay.ping@1', { exact: true }).waitFor();
    await row.getByText('ASP-AG', { exact: true }).waitFor();
    // Only this hospital's deliveries (the regional one replayed above is not here, nor done ones).
    assert.equal(await page.getByTestId('dead-table').locator('tbody tr').count(), 1);
    await shot(page, 'it-integrations-dead-hospital');
    await row.getByRole('button', { name: /^Riprova la consegna di relay\.ping/ }).click();
    await row.getByText('in coda', { exact: true }).waitFor();
    // Still failing (nothing listens on port 9): dead again after its attempts, listed again.
    await waitSql(stateSql, 'dead');
    await page.getByTestId('dead-refresh').click();
    await page.getByTestId('dead-table').locator(`tbody tr[data-subscriber="${subscriber}"]`)
      .getByRole('button', { name: /^Riprova/ }).waitFor();
    assert.equal((await ag.call('DELETE', `/api/v1/tenants/ASP-AG/webhooks/${hook.body.id}`)).status, 200);
    await done(page);
  });

  it('works in English and on a phone', async () => {
    const page = await newPage(browser, { lang: 'en' });
    await open(page, base, '#/login');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Sign in to Concerto' }).waitFor();
    await login(page, base, 'hadmin.pa');
    await adminMenu(page, 'Integrations');
    await page.getByRole('heading', { name: 'Integrations with other systems', level: 1 }).waitFor();
    const form = page.getByTestId('token-form');
    await form.getByLabel('Name', { exact: true }).fill('Regional cancer registry');
    await form.getByLabel('Role', { exact: true }).selectOption('hospital_it');
    await form.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('one-time-token').getByText('it will not be shown again').waitFor();
    const row = page.getByTestId('tokens-table').locator('tbody tr', { hasText: 'Regional cancer registry' });
    await row.getByText('Hospital IT').waitFor();
    await row.getByText('active', { exact: true }).waitFor();
    const hooks = page.getByTestId('webhook-form');
    await hooks.getByLabel('Address (URL)').fill('ftp://registry.example/hook');
    await hooks.getByLabel('Events', { exact: true }).fill('');
    await hooks.getByRole('button', { name: 'Add webhook' }).click();
    await hooks.getByText('The address must start with https://').waitFor();
    await hooks.getByText('Give 1 to 50 event names.').waitFor();
    await page.getByTestId('dead-empty').getByText('No undelivered events').waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'en-integrations');
    await done(page);

    // 360 px: nothing wider than the screen (tables scroll inside their box).
    const phone = await newPage(browser, { width: 360, height: 780, mobile: true });
    await login(phone, base, 'hadmin.ag');
    await open(phone, base, '#/admin/integrations');
    await phone.getByTestId('tokens-table').waitFor();
    await phone.getByTestId('webhooks-table').waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px)`);
    await shot(phone, 'it-integrations-phone');
    await done(phone);
  });
});
