// Administrator pages: users, the audit log, organisation settings and support access.
import { api, ApiError, qs } from './api.js';
import {
  el, field, select, checkbox, messageArea, table, fmtTime, timeEl, shortId, pageHeading, button, busy,
  confirmDialog, announce, copyText, fill,
} from './dom.js';
import { FIELDS, BUILT_IN_NAMES, normalizeColumn } from './csv.js';
import { ssoSettingsCard } from './sso.js';

const ROLES = [['viewer', 'Viewer'], ['editor', 'Editor'], ['administrator', 'Administrator']];
const ROLE_TEXT = Object.fromEntries(ROLES);

function randomPassword() {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s.replace(/(.{4})(?!$)/g, '$1-');
}

export async function usersPage(ctx) {
  const { root, me } = ctx;
  const msg = messageArea();
  const email = el('input', { type: 'email', name: 'email', required: true, autocomplete: 'off' });
  const password = el('input', { type: 'text', id: 'new-password', 'aria-describedby': 'new-password-hint', name: 'password', required: true, minlength: '8', autocomplete: 'new-password', spellcheck: 'false', class: 'mono' });
  const role = select(ROLES, { name: 'role' });
  role.value = 'editor';
  const submit = el('button', { type: 'submit' }, 'Add user');
  const listBox = el('section', { class: 'card', 'aria-labelledby': 'users-h' });

  async function refresh() {
    const r = await api('GET', '/users');
    const users = r.users.slice().sort((a, b) => a.email.localeCompare(b.email));
    fill(listBox, 
      el('h2', { id: 'users-h' }, `People (${users.length})`),
      table({
        className: 'users',
        empty: 'No users yet.',
        columns: [
          { label: 'Person', render: (u) => el('span', {}, u.display_name ? el('span', {}, el('strong', {}, u.display_name), el('br'), u.email) : u.email, u.id === me.id ? el('span', { class: 'muted' }, ' (you)') : null) },
          { label: 'Role', render: (u) => roleCell(u) },
          { label: 'Status', render: (u) => el('span', { class: u.disabled ? 'tag bad' : 'tag good' }, u.disabled ? 'Disabled' : 'Active') },
          { label: 'MFA', render: (u) => (u.mfa_enabled
            ? el('span', { class: 'role-cell' }, el('span', {}, 'On', el('span', { class: 'muted small' }, ` (${u.recovery_codes_left} codes)`)),
              button('Reset…', () => resetMfa(u), { class: 'secondary small', 'aria-label': `Reset two-step sign-in of ${u.email}` }))
            : 'Off') },
          { label: 'Last active', render: (u) => fmtTime(u.last_active_at) },
          { label: 'User id', render: (u) => el('span', { class: 'id-cell' }, el('code', { title: u.id, 'data-user-id': u.id, 'data-email': u.email }, shortId(u.id)),
            button('Copy', () => copyText(u.id, 'User id copied'), { class: 'link small', 'aria-label': `Copy the user id of ${u.email}` })) },
          { label: 'Actions', render: (u) => (u.id === me.id ? el('span', { class: 'muted' }, '—')
            : button(u.disabled ? 'Enable' : 'Disable', () => toggleDisabled(u), { class: u.disabled ? 'secondary small' : 'danger small', 'aria-label': `${u.disabled ? 'Enable' : 'Disable'} ${u.email}` })) },
        ],
        rows: users,
      }));
  }

  function roleCell(u) {
    if (u.id === me.id) return ROLE_TEXT[u.role] || u.role;
    const s = select(ROLES, { 'aria-label': `Role of ${u.email}`, class: 'inline' });
    s.value = u.role;
    const save = button('Change', async () => {
      if (s.value === u.role) { announce(`${u.email} already is ${ROLE_TEXT[u.role]}.`); return; }
      const lower = ROLES.findIndex(([v]) => v === s.value) < ROLES.findIndex(([v]) => v === u.role);
      const ok = await confirmDialog('Change role', `${u.email} becomes ${ROLE_TEXT[s.value]}${lower ? '. They lose what only a ' + ROLE_TEXT[u.role] + ' may do at once, and must verify their address again before sharing' : ''}.`, `Make ${ROLE_TEXT[s.value]}`, { danger: lower });
      if (!ok) { s.value = u.role; return; }
      msg.clear();
      await busy(save, async () => {
        try {
          await api('PATCH', `/users/${encodeURIComponent(u.id)}`, { role: s.value });
          announce(`${u.email} is now ${ROLE_TEXT[s.value]}.`);
          await refresh();
        } catch (e) { msg.error(e); }
      });
    }, { class: 'secondary small', 'aria-label': `Change the role of ${u.email}` });
    return el('span', { class: 'role-cell' }, s, save);
  }

  // A lost phone: the user signs in with a recovery code or, without one, asks an Administrator.
  async function resetMfa(u) {
    const ok = await confirmDialog('Reset two-step sign-in',
      `${u.email} will be signed out everywhere, their API tokens and recovery codes stop working, and they sign in with their password alone until they set up an authenticator again. Do this only when you are sure it is really them asking.`,
      'Reset two-step sign-in');
    if (!ok) return;
    msg.clear();
    try {
      await api('POST', `/users/${encodeURIComponent(u.id)}/mfa/reset`, {});
      announce(`Two-step sign-in of ${u.email} was reset; they were signed out everywhere.`);
      await refresh();
    } catch (e) { msg.error(e); }
  }

  async function toggleDisabled(u) {
    if (!u.disabled) {
      const ok = await confirmDialog('Disable user', `${u.email} will be signed out everywhere and cannot sign in until enabled again.`, 'Disable');
      if (!ok) return;
    }
    msg.clear();
    try {
      await api('PATCH', `/users/${encodeURIComponent(u.id)}`, { disabled: !u.disabled });
      announce(`${u.email} was ${u.disabled ? 'enabled' : 'disabled'}.`);
      await refresh();
    } catch (e) { msg.error(e); }
  }

  const form = el('form', { class: 'grid-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    if (!email.value.trim() || !password.value) { msg.error('Enter an e-mail address and an initial password.'); return; }
    await busy(submit, async () => {
      try {
        await api('POST', '/users', { email: email.value.trim(), password: password.value, role: role.value });
        msg.ok(`Added ${email.value.trim()} as ${ROLE_TEXT[role.value]}. Give them the initial password through a safe channel.`);
        email.value = '';
        password.value = '';
        await refresh();
        email.focus();
      } catch (e) { msg.error(e); }
    });
  } },
  field('E-mail address', email),
  el('div', { class: 'field' }, el('label', { for: 'new-password' }, 'Initial password'),
    el('div', { class: 'inline-group' }, password, button('Generate', () => { password.value = randomPassword(); password.focus(); }, { class: 'secondary' })),
    el('p', { class: 'hint', id: 'new-password-hint' }, 'At least 8 characters; common passwords are refused.')),
  field('Role', role),
  el('div', { class: 'actions' }, submit));

  fill(root, pageHeading('Users'),
    el('section', { class: 'card', 'aria-labelledby': 'add-h' }, el('h2', { id: 'add-h' }, 'Add a user'), form, msg.node),
    listBox);
  await refresh();
}

// ---------------------------------------------------------------------------------------------

const ACTIONS = ['bom.create', 'bom.update', 'bom.delete', 'bom.share', 'bom.unshare', 'bom.transfer',
  'user.create', 'user.update', 'session.create', 'session.failure', 'session.revoke_all',
  'token.create', 'token.revoke', 'mfa.enable', 'mfa.disable', 'mfa.reset', 'mfa.recovery_code_used',
  'user.password_change', 'org.create', 'org.settings', 'support.grant', 'support.revoke'];

function toUnix(local) {
  if (!local) return '';
  const t = new Date(local).getTime();
  return Number.isFinite(t) ? String(Math.floor(t / 1000)) : '';
}
function fromUnix(s) {
  if (!s) return '';
  const d = new Date(Number(s) * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export async function auditPage({ root, query, navigate }) {
  const f = {
    object: query.get('object') || '', actor: query.get('actor') || '', action: query.get('action') || '',
    from: query.get('from') || '', to: query.get('to') || '', limit: query.get('limit') || '50', before: query.get('before') || '',
  };
  let users = [];
  try { users = (await api('GET', '/users')).users; } catch { /* ids only */ }
  // Names are resolved here, when shown; the log itself keeps ids.
  const emailOf = new Map(users.map((u) => [u.id, u.display_name ? `${u.display_name} (${u.email})` : u.email]));

  const object = el('input', { type: 'text', name: 'object', value: f.object, spellcheck: 'false', placeholder: 'bom:… or user:…' });
  const actor = select([['', 'Anyone'], ...users.map((u) => [u.id, emailOf.get(u.id)])], { name: 'actor' });
  actor.value = f.actor;
  if (f.actor && actor.value !== f.actor) { actor.append(el('option', { value: f.actor }, f.actor)); actor.value = f.actor; }
  const actionList = el('datalist', { id: 'audit-actions' }, ACTIONS.map((a) => el('option', { value: a })));
  const action = el('input', { type: 'text', name: 'action', value: f.action, list: 'audit-actions', spellcheck: 'false' });
  const from = el('input', { type: 'datetime-local', name: 'from', value: fromUnix(f.from) });
  const to = el('input', { type: 'datetime-local', name: 'to', value: fromUnix(f.to) });
  const limit = select([['10', '10'], ['25', '25'], ['50', '50'], ['100', '100'], ['500', '500']], { name: 'limit' });
  limit.value = ['10', '25', '50', '100', '500'].includes(f.limit) ? f.limit : '50';
  const msg = messageArea();

  const params = () => ({ object: object.value.trim(), actor: actor.value, action: action.value.trim(), from: toUnix(from.value), to: toUnix(to.value), limit: limit.value });
  const form = el('form', { class: 'grid-form', role: 'search', 'aria-label': 'Audit filters', onsubmit: (ev) => {
    ev.preventDefault();
    navigate('#/audit' + qs(params()));
  } },
  field('Object', object, 'e.g. bom:ID, user:ID, org:ID'), field('Actor', actor), field('Action', action), actionList,
  field('From', from), field('To', to), field('Per page', limit),
  el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Search'), el('a', { class: 'button secondary', href: '#/audit' }, 'Reset')));

  const results = el('section', { class: 'card', 'aria-label': 'Audit entries' });
  fill(root, pageHeading('Audit log'), el('section', { class: 'card' }, form, msg.node), results);

  const apiQuery = { object: f.object, actor: f.actor, action: f.action, from: f.from, to: f.to, limit: limit.value, before: f.before };
  let r;
  try {
    r = await api('GET', '/audit' + qs(apiQuery));
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) { msg.error(e); return; }
    throw e;
  }
  const base = { object: f.object, actor: f.actor, action: f.action, from: f.from, to: f.to, limit: limit.value };
  const actorName = (id) => emailOf.get(id) || (id === 'operator' ? 'Operator' : shortId(id));
  const filtered = Boolean(f.object || f.actor || f.action || f.from || f.to);
  fill(results, 
    el('p', { role: 'status', class: 'muted' }, r.entries.length
      ? `${r.entries.length} entr${r.entries.length === 1 ? 'y' : 'ies'}${f.before ? ' (older page)' : ''}, newest first.`
      : ''),
    table({
      className: 'audit',
      empty: filtered ? 'No audit entry matches these filters.' : (f.before ? 'There are no older entries.' : 'The audit log is empty.'),
      columns: [
        { label: 'When', render: (x) => timeEl(x.at) },
        { label: 'Action', render: (x) => el('code', {}, x.action) },
        { label: 'Object', render: (x) => el('a', { href: '#/audit' + qs({ object: x.object }), title: `Entries for ${x.object}` },
          x.object.startsWith('user:') && emailOf.has(x.object.slice(5)) ? `user: ${emailOf.get(x.object.slice(5))}` : x.object) },
        { label: 'Actor', render: (x) => (x.actor_id ? el('a', { href: '#/audit' + qs({ actor: x.actor_id }), title: x.actor_id }, actorName(x.actor_id)) : '—') },
        { label: 'Change', className: 'change', render: (x) => changeText(x.change, emailOf) },
      ],
      rows: r.entries,
    }),
    el('div', { class: 'pager' },
      f.before ? el('a', { class: 'button secondary', href: '#/audit' + qs(base) }, '← Newest') : null,
      r.next_before ? el('a', { class: 'button secondary', href: '#/audit' + qs({ ...base, before: r.next_before }) }, 'Older →') : null));
}

function changeText(change, emailOf) {
  if (!change || typeof change !== 'object' || !Object.keys(change).length) return '';
  const parts = Object.entries(change).map(([k, v]) => {
    let text;
    if (v && typeof v === 'object' && 'before' in v && 'after' in v) text = `${show(v.before)} → ${show(v.after)}`;
    else if (v && typeof v === 'object' && Object.keys(v).length === 1 && 'after' in v) text = show(v.after);
    else text = show(v);
    return el('div', {}, el('span', { class: 'muted' }, k + ': '), text);
  });
  function show(v) {
    if (typeof v === 'string' && emailOf.has(v)) return emailOf.get(v);
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return el('div', {}, parts);
}

// ---------------------------------------------------------------------------------------------

export async function settingsPage({ root, me }) {
  const s = await api('GET', '/org/settings');
  const msg = messageArea();
  const sharing = checkbox('Allow sharing BOMs with colleagues', { name: 'sharing_enabled', checked: s.sharing_enabled });
  const depth = el('input', { type: 'number', name: 'audit_depth', min: '1', max: '1000', step: '1', value: String(s.audit_depth), required: true });
  const mfa = select([['optional', 'Optional for everyone'], ['administrators', 'Required for Administrators'], ['everyone', 'Required for everyone']], { name: 'mfa_policy' });
  mfa.value = s.mfa_policy;
  const notice = checkbox('Notify owners before stale BOMs are purged', { name: 'purge_notice', checked: s.purge_notice });
  const days = el('input', { type: 'number', name: 'purge_days', min: '1', max: '365', step: '1', value: String(s.purge_days), required: true });
  const save = el('button', { type: 'submit' }, 'Save settings');

  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    const d = Number(depth.value);
    const p = Number(days.value);
    if (!Number.isInteger(d) || d < 1 || d > 1000) { msg.error('Audit depth must be a whole number from 1 to 1000.'); depth.focus(); return; }
    if (!Number.isInteger(p) || p < 1 || p > 365) { msg.error('Purge notice days must be a whole number from 1 to 365.'); days.focus(); return; }
    const next = { sharing_enabled: sharing.input.checked, audit_depth: d, mfa_policy: mfa.value, purge_notice: notice.input.checked, purge_days: p };
    const patch = Object.fromEntries(Object.entries(next).filter(([k, v]) => v !== s[k]));
    if (!Object.keys(patch).length) { msg.ok('Nothing changed.'); return; }
    await busy(save, async () => {
      try {
        Object.assign(s, await api('PATCH', '/org/settings', patch));
        msg.ok('Settings saved.');
      } catch (e) { msg.error(e); }
    });
  } },
  el('fieldset', {}, el('legend', {}, 'Sharing'), sharing.node,
    el('p', { class: 'hint' }, 'When off, existing shares stop working and nobody can share; owners and Administrators keep access.')),
  el('fieldset', {}, el('legend', {}, 'Security'),
    field('Multi-factor authentication', mfa),
    field('Audit depth', depth, 'Audit entries kept per object (1–1000).')),
  el('fieldset', {}, el('legend', {}, 'Stale BOMs'), notice.node,
    field('Notice period (days)', days, 'Days between the notice and the purge (1–365).')),
  el('div', { class: 'actions' }, save), msg.node);

  // Support access: the operator may act in the org for a limited time.
  const supportMsg = messageArea();
  const hours = el('input', { type: 'number', name: 'hours', min: '1', max: '72', step: '1', value: '4' });
  const grant = el('button', { type: 'submit' }, 'Grant support access');
  const support = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    supportMsg.clear();
    const h = Number(hours.value);
    if (!Number.isInteger(h) || h < 1 || h > 72) { supportMsg.error('Support access lasts 1 to 72 hours.'); hours.focus(); return; }
    await busy(grant, async () => {
      try {
        await api('POST', '/org/support-access', { hours: h });
        supportMsg.ok(`Support access granted for ${h} hour${h === 1 ? '' : 's'}.`);
      } catch (e) { supportMsg.error(e); }
    });
  } },
  field('Hours', hours, 'From 1 to 72. Granting again replaces the previous period.'),
  el('div', { class: 'actions' }, grant,
    button('Revoke support access', async () => {
      supportMsg.clear();
      try { await api('POST', '/org/support-access', { hours: 0 }); supportMsg.ok('Support access revoked.'); } catch (e) { supportMsg.error(e); }
    }, { class: 'secondary' })),
  supportMsg.node);

  const mappings = await columnMappingsEditor();

  fill(root, pageHeading('Organisation settings'),
    el('section', { class: 'card', 'aria-label': 'Policy settings' }, form),
    mappings,
    ssoSettingsCard(me),
    el('section', { class: 'card', 'aria-labelledby': 'support-h' }, el('h2', { id: 'support-h' }, 'Support access'),
      el('p', { class: 'muted' }, 'Lets the instance operator help with this organisation for a limited time. Every grant and revocation is audited.'),
      support));
}

// ---------------------------------------------------------------------------------------------
// The column names every import recognises without a mapping, grouped by the field they fill.
function builtInNames() {
  const byField = new Map();
  for (const [name, field] of BUILT_IN_NAMES) {
    if (!byField.has(field)) byField.set(field, []);
    byField.get(field).push(name);
  }
  return el('details', { class: 'built-in-names' },
    el('summary', {}, 'Built-in column names'),
    el('dl', {}, ...[...byField].flatMap(([field, names]) => [
      el('dt', {}, FIELD_TEXT[field] || field),
      el('dd', {}, names.join(', ')),
    ])));
}

// Column mappings: how the org's CSV/XLSX imports read column names the built-in aliases do not
// know. The list is replaced as a whole on save; the server normalises the names (as it does
// CSV headers) and its answer is what the editor shows afterwards.

const FIELD_TEXT = Object.fromEntries(FIELDS);

async function columnMappingsEditor() {
  const msg = messageArea();
  let rows = [];  // { column, target: field name | 'property' | 'ignore', key }
  const fromServer = (list) => list.map((m) => ({
    column: m.column,
    target: m.ignore ? 'ignore' : (m.field || 'property'),
    key: m.property || '',
  }));
  rows = fromServer((await api('GET', '/org/column-mappings')).mappings || []);

  const body = el('div');
  const addButton = button('Add a mapping', () => {
    rows.push({ column: '', target: 'part_number', key: '' });
    render();
    body.querySelector(`[data-row="${rows.length - 1}"] input`).focus();
  }, { class: 'secondary' });
  const save = el('button', { type: 'submit' }, 'Save mappings');

  function targetSelect(r, n) {
    const s = el('select', { 'aria-label': `Maps to (row ${n})`, name: 'target' },
      el('optgroup', { label: 'Field' }, FIELDS.map(([v, t]) => el('option', { value: v }, t))),
      el('optgroup', { label: 'Other' },
        el('option', { value: 'property' }, 'Property…'),
        el('option', { value: 'ignore' }, 'Ignore the column')));
    s.value = r.target;
    return s;
  }

  function render() {
    if (!rows.length) {
      fill(body, el('p', { class: 'empty' }, 'No mappings: imports recognise only the built-in column names.'));
      return;
    }
    fill(body, el('div', { class: 'table-wrap' }, el('table', { class: 'mappings' },
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col' }, 'Column in the file'), el('th', { scope: 'col' }, 'Maps to'),
        el('th', { scope: 'col' }, 'Property key'), el('th', { scope: 'col' }, el('span', { class: 'sr-only' }, 'Actions')))),
      el('tbody', {}, rows.map((r, i) => {
        const n = i + 1;
        const column = el('input', { type: 'text', name: 'column', value: r.column, spellcheck: 'false', autocomplete: 'off', maxlength: '200', 'aria-label': `Column name (row ${n})`, placeholder: 'e.g. Mfr. Part No.' });
        const key = el('input', { type: 'text', name: 'property', value: r.key, spellcheck: 'false', autocomplete: 'off', maxlength: '200', 'aria-label': `Property key (row ${n})`, placeholder: 'e.g. manufacturer_pn', hidden: r.target !== 'property' });
        const target = targetSelect(r, n);
        key.addEventListener('input', () => { r.key = key.value; });
        target.addEventListener('change', () => {
          r.target = target.value;
          key.hidden = r.target !== 'property';
          if (!key.hidden) key.focus();
        });
        const remove = button('Remove', () => {
          rows.splice(i, 1);
          render();
          const next = body.querySelector(`[data-row="${Math.min(i, rows.length - 1)}"] input`);
          (next || addButton).focus();
        }, { class: 'secondary small' });
        const labelRemove = () => remove.setAttribute('aria-label', `Remove the mapping in row ${n}${r.column.trim() ? ` (${r.column.trim()})` : ''}`);
        labelRemove();
        column.addEventListener('input', () => { r.column = column.value; labelRemove(); });
        return el('tr', { 'data-row': String(i) }, el('td', {}, column), el('td', {}, target), el('td', {}, key), el('td', {}, remove));
      })))));
  }

  // The rows to send, with the row each came from (blank rows are left out).
  function collect() {
    const out = [];
    const from = [];
    const seen = new Map();
    for (let i = 0; i < rows.length; i += 1) {
      const r = rows[i];
      const column = r.column.trim();
      const key = r.key.trim();
      if (!column && (r.target !== 'property' || !key)) continue;
      if (!column) return { error: `Row ${i + 1}: enter the column name as it appears in the file's header.`, row: i };
      const norm = normalizeColumn(column);
      if (seen.has(norm)) return { error: `Rows ${seen.get(norm) + 1} and ${i + 1} map the same column "${column}".`, row: i };
      seen.set(norm, i);
      if (r.target === 'property') {
        if (!key) return { error: `Row ${i + 1}: enter the property key the column is kept under.`, row: i, key: true };
        out.push({ column, property: key });
      } else if (r.target === 'ignore') out.push({ column, ignore: true });
      else out.push({ column, field: r.target });
      from.push(i);
    }
    return { list: out, from };
  }

  function markRow(i, keyCell) {
    const tr = body.querySelector(`[data-row="${i}"]`);
    if (!tr) return;
    const input = tr.querySelectorAll('input')[keyCell ? 1 : 0];
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }

  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    for (const bad of body.querySelectorAll('[aria-invalid]')) bad.removeAttribute('aria-invalid');
    const c = collect();
    if (c.error) { msg.error(c.error); markRow(c.row, c.key); return; }
    await busy(save, async () => {
      try {
        const r = await api('PUT', '/org/column-mappings', { mappings: c.list });
        rows = fromServer(r.mappings || []);
        render();
        msg.ok(rows.length ? `Column mappings saved (${rows.length}).` : 'Column mappings saved: there are none now.');
      } catch (e) {
        // "mappings[2]: …" names the entry sent; point at the row it came from.
        const m = /mappings\[(\d+)\]/.exec(e.message || '');
        const row = m ? c.from[Number(m[1])] : undefined;
        msg.error(row === undefined ? e : `Row ${row + 1}: ${e.message.replace(/^mappings\[\d+\][:.]?\s*/, '')}`);
        if (row !== undefined) markRow(row, /propert/.test(e.message));
      }
    });
  } }, body, el('div', { class: 'actions' }, addButton, save), msg.node);

  render();
  return el('section', { class: 'card', 'aria-labelledby': 'mappings-h' },
    el('h2', { id: 'mappings-h' }, 'Import column mappings'),
    el('p', { class: 'muted' }, 'Teach CSV and Excel imports the column names your CAD, PLM or ERP exports use. A mapping wins over the built-in names. Names are matched ignoring case, with spaces and hyphens read as underscores.'),
    builtInNames(),
    form);
}
