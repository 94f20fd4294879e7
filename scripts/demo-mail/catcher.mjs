// The demo's mail catcher (scripts/run.sh starts it): an SMTP server on
// loopback that accepts whatever Concerto sends and a page that shows it,
// so a newcomer sees the invitations and notices arrive without a real
// mail server. DEMO ONLY: it keeps no secret, relays nothing and listens
// on 127.0.0.1 only.
//
//   node scripts/demo-mail/catcher.mjs [--smtp 2525] [--http 8025] [--dir var/demo-mail]
//
// Messages are kept as .eml files in --dir (so they survive a restart) and
// read with mailparser; the newest 200 are listed.
import { createServer } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const SMTP_PORT = Number(args.smtp || 2525);
const HTTP_PORT = Number(args.http || 8025);
const DIR = path.resolve(args.dir || 'var/demo-mail');
const KEEP = 200;
const MAX_BYTES = 20 * 1024 * 1024;
mkdirSync(DIR, { recursive: true });

let seq = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  size: MAX_BYTES,
  onAuth(auth, session, cb) { cb(null, { user: auth.username }); },
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      if (stream.sizeExceeded) return cb(new Error('message too large for the demo catcher'));
      const name = `${Date.now()}-${String(seq++).padStart(4, '0')}.eml`;
      writeFileSync(path.join(DIR, name), Buffer.concat(chunks));
      console.log(`demo mail: ${session.envelope.rcptTo.map((r) => r.address).join(', ')}`);
      return cb();
    });
  },
});

function files() {
  return readdirSync(DIR).filter((f) => /^\d+-\d+\.eml$/.test(f)).sort().reverse().slice(0, KEEP);
}

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const when = (d) => (d ? new Date(d).toLocaleString('it-IT', { timeZone: 'Europe/Rome' }) : '—');

function page(title, body) {
  return `<!doctype html><html lang="it"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Concerto (demo)</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f5f7fa;color:#1b1f24}
header{background:#0b3d6e;color:#fff;padding:.8rem 1rem}header a{color:#fff}
main{padding:1rem;max-width:72rem;margin:auto}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #dde3ea;vertical-align:top}
td{overflow-wrap:anywhere}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;padding:1rem;border:1px solid #dde3ea}
.note{background:#fff3cd;padding:.6rem .8rem;border:1px solid #f0d98c}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media (max-width:600px){thead{display:none}tr{display:block;border-bottom:1px solid #dde3ea;padding:.4rem 0}
td{display:block;border:0;padding:.1rem .6rem}td::before{content:attr(data-label) ": ";font-weight:600}}
</style></head><body><header><strong>Concerto</strong> · Posta della demo</header><main>${body}</main></body></html>`;
}

async function parsed(name) {
  return simpleParser(readFileSync(path.join(DIR, name)));
}

async function listPage() {
  const names = files();
  const rows = [];
  for (const n of names) {
    const m = await parsed(n);
    rows.push(`<tr data-mail="${esc(n)}"><td data-label="Ricevuto">${esc(when(m.date || statSync(path.join(DIR, n)).mtime))}</td>
<td data-label="A">${esc((m.to && m.to.text) || '')}</td><td data-label="Oggetto"><a href="/mail/${encodeURIComponent(n)}">${esc(m.subject || '(senza oggetto)')}</a></td>
<td data-label="Allegati">${(m.attachments || []).map((a) => esc(a.filename)).join(', ') || '—'}</td></tr>`);
  }
  return page('Posta della demo', `<h1>Posta inviata da Concerto</h1>
<p class="note">Solo per la demo: qui arriva tutta la posta che Concerto invia (inviti ai teleconsulti, avvisi urgenti). Nessun messaggio lascia questo computer.</p>
<p><a href="/">Aggiorna</a> · ${names.length === 1 ? "1 messaggio" : `${names.length} messaggi`}</p>
${names.length ? `<table><caption class="visually-hidden">Messaggi</caption><thead><tr><th>Ricevuto</th><th>A</th><th>Oggetto</th><th>Allegati</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : '<p>Nessun messaggio ancora: conferma un teleconsulto per vedere arrivare gli inviti.</p>'}`);
}

async function mailPage(name) {
  const m = await parsed(name);
  const atts = (m.attachments || []).map((a, i) => `<li><a href="/mail/${encodeURIComponent(name)}/attachment/${i}">${esc(a.filename)}</a> (${esc(a.contentType)})</li>`).join('');
  return page(m.subject || 'Messaggio', `<p><a href="/">← Tutti i messaggi</a></p>
<h1>${esc(m.subject || '(senza oggetto)')}</h1>
<dl><dt>Da</dt><dd>${esc(m.from && m.from.text)}</dd><dt>A</dt><dd>${esc(m.to && m.to.text)}</dd><dt>Data</dt><dd>${esc(when(m.date))}</dd></dl>
<pre data-testid="mail-text">${esc(m.text || '')}</pre>${atts ? `<h2>Allegati</h2><ul>${atts}</ul>` : ''}`);
}

const http = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost');
    const m = url.pathname.match(/^\/mail\/(\d+-\d+\.eml)(?:\/attachment\/(\d+))?$/);
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(await listPage());
    } else if (m && files().includes(m[1])) {
      if (m[2] === undefined) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(await mailPage(m[1]));
      } else {
        const a = ((await parsed(m[1])).attachments || [])[Number(m[2])];
        if (!a) res.writeHead(404).end();
        else {
          res.writeHead(200, {
            'Content-Type': 'application/octet-stream',
            'Content-Disposition': `attachment; filename="${String(a.filename || 'allegato').replace(/["\r\n]/g, '')}"`,
          }).end(a.content);
        }
      }
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Non trovato');
    }
  } catch (err) {
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Errore: ${err.message}`);
  }
});

smtp.listen(SMTP_PORT, '127.0.0.1', () => console.log(`demo mail catcher: SMTP on 127.0.0.1:${SMTP_PORT}`));
http.listen(HTTP_PORT, '127.0.0.1', () => console.log(`demo mail page: http://127.0.0.1:${HTTP_PORT}`));
const stop = () => { smtp.close(() => {}); http.close(() => process.exit(0)); setTimeout(() => process.exit(0), 1000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
