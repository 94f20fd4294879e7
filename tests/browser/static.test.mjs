// Checks of the UI's files that need no browser: the two dictionaries have
// the same keys, every key the code names exists, and the markup keeps to
// the Content-Security-Policy (no inline scripts, handlers or styles).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { files, dictionaries, assertCspHygiene } from './webfiles.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = process.env.CONCERTO_WEB_DIR || path.resolve(here, '..', '..', 'core', 'web');

const { it, en } = dictionaries(web);

test('Italian and English have the same keys', () => {
  assert.deepEqual(Object.keys(en).filter((k) => !(k in it)), [], 'only in en.json');
  assert.deepEqual(Object.keys(it).filter((k) => !(k in en)), [], 'only in it.json');
});

test('every literal key passed to t() exists, with the same {placeholders} in both languages', () => {
  const missing = [];
  for (const f of files(path.join(web, 'js'), '.js')) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bt\('([\w.]+)'/g)) if (!(m[1] in it)) missing.push(`${path.basename(f)}: ${m[1]}`);
  }
  assert.deepEqual(missing, []);
  const ph = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  const differ = Object.keys(it).filter((k) => ph(it[k]) !== ph(en[k]));
  assert.deepEqual(differ, [], 'placeholders differ');
});

test('markup keeps to the Content-Security-Policy', () => {
  assertCspHygiene(files(web, '.html'), files(path.join(web, 'js'), '.js'));
});
