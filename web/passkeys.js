// Passkeys (WebAuthn) in the browser: the Account page's "Passkeys" card (add with a name, list,
// rename, remove), and the two sign-in ceremonies the sign-in page offers (passwordless, and the
// second factor after the password). The server sends and takes binary values as base64url; the
// browser API wants ArrayBuffers: the converters below are the only place that translates.
import { api, ApiError } from './api.js';
import { el, field, messageArea, table, fmtTime, button, busy, fill, openDialog, announce } from './dom.js';

function fromB64u(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function toB64u(buf) {
  const bytes = new Uint8Array(buf);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 1) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const descriptors = (list) => (list || []).map((d) => ({ type: d.type, id: fromB64u(d.id) }));

export function supported() {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

// Turns the browser's refusals into sentences; a cancelled prompt is NotAllowedError.
function describe(e) {
  if (e instanceof ApiError) return e;
  if (e && e.name === 'NotAllowedError') return new Error('The passkey prompt was cancelled or timed out.');
  if (e && e.name === 'InvalidStateError') return new Error('This authenticator already holds a passkey for your account.');
  if (e && e.name === 'SecurityError') return new Error('Passkeys need this page to be opened at the server\'s public address.');
  return new Error('The passkey could not be used: ' + ((e && e.message) || e));
}

// Registers a new passkey named `name`; resolves with the server's view of it.
async function createPasskey(name) {
  const { publicKey: o } = await api('POST', '/me/passkeys/options', {});
  let cred;
  try {
    cred = await navigator.credentials.create({ publicKey: {
      ...o, challenge: fromB64u(o.challenge), user: { ...o.user, id: fromB64u(o.user.id) },
      excludeCredentials: descriptors(o.excludeCredentials),
    } });
  } catch (e) { throw describe(e); }
  return api('POST', '/me/passkeys', { name, credential: {
    id: cred.id, rawId: toB64u(cred.rawId), type: cred.type,
    response: { clientDataJSON: toB64u(cred.response.clientDataJSON), attestationObject: toB64u(cred.response.attestationObject) },
  } });
}

// Runs navigator.credentials.get for the options of POST /sessions/passkey/options (`start`:
// {} for passwordless, {email, password} as second factor) and finishes the sign-in with a
// session cookie. Resolves with the session answer.
export async function passkeySignIn(start) {
  const { publicKey: o } = await api('POST', '/sessions/passkey/options', start);
  let cred;
  try {
    cred = await navigator.credentials.get({ publicKey: {
      ...o, challenge: fromB64u(o.challenge), allowCredentials: descriptors(o.allowCredentials),
    } });
  } catch (e) { throw describe(e); }
  const r = cred.response;
  return api('POST', '/sessions/passkey', { cookie: true, credential: {
    id: cred.id, rawId: toB64u(cred.rawId), type: cred.type,
    response: {
      clientDataJSON: toB64u(r.clientDataJSON), authenticatorData: toB64u(r.authenticatorData),
      signature: toB64u(r.signature), userHandle: r.userHandle ? toB64u(r.userHandle) : null,
    },
  } });
}

// The Account page card. `onChange` runs after a passkey was added (it may end an enrolment-only
// session's restriction) or removed.
export function passkeysCard(me, onChange) {
  const box = el('section', { class: 'card', 'aria-labelledby': 'passkeys-h', id: 'passkeys' });
  const msg = messageArea();
  const heading = el('h2', { id: 'passkeys-h', tabindex: '-1' }, 'Passkeys');
  const intro = el('p', {}, 'A passkey signs you in with this device\'s screen lock or a security key, without a password, and counts as the second step of a password sign-in.');
  const list = el('div', { id: 'passkey-list' });
  const name = el('input', { type: 'text', name: 'passkey_name', maxlength: '100', autocomplete: 'off', placeholder: 'e.g. Work laptop' });
  const add = el('button', { type: 'submit' }, 'Add a passkey');
  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    const n = name.value.trim();
    if (!n) { msg.error('Give the passkey a name you will recognise, e.g. the device it lives on.'); name.focus(); return; }
    await busy(add, async () => {
      try {
        const v = await createPasskey(n);
        name.value = '';
        announce(`Passkey "${v.name}" added.`);
        await refresh();
        if (onChange) onChange();
      } catch (e) { msg.error(describe(e)); }
    });
  } }, field('Passkey name', name, 'Shown only to you, in this list.'), el('div', { class: 'actions' }, add));

  async function refresh() {
    let r;
    try { r = await api('GET', '/me/passkeys'); } catch (e) { msg.error(e); return; }
    fill(list, table({
      caption: 'Your passkeys', className: 'passkeys',
      columns: [
        { label: 'Name', render: (p) => p.name },
        { label: 'Type', render: (p) => p.algorithm },
        { label: 'Added', render: (p) => fmtTime(p.created_at) },
        { label: 'Last used', render: (p) => (p.last_used_at ? fmtTime(p.last_used_at) : 'never') },
        { label: el('span', { class: 'sr-only' }, 'Actions'), render: (p) => (me.read_only ? '' : el('span', { class: 'actions' },
          button('Rename…', () => renameDialog(p), { class: 'link small', 'aria-label': `Rename passkey ${p.name}` }),
          button('Remove…', () => removeDialog(p), { class: 'link small danger', 'aria-label': `Remove passkey ${p.name}` }))) },
      ],
      rows: r.passkeys,
      empty: 'No passkeys yet.',
    }));
  }

  async function renameDialog(p) {
    const done = await openDialog('Rename passkey', (close) => {
      const input = el('input', { type: 'text', name: 'new_name', maxlength: '100', value: p.name, 'data-autofocus': true });
      const m = messageArea();
      const save = el('button', { type: 'submit' }, 'Save');
      return el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
        ev.preventDefault();
        await busy(save, async () => {
          try { await api('PATCH', `/me/passkeys/${p.id}`, { name: input.value.trim() }); close(true); } catch (e) { m.error(e); }
        });
      } }, field('New name', input), el('div', { class: 'actions' }, save), m.node);
    });
    if (done) { announce('Passkey renamed.'); await refresh(); }
  }

  async function removeDialog(p) {
    const done = await openDialog('Remove passkey', (close) => {
      const pw = el('input', { type: 'password', name: 'password', autocomplete: 'current-password', 'data-autofocus': true });
      const m = messageArea();
      const go = el('button', { type: 'submit', class: 'danger' }, 'Remove');
      return el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
        ev.preventDefault();
        await busy(go, async () => {
          try { await api('DELETE', `/me/passkeys/${p.id}`, { password: pw.value }); close(true); } catch (e) { m.error(e); pw.select(); }
        });
      } },
      el('p', {}, `"${p.name}" will no longer sign you in. Confirm with your password.`),
      field('Current password', pw), el('div', { class: 'actions' }, go), m.node);
    });
    if (done) { announce('Passkey removed.'); await refresh(); if (onChange) onChange(); }
  }

  if (!supported()) {
    fill(box, heading, intro, el('p', { class: 'muted' }, 'This browser does not support passkeys.'), list);
  } else {
    fill(box, heading, intro, list, me.read_only ? null : form, msg.node);
  }
  refresh();
  return box;
}
