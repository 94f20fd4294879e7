// A stand-in for the teleconsult module's HTTP API (docs/modules/
// teleconsult-api.md), used by teleconsult.test.mjs while the real module is
// not built (CONCERTO_TELECONSULT_FAKE=1, or no teleconsult.so): a small
// HTTP front that serves modules/teleconsult/web/ with the core's security
// headers, answers /api/v1/teleconsult/* from memory, and passes everything
// else (login, /me, patients, forms, notifications) to the real server.
// It sends the invitation e-mail (with invito.ics) to the test's SMTP sink
// and makes the minutes as a real PDF, so the same browser test runs on
// either side of the contract.
import http from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { REPO, apiSession, freePort } from './harness.mjs';

const WEB = path.join(REPO, 'modules', 'teleconsult', 'web');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
  + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/* ---------------- a tiny PDF writer (also used by the test) ---------------- */

function pdfEscape(s) {
  return Buffer.from(String(s).replace(/[\\()]/g, (c) => `\\${c}`), 'latin1');
}

/** A valid one-page PDF with the given lines of text (Helvetica, WinAnsi). */
export function makePdf(lines, title = 'Documento') {
  const content = Buffer.concat([
    Buffer.from('BT /F1 14 Tf 50 780 Td 18 TL\n'),
    ...lines.map((l) => Buffer.concat([Buffer.from('('), pdfEscape(l), Buffer.from(") '\n")])),
    Buffer.from('ET\n'),
  ]);
  const objs = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>'),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('endstream')]),
    Buffer.concat([Buffer.from('<< /Title ('), pdfEscape(title), Buffer.from(') >>')]),
  ];
  const parts = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets = [];
  let len = parts[0].length;
  objs.forEach((o, i) => {
    offsets.push(len);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), o, Buffer.from('\nendobj\n')]);
    parts.push(b);
    len += b.length;
  });
  const xref = [`xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`,
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`),
    `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${len}\n%%EOF\n`].join('');
  parts.push(Buffer.from(xref));
  return Buffer.concat(parts);
}

/* ---------------- the fake ---------------- */

function sniff(buf) {
  if (buf.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (buf[0] === 0xff && buf[1] === 0xd8) return 'image/jpeg';
  if (buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (buf.length > 132 && buf.subarray(128, 132).toString('latin1') === 'DICM') return 'application/dicom';
  if (buf[0] === 0x50 && buf[1] === 0x4b) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  return null;
}

const LEVELS = {
  emergency: { priority: 'critical', sla_hours: 0.25 },
  urgent: { priority: 'high', sla_hours: 2 },
  routine: { priority: 'normal', sla_hours: 72 },
};

/**
 * startFake({core, smtpPort}) → {url, stop, state}. core: the real server's
 * base URL. Mail goes to smtp://127.0.0.1:<smtpPort> (nodemailer).
 */
export async function startFake({ core, smtpPort, maxUpload = 5 << 20 }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let nodemailer = null;
  try {
    nodemailer = (await import('nodemailer')).default;
  } catch { /* no mail then */ }
  const mailer = nodemailer && smtpPort ? nodemailer.createTransport({
    host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true,
  }) : null;

  // The directory: demo users the fake knows (ids from the real server).
  const users = new Map();
  for (const name of ['neuro.me', 'pronto.ag', 'mmg.ag', 'cardio.pa', 'org.pa']) {
    const s = await apiSession(core, name);
    const me = (await s.call('GET', '/api/v1/me')).body;
    users.set(String(me.id), {
      id: String(me.id), username: me.username, display_name: me.display_name, email: me.email || `${me.username}@example.org`,
      tenant: me.current_tenant, roles: me.roles,
    });
  }
  const tenants = {
    'IRCCS-ME': { code: 'IRCCS-ME', name: 'IRCCS Centro Neurolesi "Bonino Pulejo" di Messina' },
    'AOUP-PA': { code: 'AOUP-PA', name: 'AOU Policlinico "P. Giaccone" di Palermo' },
    'ASP-AG': { code: 'ASP-AG', name: 'ASP di Agrigento' },
  };
  const byName = (u) => [...users.values()].find((x) => x.username === u);
  let nextId = 100;
  const newId = () => String(++nextId);
  const state = {
    // As modules/teleconsult/demo/demo.sql.
    groups: [
      {
        id: '1', slug: 'neurologia-urgenze', name: 'Neurologia - urgenze', specialty: 'neurologia', tenant: 'IRCCS-ME', consultable: true,
        members: [{ user_id: byName('neuro.me').id, specialty: 'neurologia', organizer: true }],
      },
      {
        id: '2', slug: 'neuro-stroke', name: 'Stroke team (reperibilità)', specialty: 'neurologia', tenant: 'IRCCS-ME', consultable: true,
        members: [{ user_id: byName('neuro.me').id, specialty: 'neurologia', organizer: true }],
      },
      {
        id: '3', slug: 'cardiologia', name: 'Cardiologia', specialty: 'cardiologia', tenant: 'AOUP-PA', consultable: true,
        members: [{ user_id: byName('cardio.pa').id, specialty: 'cardiologia', organizer: false },
          { user_id: byName('org.pa').id, specialty: '', organizer: true }],
      },
    ],
    requests: [],
    sessions: [],
    blobs: new Map(),
    disabled: new Set(),
    mails: 0,
  };
  const streams = new Map(); // session id -> Set(res)

  const meCache = new Map();
  async function whoami(req) {
    const cookie = req.headers.cookie || '';
    if (!cookie) return null;
    if (meCache.has(cookie)) return meCache.get(cookie);
    const r = await fetch(`${core}/api/v1/me`, { headers: { Cookie: cookie } });
    if (r.status !== 200) return null;
    const me = await r.json();
    meCache.set(cookie, me);
    setTimeout(() => meCache.delete(cookie), 2000);
    return me;
  }
  async function patient(cookie, id) {
    const r = await fetch(`${core}/api/v1/patients/${id}`, { headers: { Cookie: cookie } });
    return r.status === 200 ? r.json() : { id: String(id) };
  }

  const groupJson = (g, me, full) => ({
    id: g.id, slug: g.slug, name: g.name, specialty: g.specialty, hospital: tenants[g.tenant], consultable: g.consultable,
    members: full ? g.members.map((m) => ({ ...m, display_name: users.get(m.user_id).display_name })) : g.members.length,
    mine: g.members.some((m) => m.user_id === String(me.id)),
  });
  const rolesHere = (me) => (me.roles && me.roles[me.current_tenant]) || [];
  const isOrganizerOf = (me, s) => String(me.id) === s.organizer_user_id
    || (rolesHere(me).includes('organizer') && me.current_tenant === s.tenant)
    || state.groups.find((g) => g.id === s.group_id).members.some((m) => m.user_id === String(me.id) && m.organizer);
  const participantOf = (me, s) => s.participants.find((p) => p.kind === 'staff' && p.user_id === String(me.id));
  const visible = (me, s) => participantOf(me, s) || isOrganizerOf(me, s)
    || state.groups.find((g) => g.id === s.group_id).members.some((m) => m.user_id === String(me.id));
  const personJson = (uid) => {
    const u = users.get(uid);
    return u ? { id: u.id, username: u.username, display_name: u.display_name } : { id: uid };
  };
  const requestJson = (r) => ({
    ...r, group: (() => { const g = state.groups.find((x) => x.id === r.group_id); return { id: g.id, slug: g.slug, name: g.name, hospital: tenants[g.tenant] }; })(),
    requester: personJson(r.requester_user_id), requester_hospital: tenants[r.requester_tenant],
  });
  function sessionJson(me, s) {
    const p = participantOf(me, s);
    const g = state.groups.find((x) => x.id === s.group_id);
    return {
      id: s.id, theme: s.theme, kind: s.kind, status: s.status, group: { id: g.id, slug: g.slug, name: g.name },
      hospital: tenants[s.tenant], organizer: personJson(s.organizer_user_id), starts_at: s.starts_at, ends_at: s.ends_at,
      outcome: s.outcome, closed_at: s.closed_at,
      request: s.request_id ? (() => { const r = state.requests.find((x) => x.id === s.request_id); return { id: r.id, specialty: r.specialty, reason: r.reason }; })() : null,
      me: { participant_id: p ? p.id : null, organizer: isOrganizerOf(me, s) },
      participants: s.participants.map((x) => ({
        id: x.id, kind: x.kind, organizer: x.organizer, patient_id: x.patient_id,
        display_name: x.kind === 'staff' ? users.get(x.user_id).display_name : x.name,
        email: x.kind === 'staff' ? users.get(x.user_id).email : x.email, phone: x.phone,
        hospital: x.kind === 'staff' ? tenants[users.get(x.user_id).tenant] : null,
      })),
      slots: s.slots,
      patients: s.patients.map((sp) => ({
        id: sp.id, patient: sp.patient, anamnesis: sp.anamnesis, decision: sp.decision, decided_at: sp.decided_at,
        decided_by: sp.decided_by ? personJson(sp.decided_by) : null,
        minutes: sp.minutes ? { url: `/api/v1/teleconsult/sessions/${s.id}/patients/${sp.id}/minutes.pdf`, generated_at: sp.minutes.at } : null,
      })),
      documents: s.documents.map(docJson(s)),
    };
  }
  const docJson = (s) => (d) => ({ ...d, url: `/api/v1/teleconsult/sessions/${s.id}/documents/${d.id}/content` });
  function publish(s, event, data) {
    for (const res of streams.get(s.id) || []) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
  function minutesPdf(s, sp, draft) {
    const pt = sp.patient;
    return makePdf([
      `${draft ? 'BOZZA - ' : ''}Verbale di teleconsulto n. ${s.id}`,
      `Tema: ${s.theme}`,
      `Paziente: ${pt.surname} ${pt.given_name} (${pt.fiscal_code || ''})`,
      `Data: ${s.starts_at || '-'}`,
      `Decisione: ${sp.decision || '-'}`,
      `Esito: ${s.outcome || '-'}`,
    ], 'Verbale');
  }
  function ics(s) {
    const d = (iso) => new Date(iso).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Concerto//teleconsult fake//IT', 'METHOD:REQUEST', 'BEGIN:VEVENT',
      `UID:teleconsult-${s.id}@concerto`, `DTSTAMP:${d(new Date().toISOString())}`, `DTSTART:${d(s.starts_at)}`, `DTEND:${d(s.ends_at)}`,
      `SUMMARY:Teleconsulto: ${s.theme}`, `URL:${url}/modules/teleconsult/index.html#/sessions/${s.id}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  }

  const send = (res, status, body, headers = {}) => {
    const isBuf = Buffer.isBuffer(body);
    const data = body === undefined ? '' : (isBuf ? body : JSON.stringify(body));
    res.writeHead(status, {
      'Content-Type': isBuf ? 'application/octet-stream' : (status >= 400 ? 'application/problem+json' : 'application/json'),
      'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', ...headers,
    });
    res.end(data);
  };
  const problem = (res, status, code, detail, errors) => send(res, status, {
    status, code, title: detail, detail, ...(errors ? { errors } : {}),
  });
  const readBody = (req) => new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });

  async function api(req, res, p, q) {
    const me = await whoami(req);
    if (!me) return problem(res, 401, 'unauthenticated', 'sign in');
    if (state.disabled.has(me.current_tenant)) return problem(res, 404, 'not_found', 'no such route');
    const unsafe = !['GET', 'HEAD'].includes(req.method);
    if (unsafe && req.headers['x-csrf-token'] !== me.csrf_token) return problem(res, 403, 'csrf', 'CSRF token missing');
    const raw = unsafe ? await readBody(req) : Buffer.alloc(0);
    let body = {};
    if (unsafe && (req.headers['content-type'] || '').includes('json') && raw.length) {
      try { body = JSON.parse(raw.toString('utf8')); } catch { return problem(res, 400, 'bad_json', 'bad JSON'); }
    }
    const m = (re) => p.match(re);
    const uid = String(me.id);
    const cookie = req.headers.cookie;
    let x;
    if (req.method === 'GET' && p === '/dashboard') {
      const mine = state.sessions.filter((s) => visible(me, s));
      return send(res, 200, {
        agenda: mine.filter((s) => s.status !== 'closed' && s.status !== 'cancelled').map((s) => sessionJson(me, s)),
        groups: state.groups.filter((g) => g.members.some((mm) => mm.user_id === uid)).map((g) => groupJson(g, me)),
        requests: state.requests.filter((r) => r.status === 'open' && (r.requester_user_id === uid
          || (state.groups.find((g) => g.id === r.group_id).tenant === me.current_tenant && rolesHere(me).includes('organizer')))).map(requestJson),
      });
    }
    if (req.method === 'GET' && p === '/calendar') {
      return send(res, 200, {
        events: state.sessions.filter((s) => visible(me, s) && s.starts_at).map((s) => ({
          session_id: s.id, theme: s.theme, starts_at: s.starts_at, ends_at: s.ends_at, status: s.status,
        })),
      });
    }
    if (req.method === 'GET' && p === '/groups') {
      return send(res, 200, { groups: state.groups.filter((g) => g.consultable || g.tenant === me.current_tenant).map((g) => groupJson(g, me)) });
    }
    if ((x = m(/^\/groups\/(\d+)$/)) && req.method === 'GET') {
      const g = state.groups.find((gg) => gg.id === x[1]);
      return g ? send(res, 200, groupJson(g, me, true)) : problem(res, 404, 'not_found', 'no such group');
    }
    if (req.method === 'POST' && p === '/groups') {
      if (!/^[a-z0-9-]{2,40}$/.test(body.slug || '')) return problem(res, 422, 'validation_failed', 'slug', [{ field: 'slug', code: 'pattern', message: '[a-z0-9-]{2,40}' }]);
      const g = {
        id: newId(), slug: body.slug, name: body.name, specialty: body.specialty, tenant: me.current_tenant, consultable: !!body.consultable, members: [],
      };
      state.groups.push(g);
      return send(res, 201, groupJson(g, me));
    }
    if ((x = m(/^\/groups\/(\d+)\/members$/)) && req.method === 'POST') {
      const g = state.groups.find((gg) => gg.id === x[1]);
      const u = byName(body.username);
      if (!g || g.tenant !== me.current_tenant) return problem(res, 404, 'not_found', 'no such group');
      if (!u) return problem(res, 422, 'validation_failed', 'username', [{ field: 'username', code: 'unknown', message: 'no such user' }]);
      g.members.push({ user_id: u.id, specialty: body.specialty || '', organizer: !!body.organizer });
      return send(res, 201, {});
    }
    if (req.method === 'GET' && p === '/colleagues') {
      const t = (q.get('q') || '').toLowerCase();
      return send(res, 200, {
        users: [...users.values()].filter((u) => t.length >= 2 && (u.username.includes(t) || u.display_name.toLowerCase().includes(t)))
          .map((u) => ({ id: u.id, username: u.username, display_name: u.display_name, hospital: tenants[u.tenant] })),
      });
    }
    if (req.method === 'POST' && p === '/requests') {
      const g = state.groups.find((gg) => gg.consultable && (gg.specialty === body.specialty || gg.slug === body.specialty));
      if (!g) return problem(res, 422, 'validation_failed', 'validation failed', [{ field: 'specialty', code: 'no_group', message: 'no group for this specialty' }]);
      const urgency = LEVELS[body.urgency] ? body.urgency : 'routine';
      let { priority, sla_hours: sla } = LEVELS[urgency];
      if (body.specialty === 'neurologia' && body.reason === 'ictus' && urgency !== 'routine') { priority = 'critical'; sla = 0.25; }
      const r = {
        id: newId(), group_id: g.id, requester_user_id: uid, requester_tenant: me.current_tenant, patient_id: body.patient_id || null,
        specialty: body.specialty, urgency, reason: body.reason || '', question: body.question || '', priority, sla_hours: sla,
        due_at: new Date(Date.now() + sla * 3600e3).toISOString(), defaulted: false, status: 'open', created_at: new Date().toISOString(), session_id: null,
      };
      if (r.patient_id) r.patient = await patient(cookie, r.patient_id);
      state.requests.push(r);
      return send(res, 201, requestJson(r));
    }
    if (req.method === 'GET' && p === '/requests') {
      const st = q.get('status');
      return send(res, 200, {
        requests: state.requests.filter((r) => (!st || r.status === st) && (r.requester_tenant === me.current_tenant
          || state.groups.find((g) => g.id === r.group_id).tenant === me.current_tenant)).map(requestJson),
      });
    }
    if ((x = m(/^\/requests\/(\d+)$/)) && req.method === 'GET') {
      const r = state.requests.find((rr) => rr.id === x[1]);
      if (!r || (r.requester_tenant !== me.current_tenant && state.groups.find((g) => g.id === r.group_id).tenant !== me.current_tenant)) {
        return problem(res, 404, 'not_found', 'no such request');
      }
      return send(res, 200, requestJson(r));
    }
    if (req.method === 'POST' && p === '/sessions') {
      const g = state.groups.find((gg) => gg.id === String(body.group_id));
      if (!g || g.tenant !== me.current_tenant || !rolesHere(me).includes('organizer')) return problem(res, 404, 'not_found', 'no such group');
      const s = {
        id: newId(), tenant: g.tenant, group_id: g.id, request_id: body.request_id || null, theme: body.theme, kind: body.kind || 'planned',
        organizer_user_id: uid, status: 'draft', starts_at: null, ends_at: null, outcome: null, closed_at: null,
        participants: [{ id: newId(), kind: 'staff', user_id: uid, organizer: true }], slots: [], patients: [], documents: [], comments: [],
      };
      const r = state.requests.find((rr) => rr.id === String(body.request_id));
      if (r) {
        s.participants.push({ id: newId(), kind: 'staff', user_id: r.requester_user_id, organizer: false });
        if (r.patient_id) s.patients.push({ id: newId(), patient: await patient(cookie, r.patient_id), anamnesis: null, decision: null });
        r.status = 'scheduled';
        r.session_id = s.id;
      }
      state.sessions.push(s);
      return send(res, 201, sessionJson(me, s));
    }
    if ((x = m(/^\/sessions\/(\d+)(\/.*)?$/))) {
      const s = state.sessions.find((ss) => ss.id === x[1]);
      if (!s || !visible(me, s)) return problem(res, 404, 'not_found', 'no such session');
      const rest = x[2] || '';
      const org = isOrganizerOf(me, s);
      const closed = s.status === 'closed';
      if (rest === '' && req.method === 'GET') return send(res, 200, sessionJson(me, s));
      if (rest === '/live' && req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'Content-Security-Policy': CSP });
        res.write('retry: 1000\n\n');
        if (!streams.has(s.id)) streams.set(s.id, new Set());
        streams.get(s.id).add(res);
        req.on('close', () => streams.get(s.id).delete(res));
        return undefined;
      }
      if (rest === '/participants' && req.method === 'POST') {
        if (!org || closed) return problem(res, 409, 'conflict', 'organizer only');
        const pp = { id: newId(), kind: body.kind, organizer: false };
        if (body.kind === 'staff') pp.user_id = String(body.user_id);
        else if (body.kind === 'external') Object.assign(pp, { name: body.name, email: body.email, phone: body.phone });
        else if (body.kind === 'patient') {
          const pt = await patient(cookie, body.patient_id);
          Object.assign(pp, { patient_id: String(body.patient_id), name: `${pt.surname} ${pt.given_name}`, email: pt.email });
        } else return problem(res, 422, 'validation_failed', 'bad kind', [{ field: 'kind', code: 'choice', message: 'staff, external or patient' }]);
        s.participants.push(pp);
        return send(res, 201, pp);
      }
      if ((x = rest.match(/^\/participants\/(\d+)$/)) && req.method === 'DELETE') {
        s.participants = s.participants.filter((pp) => pp.id !== x[1]);
        return send(res, 204);
      }
      if (rest === '/slots' && req.method === 'POST') {
        if (!org) return problem(res, 409, 'conflict', 'organizer only');
        const sl = { id: newId(), starts_at: body.starts_at, ends_at: body.ends_at, chosen: false, answers: [] };
        s.slots.push(sl);
        s.status = 'scheduling';
        publish(s, 'status', { status: s.status });
        return send(res, 201, sl);
      }
      if ((x = rest.match(/^\/slots\/(\d+)\/availability$/)) && req.method === 'PUT') {
        const sl = s.slots.find((y) => y.id === x[1]);
        const pp = participantOf(me, s);
        if (!sl || !pp) return problem(res, 404, 'not_found', 'no such slot');
        sl.answers = sl.answers.filter((a) => a.participant_id !== pp.id).concat([{ participant_id: pp.id, answer: body.answer }]);
        publish(s, 'availability', { slot_id: sl.id });
        return send(res, 200, sl);
      }
      if (rest === '/confirm' && req.method === 'POST') {
        const sl = s.slots.find((y) => y.id === String(body.slot_id));
        if (!org || !sl) return problem(res, 409, 'conflict', 'cannot confirm');
        sl.chosen = true;
        Object.assign(s, { starts_at: sl.starts_at, ends_at: sl.ends_at, status: 'scheduled' });
        const to = s.participants.map((pp) => (pp.kind === 'staff' ? users.get(pp.user_id).email : pp.email)).filter(Boolean);
        if (mailer) {
          for (const rcpt of to) {
            await mailer.sendMail({
              from: 'concerto@example.org', to: rcpt, subject: `Invito al teleconsulto: ${s.theme}`,
              text: `Il teleconsulto "${s.theme}" è fissato per ${s.starts_at}.\nCollegamento: ${url}/modules/teleconsult/index.html#/sessions/${s.id}\n`,
              attachments: [{ filename: 'invito.ics', contentType: 'text/calendar; method=REQUEST', content: ics(s) }],
            });
            state.mails += 1;
          }
        }
        publish(s, 'status', { status: s.status });
        return send(res, 200, { status: 'scheduled', invitations: to.length });
      }
      if (rest === '/join' && req.method === 'GET') {
        return send(res, 200, { url: `${url}/modules/teleconsult/index.html#/sessions/${s.id}`, expires_at: new Date(Date.now() + 3600e3).toISOString() });
      }
      if (rest === '/start' && req.method === 'POST') {
        s.status = 'in_progress';
        publish(s, 'status', { status: s.status });
        return send(res, 200, { status: s.status });
      }
      if (rest === '/close' && req.method === 'POST') {
        if (!org || closed) return problem(res, 409, 'conflict', 'cannot close');
        Object.assign(s, { status: 'closed', outcome: body.outcome || '', closed_at: new Date().toISOString() });
        s.patients.forEach((sp) => { sp.minutes = { at: s.closed_at, pdf: minutesPdf(s, sp, false) }; });
        publish(s, 'status', { status: s.status });
        return send(res, 200, { status: 'closed' });
      }
      if (rest === '/patients' && req.method === 'POST') {
        if (closed) return problem(res, 409, 'conflict', 'closed');
        const sp = { id: newId(), patient: await patient(cookie, body.patient_id), anamnesis: null, decision: null };
        s.patients.push(sp);
        return send(res, 201, sp);
      }
      if ((x = rest.match(/^\/patients\/(\d+)(\/.*)?$/))) {
        const sp = s.patients.find((y) => y.id === x[1]);
        if (!sp) return problem(res, 404, 'not_found', 'no such patient');
        const sub = x[2] || '';
        if (sub === '' && req.method === 'DELETE') {
          s.patients = s.patients.filter((y) => y !== sp);
          return send(res, 204);
        }
        if (sub === '/anamnesis' && req.method === 'PUT') {
          sp.anamnesis = { form_id: body.form_id, submission_id: String(body.submission_id) };
          return send(res, 200, sp);
        }
        if (sub === '/decision' && req.method === 'PUT') {
          if (closed) return problem(res, 409, 'conflict', 'closed');
          Object.assign(sp, { decision: body.decision, decided_by: uid, decided_at: new Date().toISOString() });
          publish(s, 'decision', { session_patient_id: sp.id });
          return send(res, 200, sp);
        }
        if (sub === '/minutes.pdf' && req.method === 'GET') {
          const pdf = sp.minutes ? sp.minutes.pdf : minutesPdf(s, sp, true);
          return send(res, 200, pdf, {
            'Content-Type': 'application/pdf', 'Content-Disposition': `attachment; filename="verbale-${s.id}-${sp.id}.pdf"`,
          });
        }
      }
      if (rest === '/documents' && req.method === 'POST') {
        if (closed) return problem(res, 409, 'conflict', 'closed');
        if (raw.length > maxUpload) return problem(res, 413, 'payload_too_large', 'too large');
        const type = sniff(raw);
        if (!type) return problem(res, 415, 'unsupported_document_type', 'PDF, JPEG, PNG, DOCX or DICOM only');
        const sha = createHash('sha256').update(raw).digest('hex');
        state.blobs.set(sha, raw);
        const d = {
          id: newId(), filename: q.get('filename') || 'documento', content_type: type, length: raw.length, sha256: sha,
          session_patient_id: q.get('patient') || null, patient_id: (s.patients.find((y) => y.id === q.get('patient')) || { patient: {} }).patient.id || null, uploaded_by: personJson(uid), uploaded_at: new Date().toISOString(),
        };
        s.documents.push(d);
        publish(s, 'document', docJson(s)(d));
        return send(res, 201, docJson(s)(d));
      }
      if (rest === '/documents' && req.method === 'GET') return send(res, 200, { documents: s.documents.map(docJson(s)) });
      if ((x = rest.match(/^\/documents\/(\d+)\/(content|dicom)$/)) && req.method === 'GET') {
        const d = s.documents.find((y) => y.id === x[1]);
        if (!d) return problem(res, 404, 'not_found', 'no such document');
        if (x[2] === 'dicom') return send(res, 200, { tags: { modality: 'CT', patient_name: 'ANON' } });
        return send(res, 200, state.blobs.get(d.sha256), {
          'Content-Type': d.content_type,
          'Content-Disposition': `${q.get('download') ? 'attachment' : 'inline'}; filename="${d.filename}"`,
        });
      }
      if (rest === '/comments' && req.method === 'GET') return send(res, 200, { comments: s.comments });
      if (rest === '/comments' && req.method === 'POST') {
        if (!body.body || body.body.length > 4000) return problem(res, 422, 'validation_failed', 'body', [{ field: 'body', code: 'length', message: '1-4000' }]);
        const c = { id: newId(), author: personJson(uid), body: body.body, created_at: new Date().toISOString() };
        s.comments.push(c);
        publish(s, 'comment', c);
        return send(res, 201, c);
      }
    }
    return problem(res, 404, 'not_found', 'no such route');
  }

  function serveModule(req, res, p) {
    const rel = decodeURIComponent(p.replace(/^\/modules\/teleconsult\//, ''));
    const file = path.join(WEB, rel);
    if (!rel || rel.includes('..') || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Security-Policy': CSP });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store',
    });
    res.end(readFileSync(file));
  }

  function proxy(req, res) {
    const target = new URL(req.url, core);
    const up = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
      const isMe = req.method !== 'POST' && target.pathname === '/api/v1/me' && r.statusCode === 200;
      const isLogin = target.pathname === '/api/v1/auth/login' && r.statusCode === 200;
      if (!isMe && !isLogin) {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
        return;
      }
      // The fake's module shows in the navigation of the hospitals it serves.
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => {
        let j = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const fix = (me) => {
          (me.tenants || []).forEach((t) => {
            if (!state.disabled.has(t.code) && !(t.modules || []).includes('teleconsult')) t.modules = [...(t.modules || []), 'teleconsult'];
          });
        };
        if (isMe) fix(j);
        else if (j.user) fix(j.user);
        j = Buffer.from(JSON.stringify(j));
        const headers = { ...r.headers, 'content-length': String(j.length) };
        delete headers['transfer-encoding'];
        res.writeHead(r.statusCode, headers);
        res.end(j);
      });
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  }

  const server = http.createServer((req, res) => {
    const u = new URL(req.url, url);
    const p = u.pathname;
    if (p.startsWith('/modules/teleconsult/')) return serveModule(req, res, p);
    if (p.startsWith('/api/v1/teleconsult/')) {
      return api(req, res, p.slice('/api/v1/teleconsult'.length), u.searchParams).catch((e) => {
        if (!res.headersSent) problem(res, 500, 'internal', String(e && e.stack));
      });
    }
    return proxy(req, res);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    url,
    state,
    users,
    setEnabled(code, on) {
      if (on) state.disabled.delete(code); else state.disabled.add(code);
    },
    stop: () => new Promise((r) => {
      for (const set of streams.values()) for (const res of set) res.end();
      server.closeAllConnections?.();
      server.close(() => r());
    }),
  };
}

export const token = () => randomBytes(4).toString('hex');
