// Import a BOM from a CSV file or an Excel workbook (.xlsx): drag-and-drop or file picker, a
// client-side preview of a CSV's first rows (read the way the org's column mappings say), an
// upload with progress, and the server's per-line (per-row for XLSX) errors next to the preview.
// Workbooks get no preview: reading XLSX in the browser would need a zip and XML reader, and
// the server is the authority on what it accepts anyway.
import { api, upload, qs } from './api.js';
import { el, field, messageArea, pageHeading, busy, table, announce, describeError, fill, fmtBytes } from './dom.js';
import { previewCsv, normalizeColumn, mappingIndex, resolveColumn } from './csv.js';

const MAX_BYTES = 64 * 1024 * 1024;
const PREVIEW_ROWS = 10;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const NOTE_MAX = 8;  // mappings named in the note before "and N more"

// What the first bytes say: 'xlsx' (a zip container, as the server tells them apart), 'ole'
// (a legacy .xls or a password-protected workbook, which the server refuses) or 'text'.
async function sniff(f) {
  const b = new Uint8Array(await f.slice(0, 8).arrayBuffer());
  if (b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) return 'xlsx';
  if (b[0] === 0xd0 && b[1] === 0xcf && b[2] === 0x11 && b[3] === 0xe0) return 'ole';
  return 'text';
}

// 1 → A, 27 → AA: spreadsheet column letters for the problems table.
function columnLetter(n) {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

function mappingText(m) {
  if (m.ignore) return 'ignored';
  if (m.field) return `→ ${m.field}`;
  return `→ property ${m.property}`;
}

function mappingNote(mappings) {
  if (!mappings.length) return null;
  const shown = mappings.slice(0, NOTE_MAX);
  const parts = [];
  shown.forEach((m, i) => {
    if (i) parts.push(', ');
    parts.push(el('code', {}, m.column), ` ${mappingText(m)}`);
  });
  const rest = mappings.length - shown.length;
  return el('p', { class: 'muted mapping-note', 'data-testid': 'mapping-note' },
    'Your organisation maps these columns: ', parts, rest > 0 ? `, and ${rest} more` : '', '.');
}

export async function importPage({ root, navigate }) {
  let file = null;
  let format = 'text';  // of the chosen file: 'text' (CSV) or 'xlsx'
  let text = '';
  let mappings = [];
  try {
    mappings = (await api('GET', '/org/column-mappings')).mappings || [];
  } catch { /* the preview then uses the built-in column names only */ }
  const index = mappingIndex(mappings);

  const name = el('input', { type: 'text', name: 'name', required: true, maxlength: '200', autocomplete: 'off' });
  const source = el('input', { type: 'text', name: 'source', maxlength: '200', autocomplete: 'off' });
  const picker = el('input', {
    type: 'file', id: 'csv-file', name: 'file', class: 'file-input', 'aria-describedby': 'file-info',
    accept: `.csv,.xlsx,text/csv,text/plain,${XLSX_TYPE}`,
  });
  const fileInfo = el('p', { class: 'muted', id: 'file-info', 'aria-live': 'polite' }, 'No file chosen.');
  const drop = el('div', { class: 'drop', 'data-testid': 'drop' },
    el('p', {}, el('strong', {}, 'Drag a CSV or Excel (.xlsx) file here'), ' or '),
    picker,
    el('label', { for: picker.id, class: 'button secondary' }, 'Choose a file…'),
    fileInfo);
  const preview = el('section', { class: 'card', 'aria-label': 'Preview', hidden: true });
  const problems = el('section', { class: 'card', 'aria-label': 'Problems', hidden: true });
  const msg = messageArea();
  const bar = el('progress', { max: '100', value: 0, 'aria-label': 'Upload progress' });
  const barText = el('span', { class: 'muted' });
  const progress = el('div', { class: 'upload-progress', hidden: true }, bar, barText);
  const submit = el('button', { type: 'submit' }, 'Import');

  function markLines(lines) {
    for (const tr of preview.querySelectorAll('tr[data-line]')) tr.classList.toggle('bad', lines.has(Number(tr.dataset.line)));
  }

  function showWorkbook(f) {
    preview.hidden = false;
    fill(preview,
      el('h2', {}, 'Preview'),
      el('p', {}, `Excel workbook — the server reads the first sheet of ${f.name}.`),
      el('p', { class: 'muted' }, 'Workbooks have no preview here. Problems are reported with their spreadsheet row and column.'));
  }

  function showPreview(p) {
    preview.hidden = false;
    if (p.error) {
      fill(preview, el('h2', {}, 'Preview'), el('p', { class: 'error' }, `This file cannot be read as CSV: ${p.error}.`));
      return;
    }
    if (!p.header) {
      fill(preview, el('h2', {}, 'Preview'), el('p', { class: 'error' }, 'The file is empty.'));
      return;
    }
    const cols = p.header.cells;
    const read = cols.map((c) => resolveColumn(c, index));
    const known = read.map((r) => r.field || '');
    const missing = ['part_number', 'quantity'].filter((f) => !known.includes(f));
    if (!known.includes('parent') && !known.includes('level')) missing.push('level or parent');
    const width = Math.max(cols.length, ...p.rows.map((r) => r.cells.length));
    const ignored = (i) => Boolean(read[i] && read[i].ignore);
    const headCells = [];
    for (let i = 0; i < width; i += 1) {
      // Tag mapped columns and aliases with what they stand for, the rest as properties.
      const r = read[i];
      let tag = null;
      if (r && cols[i]) {
        const by = r.mapped ? ' (your organisation’s column mapping)' : '';
        if (r.ignore) tag = el('span', { class: 'tag ignored', title: `left out${by}` }, 'ignored');
        else if (r.field && (r.mapped || normalizeColumn(cols[i]) !== r.field)) tag = el('span', { class: 'tag', title: `read as ${r.field}${by}` }, `→ ${r.field}`);
        else if (!r.field && r.mapped) tag = el('span', { class: 'tag prop', title: `kept as the property ${r.property}${by}` }, `property: ${r.property}`);
        else if (!r.field) tag = el('span', { class: 'tag prop', title: 'kept as a property' }, 'property');
      }
      headCells.push(el('th', { scope: 'col', class: ignored(i) ? 'ignored' : null }, cols[i] ?? '', tag));
    }
    fill(preview,
      el('h2', {}, 'Preview'),
      el('p', { class: 'muted' }, `${p.total} data row${p.total === 1 ? '' : 's'}, ${cols.length} column${cols.length === 1 ? '' : 's'}, separated by "${p.delimiter}". `,
        p.total > p.rows.length ? `Showing the first ${p.rows.length}.` : ''),
      missing.length ? el('p', { class: 'warn' }, `No column recognised for: ${missing.join(', ')}. The server will probably refuse this file.`) : null,
      el('div', { class: 'table-wrap', tabindex: '0', role: 'group', 'aria-label': 'Preview of the file (scrolls sideways)' }, el('table', { class: 'preview' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', class: 'num' }, 'Line'), headCells)),
        el('tbody', {}, p.rows.map((r) => {
          const tds = [];
          for (let i = 0; i < width; i += 1) tds.push(el('td', { class: ignored(i) ? 'ignored' : null }, r.cells[i] ?? ''));
          return el('tr', { 'data-line': String(r.line) }, el('td', { class: 'num muted' }, String(r.line)), tds);
        })))));
  }

  function refuse(text) {
    file = null;
    fileInfo.textContent = text;
    fileInfo.className = 'error';
    preview.hidden = true;
  }

  async function choose(f) {
    msg.clear();
    problems.hidden = true;
    if (!f) return;
    if (f.size > MAX_BYTES) { refuse(`${f.name} is ${(f.size / 1048576).toFixed(1)} MiB; the limit is 64 MiB.`); return; }
    const kind = await sniff(f);
    if (kind === 'ole') { refuse(`${f.name} is a legacy Excel (.xls) or password-protected workbook: save it as .xlsx (without a password) or as CSV.`); return; }
    file = f;
    format = kind;
    fileInfo.className = 'muted';
    fileInfo.textContent = `${f.name} (${fmtBytes(f.size)})`;
    if (!name.value.trim()) name.value = f.name.replace(/\.(csv|txt|xlsx)$/i, '');
    if (kind === 'xlsx') {
      text = '';
      showWorkbook(f);
    } else {
      text = await f.text();
      showPreview(previewCsv(text, PREVIEW_ROWS));
    }
  }

  picker.addEventListener('change', () => choose(picker.files[0]));
  drop.addEventListener('dragenter', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); ev.dataTransfer.dropEffect = 'copy'; drop.classList.add('over'); });
  drop.addEventListener('dragleave', (ev) => { if (!drop.contains(ev.relatedTarget)) drop.classList.remove('over'); });
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    const f = ev.dataTransfer.files && ev.dataTransfer.files[0];
    if (f) choose(f);
  });

  function showProblems(e) {
    const details = e.details || [];
    const workbook = format === 'xlsx';
    problems.hidden = false;
    const header = workbook ? [] : lastHeader();
    const columnText = (d) => {
      if (!d.column) return '—';
      if (workbook) return columnLetter(d.column);
      return header[d.column - 1] ? `${d.column} (${header[d.column - 1]})` : String(d.column);
    };
    fill(problems,
      el('h2', { id: 'problems-h', tabindex: '-1' }, details.length > 1 ? `${details.length} problems in the file` : 'The file was not imported'),
      el('p', { role: 'alert', class: 'error' }, describeError(e)),
      details.length ? table({
        className: 'problems',
        columns: [
          { label: workbook ? 'Row' : 'Line', className: 'num', render: (d) => String(d.line) },
          { label: 'Column', render: columnText },
          { label: 'Problem', render: (d) => d.message },
          { label: 'Code', render: (d) => el('code', {}, d.code) },
        ],
        rows: details,
      }) : null,
      details.length >= 100 ? el('p', { class: 'muted' }, 'Only the first 100 problems are listed.') : null);
    markLines(new Set(details.map((d) => d.line)));
    problems.querySelector('h2').focus();
  }

  function lastHeader() {
    const p = previewCsv(text.slice(0, 65536), 0);
    return p.header ? p.header.cells : [];
  }

  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    problems.hidden = true;
    markLines(new Set());
    if (!file) { msg.error('Choose a CSV or Excel (.xlsx) file first.'); picker.focus(); return; }
    if (!name.value.trim()) { msg.error('Give the BOM a name.'); name.focus(); return; }
    await busy(submit, async () => {
      progress.hidden = false;
      bar.value = 0;
      barText.textContent = 'Uploading…';
      const path = '/boms/import' + qs({ name: name.value.trim(), source: source.value.trim() });
      try {
        const r = await upload(path, format === 'xlsx' ? file : text, format === 'xlsx' ? XLSX_TYPE : 'text/csv; charset=utf-8',
          (sent, total) => {
            const pct = total ? Math.round((100 * sent) / total) : 0;
            bar.value = pct;
            barText.textContent = pct >= 100 ? 'Checking the file…' : `Uploading… ${pct}%`;
          });
        bar.value = 100;
        barText.textContent = 'Imported.';
        announce(`Imported “${name.value.trim()}” with ${r.items} item${r.items === 1 ? '' : 's'}.`);
        navigate(`#/boms/${encodeURIComponent(r.id)}`);
      } catch (e) {
        progress.hidden = true;
        if (e.name === 'ApiError' && (e.status === 400 || e.status === 422) && e.details.length) showProblems(e);
        else msg.error(e);
      }
    });
  } },
  el('div', { class: 'field' }, el('span', { class: 'label', id: 'file-label' }, 'CSV or Excel file'), drop),
  field('BOM name', name, 'Filled in from the file name; change it if you like.'),
  field('Source (optional)', source, 'Where the file came from, e.g. the PLM system or drawing number.'),
  el('div', { class: 'actions' }, submit), progress, msg.node);

  fill(root,
    pageHeading('Import a BOM'),
    el('section', { class: 'card' },
      el('p', { class: 'muted' }, 'A header row with a part number and quantity column, and either a level or a parent column (with ref). Other columns are kept as properties. A CSV file (comma or semicolon separated, UTF-8) or an Excel workbook (.xlsx, first sheet).'),
      mappingNote(mappings),
      form),
    problems, preview);
}
