// Import a BOM from a CSV file: drag-and-drop or file picker, a client-side preview of the first
// rows, an upload with progress, and the server's per-line errors next to the preview.
import { upload, qs } from './api.js';
import { el, field, messageArea, pageHeading, busy, table, announce, describeError, fill } from './dom.js';
import { previewCsv, recognizedColumn, normalizeColumn } from './csv.js';

const MAX_BYTES = 64 * 1024 * 1024;
const PREVIEW_ROWS = 10;

export async function importPage({ root, navigate }) {
  let file = null;
  let text = '';
  const name = el('input', { type: 'text', name: 'name', required: true, maxlength: '200', autocomplete: 'off' });
  const source = el('input', { type: 'text', name: 'source', maxlength: '200', autocomplete: 'off' });
  const picker = el('input', { type: 'file', id: 'csv-file', name: 'file', accept: '.csv,text/csv,text/plain', class: 'file-input', 'aria-describedby': 'file-info' });
  const fileInfo = el('p', { class: 'muted', id: 'file-info', 'aria-live': 'polite' }, 'No file chosen.');
  const drop = el('div', { class: 'drop', 'data-testid': 'drop' },
    el('p', {}, el('strong', {}, 'Drag a CSV file here'), ' or '),
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
    const known = cols.map(recognizedColumn);
    const missing = ['part_number', 'quantity'].filter((f) => !known.includes(f));
    if (!known.includes('parent') && !known.includes('level')) missing.push('level or parent');
    const width = Math.max(cols.length, ...p.rows.map((r) => r.cells.length));
    const headCells = [];
    for (let i = 0; i < width; i += 1) {
      // Tag aliases with the field they stand for, and unrecognised columns as properties.
      let tag = null;
      if (known[i] && normalizeColumn(cols[i]) !== known[i]) tag = el('span', { class: 'tag', title: `read as ${known[i]}` }, `→ ${known[i]}`);
      else if (!known[i] && cols[i]) tag = el('span', { class: 'tag prop', title: 'kept as a property' }, 'property');
      headCells.push(el('th', { scope: 'col' }, cols[i] ?? '', tag));
    }
    fill(preview, 
      el('h2', {}, 'Preview'),
      el('p', { class: 'muted' }, `${p.total} data row${p.total === 1 ? '' : 's'}, ${cols.length} column${cols.length === 1 ? '' : 's'}, separated by "${p.delimiter}". `,
        p.total > p.rows.length ? `Showing the first ${p.rows.length}.` : ''),
      missing.length ? el('p', { class: 'warn' }, `No column recognised for: ${missing.join(', ')}. The server will probably refuse this file.`) : null,
      el('div', { class: 'table-wrap' }, el('table', { class: 'preview' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', class: 'num' }, 'Line'), headCells)),
        el('tbody', {}, p.rows.map((r) => {
          const tds = [];
          for (let i = 0; i < width; i += 1) tds.push(el('td', {}, r.cells[i] ?? ''));
          return el('tr', { 'data-line': String(r.line) }, el('td', { class: 'num muted' }, String(r.line)), tds);
        })))));
  }

  async function choose(f) {
    msg.clear();
    problems.hidden = true;
    if (!f) return;
    if (f.size > MAX_BYTES) {
      file = null;
      fileInfo.textContent = `${f.name} is ${(f.size / 1048576).toFixed(1)} MiB; the limit is 64 MiB.`;
      fileInfo.className = 'error';
      preview.hidden = true;
      return;
    }
    file = f;
    fileInfo.className = 'muted';
    fileInfo.textContent = `${f.name} (${formatBytes(f.size)})`;
    text = await f.text();
    if (!name.value.trim()) name.value = f.name.replace(/\.(csv|txt)$/i, '');
    showPreview(previewCsv(text, PREVIEW_ROWS));
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
    problems.hidden = false;
    const header = lastHeader();
    fill(problems, 
      el('h2', { id: 'problems-h', tabindex: '-1' }, details.length > 1 ? `${details.length} problems in the file` : 'The file was not imported'),
      el('p', { role: 'alert', class: 'error' }, describeError(e)),
      details.length ? table({
        className: 'problems',
        columns: [
          { label: 'Line', className: 'num', render: (d) => String(d.line) },
          { label: 'Column', render: (d) => (d.column ? (header[d.column - 1] ? `${d.column} (${header[d.column - 1]})` : String(d.column)) : '—') },
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
    if (!file) { msg.error('Choose a CSV file first.'); picker.focus(); return; }
    if (!name.value.trim()) { msg.error('Give the BOM a name.'); name.focus(); return; }
    await busy(submit, async () => {
      progress.hidden = false;
      bar.value = 0;
      barText.textContent = 'Uploading…';
      try {
        const r = await upload('/boms/import' + qs({ name: name.value.trim(), source: source.value.trim() }), text, 'text/csv; charset=utf-8',
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
  el('div', { class: 'field' }, el('span', { class: 'label', id: 'file-label' }, 'CSV file'), drop),
  field('BOM name', name, 'Filled in from the file name; change it if you like.'),
  field('Source (optional)', source, 'Where the file came from, e.g. the PLM system or drawing number.'),
  el('div', { class: 'actions' }, submit), progress, msg.node);

  fill(root, 
    pageHeading('Import a BOM'),
    el('section', { class: 'card' },
      el('p', { class: 'muted' }, 'A header row with a part number and quantity column, and either a level or a parent column (with ref). Other columns are kept as properties. Comma or semicolon separated, UTF-8.'),
      form),
    problems, preview);
}

function formatBytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}
