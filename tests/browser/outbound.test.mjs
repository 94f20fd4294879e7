// Outbound connections through a real browser: the regional administrator
// edits a hospital's allow-list on the Hospitals page (a wrong range refused
// under the field with the range it would be, then saved and audited); a
// hospital administrator sees it read-only where the directory and the
// webhooks are configured, and an internal address refused there in the
// user's language until the region allows it. Its own server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, open, login, shot, apiSession, unlabelledControls, done, see, expectFocus,
} from './harness.mjs';

let server;
let browser;
let base;

describe('outbound connections', { timeout: 600000 }, () => {
  before(async () => {
    server = await startServer({ name: 'outbound', modules: ['ward', 'relay'] });
    base = server.url;
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('refuses an internal webhook address to a hospital administrator and shows why', async () => {
    const page = await newPage(browser);
    await login(page, base, 'hadmin.ag');
    await open(page, base, '#/admin/integrations');
    // The region's decision, read-only, next to the webhook form.
    const notice = page.getByTestId('webhooks-outbound');
    await notice.getByText('Dove può collegarsi Concerto per questo ospedale').waitFor();
    await notice.getByText('TLS obbligatorio').waitFor();
    await notice.getByText('Nessuna rete interna').waitFor();
    assert.equal(await notice.locator('input, button, textarea, select').count(), 0, 'read-only');
    const form = page.getByTestId('webhook-form');
    const url = form.getByLabel('Indirizzo (URL)');
    await form.getByLabel('Eventi', { exact: true }).fill('relay.ping');
    await url.fill('http://127.0.0.1:9/hook');
    await form.getByRole('button', { name: 'Aggiungi webhook' }).click();
    await form.getByText('Serve https://: la Regione non consente').waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    await url.fill('https://169.254.169.254/latest/meta-data/');
    await form.getByRole('button', { name: 'Aggiungi webhook' }).click();
    await form.getByText("L'indirizzo 169.254.169.254 (link-local, come i metadati cloud) non è consentito per questo ospedale.")
      .waitFor();
    await form.getByText('La Regione può consentire la sua rete dalla pagina Ospedali.').waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'it-outbound-webhook-refused');
    assert.equal(await page.getByTestId('webhooks-table').count(), 0, 'nothing was stored');
    await done(page);
  });

  it('lets the regional administrator allow a range and plaintext on the Hospitals page', async () => {
    const page = await newPage(browser);
    await login(page, base, 'admin');
    await open(page, base, '#/admin/hospitals');
    const section = page.getByTestId('outbound-ASP-AG');
    await section.getByText('Connessioni in uscita').waitFor();
    await section.getByText('Nessuna rete interna').waitFor();
    await section.getByRole('button', { name: /^Modifica le connessioni in uscita di ASP/ }).click();
    const form = page.getByTestId('outbound-form-ASP-AG');
    const ranges = form.getByLabel('Reti interne consentite (CIDR)');
    await expectFocus(page, (el) => el && el.tagName === 'TEXTAREA', 'focus on the list');
    await ranges.fill('10.20.1.5/16\n127.0.0.0/8');
    await form.getByRole('button', { name: 'Salva connessioni in uscita' }).click();
    await form.getByText('«10.20.1.5/16» non è un intervallo di indirizzi valido').waitFor();
    await form.getByText('Forse intendevi 10.20.0.0/16?').waitFor();
    assert.equal(await ranges.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'it-outbound-hospitals-error');

    await ranges.fill('10.20.0.0/16\n127.0.0.0/8');
    await form.getByLabel('Consenti collegamenti senza TLS').check();
    await form.getByRole('button', { name: 'Salva connessioni in uscita' }).click();
    await see(page, 'Connessioni in uscita di ASP-AG salvate.');
    const saved = page.getByTestId('outbound-ASP-AG');
    await saved.getByText('10.20.0.0/16', { exact: true }).waitFor();
    await saved.getByText('127.0.0.0/8', { exact: true }).waitFor();
    await saved.getByText('Consentito anche senza TLS').waitFor();
    // The other hospitals keep the default.
    await page.getByTestId('outbound-AOUP-PA').getByText('TLS obbligatorio').waitFor();
    await shot(page, 'it-outbound-hospitals');
    // Stored, and in the audit trail.
    const admin = await apiSession(base, 'admin');
    const got = await admin.call('GET', '/api/v1/tenants/ASP-AG/outbound');
    assert.deepEqual(got.body.allow_cidrs, ['10.20.0.0/16', '127.0.0.0/8']);
    assert.equal(got.body.allow_plaintext, true);
    const audit = await admin.call('GET', '/api/v1/audit?action=tenant.outbound.update');
    assert.ok(JSON.stringify(audit.body).includes('outbound:{10.20.0.0/16,127.0.0.0/8};plaintext=true'),
      JSON.stringify(audit.body));
    // A hospital administrator can read it but not change it.
    const ag = await apiSession(base, 'hadmin.ag');
    assert.equal((await ag.call('GET', '/api/v1/tenants/ASP-AG/outbound')).status, 200);
    assert.equal((await ag.call('PUT', '/api/v1/tenants/ASP-AG/outbound', { allow_cidrs: [], allow_plaintext: false })).status, 403);
    await done(page);
  });

  it('accepts the allowed addresses on the directory and webhook pages, not the others', async () => {
    const page = await newPage(browser);
    await login(page, base, 'hadmin.ag');
    await open(page, base, '#/admin/ldap');
    const notice = page.getByTestId('ldap-outbound');
    await notice.getByText('10.20.0.0/16', { exact: true }).waitFor();
    await notice.getByText('Consentito anche senza TLS').waitFor();
    const url = page.getByLabel('Indirizzo del server');
    await url.fill('ldap://10.30.0.5:389');
    await page.getByLabel('Base degli utenti').fill('ou=people,dc=asp-ag,dc=it');
    await page.getByRole('button', { name: 'Salva', exact: true }).click();
    await page.getByText("L'indirizzo 10.30.0.5 (rete privata) non è consentito per questo ospedale.").waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    await shot(page, 'it-outbound-ldap-refused');
    await url.fill('ldap://10.20.4.7:389');
    await page.getByRole('button', { name: 'Salva', exact: true }).click();
    await see(page, 'Impostazioni della directory di');
    assert.equal(await url.getAttribute('aria-invalid'), null);

    await open(page, base, '#/admin/integrations');
    const form = page.getByTestId('webhook-form');
    await form.getByLabel('Indirizzo (URL)').fill('http://127.0.0.1:9/hook');
    await form.getByLabel('Eventi', { exact: true }).fill('relay.ping');
    await form.getByRole('button', { name: 'Aggiungi webhook' }).click();
    await page.getByTestId('one-time-secret').waitFor();
    await page.getByTestId('webhooks-table').locator('tbody tr', { hasText: 'http://127.0.0.1:9/hook' }).waitFor();
    await done(page);
  });

  it('speaks English and fits a phone', async () => {
    const page = await newPage(browser, { lang: 'en' });
    await open(page, base, '#/login');
    await page.getByRole('button', { name: 'English' }).click();
    await login(page, base, 'hadmin.pa');
    await open(page, base, '#/admin/integrations');
    await page.getByTestId('webhooks-outbound').getByText('Where Concerto may connect for this hospital').waitFor();
    const form = page.getByTestId('webhook-form');
    await form.getByLabel('Address (URL)').fill('https://[::ffff:10.0.0.1]/hook');
    await form.getByLabel('Events', { exact: true }).fill('relay.ping');
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await form.getByText('The address ::ffff:10.0.0.1 (private network) is not allowed for this hospital.').waitFor();
    await shot(page, 'en-outbound-webhook-refused');
    await done(page);

    const phone = await newPage(browser, { width: 360, height: 780, mobile: true });
    await login(phone, base, 'admin');
    await open(phone, base, '#/admin/hospitals');
    await phone.getByTestId('outbound-ASP-AG').getByText('10.20.0.0/16', { exact: true }).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px)`);
    await shot(phone, 'it-outbound-hospitals-phone');
    await done(phone);
  });
});
