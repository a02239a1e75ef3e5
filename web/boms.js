// BOM pages: the list with search, where-used, and one BOM (tree, flattened, compare) with its
// files (thumbnail, drawings, models), rename / share / transfer / delete dialogs and export links;
// "Pull from…" a data source on the list, "Refresh" (a pulled BOM) and "Send to…" on a BOM.
import { api, apiProgress, workerLoad, ApiError, qs, upload } from './api.js';
import {
  el, field, select, messageArea, table, fmtTime, timeEl, fmtBytes, fmtNum, plural, shortId, pageHeading, button, busy,
  openDialog, confirmDialog, announce, describeError, loading, fill, uid, fileName, downloadText, undoable,
} from './dom.js';
import { bomTree, virtualTable, csvText } from './vtree.js';
import { CHANGE_TEXT } from './bommodel.js';
import { pullDialog, sendDialog, refreshDialog } from './sourcejobs.js';

const PAGE = 50;

function canCreate(me) { return me.role !== 'viewer' && !me.read_only; }
function canEdit(me, b) { return me.role !== 'viewer' && !me.read_only && ['owner', 'edit', 'administrator'].includes(b.my_access); }
function canShare(me, b) { return me.role !== 'viewer' && !me.read_only && ['owner', 'administrator'].includes(b.my_access); }
function canTransfer(me, b) { return !me.read_only && ['owner', 'administrator'].includes(b.my_access); }

const ACCESS_TEXT = { owner: 'Owner', edit: 'Can edit', view: 'Can view', administrator: 'Administrator' };

// The org directory (GET /directory: id, display name and e-mail of every enabled member) turns
// ids into names for everyone, not only Administrators. Fetched once per page view; a failure
// leaves the page working with short ids.
async function directory() {
  const map = new Map();
  try {
    const r = await api('GET', '/directory' + qs({ limit: 200 }));
    for (const u of r.people) map.set(u.id, u);
  } catch { /* the page still works with ids */ }
  return map;
}

export function personName(u) { return u.display_name || u.email; }

function who(id, me, users) {
  if (id === me.id) return 'you';
  const u = users.get(id);
  return u ? personName(u) : shortId(id);
}

// Attachment bytes come from the same origin with the session cookie, so <img> and download
// links use the API path directly.
function attachmentUrl(bomId, attachmentId) {
  return `/api/v1/boms/${encodeURIComponent(bomId)}/attachments/${encodeURIComponent(attachmentId)}`;
}

// A 40 px thumbnail for list rows, or an empty placeholder so the names line up. Decorative:
// the name link beside it says what the row is.
function listThumb(b) {
  if (!b.thumbnail_id) return el('span', { class: 'thumb-sm none', 'aria-hidden': 'true' });
  return el('img', { class: 'thumb-sm', src: attachmentUrl(b.id, b.thumbnail_id), alt: '', loading: 'lazy', decoding: 'async', width: '40', height: '40' });
}

function bomTable(boms, me, users, empty) {
  return table({
    caption: null,
    className: 'boms',
    empty,
    columns: [
      { label: el('span', { class: 'sr-only' }, 'Thumbnail'), className: 'thumb-col', render: listThumb },
      { label: 'Name', render: (b) => el('a', { href: `#/boms/${encodeURIComponent(b.id)}` }, b.name) },
      { label: 'Items', className: 'num', render: (b) => fmtNum(b.items) },
      { label: 'Your access', render: (b) => ACCESS_TEXT[b.my_access] || b.my_access },
      { label: 'Owner', render: (b) => el('span', { title: b.owner_id }, who(b.owner_id, me, users)) },
      { label: 'Updated', render: (b) => timeEl(b.updated_at) },
    ],
    rows: boms,
  });
}

export async function bomListPage({ root, me, query, navigate }) {
  const q = query.get('q') || '';
  const part = query.get('part_number') || '';
  const offset = Math.max(0, parseInt(query.get('offset') || '0', 10) || 0);
  const qInput = el('input', { type: 'search', name: 'q', value: q, autocomplete: 'off' });
  const partInput = el('input', { type: 'search', name: 'part_number', value: part, autocomplete: 'off', spellcheck: 'false' });
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Search BOMs', onsubmit: (ev) => {
    ev.preventDefault();
    navigate('#/boms' + qs({ q: qInput.value.trim(), part_number: partInput.value.trim() }));
  } },
  field('Name contains', qInput), field('Uses part number', partInput),
  el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Search'),
    (q || part) ? el('a', { class: 'button secondary', href: '#/boms' }, 'Clear') : null));

  const [r, users] = await Promise.all([
    api('GET', '/boms' + qs({ q, part_number: part, limit: PAGE + 1, offset })),
    directory(),
  ]);
  const boms = r.boms.slice(0, PAGE);
  const more = r.boms.length > PAGE;
  const filtered = Boolean(q || part);
  let empty;
  if (filtered) empty = 'No BOM you can see matches this search.';
  else if (canCreate(me)) empty = el('span', {}, 'There are no BOMs yet. ', el('a', { href: '#/import' }, 'Import one from a CSV or Excel file'), '.');
  else empty = 'No BOM has been shared with you yet.';

  const pager = el('div', { class: 'pager' },
    offset > 0 ? el('a', { class: 'button secondary', href: '#/boms' + qs({ q, part_number: part, offset: Math.max(0, offset - PAGE) || '' }) }, '← Previous') : null,
    boms.length && (offset > 0 || more) ? el('span', { class: 'muted' }, `${offset + 1}–${offset + boms.length}`) : null,
    more ? el('a', { class: 'button secondary', href: '#/boms' + qs({ q, part_number: part, offset: offset + PAGE }) }, 'Next →') : null);

  fill(root, 
    pageHeading('BOMs', canCreate(me) ? el('div', { class: 'actions' },
      button('Pull from…', () => pullFromSource(navigate), { class: 'secondary' }),
      el('a', { class: 'button', href: '#/import' }, 'Import CSV/XLSX')) : null),
    el('section', { class: 'card' }, form),
    el('section', { class: 'card', 'aria-label': 'Results' },
      boms.length === 0 ? null : el('p', { class: 'muted', role: 'status' }, filtered ? `${boms.length}${more ? '+' : ''} matching BOM${boms.length === 1 ? '' : 's'}` : `${boms.length}${more ? '+' : ''} BOM${boms.length === 1 ? '' : 's'}`),
      bomTable(boms, me, users, empty), pager));
}

// The sources this user may pull from: the ones they are connected to, and folder sources.
async function pullFromSource(navigate) {
  let sources;
  try { sources = (await api('GET', '/sources')).sources; } catch (e) { announce(describeError(e), 'error'); return; }
  const usable = sources.filter((s) => s.connected);
  if (!usable.length) {
    await openDialog('Pull a BOM from a source', () => el('p', {}, 'You are not connected to any data source yet. ',
      el('a', { href: '#/sources' }, 'Connect on the Sources page'), '.'));
    return;
  }
  await pullDialog(usable);
  navigate('#/boms');
}

// Refresh (where the BOM came from) and Send to… (a connected Tryton or REST source).
async function refreshFromSource(ctx, bom) {
  const ref = bom.metadata.source_ref;
  let sources;
  try { sources = (await api('GET', '/sources')).sources; } catch (e) { announce(describeError(e), 'error'); return; }
  const src = sources.find((s) => s.id === ref.source_id);
  if (!src) { announce('The source this BOM came from is gone.', 'error'); return; }
  const res = await refreshDialog(bom, src);
  if (res && res.changed) ctx.route();
}

async function sendToSource(bom) {
  let sources;
  try { sources = (await api('GET', '/sources')).sources; } catch (e) { announce(describeError(e), 'error'); return; }
  const usable = sources.filter((s) => s.connected && s.kind !== 'folder');
  if (!usable.length) {
    await openDialog(`Send “${bom.name}”`, () => el('p', {}, 'Sending needs your own connection to a Tryton or REST source. ',
      el('a', { href: '#/sources' }, 'Connect on the Sources page'), '.'));
    return;
  }
  await sendDialog(bom, usable);
}

export async function whereUsedPage({ root, me, query, navigate }) {
  const part = query.get('part_number') || '';
  const input = el('input', { type: 'search', name: 'part_number', value: part, required: true, spellcheck: 'false', autocomplete: 'off', 'data-autofocus': part ? null : true });
  const msg = messageArea();
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Where used', onsubmit: (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) { msg.error('Enter a part number.'); input.focus(); return; }
    navigate('#/where-used' + qs({ part_number: input.value.trim() }));
  } }, field('Part number', input, 'Exact part number, e.g. BRG-6204'),
  el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Find')));
  const results = el('section', { class: 'card', 'aria-label': 'Results' });
  fill(root, pageHeading('Where used'), el('section', { class: 'card' }, el('p', { class: 'muted' }, 'Find every BOM you can see that uses a part.'), form, msg.node), results);
  if (!part) { results.append(el('p', { class: 'empty' }, 'Enter a part number to see which BOMs use it.')); return; }
  results.append(loading());
  const [r, users] = await Promise.all([api('GET', '/where-used' + qs({ part_number: part })), directory()]);
  fill(results, 
    r.boms.length ? el('p', { role: 'status' }, `${r.boms.length} BOM${r.boms.length === 1 ? ' uses' : 's use'} `, el('code', {}, part), '.') : null,
    bomTable(r.boms, me, users, `No BOM you can see uses ${part}.`));
}

// ---------------------------------------------------------------------------------------------
// One BOM

export async function bomPage(ctx, view) {
  const { root, me, params } = ctx;
  const id = params.id;
  const enc = encodeURIComponent(id);
  // The content request starts with the others, not after them.
  const body = el('section', { class: 'card bom-body', 'aria-label': 'BOM content' }, el('p', { class: 'muted load-progress', role: 'status' }, 'Loading…'));
  const progress = (what) => (got, total) => {
    const p = body.querySelector('.load-progress');
    if (p) p.textContent = total ? `Loading ${what}… ${fmtBytes(got)} of ${fmtBytes(total)}` : `Loading ${what}… ${fmtBytes(got)}`;
  };
  const loadItems = () => workerLoad('items', [`/boms/${enc}/items`], progress('items'));
  const loadFlat = () => apiProgress(`/boms/${enc}/flat`, progress('the flattened BOM'));
  let content = null;
  if (view === 'tree') content = loadItems();
  else if (view === 'flat') content = loadFlat();
  else if (ctx.query.get('with')) {
    const other = ctx.query.get('with');
    content = workerLoad(ctx.query.get('layout') === 'side' ? 'side' : 'compare', [`/boms/${enc}/items`, `/boms/${encodeURIComponent(other)}/items`], progress('both BOMs'));
  }
  if (content) content.catch(() => {});  // handled where awaited
  const [bom, users] = await Promise.all([api('GET', `/boms/${enc}`), directory()]);
  const title = el('span', {}, bom.name);
  const heading = el('h1', { tabindex: '-1' }, title);

  const actions = el('div', { class: 'toolbar', role: 'group', 'aria-label': 'BOM actions' },
    el('a', { class: 'button secondary small', href: `/api/v1/boms/${enc}/export?format=csv`, download: fileName(bom.name, 'csv') }, 'Export CSV'),
    el('a', { class: 'button secondary small', href: `/api/v1/boms/${enc}/export?format=json`, download: fileName(bom.name, 'json') }, 'Export JSON'),
    canEdit(me, bom) ? button('Rename…', () => renameDialog(bom, title), { class: 'secondary small' }) : null,
    button(canShare(me, bom) ? 'Sharing…' : 'Who has access', () => shareDialog(ctx, bom, users), { class: 'secondary small' }),
    canTransfer(me, bom) ? button('Transfer…', () => transferDialog(ctx, bom, users), { class: 'secondary small' }) : null,
    bom.metadata && bom.metadata.source_ref && canEdit(me, bom) ? button('Refresh…', () => refreshFromSource(ctx, bom), { class: 'secondary small' }) : null,
    me.read_only ? null : button('Send to…', () => sendToSource(bom), { class: 'secondary small' }),
    canShare(me, bom) ? button('Delete…', () => deleteDialog(ctx, bom), { class: 'danger small' }) : null);

  const source = bom.metadata && typeof bom.metadata.source === 'string' ? bom.metadata.source : '';
  const meta = el('dl', { class: 'meta' },
    el('div', {}, el('dt', {}, 'Items'), el('dd', {}, fmtNum(bom.items))),
    el('div', {}, el('dt', {}, 'Owner'), el('dd', { title: users.has(bom.owner_id) ? users.get(bom.owner_id).email : bom.owner_id }, who(bom.owner_id, me, users))),
    el('div', {}, el('dt', {}, 'Your access'), el('dd', {}, ACCESS_TEXT[bom.my_access] || bom.my_access)),
    el('div', {}, el('dt', {}, 'Updated'), el('dd', {}, timeEl(bom.updated_at))),
    source ? el('div', {}, el('dt', {}, 'Source'), el('dd', {}, source)) : null);

  const tabs = el('nav', { class: 'tabs', 'aria-label': 'BOM views' },
    [['tree', `#/boms/${enc}`, 'Tree'], ['flat', `#/boms/${enc}/flat`, 'Flattened'], ['compare', `#/boms/${enc}/compare`, 'Compare']]
      .map(([key, href, label]) => el('a', { href, 'aria-current': key === view ? 'page' : null }, label)));
  const files = filesCard(ctx, bom, users);

  // The BOM itself comes first on the screen; files follow it.
  fill(root,
    el('div', { class: 'page-head bom-head' }, el('div', {}, el('p', { class: 'crumb' }, el('a', { href: '#/boms' }, '← All BOMs')), heading), actions),
    el('div', { class: 'bom-meta' }, meta),
    tabs, body, files.node);

  files.refresh();
  const retry = (fn) => async () => {
    try { await fn(); } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.code === 'sealed')) throw e;
      fill(body, el('div', { class: 'load-error', role: 'alert' }, el('p', { class: 'error' }, describeError(e)),
        button('Try again', () => { fill(body, loading()); retry(fn)(); }, { class: 'secondary' })));
    }
  };
  const take = (load) => { const p = content || load(); content = null; return p; };
  if (view === 'tree') await retry(async () => renderTree(body, await take(loadItems), bom))();
  else if (view === 'flat') await retry(async () => renderFlat(body, await take(loadFlat), bom))();
  else await retry(() => renderCompare(ctx, body, bom, take(() => null)))();
}

// ---------------------------------------------------------------------------------------------
// Files: one thumbnail picture and derivative files (drawings, documents, 3-D models). The
// server sniffs every upload's type from its bytes; the checks here only save a long upload
// that would be refused for its size.

const KIND_TEXT = { thumbnail: 'Thumbnail', derivative: 'Drawing, document or model' };
const TYPE_TEXT = {
  'application/pdf': 'PDF', 'image/png': 'PNG image', 'image/jpeg': 'JPEG image', 'image/webp': 'WebP image',
  'model/step': 'STEP model', 'model/iges': 'IGES model', 'model/stl': 'STL model', 'image/vnd.dxf': 'DXF drawing',
};
const THUMBNAIL_MAX = 2 * 1048576;
const FILE_MAX = 64 * 1048576;
const ACCEPT = '.pdf,.png,.jpg,.jpeg,.webp,.step,.stp,.iges,.igs,.stl,.dxf';

function typeText(a) {
  const t = TYPE_TEXT[a.media_type] || a.media_type;
  return a.width ? `${t}, ${a.width} × ${a.height} px` : t;
}

function filesCard(ctx, bom, users) {
  const { me } = ctx;
  const editable = canEdit(me, bom);
  const headingId = uid('files-h');
  const title = el('h2', { id: headingId }, 'Files');
  const thumbBox = el('figure', { class: 'thumb-box', hidden: true });
  const listBox = el('div', { class: 'files-list' }, loading('Loading files…'));
  const msg = messageArea();
  // The upload form opens from an "Add file…" button, so the card stays small above the tree.
  const form = editable ? addForm() : null;
  const opener = editable ? button('Add file…', () => openForm(true), { class: 'secondary', 'aria-expanded': 'false', 'aria-controls': 'attach-form' }) : null;
  const node = el('section', { class: 'card files', 'aria-labelledby': headingId }, title,
    el('div', { class: 'files-body' }, thumbBox,
      el('div', { class: 'files-main' }, listBox, opener ? el('div', { class: 'actions' }, opener) : null, form, msg.node)));

  function openForm(open) {
    form.hidden = !open;
    opener.hidden = open;
    opener.setAttribute('aria-expanded', String(open));
    if (open) form.querySelector('input[type=file]').focus();
    else opener.focus();
  }

  function render(list) {
    const thumb = list.find((a) => a.kind === 'thumbnail');
    const rows = [...list.filter((a) => a.kind === 'thumbnail'), ...list.filter((a) => a.kind !== 'thumbnail')];
    title.textContent = list.length ? `Files (${list.length})` : 'Files';
    thumbBox.hidden = !thumb;
    fill(thumbBox, thumb ? el('img', {
      class: 'thumb', src: attachmentUrl(bom.id, thumb.id), alt: `Thumbnail of ${bom.name}`,
      width: thumb.width ? String(thumb.width) : null, height: thumb.height ? String(thumb.height) : null,
    }) : null);
    // Nothing to show and nothing to do: readers of a BOM without files do not need the card.
    node.hidden = !list.length && !editable;
    if (!list.length) {
      fill(listBox, el('p', { class: 'muted' }, editable ? 'No files yet: add a drawing, a document, a 3D model or a thumbnail picture.' : 'No files are attached.'));
      return;
    }
    fill(listBox, table({
      className: 'files',
      columns: [
        { label: 'Name', className: 'file-name', render: (a) => el('a', { href: attachmentUrl(bom.id, a.id), download: a.name }, a.name) },
        { label: 'Kind', render: (a) => KIND_TEXT[a.kind] || a.kind },
        { label: 'Type', className: 'nowrap', render: (a) => el('span', { title: a.media_type }, typeText(a)) },
        { label: 'Size', className: 'num nowrap', render: (a) => fmtBytes(a.size) },
        { label: 'Added', render: (a) => el('span', {}, fmtTime(a.created_at), el('span', { class: 'muted', title: a.created_by }, ` by ${who(a.created_by, me, users)}`)) },
        ...(editable ? [{ label: 'Actions', render: (a) => button('Delete', () => remove(a), { class: 'danger small', 'aria-label': `Delete ${a.name}` }) }] : []),
      ],
      rows,
    }));
  }

  async function refresh() {
    try {
      const r = await api('GET', `/boms/${encodeURIComponent(bom.id)}/attachments`);
      render(r.attachments);
    } catch (e) {
      listBox.replaceChildren();
      msg.error(e);
    }
  }

  async function remove(a) {
    const ok = await confirmDialog('Delete file', `“${a.name}” will be removed from “${bom.name}”. This cannot be undone.`, 'Delete file');
    if (!ok) return;
    msg.clear();
    try {
      await api('DELETE', `/boms/${encodeURIComponent(bom.id)}/attachments/${encodeURIComponent(a.id)}`);
      msg.ok(`“${a.name}” was deleted.`);
      await refresh();
    } catch (e) { msg.error(e); }
  }

  function addForm() {
    const picker = el('input', { type: 'file', id: 'attach-file', name: 'file', class: 'file-input', accept: ACCEPT, 'aria-describedby': 'attach-file-info attach-hint' });
    const info = el('span', { class: 'muted', id: 'attach-file-info', 'aria-live': 'polite' }, 'No file chosen.');
    const kind = select([['derivative', 'Drawing, document or model'], ['thumbnail', 'Thumbnail picture']], { name: 'kind' });
    const submit = el('button', { type: 'submit' }, 'Upload');
    const bar = el('progress', { max: '100', value: 0, 'aria-label': 'Upload progress' });
    const barText = el('span', { class: 'muted' });
    const progress = el('div', { class: 'upload-progress', hidden: true }, bar, barText);
    picker.addEventListener('change', () => {
      msg.clear();
      const f = picker.files[0];
      info.textContent = f ? `${f.name} (${fmtBytes(f.size)})` : 'No file chosen.';
    });
    return el('form', { id: 'attach-form', class: 'attach-form', hidden: true, novalidate: true, 'aria-label': 'Add a file', onsubmit: async (ev) => {
      ev.preventDefault();
      msg.clear();
      const f = picker.files[0];
      if (!f) { msg.error('Choose the file to add first.'); picker.focus(); return; }
      const thumbnail = kind.value === 'thumbnail';
      const max = thumbnail ? THUMBNAIL_MAX : FILE_MAX;
      if (f.size > max) { msg.error(`${f.name} is ${fmtBytes(f.size)}; a ${thumbnail ? 'thumbnail' : 'file'} may be at most ${fmtBytes(max)}.`); return; }
      if (!f.size) { msg.error(`${f.name} is empty.`); return; }
      await busy(submit, async () => {
        progress.hidden = false;
        bar.value = 0;
        barText.textContent = 'Uploading…';
        try {
          const r = await upload(`/boms/${encodeURIComponent(bom.id)}/attachments` + qs({ kind: kind.value, name: f.name }), f, 'application/octet-stream',
            (sent, total) => {
              const pct = total ? Math.round((100 * sent) / total) : 0;
              bar.value = pct;
              barText.textContent = pct >= 100 ? 'Checking the file…' : `Uploading… ${pct}%`;
            });
          picker.value = '';
          info.textContent = 'No file chosen.';
          msg.ok(r.kind === 'thumbnail' ? `“${r.name}” is the thumbnail now.` : `Added “${r.name}”.`);
          await refresh();
        } catch (e) {
          msg.error(`“${f.name}” was not added: ${describeError(e)}`);
        } finally {
          progress.hidden = true;
        }
      });
    } },
    el('h3', {}, 'Add a file'),
    el('div', { class: 'attach-row' },
      el('div', { class: 'field' }, el('span', { class: 'label' }, 'File'),
        el('div', { class: 'inline-group' }, picker, el('label', { for: picker.id, class: 'button secondary' }, 'Choose a file…'), info)),
      field('Kind', kind),
      el('div', { class: 'actions' }, submit, button('Close', () => { msg.clear(); openForm(false); }, { class: 'secondary' }))),
    el('p', { class: 'hint', id: 'attach-hint' }, 'PDF, PNG, JPEG, WebP, STEP, IGES, STL or DXF, up to 64 MiB. A thumbnail is a PNG, JPEG or WebP picture of at most 2 MiB and 4096 × 4096 px; a new one replaces the old.'),
    progress);
  }

  return { node, refresh };
}

function wideField(node) { node.classList.add('wide'); return node; }


function renderTree(body, r, bom) {
  const items = r.rows;
  if (!items.length) { fill(body, el('p', { class: 'empty' }, 'This BOM has no items.')); return; }
  const statusText = el('p', { class: 'muted', role: 'status', id: 'tree-status' });
  const tree = bomTree({ items, structure: r.structure, bomName: bom.name, onStatus: ({ count, total, filtering, depth }) => {
    statusText.textContent = `${plural(total, 'item')}, ${plural(depth, 'level')} deep` +
      (filtering ? ` · ${fmtNum(count)} shown by the filters` : ` · ${fmtNum(count)} row${count === 1 ? '' : 's'} open`);
  } });

  // Search within the BOM: each match opens the tree down to it.
  const q = el('input', { type: 'search', name: 'find', autocomplete: 'off', spellcheck: 'false', placeholder: 'Part number, description, ref. des., MPN' });
  const found = el('span', { class: 'muted', 'aria-live': 'polite', id: 'find-result' });
  let lastQ = '';
  let hitsTotal = 0;
  const go = (step) => {
    if (q.value.trim() !== lastQ) { lastQ = q.value.trim(); hitsTotal = lastQ ? tree.search(lastQ) : 0; }
    if (!lastQ) { found.textContent = ''; return; }
    const at = tree.nextHit(step);
    found.textContent = at < 0 ? 'No match.' : `${fmtNum(at + 1)} of ${fmtNum(hitsTotal)}`;
  };
  q.id = 'find-q';
  const findForm = el('form', { class: 'find', role: 'search', 'aria-label': 'Find in this BOM', onsubmit: (ev) => { ev.preventDefault(); go(1); } },
    el('label', { for: 'find-q', class: 'sr-only' }, 'Find in this BOM'), q,
    el('button', { type: 'submit', class: 'secondary small' }, 'Next'),
    button('Previous', () => go(-1), { class: 'secondary small' }),
    found);

  const levels = el('select', { id: 'tree-levels', class: 'inline', 'aria-label': 'Open to level' },
    el('option', { value: '' }, 'Open to level…'),
    Array.from({ length: tree.depth }, (_, k) => el('option', { value: String(k + 1) }, k ? `Levels 1–${k + 1}` : 'Level 1 only')));
  levels.addEventListener('change', () => { if (levels.value) tree.expandTo(Number(levels.value) - 1); });

  fill(body,
    el('div', { class: 'tree-tools' },
      findForm,
      el('div', { class: 'toolbar' },
        button('Expand all', () => tree.expandAll(), { class: 'secondary small' }),
        button('Collapse all', () => tree.collapseAll(), { class: 'secondary small' }),
        levels,
        tree.chooser(),
        button('Export this view', () => tree.exportView(), { class: 'secondary small' }))),
    statusText,
    tree.node);
}

function renderFlat(body, r, bom) {
  const rows = r.rows;
  const columns = [
    { label: 'Part number', min: 12, fr: 2, value: (x) => x.part_number },
    { label: 'Description', min: 14, fr: 3, value: (x) => x.description },
    { label: 'Total qty', num: true, min: 7, fr: 0, value: (x) => x.total_quantity },
    { label: 'Unit', min: 4, fr: 0, value: (x) => x.unit },
    { label: 'Occurrences', num: true, min: 7.5, fr: 0, value: (x) => fmtNum(x.occurrences) },
  ];
  if (!rows.length) { fill(body, el('p', { class: 'empty' }, 'This BOM has no items.')); return; }
  const t = virtualTable({ rows, columns, label: `Flattened BOM of ${bom.name}`, className: 'flat' });
  fill(body,
    el('div', { class: 'toolbar' },
      el('p', { class: 'muted' }, `Total quantity of each part number, multiplied through the levels: ${plural(rows.length, 'part number')}.`),
      button('Export this view', () => {
        downloadText(fileName(`${bom.name} (flattened)`, 'csv'), csvText(columns.map((c) => c.label), rows.map((x) => columns.map((c) => c.value(x)))), 'text/csv');
      }, { class: 'secondary small' })),
    t.node);
}

async function renderCompare(ctx, body, bom, started) {
  const { query, navigate } = ctx;
  const other = query.get('with') || '';
  const list = await api('GET', '/boms' + qs({ limit: 1000 }));
  const candidates = list.boms.filter((b) => b.id !== bom.id);
  if (!candidates.length) {
    fill(body, el('p', { class: 'empty' }, 'There is no other BOM you can see to compare this one with.'));
    return;
  }
  const pick = select([['', 'Choose a BOM…'], ...candidates.map((b) => [b.id, `${b.name} (${fmtNum(b.items)} items)`])], { name: 'with', required: true });
  pick.value = other;
  const msg = messageArea();
  const form = el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    if (!pick.value) { msg.error('Choose the BOM to compare with.'); pick.focus(); return; }
    navigate(`#/boms/${encodeURIComponent(bom.id)}/compare` + qs({ with: pick.value }));
  } }, wideField(field('Compare with', pick, `Shows what turns "${bom.name}" into the chosen BOM: an engineering change.`)),
  el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Compare')));
  const out = el('div', { 'aria-live': 'polite' });
  fill(body, form, msg.node, out);
  if (!other) return;
  const otherBom = candidates.find((b) => b.id === other);
  if (!otherBom) { msg.error('That BOM does not exist or you cannot see it.'); return; }
  const side = query.get('layout') === 'side';
  const base = `#/boms/${encodeURIComponent(bom.id)}/compare`;
  out.append(el('nav', { class: 'tabs small', 'aria-label': 'How to show the change' },
    el('a', { href: base + qs({ with: other }), 'aria-current': side ? null : 'page' }, 'List of changes'),
    el('a', { href: base + qs({ with: other, layout: 'side' }), 'aria-current': side ? 'page' : null, id: 'compare-side' }, 'Both trees side by side')));
  if (side) { await renderSideBySide(out, bom, otherBom, started); return; }
  out.append(el('p', { class: 'muted load-progress', role: 'status' }, 'Loading both BOMs…'));
  const box = el('div');
  out.append(box);
  const { rows: diff } = await (started || workerLoad('compare', [`/boms/${encodeURIComponent(bom.id)}/items`, `/boms/${encodeURIComponent(other)}/items`],
    (got, totalBytes) => {
      const p = body.querySelector('.load-progress');
      if (p) p.textContent = totalBytes ? `Loading both BOMs… ${fmtBytes(got)} of ${fmtBytes(totalBytes)}` : `Loading both BOMs… ${fmtBytes(got)}`;
    }));
  const counts = { added: 0, removed: 0, moved: 0, requantified: 0, changed: 0 };
  for (const d of diff) counts[d.kind] += 1;
  const names = [bom.name, otherBom.name];
  const columns = [
    { label: 'Change', min: 8, fr: 0, value: (d) => CHANGE_TEXT[d.kind] },
    { label: 'Part number', min: 11, fr: 1, value: (d) => d.part_number },
    { label: 'Ref. des.', min: 6, fr: 0, value: (d) => d.refdes },
    { label: 'Description', min: 12, fr: 2, value: (d) => d.description },
    { label: `Where in “${names[0]}”`, min: 12, fr: 2, value: (d) => d.where_before },
    { label: 'Qty before', num: true, min: 6.5, fr: 0, value: (d) => d.qty_before },
    { label: `Where in “${names[1]}”`, min: 12, fr: 2, value: (d) => d.where_after },
    { label: 'Qty after', num: true, min: 6.5, fr: 0, value: (d) => d.qty_after },
    { label: 'Details', min: 10, fr: 1, value: (d) => d.details },
  ];
  const shownKinds = new Set(Object.keys(counts));
  const tableBox = el('div');
  const paint = () => {
    const rows = diff.filter((d) => shownKinds.has(d.kind));
    fill(tableBox, rows.length ? virtualTable({ rows, columns, label: `Changes from ${names[0]} to ${names[1]}`, className: 'eco' }).node
      : el('p', { class: 'empty' }, 'No change of the chosen kinds.'));
  };
  const kindBoxes = Object.keys(counts).map((k) => {
    const id = uid('kind');
    const box = el('input', { type: 'checkbox', id, checked: true });
    box.addEventListener('change', () => { if (box.checked) shownKinds.add(k); else shownKinds.delete(k); paint(); });
    return el('div', { class: 'check' }, box, el('label', { for: id }, `${CHANGE_TEXT[k]} (${fmtNum(counts[k])})`));
  });
  const total = diff.length;
  fill(box,
    el('p', { role: 'status', class: total ? null : 'ok', id: 'compare-summary' }, total
      ? `From “${names[0]}” to “${names[1]}”: ${fmtNum(counts.added)} added, ${fmtNum(counts.removed)} removed, ${fmtNum(counts.moved)} moved, ${fmtNum(counts.requantified)} re-quantified, ${fmtNum(counts.changed)} otherwise changed.`
      : `“${names[0]}” and “${names[1]}” have the same items.`),
    total ? el('div', { class: 'toolbar' },
      el('fieldset', { class: 'kinds' }, el('legend', { class: 'sr-only' }, 'Show changes'), kindBoxes),
      button('Export as CSV', () => {
        downloadText(fileName(`${names[0]} to ${names[1]} (change)`, 'csv'),
          csvText(columns.map((c) => c.label), diff.map((d) => columns.map((c) => c.value(d)))), 'text/csv');
      }, { class: 'secondary small' })) : null,
    tableBox);
  if (total) paint();
}

// Both trees at once, aligned row by row (bommodel.sideBySide): the BOM as it is on the left, the
// other on the right, each side indented by its own level, unchanged rows included so the change
// reads in its place in the structure.
async function renderSideBySide(out, bom, otherBom, started) {
  const box = el('div');
  out.append(el('p', { class: 'muted load-progress', role: 'status' }, 'Loading both BOMs…'), box);
  const { rows } = await (started || workerLoad('side', [`/boms/${encodeURIComponent(bom.id)}/items`, `/boms/${encodeURIComponent(otherBom.id)}/items`],
    (got, totalBytes) => {
      const p = out.querySelector('.load-progress');
      if (p) p.textContent = totalBytes ? `Loading both BOMs… ${fmtBytes(got)} of ${fmtBytes(totalBytes)}` : `Loading both BOMs… ${fmtBytes(got)}`;
    }));
  out.querySelector('.load-progress')?.remove();
  const counts = { same: 0, added: 0, removed: 0, moved: 0, requantified: 0, changed: 0 };
  for (const r of rows) { counts[r.kind] += 1; r.className = `chg-${r.kind}`; }
  const indent = (r, s) => (r[s] ? '\u2003'.repeat(r.level) + r[s].part_number : '');
  const names = [bom.name, otherBom.name];
  const columns = [
    { label: 'Change', min: 8, fr: 0, value: (r) => (r.kind === 'same' ? '' : CHANGE_TEXT[r.kind]) },
    { label: `“${names[0]}”: part number`, min: 12, fr: 2, value: (r) => indent(r, 'left') },
    { label: 'Ref. des.', min: 6, fr: 0, value: (r) => (r.left ? r.left.refdes : '') },
    { label: 'Qty', num: true, min: 5, fr: 0, value: (r) => (r.left ? `${r.left.quantity}${r.left.unit ? ' ' + r.left.unit : ''}` : '') },
    { label: `“${names[1]}”: part number`, min: 12, fr: 2, value: (r) => indent(r, 'right') },
    { label: 'Ref. des.', min: 6, fr: 0, value: (r) => (r.right ? r.right.refdes : '') },
    { label: 'Qty', num: true, min: 5, fr: 0, value: (r) => (r.right ? `${r.right.quantity}${r.right.unit ? ' ' + r.right.unit : ''}` : '') },
  ];
  const changed = rows.length - counts.same;
  fill(box,
    el('p', { role: 'status', id: 'compare-summary', class: changed ? null : 'ok' }, changed
      ? `${fmtNum(rows.length)} rows: ${fmtNum(counts.added)} added, ${fmtNum(counts.removed)} removed, ${fmtNum(counts.moved)} moved, ${fmtNum(counts.requantified)} re-quantified, ${fmtNum(counts.changed)} otherwise changed, ${fmtNum(counts.same)} the same.`
      : `“${names[0]}” and “${names[1]}” have the same items.`),
    el('div', { class: 'toolbar' }, button('Export as CSV', () => {
      const header = ['Change', 'Level', `${names[0]}: part number`, `${names[0]}: ref. des.`, `${names[0]}: quantity`, `${names[0]}: unit`,
        `${names[1]}: part number`, `${names[1]}: ref. des.`, `${names[1]}: quantity`, `${names[1]}: unit`];
      const cells = (s) => (s ? [s.part_number, s.refdes, s.quantity, s.unit] : ['', '', '', '']);
      downloadText(fileName(`${names[0]} and ${names[1]} (side by side)`, 'csv'),
        csvText(header, rows.map((r) => [r.kind === 'same' ? '' : CHANGE_TEXT[r.kind], String(r.level), ...cells(r.left), ...cells(r.right)])), 'text/csv');
    }, { class: 'secondary small' })),
    rows.length ? virtualTable({ rows, columns, label: `${names[0]} and ${names[1]} side by side`, className: 'eco side' }).node : null);
}

// ---------------------------------------------------------------------------------------------
// Dialogs

function renameDialog(bom, titleNode) {
  return openDialog('Rename BOM', (close) => {
    const input = el('input', { type: 'text', name: 'name', value: bom.name, required: true, maxlength: '200' });
    const msg = messageArea();
    const save = el('button', { type: 'submit' }, 'Save');
    return el('form', { class: 'stack', onsubmit: async (ev) => {
      ev.preventDefault();
      const name = input.value.trim();
      if (!name) { msg.error('A BOM needs a name.'); input.focus(); return; }
      await busy(save, async () => {
        try {
          const r = await api('PATCH', `/boms/${encodeURIComponent(bom.id)}`, { name });
          bom.name = r.name;
          titleNode.textContent = r.name;
          document.title = `${r.name} · bomvault`;
          announce('The BOM was renamed.');
          close(true);
        } catch (e) { msg.error(e); }
      });
    } }, field('New name', input), msg.node,
    el('div', { class: 'actions' }, save, button('Cancel', () => close(false), { class: 'secondary' })));
  });
}

// A colleague chooser: type a name or an e-mail address; the browser offers matching members
// of the organisation (a <datalist> filled from the directory as the user types). A pasted user
// id still works. value() resolves to a user id, asking the directory when the text is not one
// of the suggestions already known.
function userPicker(me, users, exclude, label) {
  const listId = uid('people');
  const input = el('input', { type: 'text', name: 'person', required: true, spellcheck: 'false', autocomplete: 'off', list: listId, placeholder: 'Name or e-mail address' });
  const list = el('datalist', { id: listId });
  const known = new Map(users);
  const paint = (people) => fill(list, people.filter((u) => !exclude.has(u.id) && u.id !== me.id)
    .map((u) => el('option', { value: u.email }, u.display_name ? `${u.display_name} <${u.email}>` : u.email)));
  paint([...users.values()]);
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2 || users.size < 200) return;  // the first 200 are here already
    timer = setTimeout(async () => {
      try {
        const r = await api('GET', '/directory' + qs({ q, limit: 20 }));
        for (const u of r.people) known.set(u.id, u);
        paint(r.people);
      } catch { /* suggestions are a convenience */ }
    }, 200);
  });
  const match = (text) => {
    const t = text.toLowerCase();
    const hits = [...known.values()].filter((u) => u.id === text || u.email.toLowerCase() === t || (u.display_name && u.display_name.toLowerCase() === t));
    return hits.length === 1 ? hits[0] : null;
  };
  return {
    node: el('div', {}, field(label, input, 'Start typing a colleague\'s name or e-mail address.'), list),
    control: input,
    async value() {
      const text = input.value.trim().replace(/^.*<([^>]+)>$/, '$1');
      if (!text) return null;
      let u = match(text);
      if (!u && !/^usr_/.test(text)) {
        const r = await api('GET', '/directory' + qs({ q: text, limit: 20 }));
        for (const p of r.people) known.set(p.id, p);
        u = match(text);
        if (!u && r.people.length === 1) [u] = r.people;
      }
      if (u) { users.set(u.id, u); return u.id; }
      return /^usr_/.test(text) ? text : '';
    },
  };
}

async function shareDialog(ctx, bom, users) {
  const { me } = ctx;
  const enc = encodeURIComponent(bom.id);
  const mayShare = canShare(me, bom);
  await openDialog(`Sharing “${bom.name}”`, () => {
    const msg = messageArea();
    const listBox = el('div', { 'aria-live': 'polite' }, loading());
    let current = [];
    async function refresh() {
      try {
        const r = await api('GET', `/boms/${enc}/shares`);
        current = r.shares;
        fill(listBox, 
          el('p', {}, 'Owner: ', el('strong', {}, who(bom.owner_id, me, users)), '. Administrators of the organisation can also open every BOM.'),
          table({
            className: 'shares',
            empty: 'It is not shared with anyone.',
            columns: [
              { label: 'Person', render: (s) => (users.has(s.user_id) || s.user_id === me.id
                ? el('span', { title: users.has(s.user_id) ? users.get(s.user_id).email : s.user_id, 'data-user': s.user_id }, who(s.user_id, me, users))
                : el('code', { class: 'user-id' }, s.user_id)) },
              { label: 'Access', render: (s) => ACCESS_TEXT[s.access] || s.access },
              { label: 'Since', render: (s) => fmtTime(s.created_at) },
              ...(mayShare ? [{ label: 'Actions', render: (s) => button('Revoke', () => revoke(s), { class: 'danger small', 'aria-label': `Revoke access for ${who(s.user_id, me, users)}` }) }] : []),
            ],
            rows: current,
          }));
      } catch (e) { listBox.replaceChildren(); msg.error(e); }
    }
    async function revoke(s) {
      const name = who(s.user_id, me, users);
      const ok = await confirmDialog('Revoke access', `${name} will lose access to “${bom.name}” on their next request. You have a few seconds to undo.`, 'Revoke access');
      if (!ok) return;
      msg.clear();
      const row = listBox.querySelector(`[data-user="${CSS.escape(s.user_id)}"]`);
      if (row) row.classList.add('pending');
      undoable(`Access of ${name} to “${bom.name}” ends.`, () => api('DELETE', `/boms/${enc}/shares/${encodeURIComponent(s.user_id)}`), {
        done: () => { if (listBox.isConnected) { msg.ok(`Access for ${name} was revoked.`); refresh(); } else announce(`Access for ${name} was revoked.`); },
        undone: () => { if (row) row.classList.remove('pending'); },
      });
    }
    let form = null;
    if (mayShare) {
      const picker = userPicker(me, users, new Set([bom.owner_id]), 'Share with');
      const access = select([['view', 'Can view'], ['edit', 'Can edit']], { name: 'access' });
      const submit = el('button', { type: 'submit' }, 'Share');
      form = el('form', { class: 'stack', onsubmit: async (ev) => {
        ev.preventDefault();
        msg.clear();
        if (!picker.control.value.trim()) { msg.error('Choose who to share with.'); picker.control.focus(); return; }
        await busy(submit, async () => {
          try {
            const uid = await picker.value();
            if (!uid) { msg.error(`Nobody in your organisation is called “${picker.control.value.trim()}”: pick a suggestion.`); picker.control.focus(); return; }
            await api('POST', `/boms/${enc}/shares`, { user_id: uid, access: access.value });
            msg.ok(`Shared with ${who(uid, me, users)} (${ACCESS_TEXT[access.value].toLowerCase()}).`);
            picker.control.value = '';
            await refresh();
          } catch (e) {
            msg.error(e instanceof ApiError && e.code === 'user_not_found' ? 'No such person in your organisation.' : e);
          }
        });
      } }, el('h3', {}, 'Add someone'), picker.node, field('Access', access), el('div', { class: 'actions' }, submit));
    }
    refresh();
    return el('div', { class: 'stack' }, el('h3', {}, 'Who has access'), listBox, form, msg.node);
  }, { wide: true });
}

async function transferDialog(ctx, bom, users) {
  const { me, navigate } = ctx;
  await openDialog(`Transfer “${bom.name}”`, (close) => {
    const picker = userPicker(me, users, new Set([bom.owner_id]), 'New owner');
    const msg = messageArea();
    const submit = el('button', { type: 'submit', class: 'danger' }, 'Transfer ownership');
    return el('form', { class: 'stack', onsubmit: async (ev) => {
      ev.preventDefault();
      msg.clear();
      if (!picker.control.value.trim()) { msg.error('Choose the new owner.'); picker.control.focus(); return; }
      await busy(submit, async () => {
        try {
          const uid = await picker.value();
          if (!uid) { msg.error(`Nobody in your organisation is called “${picker.control.value.trim()}”: pick a suggestion.`); picker.control.focus(); return; }
          const ok = await confirmDialog('Transfer ownership', `“${bom.name}” will belong to ${who(uid, me, users)}.${me.role === 'administrator' ? '' : ' You lose access to it.'}`, 'Transfer', { danger: me.role !== 'administrator' });
          if (!ok) return;
          await api('POST', `/boms/${encodeURIComponent(bom.id)}/transfer`, { user_id: uid });
          close(true);
          if (me.role === 'administrator') { announce(`“${bom.name}” now belongs to ${who(uid, me, users)}.`); ctx.route(); } else {
            announce(`“${bom.name}” was transferred to ${who(uid, me, users)}; you no longer have access to it.`);
            navigate('#/boms');
          }
        } catch (e) {
          msg.error(e instanceof ApiError && e.code === 'user_not_found' ? 'No such person in your organisation.' : e);
        }
      });
    } },
    el('p', {}, me.role === 'administrator'
      ? 'The new owner gets full control of this BOM.'
      : 'The new owner gets full control of this BOM and you lose access to it, including any share.'),
    picker.node, msg.node,
    el('div', { class: 'actions' }, submit, button('Cancel', () => close(false), { class: 'secondary' })));
  });
}

async function deleteDialog(ctx, bom) {
  const ok = await confirmDialog('Delete BOM', `“${bom.name}” and its ${plural(bom.items, 'item')} will be deleted for good. You have a few seconds to undo; after that it cannot be brought back.`, 'Delete for good');
  if (!ok) return;
  const here = location.hash;
  undoable(`“${bom.name}” will be deleted.`, () => api('DELETE', `/boms/${encodeURIComponent(bom.id)}`), {
    done: () => {
      announce(`“${bom.name}” was deleted.`);
      if (location.hash === here) ctx.navigate('#/boms');
      else if (location.hash.startsWith('#/boms')) ctx.route();
    },
  });
}
