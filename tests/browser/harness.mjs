// Browser-test harness: a private Concerto server (fresh database in the
// test PostgreSQL cluster, demo region, test module "ward") and Debian's
// Chromium driven by playwright-core. Every wait is bounded and every
// process we start is stopped by its PID.
//
// Environment:
//   CONCERTO_BIN            the server binary (required)
//   CONCERTO_TEST_PG_BASE   folder whose test-pg.location names the cluster (required)
//   CONCERTO_WEB_DIR        the UI folder (default: <repo>/core/web)
//   CONCERTO_TEST_MODULES   folder with ward.so (default: <bin>/../../test-modules)
//   CONCERTO_JAVASCRIPT_DIR Debian's /usr/share/javascript (default: the server's default)
//   CONCERTO_BROWSER_OUT    screenshots and logs (default: <PG_BASE>/browser-screenshots)
//   CHROMIUM                the browser (default: /usr/bin/chromium, then /usr/lib/chromium/chromium)
//   CONCERTO_KEEP_DB=1      keep the test databases for inspection

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
export const PASSWORD = 'Concerto-Demo-2026';

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (see tests/browser/README section in docs/ui.md)`);
  return v;
}

export const BIN = required('CONCERTO_BIN');
export const PG_BASE = required('CONCERTO_TEST_PG_BASE');
export const WEB_DIR = process.env.CONCERTO_WEB_DIR || path.join(REPO, 'core', 'web');
export const MODULES_DIR = process.env.CONCERTO_TEST_MODULES || path.resolve(path.dirname(BIN), '..', 'test-modules');
export const OUT = process.env.CONCERTO_BROWSER_OUT || path.join(PG_BASE, 'browser-screenshots');
mkdirSync(OUT, { recursive: true });

const PG_BIN = process.env.PG_BIN || (() => {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return '';
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : '';
})();

const CHROMIUM = process.env.CHROMIUM
  || ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => existsSync(p));

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function run(cmd, args, { timeout = 60000, env } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout, env: { ...process.env, ...env }, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\n${stderr}`;
        reject(err);
      } else resolve(stdout);
    });
  });
}

function pgSocket() {
  const loc = path.join(PG_BASE, 'test-pg.location');
  const dir = existsSync(loc) ? readFileSync(loc, 'utf8').trim() : path.join(PG_BASE, 'test-pg');
  return path.join(dir, 'run');
}

/** Runs SQL in the test cluster (default database "postgres"); resolves with psql's -At output. */
export function psql(sql, db = 'postgres') {
  const bin = PG_BIN ? path.join(PG_BIN, 'psql') : 'psql';
  return run(bin, ['-h', pgSocket(), '-U', 'concerto', '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { timeout: 30000 });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let serial = 0;

/**
 * Starts a server on a fresh database. Options: demo (load the demo region,
 * default true), modules (default ["ward"]), adminPassword (bootstraps
 * "admin" through CONCERTO_ADMIN_PASSWORD instead of the demo), name (for logs),
 * config (extra keys merged into the server's configuration, e.g.
 * {event_retry_base_ms: 50}).
 */
export async function startServer({
  demo = true, modules = ['ward'], adminPassword, name = 'server', config = {},
} = {}) {
  serial += 1;
  const db = `browser_${process.pid}_${serial}`;
  await psql(`DROP DATABASE IF EXISTS "${db}"`);
  await psql(`CREATE DATABASE "${db}"`);
  const dir = mkdtempSync(path.join(tmpdir(), 'concerto-browser-'));
  const port = await freePort();
  const cfg = {
    listen: `127.0.0.1:${port}`,
    database_url: `host=${pgSocket()} user=concerto dbname=${db}`,
    modules_dir: MODULES_DIR,
    modules,
    web_dir: WEB_DIR,
    data_dir: path.join(dir, 'data'),
    // The demo region loads the example forms and rules from here.
    scripts_dir: existsSync(path.join(REPO, 'scripts', 'hospitals')) ? path.join(REPO, 'scripts') : path.join(dir, 'scripts'),
    argon2_t_cost: 1,
    argon2_m_kib: 1024,
    log: { level: 'info', access: true },
    ...config,
  };
  if (process.env.CONCERTO_JAVASCRIPT_DIR) cfg.javascript_dir = process.env.CONCERTO_JAVASCRIPT_DIR;
  mkdirSync(cfg.data_dir, { recursive: true });
  mkdirSync(cfg.scripts_dir, { recursive: true });
  const cfgPath = path.join(dir, 'concerto.json');
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  if (demo) await run(BIN, ['admin', '--config', cfgPath, 'demo'], { timeout: 120000 });

  const logPath = path.join(OUT, `${name}-${serial}.log`);
  const logFd = openSync(logPath, 'w');
  const env = { ...process.env };
  delete env.CONCERTO_DATABASE_URL;
  delete env.CONCERTO_LISTEN;
  if (adminPassword) env.CONCERTO_ADMIN_PASSWORD = adminPassword;
  const child = spawn(BIN, ['--config', cfgPath], { env, stdio: ['ignore', logFd, logFd], cwd: dir });
  closeSync(logFd);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 30000;
  for (;;) {
    if (exited) throw new Error(`server exited (${JSON.stringify(exited)}):\n${tail(logPath)}`);
    try {
      const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready in 30 s:\n${tail(logPath)}`);
    }
    await sleep(100);
  }

  async function stop() {
    if (!exited) {
      child.kill('SIGTERM');
      const until = Date.now() + 10000;
      while (!exited && Date.now() < until) await sleep(50);
      if (!exited) {
        child.kill('SIGKILL');
        const until2 = Date.now() + 5000;
        while (!exited && Date.now() < until2) await sleep(50);
      }
    }
    if (!process.env.CONCERTO_KEEP_DB) {
      await psql(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { url, port, db, cfgPath, logPath, pid: child.pid, stop };
}

function tail(file, n = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/* ---------------- the API from Node (test set-up only) ---------------- */

/** Logs in through the API and returns a small client for set-up steps. */
export async function apiSession(base, username, password = PASSWORD) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  if (r.status !== 200) throw new Error(`API login ${username}: ${r.status} ${await r.text()}`);
  const cookie = (r.headers.get('set-cookie') || '').split(';')[0];
  const body = await r.json();
  const csrf = body.csrf_token;
  async function call(method, p, data) {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf, ...(data === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: data === undefined ? undefined : JSON.stringify(data),
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = text; }
    return { status: res.status, body: json };
  }
  return { user: body.user, call };
}

/* ---------------- the browser ---------------- */

export async function launchBrowser() {
  if (!CHROMIUM) throw new Error('Chromium not found: apt-get install chromium, or set CHROMIUM');
  // playwright-core gives every launch a fresh temporary user-data dir.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60000 });
}

/**
 * A new isolated context (own cookies and localStorage) and page. Collects
 * page errors and Content-Security-Policy violations in page.problems.
 * timezoneId: the browser's zone (default: the machine's).
 */
export async function newPage(browser, {
  lang = 'it', width = 1280, height = 860, mobile = false, timezoneId,
} = {}) {
  const context = await browser.newContext({
    locale: lang === 'en' ? 'en-GB' : 'it-IT',
    viewport: { width, height },
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: 1,
    ...(timezoneId ? { timezoneId } : {}),
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(20000);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message} ${(e.stack || "").split("\n").slice(1, 4).join(" | ")}`));
  page.on('console', (m) => {
    const text = m.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) page.problems.push(`csp: ${text}`);
    else if (m.type() === 'error' && !/Failed to load resource/.test(text)) page.problems.push(`console: ${text}`);
  });
  return page;
}

export async function open(page, base, hash = '') {
  await page.goto(`${base}/${hash}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  // A goto that only changes the hash does not reload the page: wait until
  // that route is drawn, not the previous one.
  const want = hash.replace(/^#/, '').split('?')[0];
  if (want && want !== '/') {
    await page.waitForFunction((p) => {
      const drawn = document.body.dataset.rendered;
      // Drawn, or redirected elsewhere (e.g. to the login page) and drawn there.
      return drawn === p || (drawn && !location.hash.startsWith(`#${p}`));
    }, want, { timeout: 15000 });
  }
}

/** Signs in through the login form (Italian or English labels). */
export async function login(page, base, username, password = PASSWORD, { expectOk = true } = {}) {
  if (!page.url().startsWith(base) || !page.url().includes('#/login')) await open(page, base, '#/login');
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('form button[type="submit"]').click();
  if (expectOk) {
    await page.waitForFunction(() => !location.hash.startsWith('#/login')
      && document.body.dataset.rendered && document.body.dataset.rendered !== '/login', null, { timeout: 15000 });
  }
}

export async function logout(page) {
  await page.locator('#user-menu-button').click();
  await page.locator('[data-testid="logout"]').click();
  await page.waitForFunction(() => location.hash.startsWith('#/login'), null, { timeout: 15000 });
  await page.locator('#login-username').waitFor();
}

/** Accepts (or dismisses) the next confirm() and returns its text. */
export function onConfirm(page, accept = true) {
  return new Promise((resolve) => {
    page.once('dialog', async (d) => {
      const text = d.message();
      if (accept) await d.accept();
      else await d.dismiss();
      resolve(text);
    });
  });
}

/** Saves a screenshot under OUT and returns its path. */
/**
 * Asserts where the keyboard focus lands after an action. Pages move focus
 * after they render or after the server answers (never in the same task as
 * the click), so wait for it, bounded, instead of reading it at once.
 * `test` runs in the page with the focused element: (el) => boolean.
 */
export async function expectFocus(page, test, what) {
  try {
    await page.waitForFunction(`(${test})(document.activeElement)`, null, { timeout: 10000 });
  } catch {
    const got = await page.evaluate(() => (document.activeElement ? document.activeElement.outerHTML.slice(0, 160) : 'nothing'));
    assert.fail(`${what}: focus is on ${got}`);
  }
}

export async function shot(page, name, { fullPage = true } = {}) {
  const file = path.join(OUT, `${name}.png`);
  await page.waitForTimeout(150); // let transitions (dropdowns, toasts) settle
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Every visible form control has an accessible label. Returns offenders. */
export async function unlabelledControls(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')
      && !(el.closest('fieldset') && el.closest('fieldset').querySelector('legend') && el.type === 'radio' && el.id && document.querySelector(`label[for="${el.id}"]`)))
    .map((el) => el.outerHTML.slice(0, 120)));
}

export function missingTranslations(page) {
  return page.evaluate(() => [...(window.__concertoMissingI18n || [])]);
}

/**
 * Ends a page's part of a test: no text without a translation, no script
 * error or CSP violation, then closes its context.
 */
export async function done(page) {
  assert.deepEqual(await missingTranslations(page), [], 'every text has a translation');
  assert.deepEqual(page.problems, [], 'no script errors or CSP violations');
  await page.context().close();
}

/** Waits for a text in the page content (not the screen-reader status region). */
export function see(page, text) {
  return page.locator('main').getByText(text).first().waitFor();
}
