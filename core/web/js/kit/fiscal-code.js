// What a codice fiscale says about its holder: birth date and sex (the
// 7th-11th characters, omocodia letters folded back to digits), and
// whether the birth place is abroad (a "Z" cadastral code). The birth
// place's name needs the cadastral table of the Italian municipalities,
// which the core does not ship; the field stays for the user. The core
// checks the control character on registration (core/identity).

const MONTHS = 'ABCDEHLMPRST';
const OMOCODIA = 'LMNPQRSTUV'; // letters standing for 0-9 in digit places

function digit(c) {
  if (c >= '0' && c <= '9') return c;
  const i = OMOCODIA.indexOf(c);
  return i < 0 ? null : String(i);
}

/**
 * {birth_date: 'YYYY-MM-DD', sex: 'F'|'M', abroad: bool} for a well-formed
 * codice fiscale, else null. `today` fixes the century (a holder is not
 * born in the future).
 */
export function decodeFiscalCode(cf, today = new Date()) {
  const s = String(cf || '').trim().toUpperCase();
  if (!/^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/.test(s)) return null;
  const yy = Number(digit(s[6]) + digit(s[7]));
  const month = MONTHS.indexOf(s[8]) + 1;
  let day = Number(digit(s[9]) + digit(s[10]));
  const sex = day > 40 ? 'F' : 'M';
  if (day > 40) day -= 40;
  const nowYY = today.getFullYear() % 100;
  const year = (yy > nowYY ? 1900 : 2000) + yy;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (day < 1 || date.getUTCMonth() !== month - 1) return null; // 31 February
  const p = (n) => String(n).padStart(2, '0');
  return { birth_date: `${year}-${p(month)}-${p(day)}`, sex, abroad: s[11] === 'Z' };
}
