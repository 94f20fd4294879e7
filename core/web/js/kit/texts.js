// A module's own texts: /modules/<name>/i18n/it.json and en.json, Italian
// first and the fallback for a key English lacks, in the language the
// console uses (the account's choice, else the one picked before login).
// A key neither has is shown as the key and recorded as "<name>:<key>" in
// the list the browser tests read (window.__concertoMissingI18n), like the
// console's. Part of the module kit (kit/v1.js, docs/web-kit.md).
import {
  LANGUAGES, setLanguage, storedLanguage, storeLanguage, loadDictionary, fill,
} from '../i18n.js';

const modules = new Map();

function missing() {
  if (!window.__concertoMissingI18n) window.__concertoMissingI18n = new Set();
  return window.__concertoMissingI18n;
}

/**
 * The texts of module `name`: {name, t(key, vars), tOpt(key, otherwise),
 * load(lang)}. Always the same object for a name, so a file may take it at
 * import time; until load() resolves every key is missing.
 */
export function texts(name) {
  let own = modules.get(name);
  if (own) return own;
  let dict = {};
  let fallback = {};
  const base = `/modules/${encodeURIComponent(name)}/i18n`;
  own = {
    name,
    t(key, vars) {
      let s = dict[key] ?? fallback[key];
      if (s === undefined) {
        missing().add(`${name}:${key}`);
        s = key;
      }
      return fill(s, vars);
    },
    tOpt(key, otherwise) {
      const s = dict[key] ?? fallback[key];
      return s === undefined ? otherwise : s;
    },
    async load(lang) {
      const l = LANGUAGES.includes(lang) ? lang : 'it';
      const it = await loadDictionary(`${base}/it.json`);
      const chosen = l === 'it' ? it : await loadDictionary(`${base}/${l}.json`);
      fallback = it;
      dict = chosen;
      return own;
    },
  };
  modules.set(name, own);
  return own;
}

/**
 * For pages without a session (an invitation link): the language chosen on
 * this browser before, else the browser's own if it is English, else
 * Italian.
 */
export function pickLanguage() {
  const stored = storedLanguage();
  if (stored) return stored;
  return (navigator.language || '').toLowerCase().startsWith('en') ? 'en' : 'it';
}

/**
 * Sets the page's language (the console's dictionaries, <html lang>, the
 * dates' locale) and loads module `name`'s texts in it; resolves with them.
 * startModuleApp does this itself: call it on pages without a session.
 */
export async function loadTexts(name, lang = pickLanguage()) {
  const l = await setLanguage(lang);
  return texts(name).load(l);
}

export { storeLanguage };
