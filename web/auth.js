// Pages before anyone is signed in: unseal, sign-in (with the TOTP or passkey step, or a passkey
// alone), operator sign-in.
import { ssoSignIn } from './sso.js';
import { passkeySignIn, supported as passkeysSupported } from './passkeys.js';
import { api, ApiError, operatorToken } from './api.js';
import { el, field, messageArea, busy, pageHeading, checkbox, fill, announce, confirmDialog } from './dom.js';
import { signedIn } from './session.js';

// The vault is sealed: key holders submit shares one at a time until the threshold is reached.
export async function renderUnseal(root, { onUnsealed }) {
  const status = await api('GET', '/unseal');
  const msg = messageArea();
  const progressText = el('strong', { id: 'unseal-progress' });
  const bar = el('div', { class: 'bar' });
  const meter = el('div', { class: 'progress', role: 'progressbar', 'aria-label': 'Shares accepted', 'aria-valuemin': '0' }, bar);
  const input = el('input', { id: 'share', name: 'share', type: 'password', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', required: true, 'data-autofocus': true });
  const show = checkbox('Show the share while typing');
  show.input.addEventListener('change', () => { input.type = show.input.checked ? 'text' : 'password'; });
  const submit = el('button', { type: 'submit' }, 'Submit share');
  // Which shares are in, by the number "bomvault init" printed beside each ("share 2: …"), so key
  // holders can tell who still has to come. The numbers are not secret; the shares are.
  const sharesIn = el('ul', { class: 'share-list', id: 'unseal-shares', 'aria-label': 'Shares given so far' });

  function paint(s) {
    progressText.textContent = `${s.progress} of ${s.threshold}`;
    meter.setAttribute('aria-valuenow', String(s.progress));
    meter.setAttribute('aria-valuemax', String(s.threshold));
    meter.setAttribute('aria-valuetext', `${s.progress} of ${s.threshold} shares`);
    bar.style.width = s.threshold ? `${Math.round((100 * s.progress) / s.threshold)}%` : '0%';
    const given = new Set(s.shares_in || []);
    const items = [];
    for (let i = 1; i <= (s.shares || 0); i += 1) {
      const inNow = given.has(i);
      items.push(el('li', { class: inNow ? 'tag good' : 'tag', 'data-share': String(i) },
        inNow ? `Share ${i}: in` : `Share ${i}: not yet`));
    }
    sharesIn.replaceChildren(...items);
    sharesIn.hidden = items.length === 0;
  }
  paint(status);

  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    const share = input.value.trim();
    if (!share) { msg.error('Enter a key share.'); input.focus(); return; }
    await busy(submit, async () => {
      try {
        const r = await api('POST', '/unseal', { share });
        input.value = '';
        if (!r.sealed) { onUnsealed(); return; }
        paint(r);
        msg.ok(`Share accepted: ${r.progress} of ${r.threshold} (shares ${(r.shares_in || []).join(', ')} are in). The next key holder enters theirs now.`);
      } catch (e) {
        msg.error(e);
        if (e instanceof ApiError) api('GET', '/unseal').then(paint).catch(() => {});
      }
      input.focus();
    });
  } },
  field('Key share', input, 'Paste one share exactly as printed by "bomvault init". Each key holder enters their own.'),
  show.node,
  el('div', { class: 'actions' }, submit,
    el('button', { type: 'button', class: 'secondary', onclick: async () => {
      msg.clear();
      // Only a key holder whose share was already given may start over: that share is the proof.
      if (!input.value.trim()) { msg.error('To start over, enter the share you already gave, then press Start over.'); input.focus(); return; }
      const ok = await confirmDialog('Start over', 'Every share entered so far is discarded, and each key holder has to enter theirs again.', 'Discard the shares');
      if (!ok) return;
      try { paint(await api('POST', '/unseal', { reset: true, share: input.value })); input.value = ''; msg.ok('The shares given so far were discarded.'); } catch (e) { msg.error(e); }
      input.focus();
    } }, 'Start over')),
  msg.node);

  // Most people who see this page hold no share: they wait, and the page resumes by itself once
  // the key holders are done (it asks /health every few seconds while it is shown).
  form.hidden = status.progress === 0;
  const holder = el('button', { type: 'button', class: 'secondary', 'aria-expanded': String(!form.hidden), 'aria-controls': 'unseal-form', onclick: () => {
    form.hidden = !form.hidden;
    holder.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) input.focus();
  } }, 'I hold a key share');
  form.id = 'unseal-form';
  const waiting = el('p', { class: 'muted', role: 'status', id: 'unseal-wait' }, 'bomvault resumes by itself once enough key holders have entered their shares; this page checks every few seconds. You do not need to reload it.');
  fill(root, el('section', { class: 'card narrow' },
    pageHeading('The vault is sealed'),
    el('p', {}, 'No data can be read until enough key holders have entered their shares. Shares accepted: ', progressText, '.'),
    meter, sharesIn, waiting,
    el('div', { class: 'actions' }, holder),
    form));
  if (!form.hidden) input.setAttribute('data-autofocus', '');
  else input.removeAttribute('data-autofocus');

  const poll = setInterval(async () => {
    if (!root.isConnected) { clearInterval(poll); return; }
    try {
      const h = await api('GET', '/unseal');
      if (!h.sealed) { clearInterval(poll); onUnsealed(); return; }
      paint(h);
    } catch { /* the server restarts or is away: keep waiting */ }
  }, 3000);
}

export async function signInPage({ root, query }) {
  const msg = messageArea();
  const email = el('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, 'data-autofocus': true });
  const password = el('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const totp = el('input', { type: 'text', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6' });
  const totpField = field('One-time code', totp, 'The 6-digit code your authenticator app shows now.');
  // A lost or broken phone: one of the recovery codes saved at enrolment signs in once instead.
  const recovery = el('input', { type: 'text', name: 'recovery_code', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', class: 'mono', maxlength: '40' });
  const recoveryField = field('Recovery code', recovery, 'One of the codes you saved when you set up the app, e.g. abcd-efgh-ijkl-mnop-qrst-uvwx. Each works once.');
  let useRecovery = false;
  const switcher = el('button', { type: 'button', class: 'link small', onclick: () => {
    useRecovery = !useRecovery;
    paintSecondFactor();
    (useRecovery ? recovery : totp).focus();
  } });
  // The passkey as second factor: the password is sent again to get a challenge for this
  // account's passkeys (nothing is kept between the two steps).
  const usePasskey = el('button', { type: 'button', class: 'secondary', id: 'passkey-second-factor', onclick: async () => {
    msg.clear();
    await busy(usePasskey, async () => {
      try {
        await passkeySignIn({ email: email.value.trim(), password: password.value });
        password.value = '';
        await signedIn(query.get('next'));
      } catch (e) { msg.error(e); }
    });
  } }, 'Use a passkey');
  let passkeyOnly = false;
  const codeFields = el('div', {}, totpField, recoveryField, el('p', {}, switcher));
  const secondFactor = el('div', { hidden: true }, codeFields,
    passkeysSupported() ? el('div', { class: 'actions' }, usePasskey) : null);
  function paintSecondFactor() {
    codeFields.hidden = passkeyOnly;
    totpField.hidden = useRecovery;
    recoveryField.hidden = !useRecovery;
    switcher.textContent = useRecovery ? 'Use the code from the app instead' : 'Lost your phone? Use a recovery code';
  }
  paintSecondFactor();
  const submit = el('button', { type: 'submit' }, 'Sign in');
  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    if (!email.value.trim() || !password.value) { msg.error('Enter your e-mail address and password.'); return; }
    const body = { email: email.value.trim(), password: password.value, cookie: true };
    if (!secondFactor.hidden && passkeyOnly) { usePasskey.click(); return; }
    if (!secondFactor.hidden) {
      if (useRecovery) {
        const code = recovery.value.trim();
        if (code.replace(/[\s-]/g, '').length !== 24) { msg.error('A recovery code has 24 letters and digits (dashes optional).'); recovery.focus(); return; }
        body.recovery_code = code;
      } else {
        if (!/^\d{6}$/.test(totp.value.trim())) { msg.error('Enter the 6-digit code from your authenticator.'); totp.focus(); return; }
        body.totp = totp.value.trim();
      }
    }
    await busy(submit, async () => {
      try {
        const r = await api('POST', '/sessions', body);
        password.value = '';
        if (body.recovery_code) announce('Signed in with a recovery code; it cannot be used again. Ask an Administrator to reset your authenticator if the phone is gone for good.');
        await signedIn(r && r.mfa_enrolment_required ? '#/account' : query.get('next'));
      } catch (e) {
        if (e instanceof ApiError && e.code === 'passkey_required') {
          passkeyOnly = true;
          paintSecondFactor();
          secondFactor.hidden = false;
          msg.info('Your account uses a passkey: confirm the sign-in with it.');
          usePasskey.focus();
          return;
        }
        if (e instanceof ApiError && ['totp_required', 'totp_invalid', 'recovery_code_invalid'].includes(e.code)) {
          secondFactor.hidden = false;
          if (e.code === 'totp_required') msg.info('Your account uses an authenticator: enter the current code to finish signing in.');
          else { msg.error(e); (useRecovery ? recovery : totp).value = ''; }
          (useRecovery ? recovery : totp).focus();
          return;
        }
        msg.error(e);
      }
    });
  } },
  field('E-mail address', email), field('Password', password), secondFactor,
  el('div', { class: 'actions' }, submit), msg.node);
  // Passwordless: any passkey this browser or a security key holds for this site.
  const passkeyMsg = messageArea();
  const passkeyButton = el('button', { type: 'button', class: 'secondary', id: 'passkey-sign-in', onclick: async () => {
    passkeyMsg.clear();
    await busy(passkeyButton, async () => {
      try {
        await passkeySignIn({});
        await signedIn(query.get('next'));
      } catch (e) { passkeyMsg.error(e); }
    });
  } }, 'Sign in with a passkey');
  fill(root, el('section', { class: 'card narrow' },
    pageHeading('Sign in'),
    ssoSignIn(query),
    passkeysSupported() ? el('div', { class: 'stack' }, el('div', { class: 'actions' }, passkeyButton), passkeyMsg.node) : null,
    form,
    el('p', { class: 'muted small' }, 'Running this instance? ', el('a', { href: '#/operator-sign-in' }, 'Sign in as the operator'), '.')));
}

export async function operatorSignInPage({ root }) {
  const msg = messageArea();
  const token = el('input', { type: 'password', name: 'operator_token', autocomplete: 'off', spellcheck: 'false', required: true, 'data-autofocus': true });
  const submit = el('button', { type: 'submit' }, 'Sign in as operator');
  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    const t = token.value.trim();
    if (!t) { msg.error('Paste the operator token.'); return; }
    await busy(submit, async () => {
      operatorToken.set(t);
      try {
        const me = await api('GET', '/me');
        if (!me.operator) {
          operatorToken.clear();
          msg.error('That is a user token, not the operator token. Users sign in with their e-mail address.');
          return;
        }
        token.value = '';
        await signedIn('#/orgs');
      } catch (e) {
        operatorToken.clear();
        msg.error(e instanceof ApiError && e.status === 401 ? 'The operator token was not accepted.' : e);
      }
    });
  } },
  field('Operator token', token, 'Printed once by "bomvault init". It is kept only in this browser tab and forgotten when the tab closes.'),
  el('div', { class: 'actions' }, submit), msg.node);
  fill(root, el('section', { class: 'card narrow' },
    pageHeading('Operator sign-in'),
    el('p', {}, 'The operator manages organisations and sealing; it cannot read any organisation\'s BOMs.'),
    form,
    el('p', { class: 'muted small' }, el('a', { href: '#/sign-in' }, 'Back to the user sign-in'))));
}
