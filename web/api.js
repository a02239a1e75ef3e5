// Talks to the bomvault JSON API. The browser session is an HttpOnly cookie, so no token is ever
// visible to scripts; state-changing requests carry the CSRF header the server requires.
// The operator is the exception: it has no cookie session, so its token lives in this tab's
// sessionStorage only (gone when the tab closes) and is sent as a Bearer token.
export class ApiError extends Error {
  constructor(status, code, message, details, retryAfter) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? details : [];
    this.retryAfter = retryAfter || 0;
  }
}

const OPERATOR_KEY = 'bomvault.operator_token';

export const operatorToken = {
  get() { try { return sessionStorage.getItem(OPERATOR_KEY) || ''; } catch { return ''; } },
  set(token) { sessionStorage.setItem(OPERATOR_KEY, token); },
  clear() { try { sessionStorage.removeItem(OPERATOR_KEY); } catch { /* storage disabled */ } },
};

function headersFor(contentType) {
  const headers = { 'X-Bomvault-Csrf': '1' };
  const op = operatorToken.get();
  if (op) headers.Authorization = 'Bearer ' + op;
  if (contentType) headers['Content-Type'] = contentType;
  return headers;
}

function errorFrom(status, data, retryAfter) {
  const e = (data && typeof data === 'object' && data.error) || {};
  const err = new ApiError(status, e.code || 'error', e.message || ('HTTP ' + status), e.details,
    Number(retryAfter) || 0);
  // PUT /sources/{id}/connection {} names what the user must give (docs/sources.md).
  if (typeof e.needs === 'string') err.needs = e.needs;
  return err;
}

// Sensitive operations answer 403 reauth_required once the session's proof of identity is older
// than the server's window (docs/security.md, "Re-authentication"). The UI registers a handler
// (web/reauth.js) that asks the user to prove it again and resolves true when they did; the
// request is then sent once more, once. Concurrent refusals share one prompt.
let reauthHandler = null;
let reauthPending = null;
export function setReauthHandler(fn) { reauthHandler = fn; }

async function reauthenticated() {
  if (!reauthHandler) return false;
  if (!reauthPending) reauthPending = Promise.resolve(reauthHandler()).finally(() => { reauthPending = null; });
  return reauthPending;
}

export async function api(method, path, body, contentType) {
  try {
    return await send(method, path, body, contentType);
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 'reauth_required') || !(await reauthenticated())) throw e;
    return send(method, path, body, contentType);
  }
}

async function send(method, path, body, contentType) {
  let payload;
  if (body !== undefined) {
    if (contentType) payload = body;
    else { contentType = 'application/json'; payload = JSON.stringify(body); }
  }
  const res = await fetch('/api/v1' + path, {
    method, headers: headersFor(contentType), body: payload, credentials: 'same-origin', cache: 'no-store',
  });
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) throw errorFrom(res.status, data, res.headers.get('Retry-After'));
  return data;
}

// Uploads with progress (fetch cannot report upload progress): onProgress(sentBytes, total).
export function upload(path, body, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1' + path);
    for (const [k, v] of Object.entries(headersFor(contentType))) xhr.setRequestHeader(k, v);
    xhr.responseType = 'text';
    if (onProgress) xhr.upload.addEventListener('progress', (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : 0));
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = xhr.responseText; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(errorFrom(xhr.status, data, xhr.getResponseHeader('Retry-After')));
    });
    xhr.addEventListener('error', () => reject(new TypeError('network error')));
    xhr.addEventListener('abort', () => reject(new TypeError('upload aborted')));
    xhr.send(body);
  });
}

// "?a=1&b=x" from an object, leaving out empty values; "" when nothing is left.
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? '?' + s : '';
}

// A GET whose progress the page shows ("1.2 MiB of 4.5 MiB"): onProgress(receivedBytes, total),
// total 0 when unknown (a compressed answer's length is not the length of what it unpacks to).
export async function apiProgress(path, onProgress) {
  const res = await fetch('/api/v1' + path, { headers: headersFor(), credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw errorFrom(res.status, data, res.headers.get('Retry-After'));
  }
  const total = res.headers.get('Content-Encoding') ? 0 : Number(res.headers.get('Content-Length')) || 0;
  if (!res.body || !onProgress) return res.json();
  const reader = res.body.getReader();
  const parts = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    onProgress(got, total);
  }
  const all = new Uint8Array(got);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return JSON.parse(new TextDecoder().decode(all));
}

// Loads through bomworker.js: the fetch, the JSON parse and the heavy computing happen off the
// main thread, and rows arrive in chunks. kind: 'items' (resolves { rows, structure }),
// 'compare' (two item paths; resolves { rows } of the engineering change) or 'json' (rows are
// the array under `key`). onProgress(receivedBytes, total) as in apiProgress.
export function workerLoad(kind, paths, onProgress, key) {
  return new Promise((resolve, reject) => {
    const w = new Worker('/bomworker.js', { type: 'module' });
    const rows = [];
    w.onmessage = ({ data }) => {
      if (data.type === 'progress') { if (onProgress) onProgress(data.got, data.total); return; }
      if (data.type === 'rows') { for (const r of data.rows) rows.push(r); return; }
      w.terminate();
      if (data.type === 'done') resolve({ rows, structure: data.structure });
      else if (data.status) reject(new ApiError(data.status, data.code, data.message || ('HTTP ' + data.status), [], data.retryAfter));
      else reject(new TypeError('network error'));
    };
    w.onerror = (ev) => { w.terminate(); reject(new Error(ev.message || 'the loader failed')); };
    w.postMessage({ kind, paths, key });
  });
}
