// The demo's mail catcher (scripts/demo-mail, started by scripts/run.sh,
// issue 12 item 4): a mail sent over SMTP to it, as Concerto sends its
// invitations, is listed on its page with the decoded Italian subject, its
// text and the invito.ics attachment, at a desktop and a phone width. The
// run configuration points Concerto's mailer at the catcher's port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { REPO, freePort, launchBrowser, newPage, shot } from './harness.mjs';

const require = createRequire(import.meta.url);
const nodemailer = require('nodemailer');
const CATCHER = path.join(REPO, 'scripts', 'demo-mail');

async function waitHttp(url) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

describe('demo mail catcher', () => {
  let proc;
  let dir;
  let smtpPort;
  let httpPort;
  let browser;

  before(async () => {
    if (!existsSync(path.join(CATCHER, 'node_modules', 'mailparser'))) {
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent'], { cwd: CATCHER, stdio: 'inherit' });
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'concerto-demo-mail-'));
    smtpPort = await freePort();
    httpPort = await freePort();
    proc = spawn(process.execPath, [path.join(CATCHER, 'catcher.mjs'), '--smtp', String(smtpPort), '--http', String(httpPort), '--dir', dir],
      { stdio: ['ignore', 'inherit', 'inherit'] });
    await waitHttp(`http://127.0.0.1:${httpPort}/`);
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (proc) proc.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the run configuration sends Concerto\'s mail to the catcher', () => {
    const cfg = JSON.parse(readFileSync(path.join(REPO, 'config', 'concerto.dev.json'), 'utf8'));
    assert.equal(cfg.smtp_url, 'smtp://127.0.0.1:2525', 'scripts/run.sh starts the catcher on 2525');
    const run = readFileSync(path.join(REPO, 'scripts', 'run.sh'), 'utf8');
    assert.match(run, /demo-mail\/catcher\.mjs/, 'scripts/run.sh starts the catcher');
  });

  it('shows a received invitation: subject, text and calendar attachment', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    await t.sendMail({
      from: 'Concerto <noreply@concerto.example>',
      to: 'maria.esterna@example.org',
      subject: 'Invito al teleconsulto: Ictus acuto – 05/12/2026 alle ore 10:00',
      text: 'Gentile Dott.ssa Maria Esterna,\n\nè invitata al teleconsulto.\n',
      attachments: [{ filename: 'invito.ics', contentType: 'text/calendar; method=REQUEST', content: 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n' }],
    });
    for (const [label, opts] of [['desktop', { width: 1366, height: 768 }], ['phone', { width: 390, height: 844, mobile: true }]]) {
      const page = await newPage(browser, opts);
      await page.goto(`http://127.0.0.1:${httpPort}/`);
      const row = page.locator('tr[data-mail]', { hasText: 'maria.esterna@example.org' });
      await row.waitFor();
      assert.match(await row.innerText(), /Invito al teleconsulto: Ictus acuto – 05\/12\/2026/);
      assert.match(await row.innerText(), /invito\.ics/);
      await shot(page, `demo-mail-list-${label}`);
      await row.locator('a').click();
      const text = page.locator('[data-testid="mail-text"]');
      await text.waitFor();
      assert.match(await text.innerText(), /è invitata al teleconsulto/);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'invito.ics' }).click()]);
      assert.equal(download.suggestedFilename(), 'invito.ics');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at ${label} (${overflow} px)`);
      await shot(page, `demo-mail-message-${label}`);
      await page.context().close();
    }
  });
});
