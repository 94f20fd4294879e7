// My sessions: where I am signed in, and revoking any of them.
import { h, formatDate } from '../dom.js';
import { t, language } from '../i18n.js';
import { api, get, enc } from '../api.js';
import { setUser, announce } from '../shell.js';
import {
  pageHeader, loading, messageArea, badge, errorAlert,
} from '../ui.js';

function shortAgent(ua) {
  if (!ua) return '—';
  const m = ua.match(/(Firefox|Edg|Chrome|Chromium|Safari)\/[\d.]+/);
  const os = ua.match(/\(([^;)]+)/);
  return [m ? m[0] : ua.slice(0, 40), os ? os[1] : ''].filter(Boolean).join(' · ');
}

export async function render(ctx) {
  const { main } = ctx;
  main.append(pageHeader(t('sessions.title'), t('sessions.intro')));
  const msg = messageArea();
  const box = h('div', {}, loading());
  main.append(msg.el, box);

  async function load() {
    let data;
    try {
      data = await get('/api/v1/me/sessions');
    } catch (err) {
      box.replaceChildren(errorAlert(err));
      return;
    }
    if (!ctx.alive()) return;
    const rows = (data.sessions || []).map((s) => h('tr', { 'data-session': s.id },
      h('td', {}, formatDate(s.created_at, language()), s.current ? h('div', {}, badge(t('sessions.current'), 'success')) : null),
      h('td', {}, formatDate(s.last_seen_at, language())),
      h('td', {}, formatDate(s.expires_at, language())),
      h('td', { class: 'mono' }, s.client_addr || '—'),
      h('td', { class: 'small' }, shortAgent(s.user_agent)),
      h('td', { class: 'text-end' }, h('button', {
        type: 'button', class: 'btn btn-sm btn-outline-danger',
        'aria-label': t('sessions.revokeOne', { when: formatDate(s.created_at, language()) }),
        onclick: async (e) => {
          if (s.current && !window.confirm(t('sessions.confirmCurrent'))) return;
          e.target.disabled = true;
          try {
            await api('DELETE', `/api/v1/me/sessions/${enc(s.id)}`);
            if (s.current) {
              setUser(null);
              location.hash = '#/login';
              return;
            }
            msg.ok(t('sessions.revoked'));
            announce(t('sessions.revoked'));
            load();
          } catch (err) {
            e.target.disabled = false;
            msg.error(err);
          }
        },
      }, t('sessions.revoke')))));
    box.replaceChildren(h('div', { class: 'table-responsive' },
      h('table', { class: 'table table-striped bg-white' },
        h('caption', {}, t('sessions.caption', { n: rows.length })),
        h('thead', {}, h('tr', {},
          ['sessions.started', 'sessions.lastSeen', 'sessions.expires', 'sessions.address', 'sessions.browser']
            .map((k) => h('th', { scope: 'col' }, t(k))),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
        h('tbody', {}, rows))));
  }
  await load();
}
