// Italian first, English available. Dictionaries are flat JSON objects in
// /static/i18n/<lang>.json; Italian is also the fallback for a key missing
// in English. Missing keys are collected in window.__concertoMissingI18n so
// the browser tests can assert there are none.

export const LANGUAGES = ['it', 'en'];
const STORAGE_KEY = 'concerto.lang';
let current = 'it';
let dict = {};
let fallback = {};
const missing = new Set();
window.__concertoMissingI18n = missing;

/** A flat dictionary (JSON object) from `url`; the console's and the modules'. */
export async function loadDictionary(url) {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`i18n ${url}: ${res.status}`);
  return res.json();
}

const fetchDict = (lang) => loadDictionary(`/static/i18n/${lang}.json`);

/** Puts {vars} into a text: fill('Ciao {name}', {name: 'Anna'}). */
export function fill(s, vars) {
  return vars ? s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : s;
}

export async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) lang = 'it';
  if (!Object.keys(fallback).length) fallback = await fetchDict('it');
  dict = lang === 'it' ? fallback : await fetchDict(lang);
  current = lang;
  document.documentElement.lang = lang;
  return lang;
}

export function language() {
  return current;
}

/** The language chosen before login (or last used on this browser). */
export function storedLanguage() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(v) ? v : null;
  } catch {
    return null;
  }
}

export function storeLanguage(lang) {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* private mode: the server copy still remembers it after login */
  }
}

/** t('login.title'), t('users.created', {name: 'x'}) */
export function t(key, vars) {
  let s = dict[key];
  if (s === undefined) s = fallback[key];
  if (s === undefined) {
    missing.add(key);
    s = key;
  }
  return fill(s, vars);
}

/** t() for keys that may legitimately be absent (e.g. role or module names). */
export function tOpt(key, otherwise) {
  const s = dict[key] ?? fallback[key];
  return s === undefined ? otherwise : s;
}
