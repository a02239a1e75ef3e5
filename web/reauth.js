// The "confirm it is you" dialog. Sensitive operations (deleting or giving away a BOM, changing
// how one signs in, tokens, sessions, people) need a recent proof of identity; when the server
// answers reauth_required, web/api.js calls the handler registered here, which asks for the
// password (and a one-time or recovery code when the user has an authenticator), posts it to
// /sessions/current/reauth and resolves true, so the original request is retried once.
// Accounts that cannot re-prove here (single sign-on only, or a passkey as the second factor) are
// told to sign in again, which counts as a fresh proof. Cancel resolves false: the request's own
// refusal is shown.
import { api, ApiError, setReauthHandler } from './api.js';
import { el, field, openDialog, messageArea, busy, button } from './dom.js';

async function prove() {
  let me = null;
  try { me = await api('GET', '/me'); } catch { /* the dialog still asks for the password */ }
  const hasTotp = Boolean(me && me.mfa_enabled);
  const passkeyOnly = Boolean(me && !me.mfa_enabled && me.passkeys > 0);
  return openDialog('Confirm it is you', (close) => {
    const msg = messageArea();
    const password = el('input', { type: 'password', name: 'reauth_password', autocomplete: 'current-password', required: true });
    const code = hasTotp
      ? el('input', { type: 'text', name: 'reauth_code', autocomplete: 'one-time-code', spellcheck: 'false', required: true })
      : null;
    const submit = el('button', { type: 'submit' }, 'Confirm');
    const form = el('form', { novalidate: true },
      el('p', {}, 'This change needs a recent sign-in. Enter your password to go on.'),
      field('Password', password),
      code ? field('One-time code', code, 'From your authenticator app, or one of your recovery codes.') : null,
      msg.node,
      el('div', { class: 'actions' }, submit, button('Cancel', () => close(false), { class: 'secondary' })));
    if (passkeyOnly) {
      msg.info('Your second factor is a passkey: sign out and sign in again with it, then repeat this change.');
      password.disabled = true;
      submit.disabled = true;
    }
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      msg.clear();
      if (!password.value) { msg.error('Enter your password.'); password.focus(); return; }
      const body = { password: password.value };
      if (code) {
        const v = code.value.trim();
        if (!v) { msg.error('Enter a one-time code or a recovery code.'); code.focus(); return; }
        if (/^\d{6}$/.test(v)) body.totp = v; else body.recovery_code = v;
      }
      busy(submit, async () => {
        try {
          await api('POST', '/sessions/current/reauth', body);
          password.value = '';
          close(true);
        } catch (e) {
          if (e instanceof ApiError && (e.code === 'password_not_set' || e.code === 'passkey_required')) {
            msg.error(e.message + ' Sign out and sign in again, then repeat this change.');
          } else {
            msg.error(e);
          }
          password.value = '';
          password.focus();
        }
      });
    });
    return form;
  }).then((v) => v === true);
}

setReauthHandler(prove);
