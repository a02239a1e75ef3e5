// Data sources: the Sources page. Administrators add and remove Tryton sources; everyone connects
// with their own credentials (folder sources need none: their dropped files are listed to pull); Administrators and Editors pull a BOM or refresh one they may
// change; everyone may send a BOM they can read. Pulls and sends are background jobs: a progress
// bar follows GET /jobs/{id} and can cancel. Editors and Viewers only ever get id, name, kind and
// their own "connected" from the server, so there is nothing else to show them.
import { api } from './api.js';
import { el, field, checkbox, messageArea, pageHeading, loading, button, busy, fill, confirmDialog, announce } from './dom.js';

// Polls a job until it ends; shows a progress bar with a Cancel button. Resolves with the job.
function followJob(jobId, box, label) {
  const bar = el('div', { class: 'bar' });
  const meter = el('div', { class: 'progress', role: 'progressbar', 'aria-label': label,
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' }, bar);
  const state = el('span', { class: 'muted' }, 'queued');
  const cancel = button('Cancel', async () => {
    cancel.disabled = true;
    try { await api('DELETE', `/jobs/${encodeURIComponent(jobId)}`); } catch { /* it may have finished */ }
  }, { class: 'secondary' });
  fill(box, el('p', {}, label, ' — ', state), meter, cancel);
  return new Promise((resolve) => {
    const tick = async () => {
      let job;
      try { job = await api('GET', `/jobs/${encodeURIComponent(jobId)}`); } catch (e) { resolve({ state: 'failed', error: { message: e.message } }); return; }
      const pct = Math.round(100 * (job.progress || 0));
      bar.style.width = `${pct}%`;
      meter.setAttribute('aria-valuenow', String(pct));
      state.textContent = job.state;
      if (job.state === 'done' || job.state === 'failed') { cancel.remove(); resolve(job); return; }
      setTimeout(tick, 500);
    };
    tick();
  });
}

function createForm(onDone) {
  const msg = messageArea();
  const name = el('input', { required: true, maxlength: 200 });
  const url = el('input', { required: true, type: 'url', placeholder: 'https://erp.example.com' });
  const db = el('input', { required: true, maxlength: 63, pattern: '[A-Za-z0-9_-]+' });
  const ca = el('textarea', { rows: 3, placeholder: '-----BEGIN CERTIFICATE-----' });
  const internal = checkbox('Internal: on this site\'s own network (loopback or private addresses)');
  const submit = el('button', { type: 'submit' }, 'Add source');
  const form = el('form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      busy(submit, async () => {
        msg.clear();
        try {
          const body = { name: name.value, kind: 'tryton', base_url: url.value, database: db.value,
            internal: internal.input.checked };
          if (ca.value.trim()) body.ca_pem = ca.value;
          await api('POST', '/sources', body);
          announce('Source added');
          onDone();
        } catch (e) { msg.error(e); }
      });
    },
  }, el('h2', {}, 'Add a Tryton source'),
  field('Name', name), field('Base URL', url, 'Plain http:// only for an internal source.'),
  field('Tryton database', db), field('CA bundle (PEM), for a site\'s own PKI', ca), internal.node,
  msg.node, el('div', { class: 'actions' }, submit));
  return form;
}

function connectForm(src, onDone) {
  const msg = messageArea();
  const user = el('input', { required: true, autocomplete: 'off' });
  const pass = el('input', { required: true, type: 'password', autocomplete: 'off' });
  const submit = el('button', { type: 'submit' }, 'Connect');
  return el('form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      busy(submit, async () => {
        msg.clear();
        try {
          await api('PUT', `/sources/${encodeURIComponent(src.id)}/connection`, { username: user.value, password: pass.value });
          pass.value = '';
          announce(`Connected to ${src.name}`);
          onDone();
        } catch (e) { pass.value = ''; msg.error(e); }
      });
    },
  }, field('Your Tryton user name', user), field('Your Tryton password', pass), msg.node,
  el('div', { class: 'actions' }, submit));
}

function pullForm(src, boms, jobBox, files) {
  const msg = messageArea();
  // A folder source pulls one of the files its export job dropped; other kinds name a record.
  const remote = files
    ? el('select', {}, el('option', { value: '' }, '(the file the BOM came from)'),
      files.map((f) => el('option', { value: f.name }, `${f.name} (${f.state})`)))
    : el('input', { inputmode: 'numeric', placeholder: 'Tryton BOM id' });
  const target = el('select', {}, el('option', { value: '' }, 'A new BOM'),
    boms.filter((b) => b.my_access !== 'view').map((b) => el('option', { value: b.id }, `Refresh “${b.name}”`)));
  const submit = el('button', { type: 'submit' }, 'Pull');
  return el('form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      busy(submit, async () => {
        msg.clear();
        try {
          const body = {};
          if (remote.value) body.remote_id = remote.value;
          if (target.value) body.bom_id = target.value;
          const r = await api('POST', `/sources/${encodeURIComponent(src.id)}/pull`, body);
          const job = await followJob(r.job_id, jobBox, `Pull from ${src.name}`);
          if (job.state === 'done') {
            const res = job.result;
            msg.info(res.changed === false ? 'Nothing changed: no new revision. '
              : res.revision > 1 ? `Revision ${res.revision}: ${res.changes.added} added, ${res.changes.removed} removed, ${res.changes.changed} changed. ` : 'Pulled. ',
              el('a', { href: `#/boms/${encodeURIComponent(res.bom_id)}` }, 'Open the BOM'));
          } else msg.error(job.error ? job.error.message : 'The pull failed.');
        } catch (e) { msg.error(e); }
      });
    },
  }, el('h3', {}, 'Pull from…'), field(files ? 'File' : 'Remote BOM', remote, 'Leave empty to refresh a BOM from where it came.'),
  field('Into', target), msg.node, el('div', { class: 'actions' }, submit));
}

function sendForm(src, boms, jobBox) {
  const msg = messageArea();
  const which = el('select', { required: true }, boms.map((b) => el('option', { value: b.id }, b.name)));
  const submit = el('button', { type: 'submit', disabled: !boms.length }, 'Send');
  return el('form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      busy(submit, async () => {
        msg.clear();
        try {
          const r = await api('POST', `/boms/${encodeURIComponent(which.value)}/send`, { source_id: src.id });
          const job = await followJob(r.job_id, jobBox, `Send to ${src.name}`);
          if (job.state === 'done') msg.ok(`Sent: record ${job.result.remote_id} in ${src.name}.`);
          else msg.error(job.error ? job.error.message : 'The send failed.');
        } catch (e) { msg.error(e); }
      });
    },
  }, el('h3', {}, 'Send to…'), field('BOM', which), msg.node, el('div', { class: 'actions' }, submit));
}

export async function sourcesPage({ root, me }) {
  fill(root, pageHeading('Data sources'), loading());
  const render = async () => {
    const [{ sources }, { boms }] = await Promise.all([api('GET', '/sources'), api('GET', '/boms?limit=1000')]);
    const admin = me.role === 'administrator';
    const creator = me.role !== 'viewer' && !me.read_only;
    const jobBox = el('div', { class: 'job', 'aria-live': 'polite' });
    const folderFiles = new Map();
    await Promise.all(sources.filter((s) => s.kind === 'folder' && creator).map(async (s) => {
      try { folderFiles.set(s.id, (await api('GET', `/sources/${encodeURIComponent(s.id)}/files`)).files); } catch { folderFiles.set(s.id, []); }
    }));
    const cards = sources.map((s) => {
      const actions = [];
      const folder = s.kind === 'folder';
      if (s.connected && !folder) {
        actions.push(button('Disconnect', async () => {
          await api('DELETE', `/sources/${encodeURIComponent(s.id)}/connection`);
          announce(`Disconnected from ${s.name}`);
          render();
        }, { class: 'secondary' }));
      }
      if (admin) {
        actions.push(button('Delete source', async () => {
          if (await confirmDialog('Delete the source?', `${s.name} and every connection to it are deleted.`, 'Delete')) {
            await api('DELETE', `/sources/${encodeURIComponent(s.id)}`);
            render();
          }
        }, { class: 'danger' }));
      }
      return el('section', { class: 'card source', dataset: { id: s.id } },
        el('h2', {}, s.name, ' ', el('span', { class: 'muted' }, `(${s.kind})`)),
        el('p', {}, folder ? 'Files an export job drops on the server; no connection needed.'
          : s.connected ? 'You are connected with your own login.' : 'You are not connected.'),
        admin && !folder ? el('p', { class: 'muted' }, s.base_url, ' · ', s.database, s.internal ? ' · internal' : '') : null,
        admin && folder ? el('p', { class: 'muted' }, s.path, s.profile ? ` · profile ${s.profile}` : '') : null,
        s.connected ? null : connectForm(s, render),
        s.connected && creator ? pullForm(s, boms, jobBox, folder ? folderFiles.get(s.id) : null) : null,
        s.connected && !folder ? sendForm(s, boms, jobBox) : null,
        el('div', { class: 'actions' }, actions));
    });
    fill(root, pageHeading('Data sources'), jobBox,
      sources.length ? cards : el('p', { class: 'empty' }, 'No data sources yet.'),
      admin ? createForm(render) : null);
  };
  await render();
}
