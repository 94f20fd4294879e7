// One session: header (theme, status, time, group, video room), and the
// tabs Participants, Availability (R3.4), Patients (R3.6/7), Documents
// (R3.8), Comments (R3.9, live), Decisions (R3.10), Minutes and closing
// (R3.11). Live updates come from EventSource /sessions/{id}/live.
import {
  h, field, newId, api, get, enc, messageArea, errorAlert, submitBusy, alertBox, fromLocalInput, parseDate,
} from '/static/js/kit/v1.js';
import {
  BASE, tc, tcOpt, subnav, pageTitle, statusBadge, fmtRange, fmtDateTime, hospitalName, patientName,
  emptyText,
} from './common.js';
import { patientsPanel } from './session-patients.js';
import { documentsPanel } from './session-docs.js';

const TABS = ['participants', 'availability', 'patients', 'documents', 'comments', 'decisions', 'minutes'];
const ANSWERS = ['yes', 'maybe', 'no'];
const ANSWER_MARK = { yes: '✓', maybe: '?', no: '✗' };

const isClosed = (s) => s.status === 'closed' || s.status === 'cancelled';
const personName = (p) => (p ? (p.display_name || p.name || p.username || p.email || '') : '');

/* ---------------- participants ---------------- */

function participantsPanel(state) {
  const { id } = state;
  const root = h('div', { 'data-testid': 'participants' });
  const msg = messageArea();
  const list = h('div');
  const adder = h('div', { class: 'mt-3' });
  const patientBox = h('div');
  root.append(msg.el, list, adder);

  function staffForm() {
    const fid = newId('pst');
    const q = h('input', { class: 'form-control', type: 'search', autocomplete: 'off', 'data-testid': 'colleague-q' });
    const out = h('div', { class: 'mt-2', 'aria-live': 'polite', 'data-testid': 'colleague-results' });
    let seq = 0;
    const search = async () => {
      const text = q.value.trim();
      if (text.length < 2) {
        out.replaceChildren(h('p', { class: 'small text-muted mb-0' }, tc('participants.typeMore')));
        return;
      }
      const my = ++seq;
      try {
        const r = await get(`${BASE}/colleagues?q=${enc(text)}`);
        if (my !== seq) return;
        const users = (r && r.users) || [];
        out.replaceChildren(users.length ? h('ul', { class: 'list-group' }, users.map((u) => h('li', { class: 'list-group-item d-flex flex-wrap align-items-center gap-2', 'data-user': u.username },
          h('span', { class: 'flex-grow-1' }, u.display_name, ' ', h('span', { class: 'small text-muted' }, `${u.username} · ${hospitalName(u.hospital)}`)),
          h('button', {
            type: 'button', class: 'btn btn-sm btn-outline-primary', 'aria-label': tc('participants.addName', { name: u.display_name }),
            onclick: async (e) => {
              submitBusy(e.target, true);
              try {
                await api('POST', `${BASE}/sessions/${enc(id)}/participants`, { kind: 'staff', user_id: String(u.id) });
                state.announce(tc('participants.added', { name: u.display_name }));
                out.replaceChildren();
                q.value = '';
                await state.reload();
              } catch (err) {
                msg.error(err);
                submitBusy(e.target, false);
              }
            },
          }, tc('participants.add')))))
          : h('p', { class: 'small text-muted mb-0' }, tc('participants.noColleagues')));
      } catch (err) {
        msg.error(err);
      }
    };
    q.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); search(); } });
    return h('div', { class: 'mb-3' },
      h('label', { class: 'form-label', for: `${fid}-q` }, tc('participants.searchStaff')),
      h('div', { class: 'input-group' }, Object.assign(q, { id: `${fid}-q` }),
        h('button', { type: 'button', class: 'btn btn-outline-primary', onclick: search }, tc('participants.search'))),
      out);
  }

  function externalForm() {
    const fid = newId('pex');
    const ctl = {
      name: h('input', { class: 'form-control', autocomplete: 'off', required: true, 'data-testid': 'ext-name' }),
      email: h('input', { class: 'form-control', type: 'email', autocomplete: 'off', 'data-testid': 'ext-email' }),
      phone: h('input', { class: 'form-control', type: 'tel', autocomplete: 'off', 'data-testid': 'ext-phone' }),
    };
    const btn = h('button', { type: 'submit', class: 'btn btn-outline-primary' }, tc('participants.addExternal'));
    const form = h('form', { novalidate: true, class: 'row g-2' },
      h('div', { class: 'col-md-4' }, field({ label: tc('participants.name'), control: ctl.name, id: `${fid}-name` })),
      h('div', { class: 'col-md-4' }, field({ label: tc('participants.email'), control: ctl.email, id: `${fid}-email` })),
      h('div', { class: 'col-md-4' }, field({ label: tc('participants.phone'), control: ctl.phone, id: `${fid}-phone` })),
      h('div', { class: 'col-12' }, btn));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { kind: 'external', name: ctl.name.value.trim(), email: ctl.email.value.trim() };
      if (ctl.phone.value.trim()) body.phone = ctl.phone.value.trim();
      if (!body.name || (!body.email && !body.phone)) {
        msg.error(tc('participants.externalRequired'));
        return;
      }
      submitBusy(btn, true);
      try {
        await api('POST', `${BASE}/sessions/${enc(id)}/participants`, body);
        state.announce(tc('participants.added', { name: body.name }));
        Object.values(ctl).forEach((c) => { c.value = ''; });
        msg.clear();
        await state.reload();
      } catch (err) {
        msg.error(err);
      } finally {
        submitBusy(btn, false);
      }
    });
    return h('fieldset', { class: 'border rounded p-3 mb-3' }, h('legend', { class: 'fs-6 float-none w-auto px-1 mb-0' }, tc('participants.external')), form);
  }

  function patientForm() {
    const s = state.session;
    const already = new Set((s.participants || []).filter((p) => p.kind === 'patient').map((p) => String(p.patient_id)));
    const options = (s.patients || []).filter((sp) => !already.has(String(sp.patient.id)));
    if (!options.length) return null;
    const fid = newId('ppt');
    const sel = h('select', { class: 'form-select', id: `${fid}-sel` }, options.map((sp) => h('option', { value: sp.patient.id }, patientName(sp.patient))));
    const btn = h('button', {
      type: 'button', class: 'btn btn-outline-primary',
      onclick: async () => {
        submitBusy(btn, true);
        try {
          await api('POST', `${BASE}/sessions/${enc(id)}/participants`, { kind: 'patient', patient_id: String(sel.value) });
          await state.reload();
        } catch (err) {
          msg.error(err);
          submitBusy(btn, false);
        }
      },
    }, tc('participants.invitePatient'));
    return h('div', { class: 'row g-2 align-items-end' },
      h('div', { class: 'col-md-6' }, h('label', { class: 'form-label', for: sel.id }, tc('participants.patient')), sel),
      h('div', { class: 'col-md-6' }, btn));
  }

  // What became of the invitation mail (the core's outbox): the organizer
  // sees "failed: <reason>" instead of a count of what was queued.
  function deliveryCell(s, p) {
    const d = p.delivery;
    if (!d) {
      if (p.reachable === false) return h('span', { class: 'badge text-bg-warning', 'data-state': 'unreachable' }, tc('delivery.unreachable'));
      const scheduled = s.status === 'scheduled' || s.status === 'in_progress';
      return h('span', { class: 'text-muted', 'data-state': 'none' }, scheduled && !p.email ? tc('delivery.smsOnly') : tc('delivery.notYet'));
    }
    const kinds = { queued: 'text-bg-secondary', sent: 'text-bg-success', retrying: 'text-bg-warning', failed: 'text-bg-danger' };
    return h('span', {},
      h('span', { class: ['badge', kinds[d.state] || 'text-bg-secondary'], 'data-state': d.state },
        tc(`delivery.${d.state}`, { n: d.attempts })),
      d.error && d.state !== 'sent' ? h('span', { class: 'd-block text-danger text-break' }, d.error) : null);
  }

  function resendButton(s, p) {
    const scheduled = s.status === 'scheduled' || s.status === 'in_progress';
    if (!scheduled || p.reachable === false || p.organizer) return null;
    return h('button', {
      type: 'button', class: 'btn btn-sm btn-outline-primary me-1', 'data-testid': 'resend',
      'aria-label': tc('delivery.resendName', { name: personName(p) }),
      onclick: async (e) => {
        if (!window.confirm(tc('delivery.resendConfirm', { name: personName(p) }))) return;
        submitBusy(e.target, true);
        try {
          await api('POST', `${BASE}/sessions/${enc(id)}/participants/${enc(p.id)}/invite`, {});
          state.announce(tc('delivery.resent', { name: personName(p) }));
          await state.reload();
        } catch (err) {
          msg.error(err);
          submitBusy(e.target, false);
        }
      },
    }, tc('delivery.resend'));
  }

  // While a mail is on its way, look again (a delivery is not a live event).
  let recheck = null;
  function watchDeliveries(s) {
    clearTimeout(recheck);
    const pending = (s.participants || []).some((p) => p.delivery && (p.delivery.state === 'queued' || p.delivery.state === 'retrying'));
    if (pending) recheck = setTimeout(() => { if (root.isConnected) state.reload().catch(() => {}); }, 3000);
  }

  function draw() {
    const s = state.session;
    const org = !!(s.me && s.me.organizer);
    const ps = s.participants || [];
    if (org) watchDeliveries(s);
    list.replaceChildren(ps.length ? h('div', { class: 'table-responsive' }, h('table', { class: 'table table-sm bg-white align-middle tc-stack', 'data-testid': 'participants-table' },
      h('caption', {}, tc('participants.caption', { n: ps.length })),
      h('thead', {}, h('tr', {}, ['participants.name', 'participants.kind', 'participants.hospital', 'participants.contact']
        .concat(org ? ['participants.delivery'] : [])
        .map((k) => h('th', { scope: 'col' }, tc(k))), org && !isClosed(s) ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, tc('common.actions'))) : null)),
      h('tbody', {}, ps.map((p) => h('tr', { 'data-participant': p.id },
        h('td', {}, personName(p), p.organizer ? h('span', { class: 'badge text-bg-primary ms-2' }, tc('participants.organizer')) : null,
          s.me && String(s.me.participant_id) === String(p.id) ? h('span', { class: 'badge text-bg-info ms-1' }, tc('participants.you')) : null),
        h('td', { 'data-label': tc('participants.kind') }, tcOpt(`participants.kind.${p.kind}`, p.kind)),
        h('td', { 'data-label': tc('participants.hospital') }, hospitalName(p.hospital) || '—'),
        h('td', { class: 'small text-break', 'data-label': tc('participants.contact') }, [p.email, p.phone].filter(Boolean).join(' · ') || '—'),
        org ? h('td', { class: 'small', 'data-testid': 'delivery', 'data-label': tc('participants.delivery') }, deliveryCell(s, p)) : null,
        org && !isClosed(s) ? h('td', { class: 'text-end text-nowrap' }, resendButton(s, p), p.organizer ? null : h('button', {
          type: 'button', class: 'btn btn-sm btn-outline-danger', 'aria-label': tc('participants.removeName', { name: personName(p) }),
          onclick: async (e) => {
            // Their join link dies at once: ask first.
            if (!window.confirm(tc('participants.removeConfirm', { name: personName(p) }))) return;
            submitBusy(e.target, true);
            try {
              await api('DELETE', `${BASE}/sessions/${enc(id)}/participants/${enc(p.id)}`);
              await state.reload();
            } catch (err) {
              msg.error(err);
              submitBusy(e.target, false);
            }
          },
        }, tc('participants.remove'))) : null)))))
      : emptyText(tc('participants.none')));
    if (org && !isClosed(s)) {
      // Built once, so a live update does not wipe what is being typed.
      if (!adder.dataset.built) {
        adder.replaceChildren(h('h3', { class: 'h6' }, tc('participants.addTitle')), staffForm(), externalForm(), patientBox);
        adder.dataset.built = '1';
      }
      patientBox.replaceChildren(patientForm() || '');
    } else {
      adder.replaceChildren();
      delete adder.dataset.built;
    }
  }
  return { el: root, update: draw };
}

/* ---------------- availability ---------------- */

function availabilityPanel(state) {
  const { id } = state;
  const root = h('div', { 'data-testid': 'availability' });
  const msg = messageArea();
  const grid = h('div', { 'aria-live': 'polite' });
  const scrollHint = h('p', { class: 'small text-muted d-none', 'data-testid': 'availability-scroll-hint' }, tc('availability.scrollHint'));
  const proposer = h('div', { class: 'mt-3' });
  root.append(msg.el, grid, proposer);

  function slotForm() {
    const fid = newId('slot');
    const start = h('input', { class: 'form-control', type: 'datetime-local', required: true, 'data-testid': 'slot-start' });
    const minutes = h('input', {
      class: 'form-control', type: 'number', min: '10', max: '480', step: '5', value: '30', 'data-testid': 'slot-minutes',
    });
    const btn = h('button', { type: 'submit', class: 'btn btn-outline-primary', 'data-testid': 'slot-add' }, tc('availability.propose'));
    const form = h('form', { novalidate: true, class: 'row g-2 align-items-end', 'data-testid': 'slot-form' },
      h('div', { class: 'col-sm-6 col-lg-4' }, field({ label: tc('availability.start'), control: start, id: `${fid}-start` })),
      h('div', { class: 'col-sm-6 col-lg-3' }, field({ label: tc('availability.minutes'), control: minutes, id: `${fid}-min` })),
      h('div', { class: 'col-12 col-lg-5 mb-3' }, btn));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      // The time typed is Europe/Rome time, as every page shows it.
      const startsIso = fromLocalInput(start.value);
      const mins = Number(minutes.value) || 30;
      if (!startsIso) {
        msg.error(tc('availability.startRequired'));
        start.focus();
        return;
      }
      const endsIso = new Date(parseDate(startsIso).getTime() + mins * 60000).toISOString();
      submitBusy(btn, true);
      try {
        await api('POST', `${BASE}/sessions/${enc(id)}/slots`, { starts_at: startsIso, ends_at: endsIso });
        state.announce(tc('availability.proposed'));
        start.value = '';
        await state.reload();
      } catch (err) {
        msg.error(err);
      } finally {
        submitBusy(btn, false);
      }
    });
    return h('div', {}, h('h3', { class: 'h6' }, tc('availability.proposeTitle')), form);
  }

  function draw() {
    const s = state.session;
    const org = !!(s.me && s.me.organizer);
    const mine = s.me && s.me.participant_id ? String(s.me.participant_id) : null;
    const slots = s.slots || [];
    const people = (s.participants || []).filter((p) => p.kind !== 'patient' || true);
    const closed = isClosed(s);
    const confirmed = s.status !== 'draft' && s.status !== 'scheduling';
    if (!slots.length) {
      grid.replaceChildren(emptyText(org ? tc('availability.noSlotsOrg') : tc('availability.noSlots')));
    } else {
      const rows = slots.map((sl) => {
        const answers = new Map((sl.answers || []).map((a) => [String(a.participant_id), a.answer]));
        const counts = { yes: 0, maybe: 0, no: 0 };
        answers.forEach((a) => { if (a in counts) counts[a] += 1; });
        const myAnswer = mine ? answers.get(mine) : null;
        const label = fmtRange(sl.starts_at, sl.ends_at);
        // In the slot's own cell: with many participants a last column
        // ran off the screen (1366 px, 4 people), and the slot cell stays
        // in sight (sticky) while the answers scroll.
        const confirmBtn = org && !confirmed && !closed ? h('button', {
          type: 'button', class: 'btn btn-sm btn-primary d-block mt-1', 'data-testid': 'slot-confirm',
          'aria-label': tc('availability.confirmSlot', { slot: label }),
          onclick: async (e) => {
            // Someone the invitation cannot reach is named before, not after.
            const unreachable = (s.participants || []).filter((x) => x.reachable === false).map(personName);
            const ask = tc('availability.confirmAsk', { slot: label })
              + (unreachable.length ? `\n\n${tc('availability.unreachable', { names: unreachable.join(', ') })}` : '');
            if (!window.confirm(ask)) return;
            submitBusy(e.target, true);
            try {
              const r = await api('POST', `${BASE}/sessions/${enc(id)}/confirm`, { slot_id: String(sl.id) });
              const n = r && r.invitations !== undefined ? r.invitations : '?';
              msg.show(alertBox('success', tc('availability.confirmed', { n })));
              state.announce(tc('availability.confirmed', { n }));
              await state.reload();
            } catch (err) {
              msg.error(err);
              submitBusy(e.target, false);
            }
          },
        }, tc('availability.confirm')) : null;
        const mineCell = mine && !confirmed && !closed
          ? h('div', { class: 'btn-group btn-group-sm', role: 'group', 'aria-label': tc('availability.myAnswerFor', { slot: label }) },
            ANSWERS.map((a) => h('button', {
              type: 'button',
              class: ['btn', myAnswer === a ? `btn-${a === 'yes' ? 'success' : a === 'no' ? 'danger' : 'warning'}` : 'btn-outline-secondary'],
              'aria-pressed': myAnswer === a ? 'true' : 'false',
              'data-answer': a,
              onclick: async (e) => {
                submitBusy(e.target, true);
                try {
                  await api('PUT', `${BASE}/sessions/${enc(id)}/slots/${enc(sl.id)}/availability`, { answer: a });
                  state.announce(tc('availability.answered', { answer: tc(`answer.${a}`), slot: label }));
                  await state.reload();
                } catch (err) {
                  msg.error(err);
                  submitBusy(e.target, false);
                }
              },
            }, tc(`answer.${a}`))))
          : (myAnswer ? h('span', { class: `tc-answer tc-answer-${myAnswer}` }, tc(`answer.${myAnswer}`)) : '—');
        return h('tr', { 'data-slot': sl.id, class: sl.chosen ? 'table-success' : '' },
          h('th', { scope: 'row', class: 'tc-slot' }, label, sl.chosen ? h('span', { class: 'badge text-bg-success ms-2' }, tc('availability.chosen')) : null, confirmBtn),
          h('td', { 'data-testid': 'my-answer' }, mineCell),
          h('td', { class: 'text-nowrap small' }, `${ANSWER_MARK.yes} ${counts.yes} · ${ANSWER_MARK.maybe} ${counts.maybe} · ${ANSWER_MARK.no} ${counts.no}`),
          people.map((p) => {
            const a = answers.get(String(p.id));
            return h('td', { class: 'text-center', 'data-participant': p.id, 'data-answer': a || '' },
              a ? h('span', { class: `tc-answer tc-answer-${a}`, title: tc(`answer.${a}`) }, ANSWER_MARK[a],
                h('span', { class: 'visually-hidden' }, ` ${tc(`answer.${a}`)}`))
                : h('span', { class: 'text-muted' }, '·', h('span', { class: 'visually-hidden' }, ` ${tc('availability.noAnswer')}`)));
          }),
        );
      });
      // The caption is shown above the scrolling box: inside it, it would
      // be as wide as the table and cut on a phone.
      grid.replaceChildren(h('p', { class: 'text-muted mb-1', 'aria-hidden': 'true' }, tc('availability.caption')),
        h('div', { class: 'table-responsive' }, h('table', { class: 'table table-sm table-bordered bg-white align-middle tc-avail', 'data-testid': 'availability-grid' },
        h('caption', { class: 'visually-hidden' }, tc('availability.caption')),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, tc('availability.slot')),
          h('th', { scope: 'col' }, tc('availability.mine')),
          h('th', { scope: 'col' }, tc('availability.summary')),
          people.map((p) => h('th', { scope: 'col', class: 'small text-center' }, personName(p))))),
        h('tbody', {}, rows))), scrollHint);
      // Said only when the answers do run off the side.
      requestAnimationFrame(() => {
        const box = grid.querySelector('.table-responsive');
        scrollHint.classList.toggle('d-none', !box || box.scrollWidth <= box.clientWidth + 1);
      });
    }
    // The form is built once: a live update must not wipe a slot being typed.
    if (org && !confirmed && !closed) {
      if (!proposer.firstChild) proposer.append(slotForm());
    } else proposer.replaceChildren();
    if (confirmed && s.starts_at) {
      grid.prepend(alertBox('info', tc('availability.fixed', { when: fmtRange(s.starts_at, s.ends_at) })));
    }
    root.dataset.slots = String(slots.length);
  }
  return { el: root, update: draw };
}

/* ---------------- comments ---------------- */

function commentsPanel(state) {
  const { id } = state;
  const root = h('div', { 'data-testid': 'comments' });
  const log = h('ol', { class: 'list-unstyled tc-comments', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'data-testid': 'comments-list' });
  const seen = new Set();
  const msg = messageArea();
  const fid = newId('cmt');
  const body = h('textarea', { class: 'form-control', rows: '3', maxlength: '4000', 'data-testid': 'comment-body' });
  const btn = h('button', { type: 'submit', class: 'btn btn-primary mt-2', 'data-testid': 'comment-send' }, tc('comments.send'));
  const form = h('form', { novalidate: true, class: 'mt-3' },
    field({ label: tc('comments.new'), control: body, id: `${fid}-body`, help: tc('comments.help') }), msg.el, btn);
  const empty = emptyText(tc('comments.none'));
  root.append(empty, log, form);

  function add(c, live) {
    if (!c || c.id === undefined || seen.has(String(c.id))) return;
    seen.add(String(c.id));
    empty.classList.add('d-none');
    const author = personName(c.author) || (typeof c.author === 'string' ? c.author : '') || tc('comments.someone');
    const li = h('li', { class: 'tc-comment', 'data-comment': c.id },
      h('div', { class: 'small text-muted' }, h('strong', { class: 'text-body' }, author), ' · ', fmtDateTime(c.created_at)),
      h('p', { class: 'mb-0 tc-prewrap' }, c.body || ''));
    const items = [...log.children];
    const at = items.find((x) => Number(x.dataset.comment) > Number(c.id));
    if (at) log.insertBefore(li, at);
    else log.append(li);
    log.dataset.count = String(seen.size);
    if (live) state.announce(tc('comments.newFrom', { name: author }));
  }

  async function reload() {
    try {
      const r = await get(`${BASE}/sessions/${enc(id)}/comments`);
      ((r && r.comments) || []).forEach((c) => add(c, false));
      log.dataset.loaded = 'true';
    } catch (err) {
      msg.error(err);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = body.value.trim();
    if (!text) {
      body.focus();
      return;
    }
    submitBusy(btn, true);
    try {
      const c = await api('POST', `${BASE}/sessions/${enc(id)}/comments`, { body: text });
      add(c, false);
      body.value = '';
      msg.clear();
    } catch (err) {
      msg.error(err);
    } finally {
      submitBusy(btn, false);
    }
  });
  return {
    el: root,
    add,
    reload,
    update() {
      form.classList.toggle('d-none', isClosed(state.session) || !(state.session.me && (state.session.me.participant_id || state.session.me.organizer)));
    },
  };
}

/* ---------------- decisions ---------------- */

// The decision is a medico-legal record: entries are only ever added, each
// with its author and time; a correction is a new entry naming the one it
// corrects (the server refuses changes and deletions).
function decisionEntries(sp, onCorrect) {
  const entries = sp.decisions || [];
  if (!entries.length) return h('p', { class: 'small text-muted' }, tc('decisions.none'));
  const number = new Map(entries.map((e, i) => [String(e.id), i + 1]));
  const corrected = new Set(entries.filter((e) => e.corrects).map((e) => String(e.corrects)));
  return h('ol', { class: 'list-unstyled mb-2', 'data-testid': 'decision-entries' }, entries.map((e, i) => h('li', {
    class: ['border-start border-3 ps-2 mb-2', corrected.has(String(e.id)) ? 'border-secondary' : 'border-primary'],
    'data-entry': String(e.id),
  },
  h('div', { class: 'small text-muted' },
    tc('decisions.entryHead', { n: i + 1, when: fmtDateTime(e.created_at), who: e.author || '—' }),
    e.corrects ? h('span', { class: 'badge text-bg-warning ms-2' }, tc('decisions.corrects', { n: number.get(String(e.corrects)) || '?' })) : null,
    corrected.has(String(e.id)) ? h('span', { class: 'badge text-bg-secondary ms-2' }, tc('decisions.corrected')) : null),
  h('p', { class: 'tc-prewrap mb-1' }, e.body),
  onCorrect ? h('button', {
    type: 'button', class: 'btn btn-link btn-sm p-0', 'data-testid': 'decision-correct',
    onclick: () => onCorrect(e, i + 1),
  }, tc('decisions.correct', { n: i + 1 })) : null)));
}

function decisionsPanel(state) {
  const { id } = state;
  const root = h('div', { 'data-testid': 'decisions' });
  const editors = new Map();

  function draw() {
    const s = state.session;
    const closed = isClosed(s);
    const staff = !!(s.me && (s.me.participant_id || s.me.organizer));
    const pts = s.patients || [];
    if (!pts.length) {
      root.replaceChildren(emptyText(tc('decisions.noPatients')));
      return;
    }
    const keep = new Set();
    root.replaceChildren(...pts.map((sp) => {
      keep.add(String(sp.id));
      let ed = editors.get(String(sp.id));
      if (!ed) {
        const fid = newId('dec');
        const ta = h('textarea', { class: 'form-control', rows: '4', maxlength: '8000', 'data-testid': 'decision-text' });
        const msg = messageArea();
        const btn = h('button', { type: 'submit', class: 'btn btn-primary mt-2', 'data-testid': 'decision-save' }, tc('decisions.save'));
        const correcting = h('div', { class: 'small mb-1', 'aria-live': 'polite' });
        const current = h('div', { class: 'tc-decision-current', 'data-testid': 'decision-current' });
        const form = h('form', { novalidate: true },
          correcting,
          field({ label: tc('decisions.label', { name: patientName(sp.patient) }), control: ta, id: `${fid}-text` }), msg.el, btn);
        ed = {
          ta, form, current, correcting, corrects: null,
          card: h('section', { class: 'border rounded p-3 mb-3 bg-white', 'data-session-patient': sp.id }),
        };
        const edRef = ed;
        edRef.setCorrects = (entry, n) => {
          edRef.corrects = entry ? String(entry.id) : null;
          correcting.replaceChildren(...(entry ? [
            h('span', { class: 'badge text-bg-warning me-2' }, tc('decisions.correcting', { n })),
            h('button', { type: 'button', class: 'btn btn-link btn-sm p-0', onclick: () => edRef.setCorrects(null) }, tc('decisions.cancelCorrection')),
          ] : []));
          if (entry) ta.focus();
        };
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          if (!ta.value.trim()) {
            msg.error(tc('decisions.empty'));
            ta.focus();
            return;
          }
          submitBusy(btn, true);
          try {
            await api('POST', `${BASE}/sessions/${enc(id)}/patients/${enc(sp.id)}/decisions`,
              { text: ta.value, corrects: edRef.corrects });
            ta.value = '';
            edRef.setCorrects(null);
            msg.ok(tc('decisions.saved'));
            state.announce(tc('decisions.saved'));
            await state.reload();
          } catch (err) {
            msg.error(err);
          } finally {
            submitBusy(btn, false);
          }
        });
        editors.set(String(sp.id), ed);
      }
      const canWrite = !closed && staff;
      ed.current.replaceChildren(decisionEntries(sp, canWrite ? ed.setCorrects : null));
      ed.card.replaceChildren(...[h('h3', { class: 'h6' }, patientName(sp.patient)), ed.current, canWrite ? ed.form : null].filter(Boolean));
      return ed.card;
    }));
    [...editors.keys()].forEach((k) => { if (!keep.has(k)) editors.delete(k); });
  }
  return { el: root, update: draw };
}

/* ---------------- minutes and closing ---------------- */

function minutesPanel(state) {
  const { id } = state;
  const root = h('div', { 'data-testid': 'minutes' });
  function draw() {
    const s = state.session;
    const closed = s.status === 'closed';
    const org = !!(s.me && s.me.organizer);
    const pts = s.patients || [];
    const links = pts.length ? h('ul', { class: 'list-group mb-3', 'data-testid': 'minutes-list' }, pts.map((sp) => {
      const url = (sp.minutes && sp.minutes.url) || `${BASE}/sessions/${enc(id)}/patients/${enc(sp.id)}/minutes.pdf`;
      return h('li', { class: 'list-group-item d-flex flex-wrap align-items-center gap-2', 'data-session-patient': sp.id },
        h('span', { class: 'flex-grow-1' }, patientName(sp.patient),
          sp.minutes && sp.minutes.generated_at ? h('span', { class: 'small text-muted' }, ` · ${tc('minutes.generated', { when: fmtDateTime(sp.minutes.generated_at) })}`) : null),
        h('a', {
          class: ['btn btn-sm', closed ? 'btn-primary' : 'btn-outline-secondary'], href: url, download: '',
          'data-testid': closed ? 'minutes-download' : 'minutes-draft',
          'aria-label': (closed ? tc('minutes.downloadFor', { name: patientName(sp.patient) }) : tc('minutes.draftFor', { name: patientName(sp.patient) })),
        }, closed ? tc('minutes.download') : tc('minutes.draft')));
    })) : emptyText(tc('minutes.noPatients'));
    const parts = [h('p', { class: 'small text-muted' }, closed ? tc('minutes.introClosed') : tc('minutes.introOpen')), links];
    if (closed) {
      parts.push(h('div', { class: 'alert alert-secondary', 'data-testid': 'outcome' },
        h('strong', {}, tc('close.outcome')), ': ', s.outcome || '—',
        s.closed_at ? h('div', { class: 'small' }, tc('close.closedAt', { when: fmtDateTime(s.closed_at) })) : null,
        s.end_reason ? h('div', { class: 'small' }, tc('close.earlyReason', { reason: s.end_reason })) : null));
    } else if (s.status === 'cancelled') {
      parts.push(h('div', { class: 'alert alert-warning', 'data-testid': 'cancelled' },
        h('strong', {}, tc('close.cancelledTitle')),
        s.end_reason ? h('div', {}, tc('close.cancelReasonShown', { reason: s.end_reason })) : null,
        s.closed_at ? h('div', { class: 'small' }, tc('close.cancelledAt', { when: fmtDateTime(s.closed_at) })) : null));
    } else if (org) {
      if (!closeForm) closeForm = buildCloseForm();
      closeForm.update(!s.starts_at || new Date(s.starts_at) > new Date());
      parts.push(closeForm.el);
    }
    root.replaceChildren(...parts);
  }
  let closeForm = null;
  // Closing before the scheduled start (or with no time yet) is one of
  // two things, and the organizer must say which and why: the consult
  // took place early (minutes), or it will not take place (cancelled).
  function buildCloseForm() {
    const fid = newId('cls');
    const outcome = h('textarea', { class: 'form-control', rows: '3', maxlength: '2000', 'data-testid': 'close-outcome' });
    const reason = h('textarea', { class: 'form-control', rows: '2', maxlength: '500', 'data-testid': 'close-reason' });
    const choice = (value) => h('input', { class: 'form-check-input', type: 'radio', name: `${fid}-early`, id: `${fid}-${value}`, value });
    const closeEarly = choice('close');
    const cancel = choice('cancel');
    const early = h('fieldset', { class: 'mb-3', 'data-testid': 'close-early' },
      h('legend', { class: 'h6 fs-6' }, tc('close.earlyLegend')),
      h('p', { class: 'small text-muted mb-2', 'data-testid': 'close-early-note' }),
      h('div', { class: 'form-check' }, closeEarly, h('label', { class: 'form-check-label', for: closeEarly.id }, tc('close.earlyClose'))),
      h('div', { class: 'form-check' }, cancel, h('label', { class: 'form-check-label', for: cancel.id }, tc('close.earlyCancel'))),
      field({ label: tc('close.reason'), control: reason, id: `${fid}-reason` }));
    const outcomeField = field({ label: tc('close.outcome'), control: outcome, id: `${fid}-outcome`, help: tc('close.help') });
    const msg = messageArea();
    const btn = h('button', { type: 'submit', class: 'btn btn-danger mt-2', 'data-testid': 'close-session' }, tc('close.button'));
    const form = h('form', { novalidate: true, class: 'border-top pt-3' },
      h('h3', { class: 'h6' }, tc('close.title')), early, outcomeField, msg.el, btn);
    let beforeStart = false;
    const picked = () => (closeEarly.checked ? 'close' : cancel.checked ? 'cancel' : null);
    const follow = () => {
      const isCancel = beforeStart && picked() === 'cancel';
      outcomeField.hidden = isCancel; // a cancelled consult has no outcome
      btn.textContent = isCancel ? tc('close.cancelButton') : tc('close.button');
    };
    closeEarly.addEventListener('change', follow);
    cancel.addEventListener('change', follow);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = {};
      if (beforeStart) {
        if (!picked()) {
          msg.error(tc('close.earlyRequired'));
          closeEarly.focus();
          return;
        }
        if (!reason.value.trim()) {
          msg.error(tc('close.reasonRequired'));
          reason.focus();
          return;
        }
        body.early = picked();
        body.reason = reason.value.trim();
      }
      const isCancel = body.early === 'cancel';
      if (!isCancel && !outcome.value.trim()) {
        msg.error(tc('close.outcomeRequired'));
        outcome.focus();
        return;
      }
      if (!isCancel) body.outcome = outcome.value.trim();
      if (!window.confirm(isCancel ? tc('close.cancelConfirm') : tc('close.confirm'))) return;
      submitBusy(btn, true);
      try {
        await api('POST', `${BASE}/sessions/${enc(id)}/close`, body);
        state.announce(isCancel ? tc('close.cancelDone') : tc('close.done'));
        await state.reload();
      } catch (err) {
        msg.error(err);
        submitBusy(btn, false);
      }
    });
    return {
      el: form,
      update(before) {
        beforeStart = before;
        early.hidden = !before;
        const s = state.session;
        early.querySelector('[data-testid="close-early-note"]').textContent = s.starts_at
          ? tc('close.earlyNote', { when: fmtDateTime(s.starts_at) }) : tc('close.earlyNoteNoTime');
        follow();
      },
    };
  }
  return { el: root, update: draw };
}

/* ---------------- the page ---------------- */

/* The clinical question the session answers, for every participant (the
 * server keeps a copy with the session for those who cannot read the
 * request itself). */
function requestSummary(r) {
  if (!r || typeof r !== 'object' || !(r.question || r.reason)) return null;
  const from = [r.requester, r.requester_hospital_name || r.requester_hospital].filter(Boolean).join(' — ');
  return h('section', { class: 'border rounded bg-light p-2 mb-2', 'data-testid': 'request-summary', 'aria-labelledby': 'tc-request-summary' },
    h('h2', { class: 'h6 mb-1', id: 'tc-request-summary' }, tc('session.question'),
      r.urgency ? h('span', { class: ['badge ms-2', r.urgency === 'routine' ? 'text-bg-secondary' : 'text-bg-danger'] }, tcOpt(`urgency.${r.urgency}`, r.urgency)) : null),
    r.question ? h('p', { class: 'tc-prewrap mb-1', 'data-testid': 'request-question' }, r.question) : null,
    h('p', { class: 'small text-muted mb-0' },
      [r.reason ? tc('session.reasonIs', { reason: r.reason }) : null, from ? tc('session.askedBy', { who: from }) : null].filter(Boolean).join(' · ')));
}

function header(state) {
  const el = h('div', { class: 'card mb-3', 'data-testid': 'session-header' });
  const msg = messageArea();
  function draw() {
    const s = state.session;
    const me = s.me || {};
    const org = !!me.organizer;
    const actions = h('div', { class: 'd-flex flex-wrap gap-2' });
    if ((s.status === 'scheduled' || s.status === 'in_progress') && (me.participant_id || org)) {
      actions.append(h('button', {
        type: 'button', class: 'btn btn-success', 'data-testid': 'join-video',
        onclick: async (e) => {
          // Opened at once (a popup blocker lets it through), filled after the answer.
          const w = window.open('', '_blank');
          submitBusy(e.target, true);
          try {
            const r = await get(`${BASE}/sessions/${enc(state.id)}/join`);
            if (w) {
              w.opener = null;
              w.location.href = r.url;
            } else {
              msg.show(alertBox('info', h('a', { href: r.url, target: '_blank', rel: 'noopener' }, tc('session.openRoom'))));
            }
          } catch (err) {
            if (w) w.close();
            if (err.status === 409) msg.show(alertBox('info', tc('session.joinNotYet')));
            else msg.error(err);
          } finally {
            submitBusy(e.target, false);
          }
        },
      }, tc('session.join')));
    }
    if (org && s.status === 'scheduled') {
      actions.append(h('button', {
        type: 'button', class: 'btn btn-outline-success', 'data-testid': 'start-session',
        onclick: async (e) => {
          submitBusy(e.target, true);
          try {
            await api('POST', `${BASE}/sessions/${enc(state.id)}/start`, {});
            await state.reload();
          } catch (err) {
            msg.error(err);
            submitBusy(e.target, false);
          }
        },
      }, tc('session.start')));
    }
    const g = s.group || {};
    el.replaceChildren(h('div', { class: 'card-body' },
      h('div', { class: 'd-flex flex-wrap align-items-center gap-2 mb-2' },
        statusBadge(s.status), h('span', { class: 'badge text-bg-light border' }, tcOpt(`kind.${s.kind}`, s.kind || '')),
        h('span', { class: 'tc-live small ms-auto', 'data-testid': 'live-state', 'data-live': state.live || 'off' },
          h('span', { class: 'tc-live-dot', 'aria-hidden': 'true' }), ' ', tc(`live.${state.live || 'off'}`))),
      h('dl', { class: 'row mb-2 small' },
        h('dt', { class: 'col-sm-3' }, tc('session.when')), h('dd', { class: 'col-sm-9', 'data-testid': 'session-when' }, fmtRange(s.starts_at, s.ends_at)),
        h('dt', { class: 'col-sm-3' }, tc('session.group')), h('dd', { class: 'col-sm-9' }, [g.name || g.slug, hospitalName(s.hospital || g.hospital)].filter(Boolean).join(' — ') || '—'),
        h('dt', { class: 'col-sm-3' }, tc('session.organizer')), h('dd', { class: 'col-sm-9' }, personName(s.organizer) || '—'),
        s.request ? [h('dt', { class: 'col-sm-3' }, tc('session.request')), h('dd', { class: 'col-sm-9' },
          h('a', { href: `#/requests/${s.request.id || s.request}` }, [s.request.specialty, s.request.reason].filter(Boolean).join(' — ') || tc('session.requestLink')))] : null),
      s.kind === 'immediate' ? h('div', { class: 'alert alert-danger py-2', role: 'status', 'data-testid': 'immediate-banner' },
        tc('session.immediateBanner', { when: fmtDateTime(s.started_at || s.starts_at), who: (s.request && s.request.requester) || '—' })) : null,
      requestSummary(s.request),
      msg.el, actions));
  }
  return { el, update: draw };
}

export async function render(ctx) {
  const { main, user } = ctx;
  const id = ctx.params.id;
  main.append(subnav(null));
  let first;
  try {
    first = await get(`${BASE}/sessions/${enc(id)}`);
  } catch (err) {
    main.append(pageTitle(tc('session.title')), errorAlert(err));
    return;
  }
  if (!ctx.alive()) return;
  const state = {
    id, user, session: first, live: 'off', announce: ctx.announce, reload: null,
  };
  const title = pageTitle(first.theme || tc('session.untitled'));
  const head = header(state);
  const panels = {
    participants: participantsPanel(state),
    availability: availabilityPanel(state),
    patients: patientsPanel(state),
    documents: documentsPanel(state),
    comments: commentsPanel(state),
    decisions: decisionsPanel(state),
    minutes: minutesPanel(state),
  };
  const root = h('div', { 'data-testid': 'session', 'data-session': id });
  let seq = 0;
  const drawAll = () => {
    title.querySelector('h1').textContent = state.session.theme || tc('session.untitled');
    head.update();
    Object.values(panels).forEach((p) => p.update());
    root.dataset.status = state.session.status || '';
    seq += 1;
    root.dataset.version = String(seq);
  };
  state.reload = async () => {
    try {
      state.session = await get(`${BASE}/sessions/${enc(id)}`);
      if (!ctx.alive()) return;
      drawAll();
    } catch (err) {
      ctx.toast(tc('session.reloadFailed'), err.message, 'error');
    }
  };

  // Tabs (arrow keys move between them; the URL keeps the tab).
  let active = TABS.includes(ctx.query.get('tab')) ? ctx.query.get('tab') : 'participants';
  const tabButtons = {};
  const tabPanels = {};
  const tablist = h('div', { class: 'nav nav-tabs tc-tabs', role: 'tablist', 'aria-label': tc('session.sections') });
  const select = (name, focus) => {
    active = name;
    TABS.forEach((t) => {
      const on = t === name;
      tabButtons[t].classList.toggle('active', on);
      tabButtons[t].setAttribute('aria-selected', on ? 'true' : 'false');
      tabButtons[t].tabIndex = on ? 0 : -1;
      tabPanels[t].classList.toggle('d-none', !on);
    });
    if (focus) tabButtons[name].focus();
    const q = new URLSearchParams(ctx.query);
    q.set('tab', name);
    history.replaceState(null, '', `#/sessions/${id}?${q}`);
    root.dataset.tab = name;
  };
  TABS.forEach((name) => {
    const bid = `tc-tab-${name}`;
    tabButtons[name] = h('button', {
      type: 'button', class: 'nav-link', role: 'tab', id: bid, 'aria-controls': `tc-panel-${name}`, 'data-tab': name,
      onclick: () => select(name, false),
      onkeydown: (e) => {
        const i = TABS.indexOf(name);
        let next = null;
        if (e.key === 'ArrowRight') next = TABS[(i + 1) % TABS.length];
        if (e.key === 'ArrowLeft') next = TABS[(i - 1 + TABS.length) % TABS.length];
        if (e.key === 'Home') next = TABS[0];
        if (e.key === 'End') next = TABS[TABS.length - 1];
        if (next) {
          e.preventDefault();
          select(next, true);
        }
      },
    }, tc(`tab.${name}`), name === 'comments' ? h('span', { class: 'badge rounded-pill text-bg-danger ms-1 d-none', 'data-testid': 'unread' }) : null);
    tablist.append(tabButtons[name]);
    tabPanels[name] = h('div', {
      class: 'tab-pane-tc py-3', role: 'tabpanel', id: `tc-panel-${name}`, 'aria-labelledby': bid, tabindex: '0', 'data-panel': name,
    }, h('h2', { class: 'visually-hidden' }, tc(`tab.${name}`)), panels[name].el);
  });
  root.append(head.el, tablist, ...TABS.map((t) => tabPanels[t]));
  main.append(title, root);
  drawAll();
  select(active, false);
  await panels.comments.reload();
  await panels.documents.reload();

  // Live updates.
  let es = null;
  let timer = null;
  let retry = 2000;
  let stopped = false;
  const unread = tabButtons.comments.querySelector('[data-testid="unread"]');
  let unreadN = 0;
  const setLive = (v) => {
    state.live = v;
    const badge = root.querySelector('[data-testid="live-state"]');
    if (badge) {
      badge.dataset.live = v;
      badge.lastChild.textContent = tc(`live.${v}`);
    }
  };
  const parse = (ev) => {
    try { return JSON.parse(ev.data); } catch { return null; }
  };
  const connect = () => {
    timer = null;
    if (stopped) return;
    setLive('connecting');
    es = new EventSource(`${BASE}/sessions/${enc(id)}/live`, { withCredentials: true });
    es.addEventListener('open', () => {
      retry = 2000;
      setLive('open');
      panels.comments.reload(); // what was said while disconnected
    });
    es.addEventListener('comment', (ev) => {
      const c = parse(ev);
      if (!c) return;
      panels.comments.add(c, true);
      if (active !== 'comments') {
        unreadN += 1;
        unread.textContent = String(unreadN);
        unread.classList.remove('d-none');
      }
    });
    ['availability', 'status', 'decision'].forEach((name) => es.addEventListener(name, () => state.reload()));
    es.addEventListener('document', () => panels.documents.reload());
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        setLive('off');
        if (!stopped && !timer) {
          timer = setTimeout(connect, retry);
          retry = Math.min(retry * 2, 60000);
        }
      } else setLive('connecting');
    });
  };
  tabButtons.comments.addEventListener('click', () => {
    unreadN = 0;
    unread.classList.add('d-none');
  });
  connect();
  ctx.onLeave(() => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (es) es.close();
  });
}
