// Checks of the teleconsult module's pages that need no browser
// (modules/teleconsult/web): both dictionaries have the same keys and
// placeholders, every key the code names exists (literal keys and the
// known dynamic families), the markup and code keep to the
// Content-Security-Policy, the manifest names the entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { files, dictionaries, assertCspHygiene } from '../../../../tests/browser/webfiles.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..', '..', 'web');

const { it, en } = dictionaries(web);
const code = files(web, '.js').map((f) => [f, readFileSync(f, 'utf8')]);

test('teleconsult: Italian and English have the same keys and placeholders', () => {
  assert.deepEqual(Object.keys(en).filter((k) => !(k in it)), [], 'only in en.json');
  assert.deepEqual(Object.keys(it).filter((k) => !(k in en)), [], 'only in it.json');
  const ph = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  assert.deepEqual(Object.keys(it).filter((k) => ph(it[k]) !== ph(en[k])), [], 'placeholders differ');
  assert.deepEqual(Object.keys(it).filter((k) => !it[k].trim() || !en[k].trim()), [], 'empty texts');
});

test('teleconsult: every key named by the code exists', () => {
  const missing = [];
  for (const [f, src] of code) {
    for (const m of src.matchAll(/\btc\('([\w.]+)'/g)) if (!(m[1] in it)) missing.push(`${path.basename(f)}: ${m[1]}`);
  }
  // Families built from server values or fixed lists.
  const families = {
    'answer.': ['yes', 'no', 'maybe'],
    'urgency.': ['routine', 'urgent', 'emergency'],
    'status.': ['draft', 'scheduling', 'scheduled', 'in_progress', 'closed', 'cancelled', 'open'],
    'kind.': ['planned', 'urgent'],
    'live.': ['open', 'connecting', 'off'],
    'tab.': ['participants', 'availability', 'patients', 'documents', 'comments', 'decisions', 'minutes'],
    'requests.filter.': ['open', 'scheduled', 'closed', 'cancelled', 'all'],
    'participants.kind.': ['staff', 'external', 'patient'],
    'docs.kind.': ['pdf', 'image', 'dicom', 'docx', 'other'],
    'priority.': ['critical', 'high', 'normal'],
  };
  for (const [prefix, names] of Object.entries(families)) {
    for (const n of names) if (!(`${prefix}${n}` in it)) missing.push(`${prefix}${n}`);
  }
  // Keys listed in arrays and passed on (['groups.name', ...].map(tc)).
  for (const [f, src] of code) {
    for (const m of src.matchAll(/\[((?:\s*'[a-z]+\.[\w.]+',?)+)\s*\]\s*\n?\s*\.map/g)) {
      for (const k of m[1].matchAll(/'([\w.]+)'/g)) if (!(k[1] in it)) missing.push(`${path.basename(f)}: ${k[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('teleconsult: markup and code keep to the Content-Security-Policy', () => {
  assertCspHygiene(files(web, '.html'), files(web, '.js'));
});

test('teleconsult: the manifest names the entry in both languages for the clinical roles', () => {
  const m = JSON.parse(readFileSync(path.join(web, 'manifest.json'), 'utf8'));
  assert.equal(m.title.it, 'Teleconsulto');
  assert.equal(m.title.en, 'Teleconsult');
  assert.deepEqual([...m.roles].sort(), ['organizer', 'requesting_doctor', 'specialist']);
  assert.equal(m.path, 'index.html');
});
