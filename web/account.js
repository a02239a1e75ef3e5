// The signed-in user's own account: profile and display name, password, authenticator (TOTP)
// enrolment with recovery codes, passkeys, single sign-on links, personal API tokens, sessions, and signing
// out everywhere. An "enrolment-only" session (the org requires two-step sign-in and this user has
// none yet) sees only the profile and the enrolment: every other route refuses it.
import { ssoAccountCard } from './sso.js';
import { passkeysCard } from './passkeys.js';
import { api, ApiError } from './api.js';
import {
  el, field, select, messageArea, table, fmtTime, pageHeading, button, busy, confirmDialog,
  announce, copyText, fill, checkbox, openDialog, downloadText,
} from './dom.js';

const ROLE_TEXT = { administrator: 'Administrator', editor: 'Editor', viewer: 'Viewer' };

export async function accountPage(ctx) {
  const { root } = ctx;
  const me = await api('GET', '/me');
  ctx.session.me = me;
  const enrolOnly = me.mfa_enrolment_required;
  const mfaBox = el('section', { class: 'card', 'aria-labelledby': 'mfa-h' });
  const tokensBox = el('section', { class: 'card', 'aria-labelledby': 'tokens-h' });
  const sessionsBox = el('section', { class: 'card', 'aria-labelledby': 'sessions-h' });
  // A passkey added by an enrolment-only session ends the restriction: the page is drawn again.
  const keys = passkeysCard(me, () => { if (enrolOnly) { ctx.session.me = undefined; ctx.route(); } });

  fill(root,
    pageHeading('Account'),
    enrolOnly ? el('div', { class: 'warn', role: 'note', id: 'enrol-first' },
      el('strong', {}, 'Your organisation requires two-step sign-in. '),
      'Set up an authenticator app or add a passkey below to use bomvault; until then this page is all you can open.') : null,
    enrolOnly ? mfaBox : null,
    enrolOnly ? keys : null,
    el('section', { class: 'card', 'aria-labelledby': 'profile-h' },
      el('h2', { id: 'profile-h' }, 'Profile'),
      el('dl', { class: 'meta' },
        el('div', {}, el('dt', {}, 'E-mail'), el('dd', {}, me.email)),
        el('div', {}, el('dt', {}, 'Role'), el('dd', {}, ROLE_TEXT[me.role] || me.role)),
        el('div', {}, el('dt', {}, 'Member since'), el('dd', {}, fmtTime(me.created_at))),
        el('div', {}, el('dt', {}, 'Address'), el('dd', { id: 'email-status' }, me.email_verified
          ? el('span', { class: 'tag good' }, 'Verified') : el('span', { class: 'tag bad' }, 'Not verified')))),
      enrolOnly || me.read_only ? null : displayNameForm(me, ctx),
      verifyBox(me)),
    enrolOnly ? null : mfaBox,
    enrolOnly ? null : keys,
    enrolOnly ? null : ssoAccountCard(me),
    enrolOnly || me.read_only ? null : passwordCard(),
    enrolOnly ? null : tokensBox,
    enrolOnly ? null : sessionsBox,
    enrolOnly ? null : el('section', { class: 'card', 'aria-labelledby': 'everywhere-h' },
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
  if (!enrolOnly) await renderTokens(tokensBox, sessionsBox, me, ctx);
}

// How colleagues see this user when sharing, in owner columns and in the audit.
function displayNameForm(me, ctx) {
  const msg = messageArea();
  const input = el('input', { type: 'text', name: 'display_name', value: me.display_name || '', maxlength: '100', autocomplete: 'name' });
  const save = el('button', { type: 'submit', class: 'secondary' }, 'Save name');
  return el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    await busy(save, async () => {
      try {
        const r = await api('PATCH', '/me', { display_name: input.value.trim() });
        Object.assign(me, r);
        ctx.session.me = { ...ctx.session.me, display_name: r.display_name };
        msg.ok(r.display_name ? `Colleagues now see you as ${r.display_name}.` : 'Colleagues now see your e-mail address.');
      } catch (e) { msg.error(e); }
    });
  } }, el('div', { class: 'inline-group' }, field('Display name', input, 'How colleagues find and see you when sharing. Leave empty to show your e-mail address.'), save), msg.node);
}

function passwordCard() {
  const msg = messageArea();
  const current = el('input', { type: 'password', name: 'current_password', autocomplete: 'current-password', required: true });
  const next = el('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true, minlength: '8' });
  const again = el('input', { type: 'password', name: 'new_password_again', autocomplete: 'new-password', required: true });
  const others = checkbox('Sign out my other browser sessions', { name: 'sign_out_others', checked: true });
  const submit = el('button', { type: 'submit' }, 'Change password');
  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    if (!current.value) { msg.error('Enter your current password.'); current.focus(); return; }
    if (next.value.length < 8) { msg.error('The new password needs at least 8 characters.'); next.focus(); return; }
    if (next.value !== again.value) { msg.error('The two new passwords differ.'); again.focus(); return; }
    await busy(submit, async () => {
      try {
        await api('POST', '/me/password', { current_password: current.value, new_password: next.value, sign_out_others: others.input.checked });
        current.value = ''; next.value = ''; again.value = '';
        msg.ok(others.input.checked ? 'Password changed. Your other browser sessions were signed out.' : 'Password changed.');
      } catch (e) {
        msg.error(e);
        if (e instanceof ApiError && e.code === 'current_password_wrong') current.select();
      }
    });
  } },
  field('Current password', current), field('New password', next, 'At least 8 characters; common passwords are refused.'),
  field('New password again', again), others.node, el('div', { class: 'actions' }, submit), msg.node);
  return el('section', { class: 'card', 'aria-labelledby': 'password-h' }, el('h2', { id: 'password-h' }, 'Password'), form);
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
  const heading = el('h2', { id: 'mfa-h', tabindex: '-1' }, 'Two-step sign-in');
  if (me.mfa_enabled) {
    const left = me.recovery_codes_left;
    const regen = button('New recovery codes…', () => regenerateDialog(box, me, ctx), { class: 'secondary' });
    const reenrol = button('Move to a new phone…', () => passwordDialog(box, me, ctx, true), { class: 'secondary' });
    const remove = button('Turn off…', () => passwordDialog(box, me, ctx, false), { class: 'danger' });
    fill(box, heading,
      el('p', { class: 'ok', id: 'mfa-status' }, 'An authenticator app is enrolled. Signing in asks for its code.'),
      el('p', { id: 'recovery-left', class: left <= 3 ? 'warn' : null },
        `${left} recovery code${left === 1 ? '' : 's'} left. Each one lets you sign in once without your phone.`),
      me.read_only ? null : el('div', { class: 'actions' }, regen, reenrol, remove), msg.node);
    return;
  }
  if (me.read_only) {
    fill(box, heading, el('p', { class: 'muted' }, 'Not enrolled. Sign in with a full session to enrol an authenticator.'));
    return;
  }
  const start = button('Set up an authenticator app', () => startEnrolment(), { 'data-autofocus': me.mfa_enrolment_required ? true : null });
  fill(box, heading,
    el('p', { id: 'mfa-status' }, 'Not enrolled. With an authenticator app (any TOTP app), signing in also needs a 6-digit code from your phone.'),
    el('div', { class: 'actions' }, start), msg.node);

  async function startEnrolment() {
    msg.clear();
    await busy(start, async () => {
      try {
        showEnrolment(await api('POST', '/me/mfa/totp', {}));
      } catch (e) { msg.error(e); }
    });
  }

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
          const done = await api('POST', '/me/mfa/totp/confirm', { code: v });
          me.mfa_enabled = true;
          me.recovery_codes_left = done.recovery_codes.length;
          showRecoveryCodes(box, done.recovery_codes, me, () => {
            const wasEnrolOnly = me.mfa_enrolment_required;
            me.mfa_enrolment_required = false;
            announce('Two-step sign-in is on.');
            if (wasEnrolOnly) { ctx.session.me = undefined; ctx.route(); return; }
            ctx.session.me = me;
            renderMfa(box, me, ctx);
            box.querySelector('h2').focus();
          });
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
  box.startEnrolment = startEnrolment;
}

// The recovery codes, shown once: the user downloads, prints or copies them and says so before
// moving on. Nothing keeps them in the page afterwards.
function showRecoveryCodes(box, codes, me, done) {
  const list = el('ol', { class: 'recovery-codes', id: 'recovery-codes' }, codes.map((c) => el('li', {}, el('code', {}, c))));
  const text = `bomvault recovery codes for ${me.email}\n` +
    'Each code signs you in once without your authenticator app. Keep them somewhere safe.\n\n' +
    codes.join('\n') + '\n';
  const saved = checkbox('I have saved these codes somewhere safe', { name: 'saved' });
  const next = button('Continue', () => {
    if (!saved.input.checked) return;
    list.replaceChildren();
    done();
  }, { disabled: true, id: 'codes-continue' });
  saved.input.addEventListener('change', () => { next.disabled = !saved.input.checked; });
  fill(box,
    el('h2', { id: 'mfa-h', tabindex: '-1' }, 'Save your recovery codes'),
    el('p', { role: 'alert' }, el('strong', {}, 'Two-step sign-in is on. '),
      `If you lose your phone, each of these ${codes.length} codes signs you in once instead of the app. They are shown only now.`),
    el('div', { class: 'print-area' }, el('p', { class: 'print-only' }, `bomvault recovery codes for ${me.email}`), list),
    el('div', { class: 'actions' },
      button('Download codes', () => downloadText('bomvault-recovery-codes.txt', text), { class: 'secondary' }),
      button('Print codes', () => { document.body.classList.add('printing-codes'); window.print(); document.body.classList.remove('printing-codes'); }, { class: 'secondary' }),
      button('Copy codes', () => copyText(codes.join('\n'), 'Recovery codes copied'), { class: 'secondary' })),
    saved.node,
    el('div', { class: 'actions' }, next));
  box.querySelector('h2').focus();
}

// Turning TOTP off (or moving it to a new phone) needs the current password again.
async function passwordDialog(box, me, ctx, reenrol) {
  const ok = await openDialog(reenrol ? 'Move to a new phone' : 'Turn off two-step sign-in', (close) => {
    const password = el('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
    const msg = messageArea();
    const submit = el('button', { type: 'submit', class: reenrol ? null : 'danger' }, reenrol ? 'Continue' : 'Turn off');
    return el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      msg.clear();
      if (!password.value) { msg.error('Enter your password.'); password.focus(); return; }
      await busy(submit, async () => {
        try {
          await api('POST', '/me/mfa/totp/disable', { password: password.value });
          close(true);
        } catch (e) { msg.error(e); password.select(); }
      });
    } },
    el('p', {}, reenrol
      ? 'The old phone stops working at once and your recovery codes are replaced when you confirm the new one.'
      : 'Signing in will need only your password, and your recovery codes stop working.'),
    field('Your password', password), msg.node,
    el('div', { class: 'actions' }, button('Cancel', () => close(false), { class: 'secondary' }), submit));
  });
  if (!ok) return;
  me.mfa_enabled = false;
  me.recovery_codes_left = 0;
  ctx.session.me = undefined;  // the org's policy may make this an enrolment-only session now
  if (!reenrol) {
    announce('Two-step sign-in is off.');
    ctx.route();
    return;
  }
  renderMfa(box, me, ctx);
  box.startEnrolment();
}

async function regenerateDialog(box, me, ctx) {
  let codes;
  await openDialog('New recovery codes', (close) => {
    const code = el('input', { type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6', required: true, class: 'code' });
    const msg = messageArea();
    const submit = el('button', { type: 'submit' }, 'Replace my codes');
    return el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      msg.clear();
      if (!/^\d{6}$/.test(code.value.trim())) { msg.error('Enter the 6-digit code the app shows.'); code.focus(); return; }
      await busy(submit, async () => {
        try {
          codes = (await api('POST', '/me/mfa/recovery-codes', { code: code.value.trim() })).recovery_codes;
          close(true);
        } catch (e) { msg.error(e); code.select(); }
      });
    } },
    el('p', {}, 'Every old recovery code stops working. Confirm with the code your authenticator app shows now.'),
    field('Code from the app', code), msg.node,
    el('div', { class: 'actions' }, button('Cancel', () => close(false), { class: 'secondary' }), submit));
  });
  if (!codes) return;
  me.recovery_codes_left = codes.length;
  showRecoveryCodes(box, codes, me, () => { renderMfa(box, me, ctx); box.querySelector('h2').focus(); });
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
