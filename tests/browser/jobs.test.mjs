// Scheduled jobs through a real browser (test module "chores"): a run that
// failed on every attempt is listed as failed with its attempts and error
// for the hospital's administrator, who queues it again once the cause is
// fixed and sees it completed; the periodic runs of the hospital are listed
// too, with when they run next. Its own server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, open, login, shot, apiSession, unlabelledControls, done, see, psql,
} from './harness.mjs';

let server;
let browser;
let base;

/** Polls `sql` until it returns `want` (bounded). */
async function waitSql(sql, want, seconds = 20) {
  let got;
  for (let i = 0; i < seconds * 10; i++) {
    got = (await psql(sql, server.db)).trim();
    if (got === want) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(got, want, sql);
  return got;
}

describe('scheduled jobs', { timeout: 600000 }, () => {
  before(async () => {
    server = await startServer({
      name: 'jobs', modules: ['ward', 'chores'], config: { event_retry_base_ms: 50, event_max_attempts: 2 },
    });
    base = server.url;
    browser = await launchBrowser();
    const region = await apiSession(base, 'admin');
    assert.equal((await region.call('PUT', '/api/v1/tenants/ASP-AG/modules/chores', { enabled: true })).status, 200);
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('lists a failed run with its error and queues it again', async () => {
    await psql('UPDATE chores.switches SET fail = true', server.db);
    const hadmin = await apiSession(base, 'hadmin.ag');
    const r = await hadmin.call('POST', '/api/v1/chores/enqueue', { n: 42 });
    assert.equal(r.status, 202);
    const id = r.body.id;
    await waitSql(`SELECT state FROM concerto.job_runs WHERE id = ${id}`, 'dead');

    const page = await newPage(browser);
    await login(page, base, 'hadmin.ag');
    await open(page, base, '#/admin/jobs');
    await page.getByRole('heading', { name: 'Attività pianificate' }).waitFor();
    await page.getByLabel('Stato delle esecuzioni').selectOption('dead');
    const row = page.locator(`tr[data-job="${id}"]`);
    await row.getByText('chores:note').waitFor();
    await row.getByText('fallita').waitFor();
    await row.getByText('2 di 2').waitFor();
    await row.getByText('handler returned status 900').waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, 'it-jobs-dead');

    await psql('UPDATE chores.switches SET fail = false', server.db);
    await row.getByRole('button', { name: `Riprova l'esecuzione n. ${id} di chores:note` }).click();
    await see(page, `Esecuzione n. ${id} di chores:note rimessa in coda.`);
    await waitSql(`SELECT state FROM concerto.job_runs WHERE id = ${id}`, 'done');
    assert.equal(await psql('SELECT count(*) FROM chores.notes WHERE n = 42', server.db), '1\n');
    await page.getByLabel('Stato delle esecuzioni').selectOption('');
    await page.getByTestId('jobs-refresh').click();
    await page.locator(`tr[data-job="${id}"]`).getByText('completata').waitFor();
    // The hospital's periodic job waits for its next slot.
    await page.getByLabel('Stato delle esecuzioni').selectOption('pending');
    const periodic = page.getByTestId('jobs-table').locator('tr', { hasText: 'chores:daily' });
    await periodic.getByText('periodica').waitFor();
    await periodic.getByText('ASP-AG').waitFor();
    await shot(page, 'it-jobs-pending');
    // The replay is in the hospital's audit trail.
    assert.equal(await psql(`SELECT count(*) FROM concerto.audit_log WHERE action = 'job.replay' AND resource = 'job:${id}:chores:note'`, server.db), '1\n');
    await done(page);
  });

  it('shows a regional administrator every hospital in English', async () => {
    const page = await newPage(browser, { lang: 'en' });
    await open(page, base, '#/login');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Sign in to Concerto' }).waitFor();
    await login(page, base, 'admin');
    await open(page, base, '#/admin/jobs');
    await page.getByRole('heading', { name: 'Scheduled jobs' }).waitFor();
    await page.getByText("Every hospital's runs and the region's, most recent first.").waitFor();
    // The core's own hourly purge is a regional run.
    await page.getByTestId('jobs-table').locator('tr', { hasText: 'concerto:jobs.purge' }).getByText('regional').waitFor();
    await shot(page, 'en-jobs-regional');
    await done(page);
  });
});
