// Virtualised views of big BOMs: only the rows in (or near) the viewport are in the page, so a
// 50,000-item BOM opens, expands fully and scrolls without long main-thread tasks.
//
// bomTree() is the indented BOM: a tree (role=tree, treeitems with aria-level, aria-expanded,
// aria-setsize/posinset) with one tab stop; the focused row is tracked with aria-activedescendant
// and moved with the arrow keys (↑/↓ rows, → open / first child, ← close / parent, Home/End,
// PageUp/PageDown, Enter/Space toggle). Its tools: sticky column headers that sort (siblings are
// sorted, the structure stays), a filter per column (matches and the path to them stay shown),
// search that opens the tree to each match, a column chooser (properties such as MPN and
// manufacturer become real columns), expand to level N, and an export of the current view.
// virtualTable() is the flat variant (role=table with aria-rowcount/aria-rowindex) used by the
// flattened and compare views.
//
// The model is arrays indexed by item (parent, level, children); a visible list (Int32Array) is
// rebuilt in one pass after each expand/collapse/filter/sort. Rendering draws the window only.
import { el, fill, uid, fmtNum, downloadText, fileName, announce } from './dom.js';

const OVERSCAN = 8;
const phoneQuery = window.matchMedia('(max-width: 700px)');

// Row heights in px, matching style.css (.vrow, and tree rows as cards at phone width).
function rowHeight(box) { return phoneQuery.matches && box && box.classList.contains('tree-scroll') ? 58 : 34; }

// ---------------------------------------------------------------------------------------------
// Columns

function manufacturerOf(it) {
  if (Array.isArray(it.manufacturers) && it.manufacturers.length) return it.manufacturers.map((m) => m.name).filter(Boolean).join('; ');
  const p = it.properties || {};
  return p.manufacturer || p.Manufacturer || p.mfr || '';
}
function mpnOf(it) {
  if (Array.isArray(it.manufacturers) && it.manufacturers.length) return it.manufacturers.map((m) => m.mpn).filter(Boolean).join('; ');
  const p = it.properties || {};
  return p.mpn || p.MPN || p.mfr_pn || p.manufacturer_pn || p.mfr_part_number || '';
}
const PROMOTED = new Set(['manufacturer', 'Manufacturer', 'mfr', 'mpn', 'MPN', 'mfr_pn', 'manufacturer_pn', 'mfr_part_number']);

// Every column this BOM can show; `auto` ones only when some item fills them.
export function bomColumns(items) {
  const cols = [
    { key: 'find_number', label: 'Find no.', num: true, min: 5, fr: 0, value: (it) => it.find_number || '' },
    { key: 'description', label: 'Description', min: 14, fr: 3, value: (it) => it.description || '' },
    { key: 'quantity', label: 'Qty', num: true, min: 5.5, fr: 0, value: (it) => String(it.quantity ?? '') },
    { key: 'unit', label: 'Unit', min: 4, fr: 0, value: (it) => it.unit || '' },
    { key: 'refdes', label: 'Ref. des.', min: 8, fr: 1, value: (it) => it.refdes || '' },
    { key: 'manufacturer', label: 'Manufacturer', min: 9, fr: 1, value: manufacturerOf },
    { key: 'mpn', label: 'MPN', min: 9, fr: 1, value: mpnOf },
  ];
  const keys = new Set();
  const step = Math.max(1, Math.floor(items.length / 5000));  // a sample is enough for big BOMs
  for (let i = 0; i < items.length; i += step) for (const k of Object.keys(items[i].properties || {})) keys.add(k);
  for (const k of [...keys].sort()) {
    if (PROMOTED.has(k)) continue;
    cols.push({ key: `prop:${k}`, label: k, min: 8, fr: 1, prop: true, value: (it) => { const v = (it.properties || {})[k]; return v === undefined || v === null ? '' : String(v); } });
  }
  const filled = (c) => { for (let i = 0; i < items.length; i += step) if (c.value(items[i])) return true; return false; };
  return cols.filter((c) => c.key === 'description' || c.key === 'quantity' || filled(c));
}

const PN_COL = { key: 'part_number', label: 'Part number', min: 13, fr: 2, value: (it) => it.part_number || it.ref || '' };

function loadChosen(all) {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem('bomvault.columns') || 'null'); } catch { saved = null; }
  const props = all.filter((c) => c.prop);
  return new Set(all.filter((c) => (saved && saved.includes(c.key)) || (!saved && (!c.prop || props.length <= 3))).map((c) => c.key));
}
function saveChosen(chosen) {
  try { localStorage.setItem('bomvault.columns', JSON.stringify([...chosen])); } catch { /* private mode */ }
}

function template(cols) {
  return cols.map((c) => (c.fr ? `minmax(${c.min}rem, ${c.fr}fr)` : `${c.min}rem`)).join(' ');
}
function minWidth(cols) { return cols.reduce((a, c) => a + c.min, 0) + 1; }

// RFC 4180 cells; a leading = + - @ is neutralised so spreadsheets never run it as a formula.
function csvCell(v) {
  let s = String(v ?? '');
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
export function csvText(header, rows) {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// The windowing core: a scroll box with a sticky header and a tall body; draw(first, last) is
// called with the rows to show whenever the window moves.

function windowed({ scroller, body, count, draw }) {
  let n = count;
  let frame = 0;
  let last = [-1, -1];
  const h = () => rowHeight(scroller);
  function paint(force) {
    frame = 0;
    const rh = h();
    const top = Math.max(0, scroller.scrollTop - body.offsetTop);
    const first = Math.max(0, Math.floor(top / rh) - OVERSCAN);
    const lastRow = Math.min(n, Math.ceil((top + scroller.clientHeight) / rh) + OVERSCAN);
    if (!force && first === last[0] && lastRow === last[1]) return;
    last = [first, lastRow];
    draw(first, lastRow, rh);
  }
  const schedule = () => { if (!frame) frame = requestAnimationFrame(() => paint(false)); };
  scroller.addEventListener('scroll', schedule, { passive: true });
  const onMedia = () => { body.style.height = `${n * h()}px`; paint(true); };
  phoneQuery.addEventListener('change', onMedia);
  // The box gets its size only once it is in the page (and again on resizes).
  const resize = new ResizeObserver(() => paint(false));
  resize.observe(scroller);
  return {
    setCount(c) { n = c; body.style.height = `${n * h()}px`; paint(true); },
    refresh() { paint(true); },
    // Scrolls the least needed to show row r.
    reveal(r) {
      const rh = h();
      const head = body.offsetTop;
      const y = head + r * rh;
      const viewTop = scroller.scrollTop + head;
      if (y < viewTop) scroller.scrollTop = y - head;
      else if (y + rh > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = y + rh - scroller.clientHeight;
      paint(true);
    },
    pageRows() { return Math.max(1, Math.floor((scroller.clientHeight - body.offsetTop) / h()) - 1); },
    dispose() { phoneQuery.removeEventListener('change', onMedia); resize.disconnect(); },
  };
}

// ---------------------------------------------------------------------------------------------
// The indented BOM

export function bomTree({ items, structure, bomName, onStatus }) {
  const n = items.length;
  const { parent, level, order } = structure;
  const kids = new Array(n);
  const roots = [];
  for (let j = 0; j < n; j += 1) {
    const i = order[j];
    const p = parent[i];
    if (p >= 0) (kids[p] || (kids[p] = [])).push(i); else roots.push(i);
  }
  let depth = 0;
  for (let i = 0; i < n; i += 1) if (level[i] + 1 > depth) depth = level[i] + 1;
  // Position among siblings, for aria-posinset/setsize.
  const posIn = new Int32Array(n);
  roots.forEach((r, j) => { posIn[r] = j; });
  for (let i = 0; i < n; i += 1) if (kids[i]) kids[i].forEach((c, j) => { posIn[c] = j; });

  const all = bomColumns(items);
  const chosen = loadChosen(all);
  let cols = [];
  const expanded = new Uint8Array(n);
  const shown = new Uint8Array(n).fill(1);  // filters: item or a descendant matches
  const matchF = new Uint8Array(n).fill(1);
  let filtering = false;
  const filters = new Map();  // key -> lower-case text
  let sort = null;  // { key, dir }
  let visible = new Int32Array(n);
  let count = 0;
  let active = -1;  // item index
  let hits = [];  // search matches (item indices, DFS order)
  let hit = -1;
  let searchText = '';

  const treeId = uid('tree');
  const rows = el('div', { class: 'vrows' });
  const body = el('div', { class: 'vbody', role: 'tree', id: treeId, tabindex: '0', 'aria-label': `Indented BOM of ${bomName}`, 'aria-multiselectable': 'false' }, rows);
  const head = el('div', { class: 'vhead' });
  const inner = el('div', { class: 'vinner' }, head, body);
  const scroller = el('div', { class: 'vscroll tree-scroll' }, inner);
  const win = windowed({ scroller, body, count: 0, draw });

  function applyColumns() {
    cols = [PN_COL, ...all.filter((c) => chosen.has(c.key))];
    for (const c of cols) c.cls = `vcell${c.num ? ' num' : ''} c-${c.key.replace(/[^a-z_]/gi, '')}`;
    inner.style.setProperty('--cols', template(cols));
    inner.style.minWidth = `${minWidth(cols)}rem`;
    drawHead();
    win.refresh();
  }

  // ---- visible list ----
  function rebuild() {
    count = 0;
    const st = [];
    for (let j = sortedRoots.length - 1; j >= 0; j -= 1) st.push(sortedRoots[j]);
    while (st.length) {
      const i = st.pop();
      if (!shown[i]) continue;
      visible[count++] = i;
      if (expanded[i] && kids[i]) {
        const k = sortedKids(i);
        for (let j = k.length - 1; j >= 0; j -= 1) st.push(k[j]);
      }
    }
    win.setCount(count);
    status();
  }
  let sortedRoots = roots;
  const sortedCache = new Map();
  function sortedKids(i) {
    if (!sort) return kids[i];
    let s = sortedCache.get(i);
    if (!s) { s = kids[i].slice().sort(cmp); sortedCache.set(i, s); }
    return s;
  }
  let cmp = null;
  function applySort() {
    sortedCache.clear();
    if (!sort) { sortedRoots = roots; cmp = null; } else {
      const col = [PN_COL, ...all].find((c) => c.key === sort.key);
      const num = col.num;
      const keyOf = new Array(n);
      for (let i = 0; i < n; i += 1) { const v = col.value(items[i]); keyOf[i] = num ? (v === '' ? NaN : Number(v)) : v.toLowerCase(); }
      const dir = sort.dir === 'asc' ? 1 : -1;
      cmp = (a, b) => {
        const x = keyOf[a]; const y = keyOf[b];
        if (num) {
          if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) - Number.isNaN(y);
          return (x - y) * dir || a - b;
        }
        return (x < y ? -1 : x > y ? 1 : 0) * dir || a - b;
      };
      sortedRoots = roots.slice().sort(cmp);
    }
    rebuild();
  }
  function applyFilters() {
    filtering = [...filters.values()].some(Boolean);
    if (!filtering) { shown.fill(1); matchF.fill(1); rebuild(); return; }
    const checks = [...filters.entries()].filter(([, v]) => v).map(([k, v]) => [[PN_COL, ...all].find((c) => c.key === k), v]);
    shown.fill(0);
    for (let i = 0; i < n; i += 1) {
      const it = items[i];
      let ok = 1;
      for (const [c, v] of checks) if (!c.value(it).toLowerCase().includes(v)) { ok = 0; break; }
      matchF[i] = ok;
    }
    // Bottom-up over the DFS order: a node is shown when it or a descendant matches, and the
    // path to every match opens.
    for (let j = n - 1; j >= 0; j -= 1) {
      const i = order[j];
      if (matchF[i]) shown[i] = 1;
      if (shown[i] && parent[i] >= 0) { shown[parent[i]] = 1; expanded[parent[i]] = 1; }
    }
    rebuild();
  }

  function expandTo(lv) {
    for (let i = 0; i < n; i += 1) expanded[i] = kids[i] && level[i] < lv ? 1 : 0;
    rebuild();
  }
  function toggle(i, open = !expanded[i]) {
    if (!kids[i]) return;
    expanded[i] = open ? 1 : 0;
    rebuild();
  }
  function openPathTo(i) {
    for (let p = parent[i]; p >= 0; p = parent[p]) expanded[p] = 1;
  }

  // ---- drawing ----
  // Plain DOM calls: this runs for every frame that scrolls.
  function span(cls, text) {
    const e = document.createElement('span');
    e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function draw(first, last, rh) {
    const frag = document.createDocumentFragment();
    for (let r = first; r < last; r += 1) {
      const i = visible[r];
      const it = items[i];
      const has = kids[i] !== undefined;
      const lv = level[i];
      const row = document.createElement('div');
      row.className = `vrow${i === active ? ' active' : ''}${filtering && !matchF[i] ? ' context' : ''}${searchText && hits[hit] === i ? ' hit' : ''}`;
      row.setAttribute('role', 'treeitem');
      row.id = `${treeId}-${i}`;
      row.setAttribute('aria-level', String(lv + 1));
      row.setAttribute('aria-setsize', String(parent[i] >= 0 ? kids[parent[i]].length : roots.length));
      row.setAttribute('aria-posinset', String(posIn[i] + 1));
      if (has) row.setAttribute('aria-expanded', expanded[i] ? 'true' : 'false');
      row.setAttribute('aria-selected', i === active ? 'true' : 'false');
      row.dataset.i = String(i);
      row.dataset.level = String(lv);
      row.style.top = `${r * rh}px`;
      const pn = span('vcell pn-cell');
      pn.style.paddingLeft = `${0.3 + Math.min(lv, 30) * 1.1}rem`;
      if (has) {
        const box = span('chev-box');
        box.dataset.toggle = '1';
        box.setAttribute('aria-hidden', 'true');
        box.append(span('chev'));
        pn.append(box);
      } else {
        const leaf = span('tree-leaf');
        leaf.setAttribute('aria-hidden', 'true');
        pn.append(leaf);
      }
      pn.append(span('pn', PN_COL.value(it)));
      row.append(pn);
      for (let c = 1; c < cols.length; c += 1) row.append(span(cols[c].cls, cols[c].value(it)));
      frag.append(row);
    }
    rows.replaceChildren(frag);
    if (active >= 0 && rows.querySelector(`[data-i="${active}"]`)) body.setAttribute('aria-activedescendant', `${treeId}-${active}`);
    else body.removeAttribute('aria-activedescendant');
  }

  function drawHead() {
    fill(head, cols.map((c) => {
      const sorted = sort && sort.key === c.key ? sort.dir : null;
      const input = el('input', { type: 'search', class: 'vfilter', value: filters.get(c.key) || '', 'aria-label': `Filter ${c.label}`, placeholder: 'Filter', autocomplete: 'off', spellcheck: 'false', 'data-key': c.key });
      let t = 0;
      input.addEventListener('input', () => {
        clearTimeout(t);
        t = setTimeout(() => { filters.set(c.key, input.value.trim().toLowerCase()); applyFilters(); }, 150);
      });
      return el('div', { class: `vth${c.num ? ' num' : ''}` },
        el('button', { type: 'button', class: 'sort', 'data-key': c.key, onclick: () => {
          sort = !sorted ? { key: c.key, dir: 'asc' } : sorted === 'asc' ? { key: c.key, dir: 'desc' } : null;
          drawHead();
          applySort();
          head.querySelector(`button[data-key="${CSS.escape(c.key)}"]`).focus();
        } }, c.label, el('span', { class: 'sort-mark', 'aria-hidden': 'true' }, sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''),
        el('span', { class: 'sr-only' }, sorted ? `, sorted ${sorted === 'asc' ? 'ascending' : 'descending'}` : ', sort')),
        input);
    }));
  }

  // ---- focus and keys ----
  function setActive(i, { reveal = true } = {}) {
    active = i;
    const r = rowOf(i);
    if (reveal && r >= 0) win.reveal(r); else win.refresh();
  }
  function rowOf(i) {
    for (let r = 0; r < count; r += 1) if (visible[r] === i) return r;
    return -1;
  }
  // Marks the active row in place. Focus and clicks must not redraw the rows: a row replaced
  // between mousedown and mouseup would swallow the click.
  function markActive() {
    for (const r of rows.children) {
      const on = Number(r.dataset.i) === active;
      r.classList.toggle('active', on);
      r.setAttribute('aria-selected', on ? 'true' : 'false');
    }
    if (active >= 0 && rows.querySelector(`[data-i="${active}"]`)) body.setAttribute('aria-activedescendant', `${treeId}-${active}`);
    else body.removeAttribute('aria-activedescendant');
  }
  body.addEventListener('focus', () => {
    if (active < 0 && count) {
      const first = Math.min(count - 1, Math.max(0, Math.ceil((scroller.scrollTop - body.offsetTop) / rowHeight(scroller))));
      active = visible[first];
    }
    markActive();
  });
  body.addEventListener('keydown', (ev) => {
    if (!count) return;
    let r = active >= 0 ? rowOf(active) : -1;
    if (r < 0) r = 0;
    const i = visible[r];
    const go = (row) => { ev.preventDefault(); setActive(visible[Math.max(0, Math.min(count - 1, row))]); };
    switch (ev.key) {
      case 'ArrowDown': go(r + 1); break;
      case 'ArrowUp': go(r - 1); break;
      case 'Home': go(0); break;
      case 'End': go(count - 1); break;
      case 'PageDown': go(r + win.pageRows()); break;
      case 'PageUp': go(r - win.pageRows()); break;
      case 'ArrowRight':
        ev.preventDefault();
        if (kids[i] && !expanded[i]) { toggle(i, true); setActive(i); } else if (kids[i]) go(r + 1);
        break;
      case 'ArrowLeft':
        ev.preventDefault();
        if (kids[i] && expanded[i]) { toggle(i, false); setActive(i); } else if (parent[i] >= 0) setActive(parent[i]);
        break;
      case 'Enter': case ' ':
        ev.preventDefault();
        if (kids[i]) { toggle(i); setActive(i); }
        break;
      default:
    }
  });
  rows.addEventListener('click', (ev) => {
    const row = ev.target.closest('.vrow');
    if (!row) return;
    const i = Number(row.dataset.i);
    active = i;
    if (ev.target.closest('[data-toggle]')) toggle(i);
    body.focus({ preventScroll: true });
    markActive();
  });

  // ---- search ----
  function search(text) {
    searchText = text.trim().toLowerCase();
    hits = [];
    hit = -1;
    if (searchText) {
      const fields = [PN_COL, ...all.filter((c) => ['description', 'refdes', 'mpn', 'manufacturer'].includes(c.key))];
      for (let j = 0; j < n; j += 1) {
        const i = order[j];
        const it = items[i];
        for (const c of fields) if (c.value(it).toLowerCase().includes(searchText)) { hits.push(i); break; }
      }
    }
    return hits.length;
  }
  function nextHit(step) {
    if (!hits.length) return -1;
    hit = (hit + step + hits.length) % hits.length;
    const i = hits[hit];
    if (!shown[i]) { filters.clear(); drawHead(); applyFilters(); }
    openPathTo(i);
    rebuild();
    setActive(i);
    return hit;
  }

  function status() {
    if (onStatus) onStatus({ count, total: n, filtering, depth });
  }

  // ---- export of the current view ----
  function exportView() {
    const header = ['Level', ...cols.map((c) => c.label)];
    const out = [];
    for (let r = 0; r < count; r += 1) {
      const it = items[visible[r]];
      out.push([String(level[visible[r]]), ...cols.map((c) => c.value(it))]);
    }
    downloadText(fileName(`${bomName} (view)`, 'csv'), csvText(header, out), 'text/csv');
    announce(`Exported ${fmtNum(out.length)} row${out.length === 1 ? '' : 's'} as shown.`);
  }

  // ---- column chooser ----
  function chooser() {
    const boxes = all.map((c) => {
      const id = uid('col');
      const box = el('input', { type: 'checkbox', id, checked: chosen.has(c.key) });
      box.addEventListener('change', () => {
        if (box.checked) chosen.add(c.key); else chosen.delete(c.key);
        saveChosen(chosen);
        applyColumns();
      });
      return el('div', { class: 'check' }, box, el('label', { for: id }, c.label));
    });
    return el('details', { class: 'columns-menu' }, el('summary', {}, 'Columns'), el('fieldset', {}, el('legend', {}, 'Show these columns'), boxes));
  }

  // Initial state: small BOMs open fully, big ones show the first level.
  if (n <= 500) expanded.fill(1); else roots.forEach((r) => { expanded[r] = 1; });
  applyColumns();
  rebuild();

  return {
    node: scroller,
    tree: body,
    depth,
    chooser,
    expandAll() { expandTo(depth); },
    collapseAll() { expandTo(0); },
    expandTo,
    search,
    nextHit,
    exportView,
    get count() { return count; },
    dispose() { win.dispose(); },
  };
}

// ---------------------------------------------------------------------------------------------
// A flat virtual table (role=table): columns [{ label, num?, min, fr, value(row) }].

export function virtualTable({ rows: data, columns, label, className }) {
  const rowsBox = el('div', { class: 'vrows', role: 'rowgroup' });
  const header = el('div', { class: 'vhead', role: 'rowgroup' }, el('div', { class: 'vrow-head', role: 'row' },
    columns.map((c) => el('div', { class: `vth${c.num ? ' num' : ''}`, role: 'columnheader' }, c.label))));
  const body = el('div', { class: 'vbody' }, rowsBox);
  const tbl = el('div', { class: `vinner vtable ${className || ''}`, role: 'table', 'aria-label': label, 'aria-rowcount': String(data.length + 1) }, header, body);
  tbl.style.setProperty('--cols', template(columns));
  tbl.style.minWidth = `${minWidth(columns)}rem`;
  // Focusable, so keyboard users can scroll it (the rows hold nothing else to focus).
  const scroller = el('div', { class: 'vscroll', tabindex: '0', role: 'group', 'aria-label': `${label} (scrolls)` }, tbl);
  const win = windowed({ scroller, body, count: data.length, draw(first, last, rh) {
    const out = [];
    for (let r = first; r < last; r += 1) {
      const x = data[r];
      const row = el('div', { class: `vrow ${x.className || ''}`, role: 'row', 'aria-rowindex': String(r + 2) },
        columns.map((c) => el('span', { class: `vcell${c.num ? ' num' : ''}`, role: 'cell', 'data-label': c.label }, c.value(x))));
      row.style.top = `${r * rh}px`;
      out.push(row);
    }
    rowsBox.replaceChildren(...out);
  } });
  win.setCount(data.length);
  return { node: scroller, dispose: () => win.dispose() };
}

