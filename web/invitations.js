// Invitations and the block list (Administrators), and the two public pages mail links open:
// PUBLIC_URL/invitation#token=… and PUBLIC_URL/verify-email#token=…. app.js takes the token out
// of the address (takeLinkToken) before routing, so it never lingers in the address bar or the
// history; it is kept in memory only, for this page view.
import { api, qs } from './api.js';
import {
  el, field, select, messageArea, table, fmtTime, pageHeading, button, busy, confirmDialog,
  announce, fill,
} from './dom.js';

const ROLES = [['viewer', 'Viewer'], ['editor', 'Editor'], ['administrator', 'Administrator']];
const ROLE_TEXT = Object.fromEntries(ROLES);

// The token of the mail link this page view was opened with: { page, token } or null.
let linkToken = null;

// Called by app.js once at start-up. A mail link /invitation#token=… becomes /#/invitation.
export function takeLinkToken() {
  const m = /^\/(invitation|verify-email)\/?$/.exec(location.pathname);
  if (!m) return;
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (token) linkToken = { page: m[1], token };
  history.replaceState(null, '', '/#/' + m[1]);
}

function tokenFor(page) {
  return linkToken && linkToken.page === page ? linkToken.token : '';
}

function focusNode(node) {
  node.setAttribute('tabindex', '-1');
  node.focus();
}

const missingLink = (what) => el('p', { role: 'alert', class: 'error' },
  `This address holds no ${what} token. Open the link from the e-mail again; a link can be used only once.`);

// ---------------------------------------------------------------------------------------------
// Administrators: #/invitations

export async function invitationsPage(ctx) {
  const { root } = ctx;
  const inviteBox = el('section', { class: 'card', 'aria-labelledby': 'invite-h' });
  const pendingBox = el('section', { class: 'card', 'aria-labelledby': 'pending-h' });
  const blockedBox = el('section', { class: 'card', 'aria-labelledby': 'blocked-h' });
  fill(root, pageHeading('Invitations'),
    el('p', { class: 'muted' }, 'Invite people by e-mail: they choose their own password from the link, which works once and expires after 72 hours. Blocked addresses and domains cannot be invited or shared with.'),
    inviteBox, pendingBox, blockedBox);

  // --- Pending invitations, newest first, in pages of 50 ---
  const listMsg = messageArea();
  let shown = [];
  let nextAfter = null;

  async function loadInvitations(more = false) {
    const r = await api('GET', '/invitations' + qs({ limit: 50, after: more ? nextAfter : '' }));
    shown = more ? shown.concat(r.invitations) : r.invitations;
    nextAfter = r.next_after || null;
    drawInvitations();
  }

  function drawInvitations() {
    const moreBtn = nextAfter ? button('Show more', async () => {
      listMsg.clear();
      await busy(moreBtn, async () => {
        try { await loadInvitations(true); } catch (e) { listMsg.error(e); }
      });
    }, { class: 'secondary' }) : null;
    fill(pendingBox,
      el('h2', { id: 'pending-h' }, `Pending invitations (${shown.length}${nextAfter ? '+' : ''})`),
      table({
        className: 'invitations',
        empty: 'No pending invitations.',
        columns: [
          { label: 'E-mail', render: (v) => v.email },
          { label: 'Role', render: (v) => ROLE_TEXT[v.role] || v.role },
          { label: 'Status', render: (v) => el('span', { class: v.status === 'expired' ? 'tag bad' : 'tag good' }, v.status === 'expired' ? 'Expired' : 'Pending') },
          { label: 'Sent', render: (v) => fmtTime(v.created_at) },
          { label: 'Expires', render: (v) => fmtTime(v.expires_at) },
          { label: 'Actions', render: (v) => button('Revoke', () => revoke(v), { class: 'danger small', 'aria-label': `Revoke the invitation of ${v.email}` }) },
        ],
        rows: shown,
      }),
      moreBtn ? el('div', { class: 'pager' }, moreBtn) : null,
      listMsg.node);
  }

  async function revoke(v) {
    const ok = await confirmDialog('Revoke invitation', `The link sent to ${v.email} stops working at once.`, 'Revoke invitation');
    if (!ok) return;
    listMsg.clear();
    try {
      await api('DELETE', `/invitations/${encodeURIComponent(v.id)}`);
      await loadInvitations();
      announce(`The invitation of ${v.email} was revoked.`);
      focusNode(pendingBox.querySelector('h2'));
    } catch (e) { listMsg.error(e); }
  }

  // --- Invite form ---
  const inviteMsg = messageArea();
  const email = el('input', { type: 'email', name: 'email', required: true, autocomplete: 'off', maxlength: '254' });
  const role = select(ROLES, { name: 'role' });
  role.value = 'editor';
  const send = el('button', { type: 'submit' }, 'Send invitation');
  const form = el('form', { class: 'grid-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    inviteMsg.clear();
    const addr = email.value.trim();
    if (!addr || !addr.includes('@')) { inviteMsg.error('Enter the e-mail address to invite.'); email.focus(); return; }
    await busy(send, async () => {
      try {
        await api('POST', '/invitations', { email: addr, role: role.value });
        inviteMsg.ok(`Invited ${addr} as ${ROLE_TEXT[role.value]}. The link was sent by e-mail.`);
        email.value = '';
        await loadInvitations();
        email.focus();
      } catch (e) { inviteMsg.error(e); email.focus(); }
    });
  } },
  field('E-mail address to invite', email),
  field('Role', role),
  el('div', { class: 'actions' }, send));
  fill(inviteBox, el('h2', { id: 'invite-h' }, 'Invite someone'), form, inviteMsg.node);

  // --- Block list ---
  const blockMsg = messageArea();
  const entry = el('input', { type: 'text', name: 'entry', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: '254' });
  const add = el('button', { type: 'submit' }, 'Block');
  let entries = [];

  async function loadBlocked() {
    const r = await api('GET', '/org/blocked');
    entries = r.entries.slice().sort((a, b) => a.entry.localeCompare(b.entry));
    drawBlocked();
  }

  const blockForm = el('form', { class: 'grid-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    blockMsg.clear();
    const value = entry.value.trim();
    if (!value) { blockMsg.error('Enter an address (name@example.com) or a domain (example.com).'); entry.focus(); return; }
    await busy(add, async () => {
      try {
        const r = await api('POST', '/org/blocked', { entry: value });
        entry.value = '';
        await loadBlocked();
        blockMsg.ok(`Blocked ${r.kind === 'domain' ? 'the domain' : 'the address'} ${r.entry}.`);
        entry.focus();
      } catch (e) { blockMsg.error(e); entry.focus(); }
    });
  } },
  field('Address or domain', entry, 'A domain also blocks its subdomains.'),
  el('div', { class: 'actions' }, add));

  async function unblock(e) {
    const ok = await confirmDialog('Unblock', `${e.entry} may be invited and shared with again.`, 'Unblock');
    if (!ok) return;
    blockMsg.clear();
    try {
      await api('DELETE', '/org/blocked', { entry: e.entry });
      await loadBlocked();
      blockMsg.ok(`${e.entry} is no longer blocked.`);
      entry.focus();
    } catch (err) { blockMsg.error(err); }
  }

  const listSlot = el('div', {});
  function drawBlocked() {
    fill(listSlot, table({
      className: 'blocked',
      empty: 'Nothing is blocked.',
      columns: [
        { label: 'Address or domain', render: (e) => el('span', { class: 'mono', 'data-entry': e.entry }, e.entry) },
        { label: 'Kind', render: (e) => (e.kind === 'domain' ? 'Domain' : 'Address') },
        { label: 'Blocked', render: (e) => fmtTime(e.created_at) },
        { label: 'Actions', render: (e) => button('Unblock', () => unblock(e), { class: 'secondary small', 'aria-label': `Unblock ${e.entry}` }) },
      ],
      rows: entries,
    }));
    blockedBox.querySelector('h2').textContent = `Blocked addresses (${entries.length})`;
  }
  fill(blockedBox, el('h2', { id: 'blocked-h' }, 'Blocked addresses'), blockForm, blockMsg.node, listSlot);

  await Promise.all([loadInvitations(), loadBlocked()]);
}

// ---------------------------------------------------------------------------------------------
// Public: #/invitation (from PUBLIC_URL/invitation#token=…)

export async function invitationPage(ctx) {
  const { root, me } = ctx;
  const token = tokenFor('invitation');
  const card = el('section', { class: 'card narrow' });
  fill(root, card);
  if (!token) {
    fill(card, pageHeading('Accept the invitation'), missingLink('invitation'),
      el('p', {}, el('a', { href: '#/sign-in' }, 'Go to the sign-in page')));
    return;
  }
  const msg = messageArea();
  const pw = el('input', { type: 'password', name: 'password', required: true, minlength: '8', autocomplete: 'new-password', 'data-autofocus': true });
  const again = el('input', { type: 'password', name: 'password2', required: true, minlength: '8', autocomplete: 'new-password' });
  const submit = el('button', { type: 'submit' }, 'Create my account');
  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    if (pw.value.length < 8) { msg.error('Choose a password of at least 8 characters.'); pw.focus(); return; }
    if (pw.value !== again.value) { msg.error('The two passwords differ; type the same password twice.'); again.focus(); return; }
    await busy(submit, async () => {
      try {
        const r = await api('POST', '/invitations/accept', { token, password: pw.value });
        linkToken = null;
        const done = pageHeading('Your account is ready');
        fill(card, done,
          el('p', { class: 'ok', role: 'status' }, `Your account was created as ${ROLE_TEXT[r.role] || r.role}. Your e-mail address is verified.`),
          me ? el('p', {}, 'You are still signed in as ', el('strong', {}, me.email || 'the operator'), '; sign out first to use the new account.')
            : el('p', {}, 'Sign in with your e-mail address and the password you just chose.'),
          el('div', { class: 'actions' }, me ? null : el('a', { href: '#/sign-in', class: 'button' }, 'Sign in')));
        focusNode(done.querySelector('h1'));
      } catch (e) {
        msg.error(e);
        if (e.code === 'invitation_invalid' || e.code === 'invitation_expired') { linkToken = null; submit.disabled = true; } else pw.focus();
      }
    });
  } },
  field('New password', pw, 'At least 8 characters; common passwords are refused.'),
  field('Repeat the password', again),
  el('div', { class: 'actions' }, submit));
  fill(card, pageHeading('Accept the invitation'),
    el('p', {}, 'You were invited to bomvault. Choose a password to create your account.'),
    form, msg.node);
}

// ---------------------------------------------------------------------------------------------
// Public: #/verify-email (from PUBLIC_URL/verify-email#token=…)

export async function verifyEmailPage(ctx) {
  const { root, me, session } = ctx;
  const token = tokenFor('verify-email');
  const card = el('section', { class: 'card narrow' });
  fill(root, card);
  const back = me ? el('a', { href: '#/account' }, 'Go to your account') : el('a', { href: '#/sign-in' }, 'Go to the sign-in page');
  if (!token) {
    fill(card, pageHeading('Verify your e-mail address'), missingLink('verification'), el('p', {}, back));
    return;
  }
  const msg = messageArea();
  const confirm = button('Confirm my address', async () => {
    msg.clear();
    await busy(confirm, async () => {
      try {
        await api('POST', '/verify-email', { token });
        linkToken = null;
        if (session.me && !session.me.operator) session.me.email_verified = true;
        const done = pageHeading('Address verified');
        fill(card, done, el('p', { class: 'ok', role: 'status' }, 'Thank you: your e-mail address is verified.'), el('p', {}, back));
        focusNode(done.querySelector('h1'));
      } catch (e) {
        msg.error(e);
        if (e.code === 'verification_invalid' || e.code === 'verification_expired') { linkToken = null; confirm.disabled = true; }
      }
    });
  }, { 'data-autofocus': true });
  fill(card, pageHeading('Verify your e-mail address'),
    el('p', {}, 'Confirm that this e-mail address belongs to you.'),
    el('div', { class: 'actions' }, confirm), msg.node);
}
