// The signed-in user's own account: profile, authenticator (TOTP) enrolment, personal API
// tokens, sessions, and signing out everywhere.
import { ssoAccountCard } from './sso.js';
import { api } from './api.js';
import {
  el, field, select, messageArea, table, fmtTime, pageHeading, button, busy, confirmDialog,
  announce, copyText, fill,
} from './dom.js';

const ROLE_TEXT = { administrator: 'Administrator', editor: 'Editor', viewer: 'Viewer' };

export async function accountPage(ctx) {
  const { root } = ctx;
  const me = await api('GET', '/me');
  ctx.session.me = me;
  const mfaBox = el('section', { class: 'card', 'aria-labelledby': 'mfa-h' });
  const tokensBox = el('section', { class: 'card', 'aria-labelledby': 'tokens-h' });
  const sessionsBox = el('section', { class: 'card', 'aria-labelledby': 'sessions-h' });

  fill(root, 
    pageHeading('Account'),
    el('section', { class: 'card', 'aria-labelledby': 'profile-h' },
      el('h2', { id: 'profile-h' }, 'Profile'),
      el('dl', { class: 'meta' },
        el('div', {}, el('dt', {}, 'E-mail'), el('dd', {}, me.email)),
        el('div', {}, el('dt', {}, 'Role'), el('dd', {}, ROLE_TEXT[me.role] || me.role)),
        el('div', {}, el('dt', {}, 'User id'), el('dd', {}, el('code', { id: 'my-user-id' }, me.id), ' ',
          button('Copy', () => copyText(me.id, 'User id copied'), { class: 'link small', 'aria-label': 'Copy your user id' }))),
        el('div', {}, el('dt', {}, 'Member since'), el('dd', {}, fmtTime(me.created_at))),
        el('div', {}, el('dt', {}, 'Address'), el('dd', { id: 'email-status' }, me.email_verified
          ? el('span', { class: 'tag good' }, 'Verified') : el('span', { class: 'tag bad' }, 'Not verified')))),
      el('p', { class: 'hint' }, 'Colleagues who are not Administrators need your user id to share a BOM with you or transfer one to you.'),
      verifyBox(me)),
    mfaBox, ssoAccountCard(me), tokensBox, sessionsBox,
    el('section', { class: 'card', 'aria-labelledby': 'everywhere-h' },
      el('h2', { id: 'everywhere-h' }, 'Sign out everywhere'),
      el('p', {}, 'Ends every session of this account, on every device, and revokes all your API tokens.'),
      button('Sign out everywhere', async () => {
        const ok = await confirmDialog('Sign out everywhere', 'Every session and every API token of your account will stop working at once, including this one.', 'Sign out everywhere');
        if (!ok) return;
        try {
          await api('DELETE', '/me/sessions');
          ctx.session.me = null;
          announce('You were signed out everywhere.');
          ctx.navigate('#/sign-in');
        } catch (e) { announce(e.message, 'error'); }
      }, { class: 'danger' })));

  renderMfa(mfaBox, me, ctx);
  await renderTokens(tokensBox, sessionsBox, me, ctx);
}

// "Verify my address": mails a link (PUBLIC_URL/verify-email#token=…) to an unverified address.
function verifyBox(me) {
  if (me.email_verified) return null;
  const msg = messageArea();
  const send = button('Verify my address', async () => {
    msg.clear();
    await busy(send, async () => {
      try {
        await api('POST', '/me/verify-email', {});
        msg.ok(`A verification link was sent to ${me.email}. Open it within 24 hours to finish.`);
      } catch (e) { msg.error(e); }
    });
  }, { class: 'secondary', 'aria-describedby': 'verify-hint' });
  return el('div', { class: 'verify' },
    el('p', { id: 'verify-hint' }, 'Your e-mail address is not verified yet. We send you a link; opening it proves the address is yours.'),
    el('div', { class: 'actions' }, send), msg.node);
}

function renderMfa(box, me, ctx) {
  const msg = messageArea();
  const heading = el('h2', { id: 'mfa-h' }, 'Two-step sign-in');
  if (me.mfa_enabled) {
    fill(box, heading, el('p', { class: 'ok', id: 'mfa-status' }, 'An authenticator app is enrolled. Signing in asks for its code.'));
    return;
  }
  if (me.read_only) {
    fill(box, heading, el('p', { class: 'muted' }, 'Not enrolled. Sign in with a full session to enrol an authenticator.'));
    return;
  }
  const start = button('Set up an authenticator app', async () => {
    msg.clear();
    await busy(start, async () => {
      try {
        const r = await api('POST', '/me/mfa/totp', {});
        showEnrolment(r);
      } catch (e) { msg.error(e); }
    });
  });
  fill(box, heading,
    el('p', { id: 'mfa-status' }, 'Not enrolled. With an authenticator app (any TOTP app), signing in also needs a 6-digit code from your phone.'),
    el('div', { class: 'actions' }, start), msg.node);

  function showEnrolment(r) {
    const code = el('input', { type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6', required: true, class: 'code' });
    const confirm = el('button', { type: 'submit' }, 'Confirm and turn on');
    const qr = drawQr(r.otpauth_uri);
    const grouped = r.secret.replace(/(.{4})(?!$)/g, '$1 ');
    const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      msg.clear();
      const v = code.value.replace(/\s/g, '');
      if (!/^\d{6}$/.test(v)) { msg.error('Enter the 6-digit code the app shows.'); code.focus(); return; }
      await busy(confirm, async () => {
        try {
          await api('POST', '/me/mfa/totp/confirm', { code: v });
          me.mfa_enabled = true;
          ctx.session.me = me;
          announce('Two-step sign-in is on.');
          renderMfa(box, me, ctx);
          box.querySelector('h2').setAttribute('tabindex', '-1');
          box.querySelector('h2').focus();
        } catch (e) { msg.error(e); code.select(); }
      });
    } }, field('Code from the app', code, 'Codes change every 30 seconds.'), el('div', { class: 'actions' }, confirm));
    fill(box, heading,
      el('ol', { class: 'steps' },
        el('li', {}, 'Scan this QR code with your authenticator app.',
          qr || el('p', { class: 'warn' }, 'The QR code cannot be drawn here; type the key below into the app instead.')),
        el('li', {}, 'Or enter this key by hand (time-based, SHA-1, 6 digits): ',
          el('code', { class: 'secret', id: 'totp-secret' }, grouped), ' ',
          button('Copy key', () => copyText(r.secret, 'Key copied'), { class: 'link small' })),
        el('li', {}, 'Enter the code the app shows to finish.', form)),
      msg.node);
    code.focus();
  }
}

// Draws the otpauth URI as a QR code on a canvas with qrcode-generator (loaded as a classic
// script by index.html, global `qrcode`). Returns null when the library is missing.
export function drawQr(text) {
  if (typeof window.qrcode !== 'function') return null;
  const qr = window.qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const scale = 5;
  const margin = 4;
  const size = (n + 2 * margin) * scale;
  const canvas = el('canvas', { width: String(size), height: String(size), class: 'qr', role: 'img', 'aria-label': 'QR code to scan with your authenticator app' });
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, size, size);
  g.fillStyle = '#000';
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) {
      if (qr.isDark(r, c)) g.fillRect((c + margin) * scale, (r + margin) * scale, scale, scale);
    }
  }
  return canvas;
}

async function renderTokens(tokensBox, sessionsBox, me, ctx) {
  const r = await api('GET', '/me/tokens');
  const sessions = r.tokens.filter((t) => t.kind === 'session');
  const tokens = r.tokens.filter((t) => t.kind !== 'session');
  const msg = messageArea();
  const sessMsg = messageArea();
  const refresh = () => renderTokens(tokensBox, sessionsBox, me, ctx);

  async function revoke(t, isSession) {
    const what = isSession ? (t.current ? 'this session (you will be signed out)' : 'that session') : `the token “${t.name}”`;
    const ok = await confirmDialog(isSession ? 'End session' : 'Revoke token', `Revoke ${what}? It stops working at once.`, isSession ? 'End session' : 'Revoke token');
    if (!ok) return;
    try {
      await api('DELETE', `/me/tokens/${encodeURIComponent(t.id)}`);
      if (t.current) { ctx.session.me = null; announce('You are signed out.'); ctx.navigate('#/sign-in'); return; }
      announce(isSession ? 'The session was ended.' : `The token “${t.name}” was revoked.`);
      await refresh();
    } catch (e) { (isSession ? sessMsg : msg).error(e); }
  }

  // New personal API token: shown once.
  const name = el('input', { type: 'text', name: 'name', required: true, maxlength: '100', autocomplete: 'off' });
  const scope = select([['read', 'Read only'], ['write', 'Read and write']], { name: 'scope' });
  const days = el('input', { type: 'number', name: 'days', min: '1', max: '365', value: '30', step: '1' });
  const create = el('button', { type: 'submit' }, 'Create token');
  const shown = el('div', { 'aria-live': 'polite' });
  const form = el('form', { class: 'grid-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    if (!name.value.trim()) { msg.error('Give the token a name, e.g. the script that will use it.'); name.focus(); return; }
    const d = Number(days.value);
    if (!Number.isInteger(d) || d < 1 || d > 365) { msg.error('A token expires after 1 to 365 days.'); days.focus(); return; }
    await busy(create, async () => {
      try {
        const t = await api('POST', '/me/tokens', { name: name.value.trim(), scope: scope.value, days: d });
        await refresh();
        const box = tokensBox.querySelector('.new-token-slot');
        fill(box, el('div', { class: 'new-token', role: 'alert' },
          el('p', {}, el('strong', {}, `Token “${t.name}” created.`), ' Copy it now: it is shown only this once.'),
          el('code', { class: 'secret', id: 'new-token' }, t.token), ' ',
          button('Copy token', () => copyText(t.token, 'Token copied'), { class: 'secondary small' })));
      } catch (e) { msg.error(e); }
    });
  } }, field('Name', name), field('Access', scope), field('Expires after (days)', days), el('div', { class: 'actions' }, create));

  fill(tokensBox, 
    el('h2', { id: 'tokens-h' }, 'Personal API tokens'),
    el('p', { class: 'muted' }, 'For scripts and integrations: send as "Authorization: Bearer TOKEN".'),
    me.read_only ? null : form, msg.node,
    el('div', { class: 'new-token-slot' }, shown),
    table({
      className: 'tokens',
      empty: 'You have no API tokens.',
      columns: [
        { label: 'Name', render: (t) => t.name },
        { label: 'Access', render: (t) => (t.scope === 'write' ? 'Read and write' : 'Read only') },
        { label: 'Created', render: (t) => fmtTime(t.created_at) },
        { label: 'Last used', render: (t) => fmtTime(t.last_seen_at) },
        { label: 'Expires', render: (t) => fmtTime(t.expires_at) },
        { label: 'Actions', render: (t) => button('Revoke', () => revoke(t, false), { class: 'danger small', 'aria-label': `Revoke the token ${t.name}` }) },
      ],
      rows: tokens,
    }));

  fill(sessionsBox, 
    el('h2', { id: 'sessions-h' }, 'Sessions'),
    table({
      className: 'sessions',
      empty: 'No sessions.',
      columns: [
        { label: 'Session', render: (t) => (t.current ? el('strong', {}, 'This browser') : t.name || 'Other sign-in') },
        { label: 'Signed in', render: (t) => fmtTime(t.created_at) },
        { label: 'Last active', render: (t) => fmtTime(t.last_seen_at) },
        { label: 'Expires', render: (t) => fmtTime(t.expires_at) },
        { label: 'Actions', render: (t) => button(t.current ? 'Sign out' : 'End', () => revoke(t, true), { class: 'secondary small', 'aria-label': t.current ? 'Sign out of this session' : `End the session started ${fmtTime(t.created_at)}` }) },
      ],
      rows: sessions,
    }),
    sessMsg.node);
}
