// A hospital's outbound allow-list (GET/PUT /api/v1/tenants/{code}/outbound):
// where the server may connect on its behalf (webhooks, the directory).
// The Hospitals page edits it (regional administrators only); the directory
// and integrations pages show it read-only, so that a refused address makes
// sense to a hospital administrator. Also the console's wording of the
// server's refusals, by error code.
import { h } from './dom.js';
import { t } from './i18n.js';
import { get, enc } from './api.js';
import { badge } from './ui.js';

/** The hospital's policy, or null when it cannot be read. */
export async function loadOutbound(code) {
  try {
    return await get(`/api/v1/tenants/${enc(code)}/outbound`);
  } catch {
    return null;
  }
}

/** What the policy allows, as badges and a list (no heading). */
export function outboundFacts(policy) {
  const cidrs = (policy && policy.allow_cidrs) || [];
  return h('div', { class: 'outbound-facts', 'data-testid': 'outbound-facts' },
    h('p', { class: 'mb-1' },
      badge(t('outbound.publicAlways'), 'success'),
      policy && policy.allow_plaintext
        ? badge(t('outbound.plaintextAllowed'), 'warning')
        : badge(t('outbound.tlsRequired'), 'primary')),
    cidrs.length
      ? h('div', {},
        h('span', { class: 'small' }, t('outbound.ranges')),
        h('ul', { class: 'mb-0 outbound-ranges' }, cidrs.map((c) => h('li', { class: 'mono' }, c))))
      : h('p', { class: 'small text-muted mb-0' }, t('outbound.noRanges')));
}

/**
 * The read-only box for the directory and integrations pages: what the
 * region allows this hospital and that only the region changes it.
 */
export function outboundNotice(policy, testid) {
  if (!policy) return null;
  return h('section', {
    class: 'border rounded p-3 mb-3 bg-light', 'aria-labelledby': `${testid}-title`, 'data-testid': testid,
  },
  h('h3', { class: 'h6', id: `${testid}-title` }, t('outbound.noticeTitle')),
  outboundFacts(policy),
  h('p', { class: 'small text-muted mt-2 mb-0' }, t('outbound.noticeHelp')));
}

const REFUSALS = new Set(['tls_required', 'destination_refused', 'unresolvable']);

/**
 * Rewords the server's URL refusals (English sentences) in the user's
 * language, by code: `kind` is 'webhook' or 'ldap' for the TLS advice.
 */
export function localizeOutboundErrors(err, kind) {
  if (!err || !Array.isArray(err.errors)) return err;
  err.errors = err.errors.map((e) => {
    if (!REFUSALS.has(e.code)) return e;
    if (e.code === 'tls_required') return { ...e, message: t(`outbound.err.tls.${kind}`) };
    if (e.code === 'unresolvable') return { ...e, message: t('outbound.err.unresolvable') };
    const range = t(`outbound.range.${e.range || 'reserved'}`);
    const never = ['unspecified', 'multicast', 'broadcast'].includes(e.range);
    return {
      ...e,
      message: t(never ? 'outbound.err.never' : 'outbound.err.refused', { address: e.address || '?', range }),
    };
  });
  return err;
}

/**
 * The console's wording of allow-list entries the server refused, all in
 * one message under the list (a field shows one message).
 */
export function localizeCidrErrors(err) {
  if (!err || !Array.isArray(err.errors)) return err;
  const bad = err.errors.filter((e) => e.field === 'allow_cidrs' && e.code === 'cidr');
  if (!bad.length) return err;
  const message = bad.map((e) => {
    const text = t('outbound.err.cidr', { value: e.value || '' });
    return e.suggestion ? `${text} ${t('outbound.err.suggestion', { range: e.suggestion })}` : text;
  }).join(' ');
  err.errors = [...err.errors.filter((e) => !bad.includes(e)), { field: 'allow_cidrs', code: 'cidr', message }];
  return err;
}
