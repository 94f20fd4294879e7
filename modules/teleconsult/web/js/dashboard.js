// Dashboard (R3.2): my agenda, my groups, the calendar, open requests.
import {
  h, get, enc, errorAlert, calendar,
} from '/static/js/kit/v1.js';
import {
  BASE, tc, subnav, pageTitle, card, emptyText, fmtRange, statusBadge, urgencyBadge, hospitalName,
  priorityLabel, fmtDateTime,
} from './common.js';

/** The kit's calendar over the caller's sessions (GET /calendar, at most 62 days a call). */
function sessionsCalendar() {
  return calendar({
    eventsLabel: (n) => tc('calendar.events', { n }),
    load: async (from, to) => {
      const r = await get(`${BASE}/calendar?from=${enc(from)}&to=${enc(to)}`);
      return ((r && r.events) || []).map((e) => ({
        starts_at: e.starts_at,
        title: e.theme || '',
        href: `#/sessions/${e.session_id}`,
        badge: statusBadge(e.status),
        dataset: { session: e.session_id },
      }));
    },
  });
}

/** A request in a list; "Schedule session" when the server says the caller may (can_schedule). */
export function requestRow(r) {
  const group = r.group ? (r.group.name || r.group.slug) : '—';
  const what = `${r.specialty || ''} — ${r.reason || tc('request.noReason')}`;
  return h('li', { class: 'list-group-item', 'data-request': r.id, 'data-can-schedule': r.can_schedule === true ? 'true' : 'false' },
    h('div', { class: 'd-flex flex-wrap justify-content-between gap-2' },
      h('a', { href: `#/requests/${r.id}`, class: 'fw-semibold' }, what),
      h('span', {}, urgencyBadge(r.urgency), ' ', statusBadge(r.status))),
    h('div', { class: 'd-flex flex-wrap justify-content-between align-items-center gap-2' },
      h('div', { class: 'small text-muted' },
        tc('request.toGroup', { group }), ' · ', tc('request.priorityIs', { p: priorityLabel(r.priority) }),
        r.due_at ? ` · ${tc('request.dueAt', { when: fmtDateTime(r.due_at) })}` : ''),
      r.can_schedule === true ? h('a', {
        class: 'btn btn-sm btn-primary', href: `#/requests/${r.id}?plan=1`, 'data-testid': 'plan-link',
        'aria-label': tc('request.planFor', { what }),
      }, tc('request.plan')) : null));
}

export function sessionRow(s) {
  return h('li', { class: 'list-group-item', 'data-session': s.id },
    h('div', { class: 'd-flex flex-wrap justify-content-between gap-2' },
      h('a', { href: `#/sessions/${s.id}`, class: 'fw-semibold' }, s.theme || tc('session.untitled')),
      statusBadge(s.status)),
    h('div', { class: 'small text-muted' }, fmtRange(s.starts_at, s.ends_at),
      s.group ? ` · ${s.group.name || s.group.slug || ''}` : ''));
}

export async function render(ctx) {
  const { main } = ctx;
  main.append(subnav('dashboard'));
  const head = pageTitle(tc('dashboard.title'), tc('dashboard.intro'));
  head.append(h('div', { class: 'mt-2' },
    h('a', { href: '#/requests/new', class: 'btn btn-primary', 'data-testid': 'new-request' }, tc('nav.newRequest'))));
  main.append(head);
  let data;
  try {
    data = await get(`${BASE}/dashboard`);
  } catch (err) {
    main.append(errorAlert(err));
    return;
  }
  if (!ctx.alive()) return;
  const agenda = (data.agenda || []);
  const groups = (data.groups || []);
  const requests = (data.requests || []);
  const agendaCard = card(tc('dashboard.agenda'), agenda.length
    ? h('ul', { class: 'list-group list-group-flush', 'data-testid': 'agenda' }, agenda.map(sessionRow))
    : emptyText(tc('dashboard.noAgenda')));
  const reqCard = card(tc('dashboard.requests'), requests.length
    ? h('ul', { class: 'list-group list-group-flush', 'data-testid': 'open-requests' }, requests.map(requestRow))
    : emptyText(tc('dashboard.noRequests')));
  const groupsCard = card(tc('dashboard.groups'), groups.length
    ? h('ul', { class: 'list-group list-group-flush', 'data-testid': 'my-groups' }, groups.map((g) => h('li', { class: 'list-group-item', 'data-group': g.id },
      h('a', { href: `#/groups/${g.id}` }, g.name || g.slug), ' ',
      h('span', { class: 'small text-muted' }, [g.specialty, hospitalName(g.hospital)].filter(Boolean).join(' · ')))))
    : emptyText(tc('dashboard.noGroups')));
  main.append(h('div', { class: 'row' },
    h('div', { class: 'col-lg-7' }, agendaCard, card(tc('dashboard.calendar'), sessionsCalendar())),
    h('div', { class: 'col-lg-5' }, reqCard, groupsCard)));
}
