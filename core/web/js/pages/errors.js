// Clear error pages: 403 (not allowed), 404 (no such page), 503 (server or
// database unavailable).
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { session } from '../shell.js';

export function render(ctx, status = ctx.params.status || '404') {
  const code = ['403', '404', '503'].includes(String(status)) ? String(status) : '404';
  document.title = `${t(`errorPage.${code}.title`)} · Concerto`;
  const actions = h('div', { class: 'd-flex flex-wrap gap-2 justify-content-center' });
  if (code === '503') {
    actions.append(h('button', { type: 'button', class: 'btn btn-primary', onclick: () => location.reload() }, t('errorPage.retry')));
  }
  actions.append(h('a', { class: 'btn btn-outline-primary', href: session.user ? '#/home' : '#/login' },
    session.user ? t('errorPage.home') : t('errorPage.login')));
  if (history.length > 1) {
    actions.append(h('button', { type: 'button', class: 'btn btn-outline-secondary', onclick: () => history.back() }, t('errorPage.back')));
  }
  ctx.main.replaceChildren(h('section', { class: 'error-page text-center py-5', 'data-error': code },
    h('p', { class: 'display-4 fw-bold text-muted mb-0', 'aria-hidden': 'true' }, code),
    h('h1', { class: 'h3', tabindex: '-1' }, t(`errorPage.${code}.title`)),
    h('p', { class: 'lead mx-auto error-text' }, t(`errorPage.${code}.text`)),
    ctx.detail ? h('p', { class: 'text-muted small' }, ctx.detail) : null,
    actions));
}
