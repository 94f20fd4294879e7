// Regenerates the screenshots of docs/user-guide.md (docs/images/*.png),
// Italian and English, at 1280x800 (phones at 390x844). Not a test: run it
// by hand after a visible change to the console, with the same environment
// as the tests (see docs/ui.md):
//   CONCERTO_BIN=... CONCERTO_TEST_PG_BASE=... node docs-images.mjs
// Each image must stay under 200 KB to be commit-friendly.
import { mkdirSync, statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  REPO, startServer, launchBrowser, newPage, open, login, apiSession,
} from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name) => readFileSync(path.join(here, 'fixtures', name), 'utf8');
const DIR = process.env.CONCERTO_DOCS_IMAGES || path.join(REPO, 'docs', 'images');
const MAX = 200 * 1024;
mkdirSync(DIR, { recursive: true });

const written = [];
async function snap(page, name, { scrollTo } = {}) {
  if (scrollTo) await page.locator(scrollTo).first().scrollIntoViewIfNeeded();
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(250);
  const file = path.join(DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  const size = statSync(file).size;
  written.push(`${name}.png ${Math.round(size / 1024)} KB`);
  if (size > MAX) throw new Error(`${file} is ${size} bytes (> 200 KB)`);
}

const server = await startServer({ name: 'docs' });
const browser = await launchBrowser();
const base = server.url;
try {
  const admin = await apiSession(base, 'admin');
  await admin.call('PUT', '/api/v1/tenants/AOUP-PA/modules/ward', { enabled: true });
  await admin.call('PUT', '/api/v1/tenants/IRCCS-ME/users/cardio.pa/roles', { roles: ['specialist'] });

  for (const lang of ['it', 'en']) {
    const page = await newPage(browser, { lang });
    await open(page, base, '#/login');
    if (lang === 'en') await page.getByRole('button', { name: 'English' }).click();
    await page.locator('#login-username').fill('cardio.pa');
    await snap(page, `login-${lang}`);
    await login(page, base, 'cardio.pa');
    await page.locator('[data-testid="home-modules"]').waitFor();
    await snap(page, `home-${lang}`);
    await page.context().close();
  }
  // Picking English on the login page saved it on the account: back to Italian.
  await (await apiSession(base, 'cardio.pa')).call('PATCH', '/api/v1/me', { language: 'it' });

  // Regional administrator.
  let page = await newPage(browser);
  await login(page, base, 'admin');
  await open(page, base, '#/admin/hospitals');
  await page.locator('article[data-hospital]').first().waitFor();
  await snap(page, 'hospitals-it', { scrollTo: '#hospital-list-title' });
  await page.getByTestId('outbound-ASP-AG').getByRole('button', { name: /^Modifica le connessioni in uscita/ }).click();
  await page.getByTestId('outbound-form-ASP-AG').getByLabel('Reti interne consentite (CIDR)').fill('10.20.0.0/16');
  await snap(page, 'outbound-it', { scrollTo: '[data-testid="outbound-ASP-AG"]' });
  await open(page, base, '#/admin/modules');
  await page.getByTestId('module-matrix').waitFor();
  await snap(page, 'modules-it');
  await page.locator('#admin-menu-button').click();
  await snap(page, 'admin-menu-it');
  await page.keyboard.press('Escape');
  await open(page, base, '#/admin/users');
  await page.getByTestId('users-table').waitFor();
  await snap(page, 'users-it');
  await page.locator('tr[data-username="cardio.pa"] button').click();
  await snap(page, 'users-roles-it', { scrollTo: 'tr[data-username="cardio.pa"]' });
  await open(page, base, '#/admin/ldap');
  await page.getByText('Gruppi e ruoli').waitFor();
  await snap(page, 'ldap-it');
  await page.locator('#user-menu-button').click();
  await page.getByRole('button', { name: 'English' }).click();
  await page.locator('#user-menu-button').click();
  await open(page, base, '#/admin/modules');
  await page.getByTestId('module-matrix').waitFor();
  await snap(page, 'modules-en');
  await page.locator('#user-menu-button').click();
  await snap(page, 'user-menu-en');
  await page.getByRole('button', { name: 'Italiano' }).click();
  await page.context().close();

  // Hospital IT: forms and rules.
  page = await newPage(browser, { height: 1000 });
  await login(page, base, 'it.pa');
  await open(page, base, '#/admin/scripts');
  await page.getByRole('button', { name: 'Nuova scheda' }).click();
  await page.getByLabel('Identificativo della scheda').fill('scompenso');
  await page.getByLabel('Codice Lua').fill(fixture('scompenso.lua'));
  await page.getByRole('button', { name: 'Carica e controlla' }).click();
  await page.getByTestId('form-preview').getByText('Scompenso cardiaco - follow-up', { exact: true }).waitFor();
  await page.getByTestId('form-preview').getByLabel('Fumatore').check();
  await snap(page, 'forms-it', { scrollTo: '#form-editor-title' });
  await page.getByRole('button', { name: 'Nuova scheda' }).click();
  await page.getByLabel('Identificativo della scheda').fill('broken');
  await page.getByLabel('Codice Lua').fill(fixture('broken_form.lua'));
  await page.getByRole('button', { name: 'Carica e controlla' }).click();
  await page.getByTestId('script-errors').waitFor();
  await snap(page, 'forms-error-it', { scrollTo: '[data-testid="script-errors"]' });
  await page.getByRole('tab', { name: 'Regole' }).click();
  const rules = page.locator('#panel-rules');
  await rules.locator('[data-testid="rules-table"], p.text-muted:not(.small)').first().waitFor();
  if (await rules.getByTestId('rules-table').count()) await rules.getByRole('button', { name: 'Apri la regola rules' }).click();
  else await rules.getByRole('button', { name: 'Nuova regola' }).click();
  await rules.getByLabel('Codice Lua').fill(fixture('routing_rule.lua'));
  await rules.getByRole('button', { name: 'Carica e controlla' }).click();
  await rules.getByTestId('activate-draft').waitFor();
  await page.getByLabel('Funzione').fill('route_teleconsult');
  await page.getByLabel('Dati di esempio (JSON)').fill('{"specialty": "cardiologia", "urgency": "emergency"}');
  await page.getByRole('button', { name: 'Esegui la prova' }).click();
  await page.getByTestId('dryrun-error').waitFor();
  await snap(page, 'rules-it', { scrollTo: '#rules-editor-title' });
  await page.context().close();

  // Privacy officer.
  page = await newPage(browser);
  await login(page, base, 'privacy.pa');
  await open(page, base, '#/audit');
  await page.getByTestId('chain-status').waitFor();
  await snap(page, 'audit-it');
  await page.context().close();

  // Sessions, notifications (a canned event stream), errors, phone.
  page = await newPage(browser);
  await page.route('**/api/v1/me/notifications', (route) => route.fulfill({
    status: 200,
    headers: { 'Content-Type': 'text/event-stream' },
    body: 'retry: 600000\n\nevent: notification\ndata: {"title":"Nuovo teleconsulto","body":"Richiesta urgente da ASP di Agrigento","level":"warning"}\n\n',
  }));
  await login(page, base, 'cardio.pa');
  await page.locator('.toast').waitFor();
  await page.locator('#notifications-button').click();
  await snap(page, 'notifications-it');
  await open(page, base, '#/sessions');
  await page.locator('tbody tr').first().waitFor();
  await snap(page, 'sessions-it');
  await open(page, base, '#/admin/users');
  await page.locator('[data-error="403"]').waitFor();
  await snap(page, 'error-403-it');
  await page.context().close();

  page = await newPage(browser, { width: 390, height: 844, mobile: true });
  await login(page, base, 'cardio.pa');
  await page.locator('[data-testid="home-modules"]').waitFor();
  await snap(page, 'phone-home-it');
  await page.getByRole('button', { name: 'Mostra o nascondi il menu' }).click();
  await page.locator('#nav-main.collapse.show').waitFor();
  await snap(page, 'phone-menu-it');
  await page.context().close();
} finally {
  await browser.close();
  await server.stop();
}
console.log(written.join('\n'));
