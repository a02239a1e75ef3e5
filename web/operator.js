// Operator pages: organisations (list, create, delete) and sealing the vault.
import { api } from './api.js';
import {
  el, field, messageArea, table, fmtTime, pageHeading, button, busy, openDialog, announce, fill,
} from './dom.js';

export async function orgsPage({ root }) {
  const msg = messageArea();
  const name = el('input', { type: 'text', name: 'name', required: true, maxlength: '200', autocomplete: 'off' });
  const email = el('input', { type: 'email', name: 'admin_email', required: true, autocomplete: 'off' });
  const password = el('input', { type: 'password', name: 'admin_password', required: true, minlength: '8', autocomplete: 'new-password' });
  const submit = el('button', { type: 'submit' }, 'Create organisation');
  const listBox = el('section', { class: 'card', 'aria-labelledby': 'orgs-h' });

  async function refresh() {
    const r = await api('GET', '/orgs');
    const orgs = r.orgs.slice().sort((a, b) => a.name.localeCompare(b.name));
    fill(listBox, 
      el('h2', { id: 'orgs-h' }, `All organisations (${orgs.length})`),
      table({
        className: 'orgs',
        empty: 'There are no organisations yet. Create the first one above.',
        columns: [
          { label: 'Name', render: (o) => o.name },
          { label: 'Users', className: 'num', render: (o) => String(o.users) },
          { label: 'Created', render: (o) => fmtTime(o.created_at) },
          { label: 'Support access', render: (o) => (o.support_access_until ? `until ${fmtTime(o.support_access_until)}` : 'none') },
          { label: 'Id', render: (o) => el('code', {}, o.id) },
          { label: 'Actions', render: (o) => button('Delete…', () => deleteOrg(o), { class: 'danger small', 'aria-label': `Delete ${o.name}` }) },
        ],
        rows: orgs,
      }));
  }

  async function deleteOrg(o) {
    const done = await openDialog(`Delete “${o.name}”`, (close) => {
      const confirmName = el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
      const dmsg = messageArea();
      const del = el('button', { type: 'submit', class: 'danger' }, 'Delete for good');
      return el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
        ev.preventDefault();
        if (confirmName.value.trim() !== o.name) { dmsg.error('Type the organisation\'s name exactly to confirm.'); confirmName.focus(); return; }
        await busy(del, async () => {
          try {
            await api('DELETE', `/orgs/${encodeURIComponent(o.id)}`);
            close(true);
          } catch (e) { dmsg.error(e); }
        });
      } },
      el('p', {}, `Its data key is destroyed: all ${o.users} user${o.users === 1 ? '' : 's'}, every BOM and the audit log become unreadable at once. This cannot be undone.`),
      field(`Type “${o.name}” to confirm`, confirmName), dmsg.node,
      el('div', { class: 'actions' }, del, button('Cancel', () => close(false), { class: 'secondary' })));
    });
    if (done) { announce(`“${o.name}” was deleted.`); await refresh(); }
  }

  const form = el('form', { class: 'grid-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    if (!name.value.trim() || !email.value.trim() || !password.value) { msg.error('Fill in the name, the Administrator\'s e-mail address and an initial password.'); return; }
    await busy(submit, async () => {
      try {
        await api('POST', '/orgs', { name: name.value.trim(), admin_email: email.value.trim(), admin_password: password.value });
        msg.ok(`Created “${name.value.trim()}”. Its Administrator ${email.value.trim()} can sign in now.`);
        name.value = ''; email.value = ''; password.value = '';
        await refresh();
      } catch (e) { msg.error(e); }
    });
  } },
  field('Organisation name', name), field('Administrator e-mail', email),
  field('Administrator password', password, 'At least 8 characters. Hand it over through a safe channel.'),
  el('div', { class: 'actions' }, submit));

  fill(root, pageHeading('Organisations'),
    el('section', { class: 'card', 'aria-labelledby': 'new-org-h' }, el('h2', { id: 'new-org-h' }, 'New organisation'), form, msg.node),
    listBox);
  await refresh();
}

export async function sealPage({ root, route }) {
  const msg = messageArea();
  const seal = button('Seal the vault now', async () => {
    const ok = await openDialog('Seal the vault', (close) => el('div', {},
      el('p', {}, 'Every key leaves memory at once. Nobody can use bomvault until key holders unseal it again with their shares.'),
      el('div', { class: 'actions' },
        button('Seal now', () => close(true), { class: 'danger', 'data-autofocus': true }),
        button('Cancel', () => close(false), { class: 'secondary' }))));
    if (!ok) return;
    try {
      await api('POST', '/seal', {});
      announce('The vault is sealed.');
      route();
    } catch (e) { msg.error(e); }
  }, { class: 'danger' });
  fill(root, pageHeading('Seal'),
    el('section', { class: 'card' },
      el('p', {}, 'Sealing drops every key from memory: use it when the machine may be compromised or before maintenance. Unsealing needs the key holders\' shares.'),
      seal, msg.node));
}
