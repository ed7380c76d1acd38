// The API as the console uses it: the session (kept in sessionStorage, so it survives a reload
// of the tab and ends with it), bearer tokens, a refresh when the access token expired, and
// problems (RFC 9457) turned into errors the pages can show next to fields.

const key = 'remit.session';

export function session() {
  try { return JSON.parse(sessionStorage.getItem(key)); } catch { return null; }
}

function keep(tokens, user) {
  const value = {
    accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, roles: tokens.roles,
    user: user ?? session()?.user,
  };
  sessionStorage.setItem(key, JSON.stringify(value));
  return value;
}

export function hasRole(role) { return (session()?.roles ?? []).includes(role); }

/// An answer the API refused: its problem, with per-field messages when there are any.
export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `the server answered ${status}`);
    this.status = status;
    this.problem = problem ?? {};
    this.fieldErrors = problem?.errors ?? [];
  }
}

let servedBy = () => {};
/// Called with the region that answered each request (the node's X-Remit-Region).
export function onServedBy(callback) { servedBy = callback; }

async function send(method, path, body, headers = {}) {
  const current = session();
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  if (current?.accessToken) init.headers.Authorization = `Bearer ${current.accessToken}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const region = response.headers.get('X-Remit-Region');
  if (region) servedBy(region);
  return response;
}

async function parse(response) {
  const text = await response.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return { detail: text }; }
}

export async function signIn(username, password) {
  const response = await send('POST', '/api/v1/auth/token', { username, password });
  const body = await parse(response);
  if (!response.ok) throw new ProblemError(response.status, body);
  return keep(body, username);
}

let refreshing = null;

/// Trades the refresh token for new tokens; false (and signed out) when it can not. Requests
/// refused at the same moment (a page asks for several things at once) share one trade: a
/// refresh token presented twice looks stolen, and the server then ends the whole session.
function refresh() {
  refreshing ??= trade().finally(() => { refreshing = null; });
  return refreshing;
}

async function trade() {
  const current = session();
  if (!current?.refreshToken) return false;
  const response = await fetch('/api/v1/auth/refresh', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ refreshToken: current.refreshToken }),
  });
  if (!response.ok) { sessionStorage.removeItem(key); return false; }
  keep(await response.json());
  return true;
}

export async function signOut() {
  const current = session();
  sessionStorage.removeItem(key);
  if (current?.refreshToken) {
    await fetch('/api/v1/auth/logout', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken: current.refreshToken }),
    }).catch(() => {});
  }
}

/// A request; one refresh and one retry when the access token was refused. The answer's body,
/// its status and headers; a ProblemError when refused.
export async function request(method, path, body, headers) {
  const sentWith = session()?.accessToken;
  let response = await send(method, path, body, headers);
  // Refused an access token another request has already replaced: just ask again.
  if (response.status === 401 && session()?.refreshToken && (session().accessToken !== sentWith || await refresh())) {
    response = await send(method, path, body, headers);
  }
  const parsed = await parse(response);
  if (response.status === 401) {
    sessionStorage.removeItem(key);
    window.location.hash = '#/signin?expired=1';
  }
  if (!response.ok) throw new ProblemError(response.status, parsed);
  return { body: parsed, status: response.status, headers: response.headers };
}
