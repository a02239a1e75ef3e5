// A module worker that loads big BOM answers off the page's main thread: it fetches (with the
// session cookie, same origin), reports bytes received, parses the JSON, computes the tree
// structure or the engineering change, and hands the rows back in chunks of CHUNK, so no single
// task on the page's thread has to take in 50,000 items at once.
//
// Messages in: { kind: 'items' | 'compare' | 'side', paths: ['/boms/ID/items', ...] }.
// Messages out: { type: 'progress', got, total }, { type: 'rows', rows }, then
// { type: 'done', structure? } or { type: 'error', status, code, message, retryAfter }.
import { treeStructure, engineeringChange, sideBySide } from './bommodel.js';

const CHUNK = 2000;
const received = [];
const totals = [];

async function load(path, part) {
  const res = await fetch('/api/v1' + path, { credentials: 'same-origin', cache: 'no-store', headers: { 'X-Bomvault-Csrf': '1' } });
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    const e = (data && data.error) || {};
    throw Object.assign(new Error(e.message || `HTTP ${res.status}`), { status: res.status, code: e.code || 'error', retryAfter: Number(res.headers.get('Retry-After')) || 0 });
  }
  totals[part] = res.headers.get('Content-Encoding') ? 0 : Number(res.headers.get('Content-Length')) || 0;
  received[part] = 0;
  const reader = res.body.getReader();
  const parts = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received[part] += value.length;
    const known = totals.every((t) => t > 0);
    postMessage({ type: 'progress', got: received.reduce((a, b) => a + b, 0), total: known ? totals.reduce((a, b) => a + b, 0) : 0 });
  }
  const all = new Uint8Array(received[part]);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return JSON.parse(new TextDecoder().decode(all));
}

function send(rows) {
  for (let i = 0; i < rows.length; i += CHUNK) postMessage({ type: 'rows', rows: rows.slice(i, i + CHUNK) });
}

self.onmessage = async ({ data }) => {
  try {
    if (data.kind === 'items') {
      const r = await load(data.paths[0], 0);
      const structure = treeStructure(r.items);
      send(r.items);
      postMessage({ type: 'done', structure }, [structure.parent.buffer, structure.level.buffer, structure.order.buffer]);
    } else if (data.kind === 'compare') {
      const [a, b] = await Promise.all(data.paths.map((p, k) => load(p, k)));
      const diff = engineeringChange(a.items, b.items);
      send(diff);
      postMessage({ type: 'done' });
    } else if (data.kind === 'side') {
      const [a, b] = await Promise.all(data.paths.map((p, k) => load(p, k)));
      send(sideBySide(a.items, b.items));
      postMessage({ type: 'done' });
    } else if (data.kind === 'json') {
      const r = await load(data.paths[0], 0);
      send(r[data.key] || []);
      postMessage({ type: 'done' });
    }
  } catch (e) {
    postMessage({ type: 'error', status: e.status || 0, code: e.code || 'network', message: e.status ? e.message : '', retryAfter: e.retryAfter || 0 });
  }
};
