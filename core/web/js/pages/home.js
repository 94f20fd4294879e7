// Home: the current hospital, the user's roles there, the services (modules)
// enabled for it and the administration pages the user may open.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import {
  currentTenant, rolesIn, roleLabel, moduleEntries, ADMIN_PAGES, can, loadRoles,
} from '../shell.js';
import { pageHeader, badge } from '../ui.js';

function tile(href, title, text, attrs = {}) {
  return h('div', { class: 'col' },
    h('a', { class: 'card h-100 text-decoration-none shadow-sm tile', href, ...attrs },
      h('div', { class: 'card-body' },
        h('h3', { class: 'h6 card-title mb-1 text-primary' }, title),
        text ? h('p', { class: 'card-text small text-muted mb-0' }, text) : null)));
}

export async function render(ctx) {
  await loadRoles();
  const { user, main } = ctx;
  const tenant = currentTenant(user);
  const roles = tenant ? rolesIn(user, tenant.code) : [];
  main.append(pageHeader(t('home.welcome', { name: user.display_name || user.username })));

  const where = h('section', { class: 'card mb-4', 'aria-labelledby': 'home-hospital' },
    h('div', { class: 'card-body' },
      h('h2', { class: 'h5', id: 'home-hospital' }, t('home.hospital')),
      tenant
        ? h('div', {},
          h('p', { class: 'mb-1 fw-semibold', 'data-testid': 'home-hospital-name' }, tenant.name),
          h('p', { class: 'mb-2 small text-muted' },
            `${tenant.code} · ${tenant.kind} · ${tenant.hub ? t('hospitals.hub') : t('hospitals.spoke')}`),
          roles.length ? h('div', {}, h('span', { class: 'visually-hidden' }, `${t('home.roles')}: `),
            roles.map((r) => badge(roleLabel(r), 'primary'))) : null)
        : h('p', { class: 'mb-0' }, user.regional_admin ? t('home.regionalNoHospital') : t('home.noHospital')),
      user.regional_admin ? h('p', { class: 'mt-2 mb-0' }, badge(t('role.regional_admin'), 'dark')) : null,
      user.tenants.length > 1 ? h('p', { class: 'small text-muted mt-2 mb-0' }, t('home.switchHint')) : null));
  main.append(where);

  const services = h('section', { class: 'mb-4', 'aria-labelledby': 'home-services' },
    h('h2', { class: 'h5', id: 'home-services' }, t('home.services')));
  const grid = h('div', { class: 'row row-cols-1 row-cols-sm-2 row-cols-lg-3 g-3', 'data-testid': 'home-modules' });
  services.append(grid);
  main.append(services);
  const entries = await moduleEntries(user);
  if (!ctx.alive()) return;
  if (entries.length) entries.forEach((e) => grid.append(tile(e.href, e.label, t('home.moduleText'), { 'data-module': e.name })));
  else {
    // Services are on here but none is for this account's roles (hospital
    // IT, a privacy officer): say so, not "nothing is active".
    const active = tenant && (tenant.modules || []).length > 0;
    grid.replaceWith(h('p', { class: 'text-muted', 'data-testid': 'home-no-modules' },
      !tenant ? t('home.pickHospital') : active ? t('home.noModulesForRole') : t('home.noModules')));
  }

  const admin = ADMIN_PAGES.filter((p) => can[p.key](user));
  if (can.audit(user)) admin.push({ key: 'audit', href: '#/audit', label: 'nav.audit' });
  if (admin.length) {
    main.append(h('section', { 'aria-labelledby': 'home-admin' },
      h('h2', { class: 'h5', id: 'home-admin' }, t('nav.admin')),
      h('div', { class: 'row row-cols-1 row-cols-sm-2 row-cols-lg-3 g-3' },
        admin.map((p) => tile(p.href, t(p.label), t(`home.about.${p.key}`))))));
  }
}
