// Pulls, refreshes and sends: the background jobs of data sources, shared by the Sources page and
// the BOM pages. A job is followed through GET /jobs/{id} with a progress bar and a Cancel button
// (DELETE /jobs/{id}); a job is its owner's only, so everything here acts on the signed-in
// user's own connection. Imports api.js and dom.js only (the page modules import this one).
import { api } from './api.js';
import { el, field, messageArea, button, busy, fill, openDialog, plural } from './dom.js';

// Polls a job until it ends, drawing a labelled progress bar, its state and Cancel into `box`.
// Resolves with the job's last answer ({state: done|failed, result|error}).
export function followJob(jobId, box, label) {
  const bar = el('div', { class: 'bar' });
  const meter = el('div', {
    class: 'progress', role: 'progressbar', 'aria-label': label,
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0',
  }, bar);
  const state = el('span', { class: 'muted', 'data-testid': 'job-state' }, 'queued');
  const cancel = button('Cancel', async () => {
    cancel.disabled = true;
    try { await api('DELETE', `/jobs/${encodeURIComponent(jobId)}`); } catch { /* it may have ended meanwhile */ }
  }, { class: 'secondary small' });
  fill(box, el('div', { class: 'job', 'data-job': jobId }, el('p', {}, label, ': ', state), meter, cancel));
  return new Promise((resolve) => {
    const tick = async () => {
      let job;
      try {
        job = await api('GET', `/jobs/${encodeURIComponent(jobId)}`);
      } catch (e) {
        resolve({ state: 'failed', error: { code: e.code || 'error', message: e.message } });
        return;
      }
      const pct = Math.round(100 * (job.progress || 0));
      bar.style.width = `${pct}%`;
      meter.setAttribute('aria-valuenow', String(pct));
      state.textContent = job.state === 'failed' && job.error && job.error.code === 'cancelled' ? 'cancelled' : job.state;
      if (job.state === 'done' || job.state === 'failed') { cancel.remove(); resolve(job); return; }
      setTimeout(tick, 400);
    };
    tick();
  });
}

// What a finished pull or refresh did, in one sentence.
export function pullSummary(res) {
  if (res.changed === false) return `Nothing changed: the BOM stays at revision ${res.revision}.`;
  if (res.previous_revision) {
    const c = res.changes || {};
    return `Revision ${res.revision}: ${c.added || 0} added, ${c.removed || 0} removed, ${c.changed || 0} changed.`;
  }
  return typeof res.items === 'number' ? `Pulled ${plural(res.items, 'item')}.` : 'Pulled.';
}

function jobError(job, what) {
  if (job.error && job.error.code === 'cancelled') return `The ${what} was cancelled.`;
  return job.error && job.error.message ? job.error.message : `The ${what} failed.`;
}

// The message for a refusal that means "connect first", with the way to the Sources page.
function connectHint(e) {
  return e && e.code === 'connection_required'
    ? el('span', {}, e.message, ' ', el('a', { href: '#/sources' }, 'Connect on the Sources page'), '.')
    : null;
}

// Runs one pull (a new BOM, or with body.bom_id a refresh) with its progress in `box`; shows the
// outcome in `msg`. Resolves with the job's result when it is done, else null.
export async function runPull(src, body, box, msg) {
  msg.clear();
  let r;
  try {
    r = await api('POST', `/sources/${encodeURIComponent(src.id)}/pull`, body);
  } catch (e) {
    const hint = connectHint(e);
    if (hint) msg.info(hint); else msg.error(e);
    return null;
  }
  const job = await followJob(r.job_id, box, body.bom_id ? `Refresh from ${src.name}` : `Pull from ${src.name}`);
  if (job.state !== 'done') { msg.error(jobError(job, body.bom_id ? 'refresh' : 'pull')); return null; }
  const res = job.result;
  msg.info(pullSummary(res), ' ', el('a', { href: `#/boms/${encodeURIComponent(res.bom_id)}` }, 'Open the BOM'));
  return res;
}

// "Pull from…": the sources the user may pull from (their connected Tryton and REST sources,
// and folder sources with their files), a record id or a file, then the job.
export function pullDialog(sources) {
  return openDialog('Pull a BOM from a source', () => {
    const msg = messageArea();
    const box = el('div', { class: 'job-box', 'aria-live': 'polite' });
    const which = el('select', { required: true }, sources.map((s) => el('option', { value: s.id }, `${s.name} (${s.kind})`)));
    const remote = el('input', { required: true, maxlength: 256, autocomplete: 'off', spellcheck: 'false' });
    const file = el('select', {});
    const remoteField = field('Record id at the source', remote, 'The BOM\'s id in that system (a Tryton production.bom id, or the REST source\'s id).');
    const fileField = field('File', file);
    const submit = el('button', { type: 'submit' }, 'Pull');
    const current = () => sources.find((s) => s.id === which.value);
    const paint = async () => {
      const s = current();
      const folder = s && s.kind === 'folder';
      remoteField.hidden = folder;
      remote.required = !folder;
      fileField.hidden = !folder;
      if (!folder) return;
      fill(file, el('option', { value: '' }, 'Loading…'));
      try {
        const r = await api('GET', `/sources/${encodeURIComponent(s.id)}/files`);
        fill(file, r.files.length ? r.files.map((f) => el('option', { value: f.name }, `${f.name} (${f.state})`))
          : el('option', { value: '' }, 'No files yet'));
      } catch (e) { fill(file, el('option', { value: '' }, 'The files cannot be listed')); msg.error(e); }
    };
    which.addEventListener('change', paint);
    paint();
    return el('form', {
      onsubmit: (ev) => {
        ev.preventDefault();
        const s = current();
        const id = s.kind === 'folder' ? file.value : remote.value.trim();
        if (!id) { msg.error(s.kind === 'folder' ? 'Choose a file.' : 'Give the record id.'); return; }
        busy(submit, () => runPull(s, { remote_id: id }, box, msg));
      },
    }, field('Source', which), remoteField, fileField, box, msg.node, el('div', { class: 'actions' }, submit));
  });
}

// "Send to…": the BOM goes into one of the user's connected sources (folders take nothing).
export function sendDialog(bom, sources) {
  return openDialog(`Send “${bom.name}”`, () => {
    const msg = messageArea();
    const box = el('div', { class: 'job-box', 'aria-live': 'polite' });
    const which = el('select', { required: true }, sources.map((s) => el('option', { value: s.id }, `${s.name} (${s.kind})`)));
    const submit = el('button', { type: 'submit' }, 'Send');
    return el('form', {
      onsubmit: (ev) => {
        ev.preventDefault();
        const s = sources.find((x) => x.id === which.value);
        busy(submit, async () => {
          msg.clear();
          let r;
          try {
            r = await api('POST', `/boms/${encodeURIComponent(bom.id)}/send`, { source_id: s.id });
          } catch (e) {
            const hint = connectHint(e);
            if (hint) msg.info(hint); else msg.error(e);
            return;
          }
          const job = await followJob(r.job_id, box, `Send to ${s.name}`);
          if (job.state === 'done') msg.ok(`Sent: it is record ${job.result.remote_id} in ${s.name}.`);
          else msg.error(jobError(job, 'send'));
        });
      },
    }, field('Source', which, 'Sent with your own connection to it.'), box, msg.node, el('div', { class: 'actions' }, submit));
  });
}

// "Refresh": pulls the BOM again from where it came (its metadata.source_ref) into a new
// revision, or none when nothing changed. Resolves with the job's result, or null.
export function refreshDialog(bom, source) {
  return openDialog(`Refresh “${bom.name}”`, (close) => {
    const msg = messageArea();
    const box = el('div', { class: 'job-box', 'aria-live': 'polite' });
    const submit = el('button', { type: 'submit' }, 'Refresh now');
    let result = null;
    const done = button('Done', () => close(result), { class: 'secondary' });
    return el('form', {
      onsubmit: (ev) => {
        ev.preventDefault();
        busy(submit, async () => { result = await runPull(source, { bom_id: bom.id }, box, msg) || result; });
      },
    }, el('p', {}, `Pull “${bom.name}” again from ${source.name} with your own connection. A change makes a new revision; no change makes none.`),
    box, msg.node, el('div', { class: 'actions' }, submit, done));
  });
}
