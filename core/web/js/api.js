// The JSON API client: same-origin cookie session, the CSRF token on every
// state-changing request, application/problem+json errors as ApiError.

let csrfToken = null;
const listeners = new Set();

export function setCsrf(token) {
  csrfToken = token || null;
}

/** Called with the ApiError of any 401 on a request made with a session. */
export function onUnauthenticated(fn) {
  listeners.add(fn);
}

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.code = (problem && problem.code) || (status === 0 ? 'network' : 'http_error');
    this.detail = problem && problem.detail;
    this.errors = (problem && Array.isArray(problem.errors)) ? problem.errors : [];
    this.problem = problem || {};
    this.retryAfter = retryAfter;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * api('GET', '/api/v1/me'); api('PUT', path, body, {tenant: 'ASP-AG'})
 * Resolves with the parsed JSON (or null for an empty body); rejects with
 * ApiError (status 0 when the server could not be reached).
 */
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (opts.tenant) headers['X-Concerto-Tenant'] = opts.tenant;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, { code: 'network', detail: String(e && e.message || e) });
  }
  const type = res.headers.get('Content-Type') || '';
  let data = null;
  if (type.includes('json')) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const retry = res.headers.get('Retry-After');
    const err = new ApiError(res.status, data, retry ? Number(retry) : undefined);
    if (res.status === 401 && !opts.noAuthEvent) listeners.forEach((fn) => fn(err));
    throw err;
  }
  return data;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const enc = encodeURIComponent;
