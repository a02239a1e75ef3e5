// BOM pages: the list with search, where-used, and one BOM (tree, flattened, compare) with its
// files (thumbnail, drawings, models), rename / share / transfer / delete dialogs and export links.
import { api, ApiError, qs, upload } from './api.js';
import {
  el, field, select, messageArea, table, fmtTime, fmtBytes, shortId, pageHeading, button, busy,
  openDialog, confirmDialog, announce, describeError, loading, fill, uid,
} from './dom.js';

const PAGE = 50;

function canCreate(me) { return me.role !== 'viewer' && !me.read_only; }
function canEdit(me, b) { return me.role !== 'viewer' && !me.read_only && ['owner', 'edit', 'administrator'].includes(b.my_access); }
function canShare(me, b) { return me.role !== 'viewer' && !me.read_only && ['owner', 'administrator'].includes(b.my_access); }
function canTransfer(me, b) { return !me.read_only && ['owner', 'administrator'].includes(b.my_access); }

const ACCESS_TEXT = { owner: 'Owner', edit: 'Can edit', view: 'Can view', administrator: 'Administrator' };

// Administrators may list the org's users; everyone else sees ids (and "you").
async function directory(me) {
  const map = new Map();
  if (me.role === 'administrator') {
    try {
      const r = await api('GET', '/users');
      for (const u of r.users) map.set(u.id, u);
    } catch { /* the page still works with ids */ }
  }
  return map;
}

function who(id, me, users) {
  if (id === me.id) return 'you';
  const u = users.get(id);
  return u ? u.email : shortId(id);
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
      { label: 'Items', className: 'num', render: (b) => String(b.items) },
      { label: 'Your access', render: (b) => ACCESS_TEXT[b.my_access] || b.my_access },
      { label: 'Owner', render: (b) => el('span', { title: b.owner_id }, who(b.owner_id, me, users)) },
      { label: 'Updated', render: (b) => fmtTime(b.updated_at) },
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
    directory(me),
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
    pageHeading('BOMs', canCreate(me) ? el('a', { class: 'button', href: '#/import' }, 'Import CSV/XLSX') : null),
    el('section', { class: 'card' }, form),
    el('section', { class: 'card', 'aria-label': 'Results' },
      boms.length === 0 ? null : el('p', { class: 'muted', role: 'status' }, filtered ? `${boms.length}${more ? '+' : ''} matching BOM${boms.length === 1 ? '' : 's'}` : `${boms.length}${more ? '+' : ''} BOM${boms.length === 1 ? '' : 's'}`),
      bomTable(boms, me, users, empty), pager));
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
  const [r, users] = await Promise.all([api('GET', '/where-used' + qs({ part_number: part })), directory(me)]);
  fill(results, 
    r.boms.length ? el('p', { role: 'status' }, `${r.boms.length} BOM${r.boms.length === 1 ? ' uses' : 's use'} `, el('code', {}, part), '.') : null,
    bomTable(r.boms, me, users, `No BOM you can see uses ${part}.`));
}

// ---------------------------------------------------------------------------------------------
// One BOM

export async function bomPage(ctx, view) {
  const { root, me, params } = ctx;
  const id = params.id;
  const [bom, users] = await Promise.all([api('GET', `/boms/${encodeURIComponent(id)}`), directory(me)]);
  const enc = encodeURIComponent(id);
  const title = el('span', {}, bom.name);
  const heading = el('h1', { tabindex: '-1' }, title);

  const actions = el('div', { class: 'toolbar', role: 'group', 'aria-label': 'BOM actions' },
    el('a', { class: 'button secondary', href: `/api/v1/boms/${enc}/export?format=csv`, download: `${bom.name}.csv` }, 'Export CSV'),
    el('a', { class: 'button secondary', href: `/api/v1/boms/${enc}/export?format=json`, download: `${bom.name}.json` }, 'Export JSON'),
    canEdit(me, bom) ? button('Rename…', () => renameDialog(bom, title), { class: 'secondary' }) : null,
    button(canShare(me, bom) ? 'Sharing…' : 'Who has access', () => shareDialog(ctx, bom, users), { class: 'secondary' }),
    canTransfer(me, bom) ? button('Transfer…', () => transferDialog(ctx, bom, users), { class: 'secondary' }) : null,
    canShare(me, bom) ? button('Delete…', () => deleteDialog(ctx, bom), { class: 'danger' }) : null);

  const source = bom.metadata && typeof bom.metadata.source === 'string' ? bom.metadata.source : '';
  const meta = el('dl', { class: 'meta' },
    el('div', {}, el('dt', {}, 'Items'), el('dd', {}, String(bom.items))),
    el('div', {}, el('dt', {}, 'Owner'), el('dd', { title: bom.owner_id }, who(bom.owner_id, me, users))),
    el('div', {}, el('dt', {}, 'Your access'), el('dd', {}, ACCESS_TEXT[bom.my_access] || bom.my_access)),
    el('div', {}, el('dt', {}, 'Updated'), el('dd', {}, fmtTime(bom.updated_at))),
    source ? el('div', {}, el('dt', {}, 'Source'), el('dd', {}, source)) : null);

  const tabs = el('nav', { class: 'tabs', 'aria-label': 'BOM views' },
    [['tree', `#/boms/${enc}`, 'Tree'], ['flat', `#/boms/${enc}/flat`, 'Flattened'], ['compare', `#/boms/${enc}/compare`, 'Compare']]
      .map(([key, href, label]) => el('a', { href, 'aria-current': key === view ? 'page' : null }, label)));
  const body = el('section', { class: 'card', 'aria-label': 'BOM content' }, loading());
  const files = filesCard(ctx, bom, users);

  fill(root, 
    el('div', { class: 'page-head' }, heading),
    el('p', {}, el('a', { href: '#/boms' }, '← All BOMs')),
    el('section', { class: 'card' }, meta, actions),
    files.node, tabs, body);

  files.refresh();
  if (view === 'tree') await renderTree(body, id);
  else if (view === 'flat') await renderFlat(body, id);
  else await renderCompare(ctx, body, bom);
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

function propsText(p) {
  return Object.entries(p || {}).map(([k, v]) => `${k}: ${v}`).join('; ');
}

async function renderTree(body, id) {
  const r = await api('GET', `/boms/${encodeURIComponent(id)}/items`);
  const items = r.items;
  if (!items.length) { fill(body, el('p', { class: 'empty' }, 'This BOM has no items.')); return; }
  const byRef = new Set(items.map((it) => it.ref));
  const kids = new Map();
  const roots = [];
  items.forEach((it, i) => {
    if (it.parent && byRef.has(it.parent) && it.parent !== it.ref) {
      if (!kids.has(it.parent)) kids.set(it.parent, []);
      kids.get(it.parent).push(i);
    } else {
      roots.push(i);
    }
  });
  // Columns after the part number; optional ones only when some item fills them.
  const cols = [
    { label: 'Find no.', className: 'num', value: (it) => it.find_number, optional: true },
    { label: 'Description', value: (it) => it.description },
    { label: 'Qty', className: 'num', value: (it) => String(it.quantity) },
    { label: 'Unit', value: (it) => it.unit, optional: true },
    { label: 'Ref. des.', className: 'refdes', value: (it) => it.refdes, optional: true },
    { label: 'Properties', className: 'props', value: (it) => propsText(it.properties), optional: true },
  ].filter((c) => !c.optional || items.some((it) => c.value(it)));
  const nodes = new Map();  // index -> { row, toggle, expanded, rendered, level }
  const tbody = el('tbody');

  function makeRow(i, level) {
    const it = items[i];
    const children = kids.get(it.ref) || [];
    const node = { row: null, toggle: null, expanded: false, rendered: false, level, children };
    const label = it.part_number || it.ref;
    if (children.length) {
      node.toggle = el('button', {
        type: 'button', class: 'tree-toggle', 'aria-expanded': 'false', 'aria-label': `${label}: show ${children.length} sub-item${children.length === 1 ? '' : 's'}`,
        onclick: () => (node.expanded ? collapse(i) : expand(i)),
        onkeydown: (ev) => {
          if (ev.key === 'ArrowRight' && !node.expanded) { ev.preventDefault(); expand(i); }
          if (ev.key === 'ArrowLeft' && node.expanded) { ev.preventDefault(); collapse(i); }
        },
      }, el('span', { class: 'chev', 'aria-hidden': 'true' }));
    }
    const first = el('div', { class: 'tree-cell', style: { paddingLeft: `${level * 1.25}rem` } },
      node.toggle || el('span', { class: 'tree-leaf', 'aria-hidden': 'true' }),
      el('span', { class: 'pn' }, it.part_number));
    node.row = el('tr', { 'data-ref': it.ref, 'data-level': String(level) },
      el('td', {}, first), cols.map((c) => el('td', { class: c.className || null }, c.value(it))));
    nodes.set(i, node);
    return node.row;
  }

  function setShown(i, shown) {
    const node = nodes.get(i);
    for (const c of node.children) {
      const cn = nodes.get(c);
      if (!cn) continue;
      cn.row.hidden = !shown;
      if (cn.expanded) setShown(c, shown);
    }
  }
  function expand(i, deep = false) {
    const node = nodes.get(i);
    if (!node.children.length) return;
    if (!node.rendered) {
      node.row.after(...node.children.map((c) => makeRow(c, node.level + 1)));
      node.rendered = true;
    }
    node.expanded = true;
    node.toggle.setAttribute('aria-expanded', 'true');
    node.toggle.setAttribute('aria-label', node.toggle.getAttribute('aria-label').replace(': show', ': hide'));
    setShown(i, true);
    if (deep) for (const c of node.children) expand(c, true);
  }
  function collapse(i) {
    const node = nodes.get(i);
    if (!node.children.length) return;
    node.expanded = false;
    node.toggle.setAttribute('aria-expanded', 'false');
    node.toggle.setAttribute('aria-label', node.toggle.getAttribute('aria-label').replace(': hide', ': show'));
    setShown(i, false);
  }

  tbody.append(...roots.map((i) => makeRow(i, 0)));
  const deep = items.length <= 500;
  for (const i of roots) expand(i, deep);

  let depth = 0;
  const levelOf = new Map();
  const walk = (i, d) => { levelOf.set(i, d); depth = Math.max(depth, d + 1); for (const c of kids.get(items[i].ref) || []) if (!levelOf.has(c)) walk(c, d + 1); };
  roots.forEach((i) => walk(i, 0));

  fill(body, 
    el('div', { class: 'toolbar' },
      el('p', { class: 'muted' }, `${items.length} item${items.length === 1 ? '' : 's'}, ${depth} level${depth === 1 ? '' : 's'} deep.`),
      button('Expand all', () => roots.forEach((i) => expand(i, true)), { class: 'secondary' }),
      button('Collapse all', () => roots.forEach((i) => collapse(i)), { class: 'secondary' })),
    el('div', { class: 'table-wrap' },
      el('table', { class: 'tree', 'aria-label': 'Indented BOM' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Part number'),
          cols.map((c) => el('th', { scope: 'col', class: c.className === 'num' ? 'num' : null }, c.label)))),
        tbody)));
}

async function renderFlat(body, id) {
  const r = await api('GET', `/boms/${encodeURIComponent(id)}/flat`);
  fill(body, 
    el('p', { class: 'muted' }, `Total quantity of each part number, multiplied through the levels: ${r.rows.length} part number${r.rows.length === 1 ? '' : 's'}.`),
    table({
      className: 'flat',
      empty: 'This BOM has no items.',
      columns: [
        { label: 'Part number', render: (x) => el('span', { class: 'pn' }, x.part_number) },
        { label: 'Description', render: (x) => x.description },
        { label: 'Total qty', className: 'num', render: (x) => String(x.total_quantity) },
        { label: 'Unit', render: (x) => x.unit },
        { label: 'Occurrences', className: 'num', render: (x) => String(x.occurrences) },
      ],
      rows: r.rows,
    }));
}

async function renderCompare(ctx, body, bom) {
  const { query, navigate } = ctx;
  const other = query.get('with') || '';
  const list = await api('GET', '/boms' + qs({ limit: 1000 }));
  const candidates = list.boms.filter((b) => b.id !== bom.id);
  if (!candidates.length) {
    fill(body, el('p', { class: 'empty' }, 'There is no other BOM you can see to compare this one with.'));
    return;
  }
  const pick = select([['', 'Choose a BOM…'], ...candidates.map((b) => [b.id, `${b.name} (${b.items} items)`])], { name: 'with', required: true });
  pick.value = other;
  const msg = messageArea();
  const form = el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    if (!pick.value) { msg.error('Choose the BOM to compare with.'); pick.focus(); return; }
    navigate(`#/boms/${encodeURIComponent(bom.id)}/compare` + qs({ with: pick.value }));
  } }, wideField(field('Compare with', pick, `Shows what turns "${bom.name}" into the chosen BOM.`)),
  el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Compare')));
  const out = el('div', { 'aria-live': 'polite' });
  fill(body, form, msg.node, out);
  if (!other) return;
  out.append(loading('Comparing…'));
  let r;
  try {
    r = await api('GET', `/boms/${encodeURIComponent(bom.id)}/compare/${encodeURIComponent(other)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) { out.replaceChildren(); msg.error('That BOM does not exist or you cannot see it.'); return; }
    throw e;
  }
  const otherName = (candidates.find((b) => b.id === other) || {}).name || other;
  const itemCols = [
    { label: 'Part number', render: (x) => el('span', { class: 'pn' }, x.part_number) },
    { label: 'Description', render: (x) => x.description },
    { label: 'Qty', className: 'num', render: (x) => String(x.quantity) },
    { label: 'Unit', render: (x) => x.unit },
    { label: 'Ref', render: (x) => x.ref },
    { label: 'Parent', render: (x) => x.parent || '—' },
  ];
  const total = r.added.length + r.removed.length + r.changed.length;
  fill(out, 
    el('p', { role: 'status', class: total ? null : 'ok' }, total
      ? `From "${bom.name}" to "${otherName}": ${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed.`
      : `"${bom.name}" and "${otherName}" have the same items.`),
    total ? el('div', {},
      el('h2', {}, `Added (${r.added.length})`), table({ className: 'diff added', columns: itemCols, rows: r.added, empty: 'Nothing added.' }),
      el('h2', {}, `Removed (${r.removed.length})`), table({ className: 'diff removed', columns: itemCols, rows: r.removed, empty: 'Nothing removed.' }),
      el('h2', {}, `Changed (${r.changed.length})`), table({
        className: 'diff changed', empty: 'Nothing changed.', rows: r.changed,
        columns: [
          { label: 'Item', render: (x) => x.key },
          { label: 'Field', render: (x) => x.field },
          { label: 'Before', render: (x) => el('del', {}, x.before) },
          { label: 'After', render: (x) => el('ins', {}, x.after) },
        ],
      })) : null);
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

// A user chooser: a list for Administrators, a pasted user id for everyone else.
function userPicker(me, users, exclude, label) {
  const candidates = [...users.values()].filter((u) => !exclude.has(u.id) && !u.disabled);
  if (me.role === 'administrator' && users.size) {
    const s = select([['', 'Choose a user…'], ...candidates.map((u) => [u.id, `${u.email} (${u.role})`])], { name: 'user_id', required: true });
    return { node: field(label, s), value: () => s.value, control: s };
  }
  const input = el('input', { type: 'text', name: 'user_id', required: true, spellcheck: 'false', autocomplete: 'off', class: 'mono' });
  return {
    node: field(label, input, 'Paste their user id: each person finds theirs on their Account page.'),
    value: () => input.value.trim(),
    control: input,
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
              { label: 'User', render: (s) => (users.has(s.user_id) || s.user_id === me.id
                ? el('span', { title: s.user_id }, who(s.user_id, me, users))
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
      const ok = await confirmDialog('Revoke access', `${name} will lose access to “${bom.name}” on their next request.`, 'Revoke access');
      if (!ok) return;
      msg.clear();
      try {
        await api('DELETE', `/boms/${enc}/shares/${encodeURIComponent(s.user_id)}`);
        msg.ok(`Access for ${name} was revoked.`);
        await refresh();
      } catch (e) { msg.error(e); }
    }
    let form = null;
    if (mayShare) {
      const picker = userPicker(me, users, new Set([bom.owner_id]), 'Share with');
      const access = select([['view', 'Can view'], ['edit', 'Can edit']], { name: 'access' });
      const submit = el('button', { type: 'submit' }, 'Share');
      form = el('form', { class: 'stack', onsubmit: async (ev) => {
        ev.preventDefault();
        msg.clear();
        const uid = picker.value();
        if (!uid) { msg.error('Choose who to share with.'); picker.control.focus(); return; }
        await busy(submit, async () => {
          try {
            await api('POST', `/boms/${enc}/shares`, { user_id: uid, access: access.value });
            msg.ok(`Shared with ${users.has(uid) ? users.get(uid).email : uid} (${ACCESS_TEXT[access.value].toLowerCase()}).`);
            if (picker.control.tagName === 'INPUT') picker.control.value = '';
            await refresh();
          } catch (e) {
            msg.error(e instanceof ApiError && e.code === 'user_not_found' ? 'No such user in your organisation: check the user id.' : e);
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
      const uid = picker.value();
      if (!uid) { msg.error('Choose the new owner.'); picker.control.focus(); return; }
      await busy(submit, async () => {
        try {
          await api('POST', `/boms/${encodeURIComponent(bom.id)}/transfer`, { user_id: uid });
          close(true);
          if (me.role === 'administrator') { announce(`“${bom.name}” now belongs to ${who(uid, me, users)}.`); ctx.route(); } else {
            announce(`“${bom.name}” was transferred; you no longer have access to it.`);
            navigate('#/boms');
          }
        } catch (e) {
          msg.error(e instanceof ApiError && e.code === 'user_not_found' ? 'No such user in your organisation: check the user id.' : e);
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
  const ok = await confirmDialog('Delete BOM', `“${bom.name}” and its ${bom.items} items will be deleted for good. This cannot be undone.`, 'Delete for good');
  if (!ok) return;
  try {
    await api('DELETE', `/boms/${encodeURIComponent(bom.id)}`);
    announce(`“${bom.name}” was deleted.`);
    ctx.navigate('#/boms');
  } catch (e) { announce(describeError(e), 'error'); }
}
