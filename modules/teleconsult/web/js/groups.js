// Multidisciplinary groups (R3.3): list, one group with its members;
// organizers and hospital administrators create groups and add members.
import {
  h, field, newId, api, get, enc, messageArea, errorAlert, submitBusy, loading, applyFieldErrors, clearFieldErrors,
} from '/static/js/kit/v1.js';
import {
  BASE, tc, subnav, pageTitle, card, emptyText, hospitalName,
} from './common.js';

// The server checks again; this only decides what to offer.
const mayManage = (ctx) => ctx.hasRole(ctx.user, 'organizer', 'hospital_admin') || !!ctx.user.regional_admin;

function createForm(ctx) {
  const id = newId('grp');
  const ctl = {
    name: h('input', { class: 'form-control', required: true, maxlength: '120', 'data-testid': 'group-name' }),
    slug: h('input', { class: 'form-control mono', required: true, pattern: '[a-z0-9-]{2,40}', maxlength: '40', autocomplete: 'off', 'data-testid': 'group-slug' }),
    specialty: h('input', { class: 'form-control', maxlength: '80', 'data-testid': 'group-specialty' }),
  };
  const consultable = h('input', { class: 'form-check-input', type: 'checkbox', id: `${id}-consultable`, checked: true });
  ctl.name.addEventListener('input', () => {
    if (!ctl.slug.dataset.touched) {
      ctl.slug.value = ctl.name.value.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '')
        .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
    }
  });
  ctl.slug.addEventListener('input', () => { ctl.slug.dataset.touched = '1'; });
  const msg = messageArea();
  const btn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'group-create' }, tc('groups.create'));
  const form = h('form', { novalidate: true, class: 'row g-2' },
    h('div', { class: 'col-md-4' }, field({ label: tc('groups.name'), control: ctl.name, id: `${id}-name` })),
    h('div', { class: 'col-md-4' }, field({ label: tc('groups.slug'), control: ctl.slug, id: `${id}-slug`, help: tc('groups.slugHelp') })),
    h('div', { class: 'col-md-4' }, field({ label: tc('groups.specialty'), control: ctl.specialty, id: `${id}-specialty` })),
    h('div', { class: 'col-12' }, h('div', { class: 'form-check mb-3' }, consultable,
      h('label', { class: 'form-check-label', for: consultable.id }, tc('groups.consultable')))),
    h('div', { class: 'col-12' }, msg.el, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(ctl);
    submitBusy(btn, true);
    try {
      const g = await api('POST', `${BASE}/groups`, {
        name: ctl.name.value.trim(), slug: ctl.slug.value.trim(), specialty: ctl.specialty.value.trim(), consultable: consultable.checked,
      });
      ctx.announce(tc('groups.created', { name: g.name || '' }));
      ctx.navigate(`#/groups/${g.id}`);
    } catch (err) {
      const rest = applyFieldErrors(ctl, err);
      if (rest.length || !err.errors || !err.errors.length) msg.error(err);
      submitBusy(btn, false);
    }
  });
  return form;
}

async function renderList(ctx) {
  const { main } = ctx;
  main.append(subnav('groups'), pageTitle(tc('groups.title'), tc('groups.intro')));
  const box = h('div', {}, loading());
  main.append(box);
  let data;
  try {
    data = await get(`${BASE}/groups`);
  } catch (err) {
    box.replaceChildren(errorAlert(err));
    return;
  }
  if (!ctx.alive()) return;
  const list = (data && data.groups) || [];
  const table = list.length ? h('div', { class: 'table-responsive' }, h('table', { class: 'table table-striped bg-white tc-stack', 'data-testid': 'groups-table' },
    h('caption', {}, tc('groups.caption', { n: list.length })),
    h('thead', {}, h('tr', {}, ['groups.name', 'groups.specialty', 'groups.hospital', 'groups.members', 'groups.mine']
      .map((k) => h('th', { scope: 'col' }, tc(k))))),
    h('tbody', {}, list.map((g) => h('tr', { 'data-group': g.id },
      h('td', {}, h('a', { href: `#/groups/${g.id}` }, g.name || g.slug), g.consultable ? h('span', { class: 'badge text-bg-info ms-2' }, tc('groups.consultableShort')) : null),
      h('td', { 'data-label': tc('groups.specialty') }, g.specialty || '—'),
      h('td', { 'data-label': tc('groups.hospital') }, hospitalName(g.hospital)),
      h('td', { 'data-label': tc('groups.members') }, String(g.members ?? '—')),
      h('td', { 'data-label': tc('groups.mine') }, g.mine ? tc('common.yes') : tc('common.no')))))))
    : emptyText(tc('groups.none'));
  box.replaceChildren(table);
  if (mayManage(ctx)) main.append(card(tc('groups.new'), createForm(ctx)));
}

async function renderOne(ctx) {
  const { main, user } = ctx;
  main.append(subnav('groups'));
  let g;
  try {
    g = await get(`${BASE}/groups/${enc(ctx.params.id)}`);
  } catch (err) {
    main.append(pageTitle(tc('groups.title')), errorAlert(err));
    return;
  }
  if (!ctx.alive()) return;
  main.append(pageTitle(g.name || g.slug, [g.specialty, hospitalName(g.hospital)].filter(Boolean).join(' · ')));
  const msg = messageArea();
  const own = !g.hospital || g.hospital.code === user.current_tenant;
  const manage = mayManage(ctx) && own;
  const members = g.members || [];
  const rows = members.map((m) => h('tr', { 'data-member': m.user_id },
    h('td', {}, m.display_name || m.username || m.user_id),
    h('td', {}, m.specialty || '—'),
    h('td', {}, m.organizer ? h('span', { class: 'badge text-bg-primary' }, tc('groups.organizer')) : ''),
    manage ? h('td', { class: 'text-end' }, h('button', {
      type: 'button', class: 'btn btn-sm btn-outline-danger', 'aria-label': tc('groups.removeOne', { name: m.display_name || '' }),
      onclick: async (e) => {
        submitBusy(e.target, true);
        try {
          await api('DELETE', `${BASE}/groups/${enc(g.id)}/members/${enc(m.user_id)}`);
          ctx.rerender();
        } catch (err) {
          msg.error(err);
          submitBusy(e.target, false);
        }
      },
    }, tc('groups.remove'))) : null));
  main.append(card(tc('groups.membersTitle'), msg.el, rows.length
    ? h('div', { class: 'table-responsive' }, h('table', { class: 'table bg-white', 'data-testid': 'members-table' },
      h('caption', {}, tc('groups.membersCaption', { n: rows.length })),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, tc('groups.member')), h('th', { scope: 'col' }, tc('groups.specialty')),
        h('th', { scope: 'col' }, tc('groups.role')), manage ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, tc('common.actions'))) : null)),
      h('tbody', {}, rows)))
    : emptyText(tc('groups.noMembers'))));
  if (!manage) return;
  const id = newId('mem');
  const ctl = {
    username: h('input', { class: 'form-control', required: true, autocomplete: 'off', list: `${id}-users`, 'data-testid': 'member-username' }),
    specialty: h('input', { class: 'form-control', autocomplete: 'off' }),
  };
  const users = h('datalist', { id: `${id}-users` });
  let seq = 0;
  ctl.username.addEventListener('input', async () => {
    const q = ctl.username.value.trim();
    if (q.length < 2) return;
    const my = ++seq;
    try {
      const r = await get(`${BASE}/colleagues?q=${enc(q)}`);
      if (my !== seq) return;
      users.replaceChildren(...((r && r.users) || []).map((u) => h('option', { value: u.username }, `${u.display_name} — ${hospitalName(u.hospital)}`)));
    } catch { /* suggestions only */ }
  });
  const org = h('input', { class: 'form-check-input', type: 'checkbox', id: `${id}-org` });
  const amsg = messageArea();
  const btn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'member-add' }, tc('groups.addMember'));
  const form = h('form', { novalidate: true, class: 'row g-2' },
    h('div', { class: 'col-md-5' }, field({ label: tc('groups.username'), control: ctl.username, id: `${id}-username`, help: tc('groups.usernameHelp') }), users),
    h('div', { class: 'col-md-4' }, field({ label: tc('groups.memberSpecialty'), control: ctl.specialty, id: `${id}-specialty` })),
    h('div', { class: 'col-md-3 d-flex align-items-center' }, h('div', { class: 'form-check' }, org, h('label', { class: 'form-check-label', for: org.id }, tc('groups.organizer')))),
    h('div', { class: 'col-12' }, amsg.el, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(ctl);
    submitBusy(btn, true);
    try {
      await api('POST', `${BASE}/groups/${enc(g.id)}/members`, {
        username: ctl.username.value.trim(), specialty: ctl.specialty.value.trim(), organizer: org.checked,
      });
      ctx.announce(tc('groups.memberAdded'));
      ctx.rerender();
    } catch (err) {
      const rest = applyFieldErrors(ctl, err);
      if (rest.length || !err.errors || !err.errors.length) amsg.error(err);
      submitBusy(btn, false);
    }
  });
  main.append(card(tc('groups.addMemberTitle'), form));
}

export async function render(ctx, name) {
  if (name === 'group') return renderOne(ctx);
  return renderList(ctx);
}
