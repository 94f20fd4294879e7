// Reading a web folder for the checks that need no browser (static.test.mjs
// for the console, teleconsult-static.test.mjs for the module's pages).
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
