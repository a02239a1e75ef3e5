// Single sign-on in the UI (docs/sso.md): the "Sign in with <provider>" button on the sign-in page,
// the card on the settings page where an Administrator configures the org's provider and the
// local-password switch, the account page's "link your account" card, and sign-out that also ends
// the provider's session (RP-initiated logout). The sign-in page learns which org's provider to
// offer from ?org=<id> in its link (the settings card shows that link) or from the last SSO
// sign-in in this browser.
import { api, ApiError } from './api.js';
import { el, field, checkbox, select } from './dom.js';

const ORG_KEY = 'bomvault.sso_org';
const ORG_RE = /^org_[A-Za-z0-9_-]{1,64}$/;

function rememberedOrg() {
  try { return localStorage.getItem(ORG_KEY) || ''; } catch { return ''; }
}

// The button, or nothing when there is no provider to offer.
export function ssoSignIn(query) {
  const box = el('div', { class: 'sso-sign-in' });
  const org = (query && query.get('org')) || rememberedOrg();
  if (!ORG_RE.test(org)) return box;
  api('GET', `/sso/${org}`).then((p) => {
    box.append(el('p', {}, el('a', {
      class: 'button', id: 'sso-sign-in', href: p.start_url,
      onclick: () => { try { localStorage.setItem(ORG_KEY, org); } catch { /* storage disabled */ } },
    }, `Sign in with ${p.display_name}`)), el('p', { class: 'muted small' }, 'or with your e-mail address and password:'));
  }).catch(() => { /* no provider: the password form alone */ });
  return box;
}

// Ends the session; when it came from the provider, the browser goes on to end the provider's.
// Returns true when the browser is leaving for the provider.
export async function ssoSignOut() {
  const r = await api('POST', '/sso/logout');
  if (r && r.logout_url) {
    window.location.assign(r.logout_url);
    return true;
  }
  return false;
}

// Account page: link this account to the org's provider (needed before passwords are turned off).
export function ssoAccountCard(me) {
  const card = el('section', { class: 'card', 'aria-labelledby': 'sso-h', hidden: true });
  api('GET', `/sso/${me.org_id}`).then((p) => {
    const msg = el('p', { class: 'muted small', role: 'status' });
    card.append(el('h2', { id: 'sso-h' }, 'Single sign-on'),
      el('p', {}, `Sign in with ${p.display_name} instead of a password: link your account once.`),
      el('button', { type: 'button', id: 'sso-link', onclick: async () => {
        try {
          const r = await api('POST', `/sso/${me.org_id}/link`, {});
          window.location.assign(r.authorization_url);
        } catch (e) { msg.textContent = e instanceof ApiError ? e.message : String(e); }
      } }, `Link ${p.display_name}`), msg);
    card.hidden = false;
  }).catch(() => {});
  return card;
}

// Settings page (Administrators): the provider and the local-password switch.
export function ssoSettingsCard(me) {
  const card = el('section', { class: 'card', 'aria-labelledby': 'sso-settings-h' });
  const msg = el('p', { class: 'small', role: 'status' });
  const issuer = el('input', { type: 'url', name: 'issuer', required: true, placeholder: 'https://id.example.com/realms/acme' });
  const clientId = el('input', { type: 'text', name: 'client_id', required: true });
  const secret = el('input', { type: 'password', name: 'client_secret', autocomplete: 'off' });
  const name = el('input', { type: 'text', name: 'display_name', required: true, maxlength: '60' });
  const provisioning = select([['jit', 'Create accounts on first sign-in'], ['invitation', 'Invited addresses only']], { name: 'provisioning' });
  const role = select([['viewer', 'Viewer'], ['editor', 'Editor'], ['administrator', 'Administrator']], { name: 'default_role' });
  const groups = el('input', { type: 'text', name: 'groups_claim', placeholder: 'groups' });
  const mapping = el('textarea', { name: 'group_roles', rows: '3', placeholder: 'bomvault-admins=administrator' });
  const internal = checkbox('On-premises provider (private or loopback address)', { name: 'internal' });
  const info = el('div', { class: 'small' });
  const passwords = el('div', {});

  async function load() {
    info.textContent = '';
    passwords.textContent = '';
    let p = null;
    try { p = await api('GET', '/org/sso'); } catch (e) { if (!(e instanceof ApiError && e.status === 404)) throw e; }
    if (p) {
      issuer.value = p.issuer; clientId.value = p.client_id; name.value = p.display_name;
      provisioning.value = p.provisioning; role.value = p.default_role; groups.value = p.groups_claim;
      mapping.value = Object.entries(p.group_roles || {}).map(([g, r]) => `${g}=${r}`).join('\n');
      internal.input.checked = p.internal;
      secret.placeholder = p.has_client_secret ? '(kept; type to replace)' : '';
      const link = `${window.location.origin}/#/sign-in?org=${me.org_id}`;
      info.append(el('p', {}, 'Redirect URI to register at the provider: ', el('code', {}, p.redirect_uri)),
        el('p', {}, 'Sign-in link for your people: ', el('code', { id: 'sso-sign-in-link' }, link)));
      const on = p.local_passwords;
      passwords.append(el('p', {}, on ? 'Local passwords are on.' : 'Local passwords are off: no password is stored for anyone in this organisation.'),
        el('button', { type: 'button', id: 'sso-passwords-toggle', onclick: async () => {
          try { await api('POST', '/org/sso/local-passwords', { enabled: !on }); msg.textContent = 'Saved.'; await load(); } catch (e) { msg.textContent = e.message; }
        } }, on ? 'Turn local passwords off' : 'Turn local passwords on'));
    }
  }

  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const body = {
      issuer: issuer.value.trim(), client_id: clientId.value.trim(), display_name: name.value.trim(),
      provisioning: provisioning.value, default_role: role.value, groups_claim: groups.value.trim(),
      internal: internal.input.checked, group_roles: {},
    };
    for (const line of mapping.value.split('\n')) {
      const [g, r] = line.split('=').map((s) => s && s.trim());
      if (g && r) body.group_roles[g] = r;
    }
    if (secret.value) body.client_secret = secret.value;
    try { await api('PUT', '/org/sso', body); secret.value = ''; msg.textContent = 'Saved.'; await load(); } catch (e) { msg.textContent = e.message; }
  } },
  field('Issuer', issuer), field('Client id', clientId), field('Client secret', secret), field('Button text', name, 'Shown as "Sign in with …".'),
  field('New accounts', provisioning), field('Default role', role), field('Groups claim', groups), field('Group → role, one per line', mapping), internal.node,
  el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Save single sign-on')));
  card.append(el('h2', { id: 'sso-settings-h' }, 'Single sign-on (OpenID Connect)'), form, info, passwords, msg);
  load().catch((e) => { msg.textContent = e.message; });
  return card;
}
