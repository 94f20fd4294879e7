// Integrations of a hospital with other systems: API tokens for
// system-to-system callers (regional CUP, registries), outbound webhooks,
// and the events that could not be delivered (dead letters) with replay.
import { h, field, newId, formatDate } from '../dom.js';
import { t, language } from '../i18n.js';
import { api, get, enc } from '../api.js';
import {
  announce, adminTenants, roleLabel, loadRoles, grantableRoles,
} from '../shell.js';
import {
  pageHeader, loading, messageArea, applyFieldErrors, clearFieldErrors, submitBusy, tenantPicker,
  alertBox, errorAlert, badge, refreshButton,
} from '../ui.js';
import { loadOutbound, outboundNotice, localizeOutboundErrors } from '../outbound.js';

const when = (iso) => (iso ? formatDate(iso, language()) : '—');

/**
 * The server's validation messages are English sentences; the common ones
 * get the console's wording (in the user's language), others stay as sent.
 */
function localizeErrors(err) {
  if (!err || !Array.isArray(err.errors)) return err;
  const known = [
    [/^(required|must not be empty)$/, 'common.required'],
    [/^too long$/, 'integrations.err.tooLong'],
    [/^unknown role$/, 'integrations.err.role'],
    [/^must start with https?:\/\//, 'integrations.err.url'],
    [/^a list of 1 to 50 event names$/, 'integrations.err.eventsCount'],
    [/^event names look like/, 'integrations.err.eventName'],
  ];
  err.errors = err.errors.map((e) => {
    const hit = known.find(([re]) => re.test(e.message || ''));
    return hit ? { ...e, message: t(hit[1]) } : e;
  });
  return err;
}

/** Shows a 422 under the fields; anything else (or unmatched) in the message area. */
function showError(msg, controls, err) {
  localizeOutboundErrors(err, 'webhook');
  localizeErrors(err);
  const rest = applyFieldErrors(controls, err);
  if (err.status !== 422 || rest.length) msg.error(err);
}

/**
 * A value shown once (a token or a secret): a prominent box with the value
 * in a read-only field, a copy button (clipboard, else the text is selected
 * for Ctrl+C) and a warning that it will not be shown again.
 */
function oneTimeBox({ title, label, value, warning, explain, testid, onClose }) {
  const id = newId('once');
  const titleId = `${id}-title`;
  const input = h('input', {
    class: 'form-control mono', id, readonly: true, value, spellcheck: 'false', autocomplete: 'off',
    'data-testid': `${testid}-value`, 'aria-describedby': `${id}-warn`,
  });
  const status = h('div', { class: 'small mt-1', 'aria-live': 'polite', 'data-testid': `${testid}-copy-status` });
  const copy = h('button', {
    type: 'button', class: 'btn btn-primary',
    onclick: async () => {
      let copied = false;
      try {
        if (navigator.clipboard && window.isSecureContext) {
          await navigator.clipboard.writeText(value);
          copied = true;
        }
      } catch {
        copied = false;
      }
      if (!copied) {
        input.focus();
        input.select();
        try {
          copied = document.execCommand('copy');
        } catch {
          copied = false;
        }
      }
      status.textContent = copied ? t('integrations.once.copied') : t('integrations.once.selected');
    },
  }, t('integrations.once.copy'));
  const box = h('section', {
    class: 'one-time-box border border-warning border-2 rounded p-3 mb-3', 'aria-labelledby': titleId,
    'data-testid': testid,
  },
  h('h3', { class: 'h6 fw-bold mb-2', id: titleId, tabindex: '-1' }, title),
  h('p', { class: 'fw-semibold mb-2 one-time-warning', id: `${id}-warn` }, warning),
  h('label', { class: 'form-label', for: id }, label),
  h('div', { class: 'input-group' }, input, copy),
  status,
  explain ? h('p', { class: 'small mt-2 mb-0' }, explain) : null,
  h('button', {
    type: 'button', class: 'btn btn-sm btn-outline-secondary mt-3',
    onclick: () => { box.remove(); if (onClose) onClose(); },
  }, t('integrations.once.done')));
  box.focusTitle = () => box.querySelector('h3').focus();
  return box;
}

function card(titleId, title, intro, ...content) {
  return h('section', { class: 'card mb-4', 'aria-labelledby': titleId },
    h('div', { class: 'card-body' },
      h('h2', { class: 'h5', id: titleId }, title),
      intro ? h('p', { class: 'text-muted' }, intro) : null,
      content));
}

function table(testid, caption, heads, rows) {
  // position-relative keeps the visually hidden header text (absolute)
  // inside the scrolling box, so a wide table never widens the page.
  return h('div', { class: 'table-responsive position-relative' },
    h('table', { class: 'table table-sm align-middle bg-white mb-0', 'data-testid': testid },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {},
        heads.map((k) => h('th', { scope: 'col' }, t(k))),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
      h('tbody', {}, rows)));
}

/* ---------- API tokens ---------- */

function tokensCard(ctx, code) {
  const msg = messageArea();
  const once = h('div', {});
  const list = h('div', {}, loading());
  const listTitle = h('h3', { class: 'h6 mt-2', tabindex: '-1' }, t('integrations.tokens.listTitle'));
  const name = h('input', { class: 'form-control', autocomplete: 'off', maxlength: '100', placeholder: t('integrations.tokens.namePlaceholder') });
  const role = h('select', { class: 'form-select' },
    h('option', { value: '' }, t('integrations.tokens.pickRole')),
    grantableRoles().map((r) => h('option', { value: r }, roleLabel(r))));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('integrations.tokens.create'));
  const controls = { name, role };
  const form = h('form', { novalidate: true, 'data-testid': 'token-form' },
    h('div', { class: 'row g-3' },
      h('div', { class: 'col-md-6' }, field({ label: t('integrations.tokens.name'), control: name, help: t('integrations.tokens.nameHelp') })),
      h('div', { class: 'col-md-6' }, field({ label: t('integrations.tokens.role'), control: role, help: t('integrations.tokens.roleHelp') }))),
    h('div', { class: 'mb-3' }, submit));

  async function load() {
    let data;
    try {
      data = await get(`/api/v1/tenants/${enc(code)}/api-tokens`);
    } catch (err) {
      if (ctx.alive()) list.replaceChildren(errorAlert(err));
      return;
    }
    if (!ctx.alive()) return;
    const tokens = data.api_tokens || [];
    if (!tokens.length) {
      list.replaceChildren(h('p', { class: 'text-muted mb-0', 'data-testid': 'tokens-empty' }, t('integrations.tokens.none')));
      return;
    }
    const active = tokens.filter((k) => !k.revoked_at).length;
    list.replaceChildren(table('tokens-table', t('integrations.tokens.caption', { n: tokens.length, active }),
      ['integrations.tokens.name', 'integrations.tokens.role', 'integrations.created', 'integrations.tokens.lastUsed', 'integrations.state'],
      tokens.map((k) => h('tr', { 'data-token': k.id },
        h('td', { class: 'cell-name' }, k.name),
        h('td', {}, roleLabel(k.role)),
        h('td', {}, when(k.created_at), k.created_by ? h('div', { class: 'small text-muted' }, t('integrations.by', { user: k.created_by })) : null),
        h('td', {}, k.last_used_at ? when(k.last_used_at) : t('integrations.tokens.neverUsed')),
        h('td', {}, k.revoked_at
          ? [badge(t('integrations.tokens.revoked'), 'secondary'), h('div', { class: 'small text-muted' }, when(k.revoked_at))]
          : badge(t('integrations.active'), 'success')),
        h('td', { class: 'text-end' }, k.revoked_at ? null : h('button', {
          type: 'button', class: 'btn btn-sm btn-outline-danger',
          'aria-label': t('integrations.tokens.revokeOne', { name: k.name }),
          onclick: async (e) => {
            if (!window.confirm(t('integrations.tokens.confirmRevoke', { name: k.name }))) return;
            const btn = e.currentTarget;
            submitBusy(btn, true);
            try {
              await api('DELETE', `/api/v1/tenants/${enc(code)}/api-tokens/${enc(k.id)}`);
              msg.ok(t('integrations.tokens.revokedOk', { name: k.name }));
              announce(t('integrations.tokens.revokedOk', { name: k.name }));
              await load();
              listTitle.focus();
            } catch (err) {
              submitBusy(btn, false);
              msg.error(err);
            }
          },
        }, t('integrations.tokens.revoke')))))));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(controls);
    msg.clear();
    submitBusy(submit, true);
    try {
      const r = await api('POST', `/api/v1/tenants/${enc(code)}/api-tokens`, { name: name.value.trim(), role: role.value });
      name.value = '';
      role.value = '';
      const box = oneTimeBox({
        title: t('integrations.tokens.createdTitle', { name: r.name }),
        label: t('integrations.tokens.value'),
        value: r.token,
        warning: t('integrations.tokens.onceWarning'),
        explain: t('integrations.tokens.usage'),
        testid: 'one-time-token',
        onClose: () => name.focus(),
      });
      once.replaceChildren(box);
      announce(t('integrations.tokens.created', { name: r.name }));
      box.focusTitle();
      load();
    } catch (err) {
      showError(msg, controls, err);
    } finally {
      submitBusy(submit, false);
    }
  });

  load();
  return card('int-tokens', t('integrations.tokens.title'), t('integrations.tokens.intro'),
    msg.el, once, form, listTitle, list);
}

/* ---------- webhooks ---------- */

function webhooksCard(ctx, code) {
  const msg = messageArea();
  const once = h('div', {});
  // What the region allows this hospital, so a refused address makes sense.
  const allowed = h('div', {});
  loadOutbound(code).then((p) => {
    if (ctx.alive()) allowed.replaceChildren(outboundNotice(p, 'webhooks-outbound') || '');
  });
  const list = h('div', {}, loading());
  const listTitle = h('h3', { class: 'h6 mt-2', tabindex: '-1' }, t('integrations.webhooks.listTitle'));
  const url = h('input', {
    class: 'form-control', type: 'url', inputmode: 'url', autocomplete: 'off', maxlength: '500',
    placeholder: t('integrations.webhooks.urlPlaceholder'),
  });
  const events = h('input', {
    class: 'form-control mono', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'televisit.booked, teleconsult.closed',
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('integrations.webhooks.create'));
  const controls = { url, events };
  const form = h('form', { novalidate: true, 'data-testid': 'webhook-form' },
    h('div', { class: 'row g-3' },
      h('div', { class: 'col-md-6' }, field({ label: t('integrations.webhooks.url'), control: url, help: t('integrations.webhooks.urlHelp') })),
      h('div', { class: 'col-md-6' }, field({ label: t('integrations.webhooks.events'), control: events, help: t('integrations.webhooks.eventsHelp') }))),
    h('div', { class: 'mb-3' }, submit));

  async function load() {
    let data;
    try {
      data = await get(`/api/v1/tenants/${enc(code)}/webhooks`);
    } catch (err) {
      if (ctx.alive()) list.replaceChildren(errorAlert(err));
      return;
    }
    if (!ctx.alive()) return;
    const hooks = data.webhooks || [];
    if (!hooks.length) {
      list.replaceChildren(h('p', { class: 'text-muted mb-0', 'data-testid': 'webhooks-empty' }, t('integrations.webhooks.none')));
      return;
    }
    const active = hooks.filter((w) => w.active).length;
    list.replaceChildren(table('webhooks-table', t('integrations.webhooks.caption', { n: hooks.length, active }),
      ['integrations.webhooks.url', 'integrations.webhooks.events', 'integrations.created', 'integrations.state'],
      hooks.map((w) => h('tr', { 'data-webhook': w.id },
        h('td', { class: 'mono text-break cell-wide' }, w.url),
        h('td', {}, (w.events || []).map((n) => h('span', { class: 'badge text-bg-light border me-1 mono event-name' }, n))),
        h('td', {}, when(w.created_at)),
        h('td', {}, w.active ? badge(t('integrations.active'), 'success') : badge(t('integrations.webhooks.inactive'), 'secondary')),
        h('td', { class: 'text-end' }, !w.active ? null : h('button', {
          type: 'button', class: 'btn btn-sm btn-outline-danger',
          'aria-label': t('integrations.webhooks.deactivateOne', { url: w.url }),
          onclick: async (e) => {
            if (!window.confirm(t('integrations.webhooks.confirmDeactivate', { url: w.url }))) return;
            const btn = e.currentTarget;
            submitBusy(btn, true);
            try {
              await api('DELETE', `/api/v1/tenants/${enc(code)}/webhooks/${enc(w.id)}`);
              msg.ok(t('integrations.webhooks.deactivated', { url: w.url }));
              announce(t('integrations.webhooks.deactivated', { url: w.url }));
              await load();
              listTitle.focus();
            } catch (err) {
              submitBusy(btn, false);
              msg.error(err);
            }
          },
        }, t('integrations.webhooks.deactivate')))))));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(controls);
    msg.clear();
    const names = events.value.split(/[\s,;]+/).filter(Boolean);
    submitBusy(submit, true);
    try {
      const r = await api('POST', `/api/v1/tenants/${enc(code)}/webhooks`, { url: url.value.trim(), events: names });
      url.value = '';
      events.value = '';
      const box = oneTimeBox({
        title: t('integrations.webhooks.createdTitle', { url: r.url }),
        label: t('integrations.webhooks.secret'),
        value: r.secret,
        warning: t('integrations.webhooks.onceWarning'),
        explain: t('integrations.webhooks.signature'),
        testid: 'one-time-secret',
        onClose: () => url.focus(),
      });
      once.replaceChildren(box);
      announce(t('integrations.webhooks.created', { url: r.url }));
      box.focusTitle();
      load();
    } catch (err) {
      showError(msg, controls, err);
    } finally {
      submitBusy(submit, false);
    }
  });

  load();
  return card('int-webhooks', t('integrations.webhooks.title'), t('integrations.webhooks.intro'),
    msg.el, once, allowed, form, listTitle, list);
}

/* ---------- dead letters ---------- */

function deadCard(ctx, code, user) {
  const msg = messageArea();
  const list = h('div', {}, loading());
  // A hospital administrator sees the chosen hospital's deliveries (the
  // X-Concerto-Tenant header); a regional administrator sees all of them.
  const opts = user.regional_admin ? {} : { tenant: code };
  const refresh = refreshButton({
    label: t('integrations.dead.refresh'),
    testid: 'dead-refresh',
    msg,
    load: () => load(),
    after: () => announce(t('integrations.dead.refreshed')),
  });

  async function load() {
    let data;
    try {
      data = await get('/api/v1/events/deliveries?state=dead', opts);
    } catch (err) {
      if (ctx.alive()) list.replaceChildren(errorAlert(err));
      return;
    }
    if (!ctx.alive()) return;
    const rows = data.deliveries || [];
    if (!rows.length) {
      list.replaceChildren(alertBox('success', t('integrations.dead.none')));
      list.firstChild.dataset.testid = 'dead-empty';
      return;
    }
    list.replaceChildren(table('dead-table', t('integrations.dead.caption', { n: rows.length }),
      ['integrations.dead.event', 'integrations.dead.subscriber', 'common.hospital', 'integrations.dead.attempts',
        'integrations.dead.lastError', 'integrations.created'],
      rows.map((d) => {
        const state = h('div', {});
        return h('tr', { 'data-event': d.event_id, 'data-subscriber': d.subscriber },
          h('td', {}, h('span', { class: 'mono' }, `${d.name}@${d.version}`),
            h('div', { class: 'small text-muted' }, t('integrations.dead.eventId', { id: d.event_id }))),
          h('td', { class: 'mono text-break cell-wide' }, d.subscriber),
          h('td', {}, d.tenant || t('integrations.dead.regional')),
          h('td', {}, String(d.attempts)),
          h('td', { class: 'small text-break dead-error' }, d.last_error || '—'),
          h('td', {}, when(d.created_at)),
          h('td', { class: 'text-end' }, state, h('button', {
            type: 'button', class: 'btn btn-sm btn-primary',
            'aria-label': t('integrations.dead.replayOne', { event: `${d.name} #${d.event_id}`, subscriber: d.subscriber }),
            onclick: async (e) => {
              const btn = e.currentTarget;
              submitBusy(btn, true);
              try {
                await api('POST', '/api/v1/events/replay', { event_id: d.event_id, subscriber: d.subscriber }, opts);
                btn.remove();
                state.replaceChildren(badge(t('integrations.dead.queued'), 'info'));
                msg.ok(t('integrations.dead.replayed', { event: `${d.name} #${d.event_id}` }));
                announce(t('integrations.dead.replayed', { event: `${d.name} #${d.event_id}` }));
                refresh.focus();
              } catch (err) {
                submitBusy(btn, false);
                msg.error(err);
              }
            },
          }, t('integrations.dead.replay'))));
      })));
  }

  load();
  return card('int-dead', t('integrations.dead.title'),
    user.regional_admin ? t('integrations.dead.introRegional') : t('integrations.dead.intro'),
    h('div', { class: 'mb-3' }, refresh), msg.el, list);
}

export async function render(ctx) {
  await loadRoles();
  const { main, user } = ctx;
  main.append(pageHeader(t('integrations.title'), t('integrations.intro')));
  const tenants = adminTenants(user);
  if (!tenants.length) {
    main.append(h('p', {}, t('users.noHospitals')));
    return;
  }
  let code = (tenants.find((x) => x.code === user.current_tenant) || tenants[0]).code;
  const picker = tenantPicker(tenants, code, (c) => { code = c; draw(); });
  const body = h('div', {});
  main.append(picker.el, body);
  function draw() {
    body.replaceChildren(tokensCard(ctx, code), webhooksCard(ctx, code), deadCard(ctx, code, user));
  }
  draw();
}
