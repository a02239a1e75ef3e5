// Data sources: the Sources page (docs/sources.md). Administrators add, change and delete Tryton,
// REST and folder sources; secrets (the OAuth client secret) are write-only: the form never shows
// one back, and an empty field keeps the stored one. Everyone connects with their own
// credentials: "Connect" first asks the server what this user must give (PUT .../connection {}
// answers credentials_required with `needs`), because Editors and Viewers get only id, name, kind
// and their own `connected` from the list. OAuth code + PKCE leaves for the provider and comes
// back to this page's address with ?code&state (takeSourceReturn). Folder sources list their
// dropped files with their state and pull one; pulls and sends run as jobs (sourcejobs.js).
import { api } from './api.js';
import {
  el, field, checkbox, select, messageArea, pageHeading, loading, button, busy, fill, confirmDialog, openDialog,
  announce, table, timeEl, fmtBytes,
} from './dom.js';
import { runPull, pullDialog } from './sourcejobs.js';

const KIND_TEXT = { tryton: 'Tryton ERP', rest: 'REST/JSON', folder: 'Folder on the server' };
const AUTH_TEXT = {
  oauth_code: 'OAuth 2.0: each user signs in at the provider (code + PKCE)',
  client_credentials: 'OAuth 2.0 client credentials: each user\'s own client',
  api_key: 'API key: each user\'s own key',
  basic: 'User name and password (HTTP Basic)',
};
const STATE_TEXT = { new: 'New', changed: 'Changed since pulled', pulled: 'Pulled' };

// ---- OAuth return ------------------------------------------------------------------------
// Before leaving for the provider the state and the source are kept in this tab's
// sessionStorage; the provider sends the browser back to redirectUri() with ?code=…&state=….
// takeSourceReturn() (app.js calls it before the first route) takes them out of the address at
// once, so the code is never left in the history, and the Sources page finishes the connection.
const OAUTH_KEY = 'bomvault.source_oauth';
let oauthReturn = null;

export function redirectUri() { return `${location.origin}/`; }

export function takeSourceReturn() {
  const q = new URLSearchParams(location.search);
  if (!q.has('state') || !(q.has('code') || q.has('error'))) return;
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(OAUTH_KEY) || 'null');
    sessionStorage.removeItem(OAUTH_KEY);
  } catch { /* storage disabled: treated as unknown */ }
  const state = q.get('state');
  if (pending && pending.state === state) {
    oauthReturn = { source: pending.source, name: pending.name, state, code: q.get('code') || '', error: q.get('error') || '' };
  } else {
    oauthReturn = { unknown: true };
  }
  history.replaceState(null, '', `${location.pathname}#/sources`);
}

async function finishOAuth(msg) {
  const r = oauthReturn;
  oauthReturn = null;
  if (r.unknown) { msg.error('That sign-in was not started from this tab. Connect again.'); return; }
  if (r.error || !r.code) { msg.error(`The sign-in at ${r.name} did not finish (${r.error || 'no code'}). Connect again.`); return; }
  try {
    await api('PUT', `/sources/${encodeURIComponent(r.source)}/connection`, { code: r.code, state: r.state });
    announce(`Connected to ${r.name}`);
  } catch (e) { msg.error(e); }
}

// ---- Connect -----------------------------------------------------------------------------
const NEEDS = {
  password: { title: 'Your user name and password', fields: [['username', 'User name', 'text', 'username'], ['password', 'Password', 'password', 'current-password']] },
  api_key: { title: 'Your API key', fields: [['api_key', 'API key', 'password', 'off']] },
  client_credentials: { title: 'Your OAuth client', fields: [['client_id', 'Client id', 'text', 'off'], ['client_secret', 'Client secret', 'password', 'off']] },
};

// Asks the server what to give, then asks the user for exactly that (or leaves for the
// provider's sign-in). Resolves true when connected here.
async function connect(src, msg) {
  msg.clear();
  let needs = '';
  try {
    await api('PUT', `/sources/${encodeURIComponent(src.id)}/connection`, {});
  } catch (e) {
    if (e.code !== 'credentials_required' || !e.needs) { msg.error(e); return false; }
    needs = e.needs;
  }
  if (needs === 'oauth') {
    try {
      const r = await api('POST', `/sources/${encodeURIComponent(src.id)}/connection/authorize`, { redirect_uri: redirectUri() });
      sessionStorage.setItem(OAUTH_KEY, JSON.stringify({ state: r.state, source: src.id, name: src.name }));
      location.assign(r.authorize_url);
    } catch (e) { msg.error(e); }
    return false;
  }
  const spec = NEEDS[needs];
  if (!spec) { msg.error('This source asks for credentials this page does not know.'); return false; }
  return openDialog(`Connect to ${src.name}`, (close) => {
    const dmsg = messageArea();
    const inputs = spec.fields.map(([key, label, type, autocomplete]) => [key, label,
      el('input', { type, name: key, required: true, autocomplete, spellcheck: 'false' })]);
    const submit = el('button', { type: 'submit' }, 'Connect');
    return el('form', {
      onsubmit: (ev) => {
        ev.preventDefault();
        busy(submit, async () => {
          dmsg.clear();
          const body = Object.fromEntries(inputs.map(([key, , input]) => [key, input.value]));
          try {
            await api('PUT', `/sources/${encodeURIComponent(src.id)}/connection`, body);
            for (const [, , input] of inputs) input.value = '';
            close(true);
          } catch (e) {
            for (const [, , input] of inputs) if (input.type === 'password') input.value = '';
            dmsg.error(e);
          }
        });
      },
    }, el('p', {}, `${spec.title} for ${src.name}. They are kept sealed for you alone and never shown again.`),
    inputs.map(([, label, input]) => field(label, input)), dmsg.node,
    el('div', { class: 'actions' }, submit, button('Cancel', () => close(false), { class: 'secondary' })));
  }).then((v) => v === true);
}

// ---- Add and change (Administrators) ------------------------------------------------------
function lines(text) { return text.split('\n').map((s) => s.trim()).filter(Boolean); }

function rulesFromText(skip, units) {
  const map = {};
  for (const line of lines(units)) {
    const at = line.indexOf('=');
    if (at > 0) map[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return { skip_part_numbers: lines(skip), units: map };
}

// The add or change dialog. `src` is the Administrator's view of an existing source, or null.
async function sourceDialog(src, profiles) {
  return openDialog(src ? `Change “${src.name}”` : 'Add a data source', (close) => {
    const msg = messageArea();
    const v = src || { kind: 'tryton', auth_method: 'oauth_code', rules: { skip_part_numbers: [], units: {} } };
    const input = (key, attrs = {}) => el('input', { name: key, value: v[key] ?? '', autocomplete: 'off', spellcheck: 'false', ...attrs });
    const kind = select(Object.entries(KIND_TEXT), { name: 'kind', disabled: Boolean(src) });
    kind.value = v.kind;
    const name = input('name', { required: true, maxlength: 200 });
    const baseUrl = input('base_url', { type: 'url', placeholder: 'https://erp.example.com' });
    const database = input('database', { maxlength: 63, pattern: '[A-Za-z0-9_-]+' });
    const auth = select(Object.entries(AUTH_TEXT), { name: 'auth_method' });
    auth.value = v.auth_method && AUTH_TEXT[v.auth_method] ? v.auth_method : 'oauth_code';
    const authorizeUrl = input('authorize_url', { type: 'url' });
    const tokenUrl = input('token_url', { type: 'url' });
    const revocationUrl = input('revocation_url', { type: 'url' });
    const clientId = input('client_id', { maxlength: 256 });
    const clientSecret = el('input', { name: 'client_secret', type: 'password', autocomplete: 'new-password', value: '' });
    const scopes = input('scopes', { maxlength: 1024, placeholder: 'openid offline_access boms' });
    const keyHeader = input('api_key_header', { maxlength: 64, placeholder: 'X-Api-Key' });
    const itemsPath = input('items_path', { placeholder: '/boms/{remote_id}' });
    const sendPath = input('send_path', { placeholder: '/boms' });
    const ca = el('textarea', { name: 'ca_pem', rows: 3, placeholder: '-----BEGIN CERTIFICATE-----', spellcheck: 'false' });
    ca.value = v.ca_pem || '';
    const internal = checkbox('Internal: on this site\'s own network (loopback or private addresses allowed)', { name: 'internal' });
    internal.input.checked = Boolean(v.internal);
    const proxy = input('proxy', { placeholder: 'http://proxy.example:3128' });
    const timeout = input('timeout_seconds', { type: 'number', min: 1, max: 600, step: 1 });
    const maxBytes = input('max_response_bytes', { type: 'number', min: 4096, max: 268435456, step: 1 });
    const path = input('path', { maxlength: 200, placeholder: 'plm/released' });
    const profile = el('select', { name: 'profile' }, el('option', { value: '' }, 'Recognise automatically'),
      profiles.saved.length ? el('optgroup', { label: 'Saved by your organisation' }, profiles.saved.map((p) => el('option', { value: p.id }, p.name))) : null,
      profiles.builtin.length ? el('optgroup', { label: 'Built-in' }, profiles.builtin.map((n) => el('option', { value: n }, n))) : null);
    profile.value = v.profile || '';
    const skip = el('textarea', { name: 'skip_part_numbers', rows: 2, placeholder: 'TEST-*', spellcheck: 'false' });
    skip.value = ((v.rules && v.rules.skip_part_numbers) || []).join('\n');
    const units = el('textarea', { name: 'units', rows: 2, placeholder: 'pcs=ea', spellcheck: 'false' });
    units.value = Object.entries((v.rules && v.rules.units) || {}).map(([a, b]) => `${a}=${b}`).join('\n');

    const secretHint = src && src.client_secret_set ? 'A secret is stored; leave empty to keep it. It is never shown.' : 'Never shown again once saved.';
    const groups = {
      network: el('fieldset', {}, el('legend', {}, 'Where it is'),
        field('Base URL', baseUrl, 'Plain http:// only for an internal source.'),
        field('CA bundle (PEM), for the site\'s own PKI', ca), internal.node),
      tryton: el('fieldset', {}, el('legend', {}, 'Tryton'), field('Tryton database', database)),
      rest: el('fieldset', {}, el('legend', {}, 'REST/JSON'),
        field('How users sign in', auth),
        field('Items path', itemsPath, 'Under the base URL; {remote_id} names the BOM. Default /boms/{remote_id}.'),
        field('Send path', sendPath, 'Default /boms.'),
        field('API key header', keyHeader, 'For API keys. Default X-Api-Key.')),
      oauth: el('fieldset', {}, el('legend', {}, 'OAuth 2.0 provider'),
        field('Authorization URL', authorizeUrl, `Register ${redirectUri()} as the redirect URI at the provider.`),
        field('Token URL', tokenUrl), field('Revocation URL (RFC 7009)', revocationUrl),
        field('Client id', clientId), field('Client secret', clientSecret, secretHint), field('Scopes', scopes)),
      limits: el('details', {}, el('summary', {}, 'Proxy, timeout and size limit'),
        field('Proxy', proxy, 'Only when the site routes outbound traffic through one.'),
        field('Timeout (seconds)', timeout), field('Largest answer (bytes)', maxBytes)),
      folder: el('fieldset', {}, el('legend', {}, 'Folder'),
        field('Folder', path, 'Relative to this organisation\'s directory under the server\'s drop root (serve --source-dir).')),
      importer: el('fieldset', {}, el('legend', {}, 'Import rules'),
        field('Import profile', profile, 'How the dropped files\' columns are read.'),
        field('Skip part numbers (one pattern a line, * and ? allowed)', skip),
        field('Rename units (from=to, one a line)', units)),
    };
    const paint = () => {
      const k = kind.value;
      const m = auth.value;
      groups.network.hidden = k === 'folder';
      groups.limits.hidden = k === 'folder';
      groups.tryton.hidden = k !== 'tryton';
      groups.rest.hidden = k !== 'rest';
      groups.oauth.hidden = k !== 'rest' || !(m === 'oauth_code' || m === 'client_credentials');
      authorizeUrl.parentNode.hidden = m !== 'oauth_code';
      revocationUrl.parentNode.hidden = m !== 'oauth_code';
      clientId.parentNode.hidden = m !== 'oauth_code';
      clientSecret.parentNode.hidden = m !== 'oauth_code';
      keyHeader.parentNode.hidden = m !== 'api_key';
      groups.folder.hidden = k !== 'folder';
      profile.parentNode.hidden = k !== 'folder';
      baseUrl.required = k !== 'folder';
      database.required = k === 'tryton';
      path.required = k === 'folder';
      tokenUrl.required = k === 'rest' && (m === 'oauth_code' || m === 'client_credentials');
      authorizeUrl.required = k === 'rest' && m === 'oauth_code';
      clientId.required = k === 'rest' && m === 'oauth_code';
      clientSecret.required = k === 'rest' && m === 'oauth_code' && !(src && src.client_secret_set);
    };
    kind.addEventListener('change', paint);
    auth.addEventListener('change', paint);
    paint();

    // The body for this kind; on a change, only what differs from the stored view (so an
    // unchanged base URL does not look like a change that drops everyone's connections).
    const bodyFor = () => {
      const k = kind.value;
      const m = auth.value;
      const b = { name: name.value.trim() };
      const text = (key, ctl) => { b[key] = ctl.value.trim(); };
      if (k === 'folder') {
        text('path', path);
        b.profile = profile.value;
      } else {
        text('base_url', baseUrl);
        b.ca_pem = ca.value.trim() ? ca.value : '';
        b.internal = internal.input.checked;
        text('proxy', proxy);
        if (timeout.value) b.timeout_seconds = Number(timeout.value);
        if (maxBytes.value) b.max_response_bytes = Number(maxBytes.value);
      }
      if (k === 'tryton') { text('database', database); b.auth_method = 'basic'; }
      if (k === 'rest') {
        b.auth_method = m;
        if (itemsPath.value.trim()) text('items_path', itemsPath);
        if (sendPath.value.trim()) text('send_path', sendPath);
        if (keyHeader.value.trim()) text('api_key_header', keyHeader);
        if (m === 'oauth_code' || m === 'client_credentials') { text('token_url', tokenUrl); text('scopes', scopes); }
        if (m === 'oauth_code') { text('authorize_url', authorizeUrl); text('revocation_url', revocationUrl); text('client_id', clientId); }
        if (m === 'oauth_code' && clientSecret.value) b.client_secret = clientSecret.value;
      }
      b.rules = rulesFromText(skip.value, units.value);
      if (!src) { b.kind = k; return b; }
      for (const key of Object.keys(b)) {
        if (key !== 'client_secret' && JSON.stringify(b[key]) === JSON.stringify(src[key] ?? (key === 'ca_pem' || key === 'proxy' ? '' : undefined))) delete b[key];
      }
      return b;
    };
    const submit = el('button', { type: 'submit' }, src ? 'Save changes' : 'Add source');
    return el('form', {
      class: 'source-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        busy(submit, async () => {
          msg.clear();
          const body = bodyFor();
          try {
            if (src) {
              if (Object.keys(body).length) await api('PATCH', `/sources/${encodeURIComponent(src.id)}`, body);
            } else {
              await api('POST', '/sources', body);
            }
            clientSecret.value = '';
            close(true);
          } catch (e) { clientSecret.value = ''; msg.error(e); }
        });
      },
    }, field('Kind', kind, src ? 'A source\'s kind cannot change.' : null), field('Name', name),
    groups.network, groups.tryton, groups.rest, groups.oauth, groups.limits, groups.folder, groups.importer,
    src && src.kind !== 'folder' ? el('p', { class: 'hint' }, 'Changing the base URL, database, CA bundle, proxy or internal mark disconnects everyone.') : null,
    msg.node, el('div', { class: 'actions' }, submit, button('Cancel', () => close(false), { class: 'secondary' })));
  }, { wide: true }).then((v) => v === true);
}

// ---- The page ----------------------------------------------------------------------------
function configLine(s) {
  if (s.kind === 'folder') return [s.path, s.profile ? ` · profile ${s.profile}` : ''];
  const parts = [s.base_url];
  if (s.kind === 'tryton') parts.push(`database ${s.database}`);
  if (s.kind === 'rest') parts.push(AUTH_TEXT[s.auth_method] || s.auth_method);
  if (s.internal) parts.push('internal');
  return parts.join(' · ');
}

function filesTable(src, files, creator, box, msg, onPulled) {
  return table({
    caption: `Files in ${src.name}`,
    className: 'source-files',
    empty: 'No files have been dropped yet.',
    columns: [
      { label: 'File', render: (f) => f.name },
      { label: 'State', render: (f) => el('span', { class: `state-${f.state}` }, STATE_TEXT[f.state] || f.state) },
      { label: 'Size', render: (f) => fmtBytes(f.size) },
      { label: 'Modified', render: (f) => timeEl(f.modified_at) },
      {
        label: el('span', { class: 'sr-only' }, 'Actions'),
        render: (f) => (creator ? button('Pull', async (ev) => {
          await busy(ev.currentTarget, async () => { if (await runPull(src, { remote_id: f.name }, box, msg)) onPulled(); });
        }, { class: 'small', 'aria-label': `Pull ${f.name}` }) : ''),
      },
    ],
    rows: files,
  });
}

export async function sourcesPage({ root, me }) {
  fill(root, pageHeading('Data sources'), loading());
  const admin = me.role === 'administrator';
  const creator = me.role !== 'viewer' && !me.read_only;
  const pageMsg = messageArea();
  let profiles = { saved: [], builtin: [] };
  if (admin) {
    try {
      const r = await api('GET', '/org/import-profiles');
      profiles = { saved: r.profiles || [], builtin: r.builtin || [] };
    } catch { /* the profile picker then offers automatic recognition only */ }
  }
  if (oauthReturn) await finishOAuth(pageMsg);

  // The running job and its outcome outlive a re-render (a pull re-lists the files).
  const jobBox = el('div', { class: 'job-box', 'aria-live': 'polite' });
  const jobMsg = messageArea();
  const render = async () => {
    const { sources } = await api('GET', '/sources');
    const folderFiles = new Map();
    await Promise.all(sources.filter((s) => s.kind === 'folder' && creator).map(async (s) => {
      try { folderFiles.set(s.id, (await api('GET', `/sources/${encodeURIComponent(s.id)}/files`)).files); } catch (e) { folderFiles.set(s.id, e); }
    }));
    const cards = sources.map((s) => {
      const folder = s.kind === 'folder';
      const cardMsg = messageArea();
      const headingId = `source-${s.id}-h`;
      const actions = [];
      if (!folder && !s.connected) {
        actions.push(button('Connect…', async (ev) => {
          await busy(ev.currentTarget, async () => {
            if (await connect(s, cardMsg)) { announce(`Connected to ${s.name}`); await render(); }
          });
        }, { 'aria-label': `Connect to ${s.name}` }));
      }
      if (!folder && s.connected) {
        actions.push(button('Disconnect', async () => {
          if (!(await confirmDialog(`Disconnect from ${s.name}?`, 'Your credentials for this source are deleted (and revoked at the source where it can be).', 'Disconnect', { danger: false }))) return;
          try {
            await api('DELETE', `/sources/${encodeURIComponent(s.id)}/connection`);
            announce(`Disconnected from ${s.name}`);
            await render();
          } catch (e) { cardMsg.error(e); }
        }, { class: 'secondary', 'aria-label': `Disconnect from ${s.name}` }));
      }
      if (admin) {
        actions.push(button('Change…', async () => {
          try {
            const full = await api('GET', `/sources/${encodeURIComponent(s.id)}`);
            if (await sourceDialog(full, profiles)) { announce('Source saved'); await render(); }
          } catch (e) { cardMsg.error(e); }
        }, { class: 'secondary', 'aria-label': `Change ${s.name}` }));
        actions.push(button('Delete…', async () => {
          if (!(await confirmDialog('Delete the source?', `${s.name} and every connection to it are deleted. BOMs pulled from it stay.`, 'Delete'))) return;
          try {
            await api('DELETE', `/sources/${encodeURIComponent(s.id)}`);
            announce('Source deleted');
            await render();
          } catch (e) { cardMsg.error(e); }
        }, { class: 'danger', 'aria-label': `Delete ${s.name}` }));
      }
      const files = folderFiles.get(s.id);
      let filesNode = null;
      if (folder && creator) {
        filesNode = files instanceof Error ? el('p', { role: 'alert', class: 'error' }, files.message)
          : filesTable(s, files || [], creator, jobBox, jobMsg, () => render());
      }
      const status = folder ? 'Files an export job drops on the server; no connection needed.'
        : s.connected ? 'You are connected with your own credentials.' : 'You are not connected.';
      return el('section', { class: 'card source', 'aria-labelledby': headingId, dataset: { id: s.id, kind: s.kind } },
        el('h2', { id: headingId }, s.name, ' ', el('span', { class: 'muted' }, `(${KIND_TEXT[s.kind] || s.kind})`)),
        el('p', { 'data-testid': 'source-status' }, status),
        admin ? el('p', { class: 'muted small' }, configLine(s)) : null,
        filesNode, cardMsg.node,
        actions.length ? el('div', { class: 'actions' }, actions) : null);
    });
    const pullable = sources.filter((s) => s.connected || s.kind === 'folder');
    const head = pageHeading('Data sources',
      el('div', { class: 'actions' },
        creator && pullable.length ? button('Pull from…', async () => { await pullDialog(pullable); await render(); }, { class: 'secondary' }) : null,
        admin ? button('Add a source…', async () => { if (await sourceDialog(null, profiles)) { announce('Source added'); await render(); } }) : null));
    fill(root, head, pageMsg.node, jobBox, jobMsg.node,
      sources.length ? cards : el('p', { class: 'empty' }, admin ? 'No data sources yet. Add one to pull BOMs from your ERP, PLM or an export folder.' : 'No data sources yet. An Administrator sets them up.'));
  };
  await render();
}
