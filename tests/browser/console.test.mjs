// The console through a real browser: every test is a user flow by clicks
// and typing against a real server (demo region, test module "ward").
// Tests run in order and share one server: the audit test at the end finds
// the actions of the earlier ones.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, open, login, logout, shot, apiSession, unlabelledControls,
  missingTranslations, PASSWORD, onConfirm,
} from './harness.mjs';

let server;
let browser;
let base;

async function done(page) {
  assert.deepEqual(await missingTranslations(page), [], 'every text has a translation');
  assert.deepEqual(page.problems, [], 'no script errors or CSP violations');
  await page.context().close();
}

/** Waits for a text in the page content (not the screen-reader status region). */
function see(page, text) {
  return page.locator('main').getByText(text).first().waitFor();
}

/** Opens a header dropdown and follows one of its links. The header is
 * re-rendered when the profile or a notification arrives, which can close an
 * open menu under a busy machine: open it again rather than fail. */
async function menuLink(page, button, label) {
  for (let attempt = 1; ; attempt++) {
    await page.locator(button).click();
    try {
      await page.getByRole('link', { name: label, exact: true }).click({ timeout: 3000 });
      return;
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
}

async function adminMenu(page, label) {
  await menuLink(page, '#admin-menu-button', label);
}

describe('console', { timeout: 600000 }, () => {
  before(async () => {
    server = await startServer({ name: 'console' });
    base = server.url;
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('logs in with the keyboard and logs out', async () => {
    const page = await newPage(browser);
    await open(page, base);
    assert.match(page.url(), /#\/login$/);
    await page.getByRole('heading', { name: 'Accedi a Concerto' }).waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'it-login');

    // Keyboard only: the username has focus, Tab goes to the password, Enter submits.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'login-username');
    await page.keyboard.type('cardio.pa');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'login-password');
    const outline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    assert.notEqual(outline.style, 'none', 'focus is visible');
    assert.ok(outline.width >= 2, 'focus outline at least 2px');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: 'Benvenuto, Dott. Paolo Greco (cardiologo)' }).waitFor();
    assert.match(page.url(), /#\/home$/);
    await page.getByTestId('current-hospital').getByText('AOU Policlinico').waitFor();
    // A specialist has no administration menu.
    assert.equal(await page.locator('#admin-menu-button').count(), 0);
    await shot(page, 'it-home-specialist');

    await logout(page);
    await see(page, 'Sei uscito da Concerto.');
    // The session is gone on the server too.
    await open(page, base, '#/home');
    await page.waitForFunction(() => location.hash === '#/login');
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    assert.equal(me, 401);
    await done(page);
  });

  it('says the password is wrong, then that the account is locked', async () => {
    const page = await newPage(browser);
    await open(page, base, '#/login');
    let locked = 0;
    for (let attempt = 1; attempt <= 8 && !locked; attempt++) {
      await login(page, base, 'tsrm.pa', `wrong-${attempt}`, { expectOk: false });
      const alert = page.locator('#login-message [role="alert"]');
      await alert.waitFor();
      await page.waitForFunction(() => !document.querySelector('form button[type="submit"]').disabled);
      const text = await alert.innerText();
      if (/Troppi tentativi/.test(text)) locked = attempt;
      else assert.equal(text.trim(), 'Nome utente o password non validi.');
      if (attempt === 1) await shot(page, 'it-login-wrong-password');
    }
    assert.ok(locked >= 6 && locked <= 7, `locked out after 5 free failures (at attempt ${locked})`);
    const text = await page.locator('#login-message [role="alert"]').innerText();
    assert.match(text, /Riprova tra \d+ secondi/);
    await shot(page, 'it-login-locked');
    // Even the right password waits for the block to end.
    await login(page, base, 'tsrm.pa', PASSWORD, { expectOk: false });
    await page.locator('#login-message [role="alert"]', { hasText: 'Troppi tentativi' }).waitFor();
    await done(page);
  });

  it('switches hospital for a doctor who works in two', async () => {
    const admin = await apiSession(base, 'admin');
    const r = await admin.call('PUT', '/api/v1/tenants/IRCCS-ME/users/cardio.pa/roles', { roles: ['specialist'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));

    const page = await newPage(browser);
    await login(page, base, 'cardio.pa');
    const switcher = page.getByLabel('Ospedale', { exact: true });
    await switcher.waitFor();
    assert.equal(await switcher.inputValue(), 'AOUP-PA');
    assert.equal(await page.getByTestId('home-hospital-name').innerText(), 'AOU Policlinico "P. Giaccone" di Palermo');
    await switcher.selectOption('IRCCS-ME');
    await page.getByTestId('home-hospital-name').getByText('IRCCS Centro Neurolesi').waitFor();
    await page.waitForFunction(() => document.getElementById('app-status').textContent
      === 'Ora lavori per IRCCS Centro Neurolesi "Bonino Pulejo" di Messina.');
    await shot(page, 'it-hospital-switch');
    // The choice belongs to the session: a reload keeps it.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.getByLabel('Ospedale', { exact: true }).inputValue(), 'IRCCS-ME');
    await done(page);
  });

  it("enables a module in the matrix: its entry appears for that hospital's users only", async () => {
    // A doctor of ASP-AG is already signed in: the change reaches her live.
    const ag = await newPage(browser);
    await login(ag, base, 'mmg.ag');
    await see(ag, 'Nessun servizio clinico è ancora attivo per questo ospedale.');
    await ag.waitForFunction(() => document.querySelector('[data-testid="notify-status"]')?.textContent === 'in tempo reale');

    const page = await newPage(browser);
    await login(page, base, 'admin');
    // The home page takes the focus when it is drawn: wait for it first.
    await page.getByRole('heading', { name: /^Benvenuto/ }).waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    // Keyboard through the administration menu.
    await page.locator('#admin-menu-button').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Moduli per ospedale');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Moduli per ospedale' }).waitFor();
    const toggle = page.getByRole('switch', { name: 'ward per ASP di Agrigento' });
    assert.equal(await toggle.isChecked(), false);
    assert.deepEqual(await unlabelledControls(page), []);
    await toggle.check();
    await see(page, 'Modulo ward attivato per ASP di Agrigento.');
    assert.equal(await toggle.isChecked(), true);
    assert.equal(await page.getByRole('switch', { name: 'ward per AOU Policlinico "P. Giaccone" di Palermo' }).isChecked(), false);
    await shot(page, 'it-modules');

    // Server-Sent Events: a toast, and the navigation entry without a reload.
    await ag.locator('.toast', { hasText: 'Servizio attivato per il tuo ospedale: ward' }).waitFor();
    const link = ag.locator('nav [data-module="ward"]');
    await link.waitFor();
    await shot(ag, 'it-module-enabled-live', { fullPage: false });
    await ag.reload();
    await ag.waitForSelector('body[data-ready="true"]');
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), '/modules/ward/index.html');
    await ag.locator('[data-testid="home-modules"] [data-module="ward"]').waitFor();
    await shot(ag, 'it-home-module-enabled');

    const pa = await newPage(browser);
    await login(pa, base, 'org.pa');
    await pa.getByRole('heading', { name: /^Benvenuto/ }).waitFor();
    await see(pa, 'Nessun servizio clinico è ancora attivo per questo ospedale.');
    assert.equal(await pa.locator('[data-module="ward"]').count(), 0);

    // Off again (asked first; declining changes nothing): gone at the next
    // page load, no restart.
    let asked = onConfirm(page, false);
    await toggle.click();
    assert.match(await asked, /^Disattivare ward per ASP di Agrigento\?/);
    assert.equal(await toggle.isChecked(), true);
    asked = onConfirm(page, true);
    await toggle.uncheck();
    await asked;
    await see(page, 'Modulo ward disattivato per ASP di Agrigento.');
    await ag.reload();
    await ag.waitForSelector('body[data-ready="true"]');
    await see(ag, 'Nessun servizio clinico è ancora attivo per questo ospedale.');
    assert.equal(await ag.locator('[data-module="ward"]').count(), 0);
    await toggle.check();
    await see(page, 'Modulo ward attivato per ASP di Agrigento.');
    await done(pa);
    await done(ag);
    await done(page);
  });

  it('sets a module setting for the hospital (hospital administrator)', async () => {
    const page = await newPage(browser);
    await login(page, base, 'hadmin.ag');
    await adminMenu(page, 'Impostazioni dei moduli');
    await page.getByRole('heading', { name: "Impostazioni dei moduli per l'ospedale" }).waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    const limit = page.getByLabel('Posti letto massimi');
    assert.equal(await limit.inputValue(), '20');
    // Out of bounds: the server's message under the field, nothing saved.
    await limit.fill('900');
    await page.locator('[data-key="ward.beds_limit"] button[type="submit"]').click();
    await page.locator('[data-key="ward.beds_limit"] .invalid-feedback', { hasText: '1 to 500' }).waitFor();
    await limit.fill('35');
    await page.locator('[data-key="ward.beds_limit"] button[type="submit"]').click();
    await see(page, 'Impostazione "Posti letto massimi" salvata.');
    await shot(page, 'it-settings');
    // The module reads the hospital's value; another hospital keeps the default.
    const ag = await apiSession(base, 'mmg.ag');
    assert.equal((await ag.call('GET', '/api/v1/ward/settings')).body.beds_limit, '35');
    await done(page);
  });

  it('creates a user (hospital administrator), who can then log in', async () => {
    const page = await newPage(browser);
    await login(page, base, 'hadmin.ag');
    await adminMenu(page, 'Utenti e ruoli');
    await page.getByRole('heading', { name: 'Personale di ASP di Agrigento' }).waitFor();
    const form = page.locator('form[aria-labelledby="new-user-title"]');
    await form.getByLabel('Nome utente').fill('inf.rossi');
    await form.getByLabel('Nome e cognome').fill('Anna Rossi (infermiera)');
    await form.getByLabel('E-mail').fill('anna.rossi@asp.ag.example');
    await form.getByLabel('Password iniziale').fill('corta');
    await form.getByLabel('Help desk').check();
    await form.getByRole('button', { name: 'Crea utente' }).click();
    // The server's password policy answer appears under the field.
    const pw = form.getByLabel('Password iniziale');
    await page.waitForFunction(() => document.querySelector('form[aria-labelledby="new-user-title"] input[type="password"]').getAttribute('aria-invalid') === 'true');
    assert.match(await form.locator('.invalid-feedback').filter({ hasText: /\S/ }).first().innerText(), /\S/);
    await shot(page, 'it-users-invalid-password');
    await pw.fill('Sciacca-Turno-2026!');
    await form.getByRole('button', { name: 'Crea utente' }).click();
    await see(page, 'Utente inf.rossi creato in ASP di Agrigento.');
    const row = page.locator('tr[data-username="inf.rossi"]');
    await row.waitFor();
    assert.match(await row.innerText(), /Anna Rossi \(infermiera\)[\s\S]*Help desk/);
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'it-users');

    const newbie = await newPage(browser);
    await login(newbie, base, 'inf.rossi', 'Sciacca-Turno-2026!');
    await newbie.getByRole('heading', { name: 'Benvenuto, Anna Rossi (infermiera)' }).waitFor();
    await done(newbie);
    await done(page);
  });

  it('lists and revokes my other sessions', async () => {
    const other = await newPage(browser);
    await login(other, base, 'bi.pa');
    const page = await newPage(browser);
    await login(page, base, 'bi.pa');
    await menuLink(page, '#user-menu-button', 'I miei accessi');
    await page.getByRole('heading', { name: 'I miei accessi' }).waitFor();
    const rows = page.locator('tbody tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    await shot(page, 'it-sessions');
    const notMine = page.locator('tbody tr', { hasNot: page.getByText('questa sessione') });
    await notMine.getByRole('button', { name: /^Revoca la sessione/ }).click();
    await see(page, 'Sessione revocata.');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    // The other browser finds its session ended at its next request.
    await other.locator('#user-menu-button').click();
    await other.getByRole('link', { name: 'I miei accessi' }).click();
    await see(other, 'La sessione è scaduta: accedi di nuovo.');
    await done(other);
    await done(page);
  });

  it('shows clear 403 and 404 pages', async () => {
    const page = await newPage(browser);
    await login(page, base, 'org.pa');
    await open(page, base, '#/admin/hospitals');
    await page.getByRole('heading', { name: 'Accesso non consentito' }).waitFor();
    await shot(page, 'it-error-403');
    await open(page, base, '#/nessuna/pagina');
    await page.getByRole('heading', { name: 'Pagina non trovata' }).waitFor();
    await shot(page, 'it-error-404');
    await page.getByRole('link', { name: 'Torna alla home' }).click();
    await page.getByRole('heading', { name: /^Benvenuto/ }).waitFor();
    await done(page);
  });

  it('shows the 503 page when the server cannot answer', async () => {
    const page = await newPage(browser);
    await page.route('**/api/v1/me', (route) => route.fulfill({
      status: 503,
      contentType: 'application/problem+json',
      body: JSON.stringify({ status: 503, title: 'Service Unavailable', code: 'db_unavailable', detail: 'The database is unavailable.' }),
    }));
    await open(page, base);
    await page.getByRole('heading', { name: 'Servizio non disponibile' }).waitFor();
    await page.getByRole('button', { name: 'Riprova' }).waitFor();
    await shot(page, 'it-error-503');
    await done(page);
  });

  it('works at phone width', async () => {
    const page = await newPage(browser, { width: 390, height: 844, mobile: true });
    await open(page, base, '#/login');
    await shot(page, 'phone-login');
    await login(page, base, 'mmg.ag');
    await page.getByRole('heading', { name: /^Benvenuto/ }).waitFor();
    const toggler = page.getByRole('button', { name: 'Mostra o nascondi il menu' });
    assert.equal(await page.locator('#user-menu-button').isVisible(), false, 'menu collapsed on a phone');
    await shot(page, 'phone-home');
    await toggler.click();
    await page.locator('#nav-main.collapse.show').waitFor(); // after Bootstrap's transition
    await page.locator('#user-menu-button').waitFor({ state: 'visible' });
    await page.locator('nav [data-module="ward"]').waitFor({ state: 'visible' });
    await shot(page, 'phone-menu', { fullPage: false });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling (${overflow}px)`);
    await done(page);
  });

  it('lists the actions above in the audit viewer, with the chain intact', async () => {
    const page = await newPage(browser);
    await login(page, base, 'privacy.ag');
    await page.getByRole('link', { name: 'Registro accessi' }).first().click();
    await page.getByRole('heading', { name: 'Registro accessi (audit)' }).waitFor();
    await page.getByTestId('chain-status').waitFor();
    assert.equal(await page.getByTestId('chain-status').getAttribute('data-intact'), 'true');
    assert.match(await page.getByTestId('chain-status').innerText(), /Catena integra: \d+ righe verificate/);
    assert.deepEqual(await unlabelledControls(page), []);

    const action = page.getByLabel('Azione', { exact: true });
    const results = page.getByTestId('audit-table').locator('tbody tr');
    await action.fill('user.create');
    await page.getByRole('button', { name: 'Cerca' }).click();
    await page.locator('tr[data-action="user.create"]', { hasText: 'inf.rossi' }).waitFor();
    await action.fill('module.enable');
    await page.getByRole('button', { name: 'Cerca' }).click();
    await page.locator('tr[data-action="module.enable"]', { hasText: 'ward' }).first().waitFor();
    assert.ok(await results.count() >= 1);
    await action.fill('');
    await page.getByRole('button', { name: 'Cerca' }).click();
    await page.locator('tr[data-action="user.roles.change"]').first().waitFor();
    await shot(page, 'it-audit');
    // A hospital's privacy officer sees only that hospital's trail.
    const hospitals = await page.getByTestId('audit-table').locator('tbody tr td:nth-child(4)').allInnerTexts();
    assert.ok(hospitals.every((h) => h === 'ASP-AG'), `only ASP-AG rows: ${[...new Set(hospitals)]}`);
    await done(page);

    // The regional administrator sees the failed logins of the lockout test.
    const admin = await newPage(browser);
    await login(admin, base, 'admin');
    await open(admin, base, '#/audit');
    await admin.getByLabel('Azione', { exact: true }).fill('auth.login');
    await admin.getByLabel('Righe per pagina').selectOption('500');
    await admin.getByRole('button', { name: 'Cerca' }).click();
    await admin.locator('tr[data-action="auth.login"]', { hasText: 'tsrm.pa' }).filter({ hasText: 'fallita' }).first().waitFor();
    await admin.locator('tr[data-action="auth.login"]', { hasText: 'tsrm.pa' }).filter({ hasText: 'negata' }).first().waitFor();
    await done(admin);
  });

  it('speaks English when asked, and remembers it per user', async () => {
    const page = await newPage(browser, { lang: 'en' });
    await open(page, base, '#/login');
    await page.getByRole('heading', { name: 'Accedi a Concerto' }).waitFor(); // Italian first
    await page.locator('#login-username').fill('admin');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Sign in to Concerto' }).waitFor();
    // The redraw in English keeps what was typed.
    assert.equal(await page.locator('#login-username').inputValue(), 'admin');
    await shot(page, 'en-login');
    await login(page, base, 'admin');
    await page.getByRole('heading', { name: 'Welcome, Amministratore regionale' }).waitFor();
    await shot(page, 'en-home');
    for (const [hash, title, name] of [
      ['#/admin/hospitals', 'Hospitals and sites', 'en-hospitals'],
      ['#/admin/modules', 'Modules per hospital', 'en-modules'],
      ['#/admin/users', 'Users and roles', 'en-users'],
      ['#/admin/ldap', 'Hospital directory (LDAP / Active Directory)', 'en-ldap'],
      ['#/audit', 'Audit log', 'en-audit'],
      ['#/sessions', 'My sign-ins', 'en-sessions'],
    ]) {
      await open(page, base, hash);
      await page.getByRole('heading', { name: title, exact: true }).waitFor();
      if (hash === '#/audit') await page.getByTestId('chain-status').waitFor();
      assert.deepEqual(await unlabelledControls(page), [], `labels on ${hash}`);
      await shot(page, name);
    }
    await logout(page);
    await page.getByRole('heading', { name: 'Sign in to Concerto' }).waitFor(); // this browser remembers
    await done(page);

    // A fresh browser: Italian until login, then the account's language.
    const fresh = await newPage(browser);
    await open(fresh, base, '#/login');
    await fresh.getByRole('heading', { name: 'Accedi a Concerto' }).waitFor();
    await login(fresh, base, 'admin');
    await fresh.getByRole('heading', { name: 'Welcome, Amministratore regionale' }).waitFor();
    // And back to Italian from the user menu.
    await fresh.locator('#user-menu-button').click();
    await fresh.getByRole('button', { name: 'Italiano' }).click();
    await fresh.getByRole('heading', { name: 'Benvenuto, Amministratore regionale' }).waitFor();
    const me = await fresh.evaluate(async () => (await (await fetch('/api/v1/me')).json()).language);
    assert.equal(me, 'it');
    await done(fresh);
  });

  it('takes Italian screenshots of the administration pages', async () => {
    const page = await newPage(browser);
    await login(page, base, 'admin');
    for (const [hash, title, name] of [
      ['#/home', 'Benvenuto, Amministratore regionale', 'it-home-admin'],
      ['#/admin/hospitals', 'Ospedali e presidi', 'it-hospitals'],
      ['#/admin/ldap', "Directory dell'ospedale (LDAP / Active Directory)", 'it-ldap'],
    ]) {
      await open(page, base, hash);
      await page.getByRole('heading', { name: title, exact: true }).waitFor();
      assert.deepEqual(await unlabelledControls(page), [], `labels on ${hash}`);
      await shot(page, name);
    }
    // Add a site through the form. The page can be redrawn under a busy
    // machine while the form is being filled (it then comes back empty):
    // fill, check, submit, and start over if the form was replaced.
    await open(page, base, '#/admin/hospitals');
    const card = page.locator('article[data-hospital="IRCCS-ME"]');
    for (let attempt = 1; ; attempt++) {
      const form = card.locator('form');
      if (!(await form.count())) await card.getByRole('button', { name: 'Aggiungi presidio' }).click();
      await card.getByLabel('Codice del presidio').fill('PO-CASAZZA');
      await card.getByLabel('Nome del presidio').fill('Presidio Casazza');
      await card.getByLabel('Comune').fill('Messina');
      assert.equal(await card.getByLabel('Codice del presidio').inputValue(), 'PO-CASAZZA');
      await card.locator('form').getByRole('button', { name: 'Aggiungi presidio' }).click();
      try {
        await page.locator('main').getByText('Presidio PO-CASAZZA aggiunto.').first().waitFor({ timeout: 5000 });
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    await page.locator('article[data-hospital="IRCCS-ME"]', { hasText: 'Presidio Casazza (Messina)' }).waitFor();
    // And a hospital.
    const form = page.locator('form[aria-labelledby="new-hospital-title"]');
    await form.getByLabel('Codice', { exact: true }).fill('ASP-TP');
    await form.getByLabel('Denominazione').fill('ASP di Trapani');
    await form.getByLabel('Tipo').selectOption('ASL');
    await form.getByRole('button', { name: 'Crea ospedale' }).click();
    await see(page, 'Ospedale ASP-TP creato.');
    await page.locator('article[data-hospital="ASP-TP"]').waitFor();
    await form.getByLabel('Codice', { exact: true }).fill('ASP-TP');
    await form.getByLabel('Denominazione').fill('Doppione');
    await form.getByRole('button', { name: 'Crea ospedale' }).click();
    await see(page, 'Esiste già un ospedale con questo codice.');
    await shot(page, 'it-hospitals-after');
    await done(page);
  });
});
