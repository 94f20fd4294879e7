// An SMTP sink for browser tests (npm smtp-server, tests/browser/package.json):
// every message the server sends is kept in memory, with helpers to wait
// for one and to read its MIME parts. Shared by the modules' browser tests
// (modules/<m>/tests/browser), which import it from here so the npm
// package resolves from tests/browser/node_modules.
import { SMTPServer } from 'smtp-server';
import { freePort } from './harness.mjs';

/** The MIME parts of a message: [{headers, body (decoded Buffer)}], nested multiparts flattened. */
export function mimeParts(raw) {
  const split = (text) => {
    const i = text.search(/\r?\n\r?\n/);
    const head = i < 0 ? text : text.slice(0, i);
    const body = i < 0 ? '' : text.slice(i).replace(/^\r?\n\r?\n/, '');
    const headers = {};
    head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/).forEach((l) => {
      const j = l.indexOf(':');
      if (j > 0) headers[l.slice(0, j).trim().toLowerCase()] = l.slice(j + 1).trim();
    });
    return { headers, body };
  };
  const walk = (text) => {
    const { headers, body } = split(text);
    const ct = headers['content-type'] || 'text/plain';
    const b = ct.match(/boundary="?([^";]+)"?/i);
    if (/^multipart\//i.test(ct) && b) {
      return body.split(`--${b[1]}`).slice(1).filter((p) => !p.startsWith('--')).flatMap((p) => walk(p.replace(/^\r?\n/, '')));
    }
    const te = (headers['content-transfer-encoding'] || '').toLowerCase();
    let data;
    if (te === 'base64') data = Buffer.from(body.replace(/\s+/g, ''), 'base64');
    else if (te === 'quoted-printable') {
      data = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (m, hx) => String.fromCharCode(parseInt(hx, 16))), 'latin1');
    } else data = Buffer.from(body, 'utf8');
    return [{ headers, body: data }];
  };
  return walk(raw);
}

/** The plain-text parts of a message, decoded. */
export function mailText(mail) {
  return mimeParts(mail.raw).filter((p) => /^text\/plain/i.test(p.headers['content-type'] || ''))
    .map((p) => p.body.toString('utf8')).join('\n');
}

/**
 * Starts the sink on a free loopback port. Resolves with {port, mails,
 * waitFor(fn, timeout), close()}: mails is [{to: [addresses], raw}],
 * waitFor resolves with the first message fn accepts (bounded wait).
 */
export async function startMailSink() {
  const mails = [];
  const waiters = new Set();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        waiters.forEach((fn) => fn());
        cb();
      });
    },
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  function waitFor(fn, timeout = 20000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = mails.find(fn);
        if (m) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching e-mail in ${timeout} ms; got ${mails.map((m) => m.to.join(',')).join(' | ')}`));
      }, timeout);
      waiters.add(check);
      check();
    });
  }
  return {
    port, mails, waitFor, close: () => new Promise((r) => server.close(r)),
  };
}
