// Reading a web folder for the checks that need no browser (static.test.mjs
// for the console, the modules' own, e.g.
// modules/teleconsult/tests/browser/teleconsult-static.test.mjs).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every file under `dir` (recursively) whose name ends with `ext`. */
export function files(dir, ext) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return files(p, ext);
    return p.endsWith(ext) ? [p] : [];
  });
}

/** The Italian and English dictionaries of a web folder (i18n/*.json). */
export function dictionaries(web) {
  const read = (lang) => JSON.parse(readFileSync(path.join(web, 'i18n', `${lang}.json`), 'utf8'));
  return { it: read('it'), en: read('en') };
}

/**
 * The markup and code keep to the Content-Security-Policy the server sends
 * (docs/ui.md, "Security"): no inline scripts, handlers or styles, no HTML
 * built from strings, nothing from another origin.
 */
export function assertCspHygiene(htmlFiles, jsFiles) {
  for (const f of htmlFiles) {
    const html = readFileSync(f, 'utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, `${f}: inline <script>`);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${f}: inline event handler`);
    assert.doesNotMatch(html, /\sstyle\s*=/i, `${f}: style attribute`);
    assert.doesNotMatch(html, /<style/i, `${f}: <style> element`);
    assert.doesNotMatch(html, /https?:\/\//i, `${f}: external resource`);
  }
  for (const f of jsFiles) {
    const src = readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /innerHTML|outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, `${f}: HTML from strings or eval`);
    assert.doesNotMatch(src, /setAttribute\(\s*'style'/, `${f}: style attribute (blocked by CSP)`);
    assert.doesNotMatch(src, /https?:\/\//, `${f}: external URL`);
  }
}
