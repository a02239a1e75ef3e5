// Import a BOM from a file exactly as its CAD, EDA, PLM or ERP tool exported it (CSV/TXT in any
// encoding and delimiter, or an Excel workbook). The server is the only reader: every choice on
// this page (profile, sheet, charset, a changed column mapping, skipping bad rows) asks
// POST /boms/import/preview again with the same parameters the import will use, so what the
// page shows is what gets stored. Shown: the detected tool (profile), format, encoding,
// delimiter, sheet and header row; the column → field mapping with a control per column; the
// first items exactly as they would be stored; warnings and errors with line and column.
// Administrators can save the settings as a named import profile (POST /org/import-profiles);
// everyone who imports picks from the org's saved profiles. Changed mappings travel as
// ?mappings= (the column-mappings JSON form) and win over the profile's and the org's.
import { api, upload, qs } from './api.js';
import { FIELDS, normalizeColumn } from './csv.js';
import { el, field, checkbox, messageArea, pageHeading, busy, table, announce, describeError, fill, fmtBytes, plural, uid } from './dom.js';

const MAX_BYTES = 64 * 1024 * 1024;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const ROWS_SHOWN = 20;  // of the (up to 50) items the preview answers with
const CHARSETS = [
  ['', 'Detect (UTF-8, UTF-16, else Windows-1252)'], ['WINDOWS-1252', 'Windows-1252 (Western Europe)'],
  ['WINDOWS-1251', 'Windows-1251 (Cyrillic)'], ['WINDOWS-1250', 'Windows-1250 (Central Europe)'],
  ['MACINTOSH', 'MacRoman'], ['ISO-8859-15', 'ISO-8859-15'],
];
const DELIMITERS = { ',': 'commas', ';': 'semicolons', '\t': 'tabs', '|': 'bars' };

// What the first bytes say: 'xlsx' (a zip container, as the server tells them apart), 'ole'
// (a legacy .xls or a password-protected workbook, which the server refuses) or 'text'.
async function sniff(f) {
  const b = new Uint8Array(await f.slice(0, 8).arrayBuffer());
  if (b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) return 'xlsx';
  if (b[0] === 0xd0 && b[1] === 0xcf && b[2] === 0x11 && b[3] === 0xe0) return 'ole';
  return 'text';
}

// 1 → A, 27 → AA: spreadsheet column letters for workbook messages.
function columnLetter(n) {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

// The server's role name ("part_number", "property:value", "ignore", "mpn_2") as the select's
// value and the property key.
function splitRole(role) {
  if (role.startsWith('property:')) return { value: 'property', key: role.slice('property:'.length) };
  if (role === 'property') return { value: 'property', key: '' };
  return { value: role, key: '' };
}

export async function importPage({ root, navigate, me }) {
  const isAdmin = me && me.role === 'administrator';
  const state = {
    file: null, kind: 'text', report: null, detected: '',
    profile: '',    // '' = recognise; a built-in name; or a saved profile's id
    sheet: '', charset: '', skip: false,
    overrides: new Map(),  // header cell → a column mapping {column, field|property|ignore}
  };
  let saved = [];
  let builtin = [];
  try {
    const r = await api('GET', '/org/import-profiles');
    saved = r.profiles || [];
    builtin = r.builtin || [];
  } catch { /* the picker then offers automatic recognition only */ }
  let previewSeq = 0;

  const name = el('input', { type: 'text', name: 'name', required: true, maxlength: '200', autocomplete: 'off' });
  const source = el('input', { type: 'text', name: 'source', maxlength: '200', autocomplete: 'off' });
  const picker = el('input', {
    type: 'file', id: 'csv-file', name: 'file', class: 'file-input', 'aria-describedby': 'file-info',
    accept: `.csv,.tsv,.txt,.bom,.xlsx,text/csv,text/plain,text/tab-separated-values,${XLSX_TYPE}`,
  });
  const fileInfo = el('p', { class: 'muted', id: 'file-info', 'aria-live': 'polite' }, 'No file chosen.');
  const drop = el('div', { class: 'drop', 'data-testid': 'drop' },
    el('p', {}, el('strong', {}, 'Drag a BOM file (CSV, TXT or Excel .xlsx) here'), ' or '),
    picker,
    el('label', { for: picker.id, class: 'button secondary' }, 'Choose a file…'),
    fileInfo);
  const settings = el('section', { class: 'card', 'aria-labelledby': 'settings-h', hidden: true });
  const preview = el('section', { class: 'card', 'aria-labelledby': 'preview-h', hidden: true });
  const problems = el('section', { class: 'card', 'aria-label': 'Problems', hidden: true });
  const msg = messageArea();
  const bar = el('progress', { max: '100', value: 0, 'aria-label': 'Upload progress' });
  const barText = el('span', { class: 'muted' });
  const progress = el('div', { class: 'upload-progress', hidden: true }, bar, barText);
  const submit = el('button', { type: 'submit' }, 'Import');

  // The profile the preview pins when mappings were changed: the one the user chose, else the
  // built-in the server recognised, so changing one column does not change how the others read.
  function profileParam() {
    if (state.profile) return state.profile;
    if (state.overrides.size && state.detected && builtin.includes(state.detected)) return state.detected;
    if (state.overrides.size && state.detected === 'org-mappings') return 'generic';
    return '';
  }

  function params() {
    return {
      profile: profileParam(),
      sheet: state.sheet,
      charset: state.kind === 'text' ? state.charset : '',
      on_error: state.skip ? 'skip' : '',
      mappings: state.overrides.size ? JSON.stringify([...state.overrides.values()]) : '',
    };
  }

  function contentType() { return state.kind === 'xlsx' ? XLSX_TYPE : 'text/csv'; }

  function refuse(text) {
    state.file = null;
    fileInfo.textContent = text;
    fileInfo.className = 'error';
    preview.hidden = true;
    settings.hidden = true;
  }

  async function choose(f) {
    msg.clear();
    problems.hidden = true;
    if (!f) return;
    if (f.size > MAX_BYTES) { refuse(`${f.name} is ${(f.size / 1048576).toFixed(1)} MiB; the limit is 64 MiB.`); return; }
    const kind = await sniff(f);
    if (kind === 'ole') { refuse(`${f.name} is a legacy Excel (.xls) or password-protected workbook: save it as .xlsx (without a password) or as CSV.`); return; }
    Object.assign(state, { file: f, kind, report: null, detected: '', sheet: '', autoSheet: '', charset: '', skip: false });
    state.overrides.clear();
    fileInfo.className = 'muted';
    fileInfo.textContent = `${f.name} (${fmtBytes(f.size)})`;
    if (!name.value.trim() || name.dataset.auto === '1') {
      name.value = f.name.replace(/\.(csv|tsv|txt|bom|xlsx)$/i, '');
      name.dataset.auto = '1';
    }
    await runPreview();
  }
  name.addEventListener('input', () => { name.dataset.auto = ''; });

  // Asks the server what importing the file with the current settings would do. Answers to
  // earlier requests that arrive late are dropped.
  async function runPreview() {
    if (!state.file) return;
    const seq = ++previewSeq;
    preview.hidden = false;
    preview.setAttribute('aria-busy', 'true');
    delete preview.dataset.file;
    fill(preview, el('h2', { id: 'preview-h' }, 'Preview'), el('p', { class: 'muted', role: 'status' }, 'Reading the file…'));
    let r;
    try {
      r = await api('POST', '/boms/import/preview' + qs(params()), state.file, contentType());
    } catch (e) {
      if (seq !== previewSeq) return;
      preview.removeAttribute('aria-busy');
      fill(preview, el('h2', { id: 'preview-h' }, 'Preview'),
        el('p', { role: 'alert', class: 'error' }, `The file cannot be previewed: ${describeError(e)}`));
      return;
    }
    if (seq !== previewSeq) return;
    preview.removeAttribute('aria-busy');
    preview.dataset.file = state.file.name;  // which file the shown preview is of
    state.report = r;
    if (!state.profile && !state.overrides.size) state.detected = r.profile;
    renderSettings();
    renderPreview();
  }

  // ---- Settings: profile, sheet, charset, strictness, save as profile ----------------------
  function renderSettings() {
    const r = state.report;
    settings.hidden = false;
    const profileSelect = el('select', { id: 'import-profile', name: 'profile' },
      el('option', { value: '' }, state.detected && !state.profile ? `Recognise automatically (found: ${state.detected})` : 'Recognise automatically'),
      saved.length ? el('optgroup', { label: 'Saved by your organisation' },
        saved.map((p) => el('option', { value: p.id }, p.name))) : null,
      builtin.length ? el('optgroup', { label: 'Built-in' }, builtin.map((n) => el('option', { value: n }, n))) : null);
    profileSelect.value = state.profile;
    profileSelect.addEventListener('change', () => {
      state.profile = profileSelect.value;
      state.overrides.clear();  // the chosen profile decides the columns again
      runPreview();
    });

    let sheetField = null;
    if (r.sheets && r.sheets.length > 1) {
      // '' lets the server decide: the first sheet with a table, or every sheet as one BOM when
      // the sheets are an assembly's levels (then the answer names no sheet).
      if (!state.sheet) state.autoSheet = r.sheet ? `Automatic (“${r.sheet}”)` : 'All sheets, as one BOM';
      const sheetSelect = el('select', { id: 'import-sheet', name: 'sheet' },
        el('option', { value: '' }, state.autoSheet || 'Automatic'),
        r.sheets.map((s) => el('option', { value: s }, s)));
      sheetSelect.value = state.sheet;
      sheetSelect.addEventListener('change', () => {
        state.sheet = sheetSelect.value;
        state.overrides.clear();  // another sheet has other columns
        runPreview();
      });
      sheetField = field('Sheet', sheetSelect, `This workbook has ${r.sheets.length} sheets; the preview and the import read this one.`);
    }

    let charsetField = null;
    if (state.kind === 'text') {
      const charsetSelect = el('select', { id: 'import-charset', name: 'charset' }, CHARSETS.map(([v, t]) => el('option', { value: v }, t)));
      charsetSelect.value = state.charset;
      charsetSelect.addEventListener('change', () => { state.charset = charsetSelect.value; runPreview(); });
      charsetField = field('Character set', charsetSelect, 'Only for files that are neither UTF-8 nor UTF-16: which legacy encoding the exporting tool used.');
    }

    const skip = checkbox('Import the good rows and skip the bad ones (each skipped row is listed)', { checked: state.skip });
    skip.input.addEventListener('change', () => { state.skip = skip.input.checked; runPreview(); });

    fill(settings,
      el('h2', { id: 'settings-h' }, 'How the file is read'),
      el('div', { class: 'import-settings' },
        field('Import profile', profileSelect, 'A saved profile brings its column mappings and options; a built-in one reads the file as that tool writes it.'),
        sheetField, charsetField),
      skip.node,
      saveProfileForm());
  }

  function saveProfileForm() {
    if (!isAdmin) {
      return el('p', { class: 'muted' }, 'Administrators can save these settings as a named import profile for everyone in the organisation.');
    }
    const profileName = el('input', { type: 'text', name: 'profile_name', maxlength: '100', autocomplete: 'off' });
    const saveMsg = messageArea();
    const save = el('button', { type: 'button', class: 'secondary' }, 'Save as profile');
    save.addEventListener('click', () => busy(save, async () => {
      saveMsg.clear();
      const profileName_ = profileName.value.trim();
      if (!profileName_) { saveMsg.error('Give the profile a name.'); profileName.focus(); return; }
      const chosen = saved.find((p) => p.id === state.profile);
      let base = chosen ? chosen.base : (state.profile || state.detected);
      if (base === 'org-mappings' || !builtin.includes(base)) base = '';
      const mappings = [...state.overrides.values()];
      if (chosen) for (const m of chosen.mappings || []) if (!mappings.some((o) => normalizeColumn(o.column) === normalizeColumn(m.column))) mappings.push(m);
      const options = {};
      if (state.sheet) options.sheet = state.sheet;
      if (state.charset && state.kind === 'text') options.charset = state.charset;
      if (state.skip) options.on_error = 'skip';
      try {
        const p = await api('POST', '/org/import-profiles', { name: profileName_, base, mappings, options });
        saved.push(p);
        state.profile = p.id;
        state.overrides.clear();
        announce(`Saved the import profile “${p.name}”.`);
        await runPreview();
      } catch (e) {
        saveMsg.error(e);
      }
    }));
    return el('div', { class: 'save-profile' },
      field('Profile name', profileName, 'Saves the profile, the column mappings you changed and the options above for the next files from this tool.'),
      el('div', { class: 'actions' }, save), saveMsg.node);
  }

  // ---- Preview: what was found, the mapping, the first items, warnings and errors ----------
  function changeMapping(column, value, key) {
    if (value === 'ignore') state.overrides.set(column, { column, ignore: true });
    else if (value === 'property') state.overrides.set(column, { column, property: key || normalizeColumn(column) });
    else state.overrides.set(column, { column, field: value });
    runPreview();
  }

  function mappingTable(r) {
    const rows = r.mapping.map((m, i) => {
      const { value, key } = splitRole(m.field);
      const label = `Read column ${i + 1} (${m.column || 'no name'}) as`;
      const options = FIELDS.map(([v, t]) => el('option', { value: v }, t));
      if (value !== 'property' && value !== 'ignore' && !FIELDS.some(([v]) => v === value)) options.push(el('option', { value }, value));
      options.push(el('option', { value: 'property' }, 'Property (kept under a key)'), el('option', { value: 'ignore' }, 'Leave out'));
      const sel = el('select', { 'aria-label': label, 'data-column': m.column }, options);
      sel.value = value;
      const keyInput = el('input', { type: 'text', value: key, 'aria-label': `Property key for column ${i + 1} (${m.column || 'no name'})`, maxlength: '64', hidden: value !== 'property' });
      sel.addEventListener('change', () => changeMapping(m.column, sel.value, keyInput.value.trim()));
      keyInput.addEventListener('change', () => { if (keyInput.value.trim()) changeMapping(m.column, 'property', keyInput.value.trim()); });
      const changed = state.overrides.has(m.column);
      return el('tr', { class: changed ? 'changed' : null },
        el('td', {}, m.column ? el('code', {}, m.column) : el('span', { class: 'muted' }, '(no name)'), changed ? el('span', { class: 'tag' }, 'changed') : null),
        el('td', {}, sel, ' ', keyInput));
    });
    return el('div', { class: 'table-wrap' }, el('table', { class: 'import-mapping' },
      el('caption', {}, 'Columns and what they become'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Column in the file'), el('th', { scope: 'col' }, 'Read as'))),
      el('tbody', {}, rows)));
  }

  function itemsTable(r) {
    const rows = r.rows.slice(0, ROWS_SHOWN);
    if (!rows.length) return el('p', { class: 'empty' }, 'No items.');
    const props = [];
    for (const it of rows) for (const k of Object.keys(it.properties || {})) if (!props.includes(k)) props.push(k);
    const some = (f) => rows.some(f);
    const cols = [
      ['Ref', (it) => it.ref],
      some((it) => it.parent) ? ['Parent', (it) => it.parent || ''] : null,
      some((it) => it.find_number) ? ['Find no.', (it) => it.find_number] : null,
      ['Part number', (it) => it.part_number],
      ['Description', (it) => it.description],
      ['Qty', (it) => String(it.quantity)],
      some((it) => it.unit) ? ['Unit', (it) => it.unit] : null,
      some((it) => it.refdes) ? ['Designators', (it) => it.refdes] : null,
      some((it) => it.manufacturers && it.manufacturers.length) ? ['Manufacturer', (it) => (it.manufacturers || []).map((m) => m.name).join('; ')] : null,
      some((it) => it.manufacturers && it.manufacturers.length) ? ['MPN', (it) => (it.manufacturers || []).map((m) => m.mpn).join('; ')] : null,
      some((it) => it.dnp) ? ['DNP', (it) => (it.dnp ? 'DNP' : '')] : null,
      ...props.map((k) => [k, (it) => (it.properties || {})[k] ?? '']),
    ].filter(Boolean);
    return el('div', { class: 'table-wrap', tabindex: '0', role: 'group', 'aria-label': 'The first items (scrolls sideways)' },
      el('table', { class: 'preview' },
        el('thead', {}, el('tr', {}, cols.map(([label]) => el('th', { scope: 'col' }, label)))),
        el('tbody', {}, rows.map((it) => el('tr', {}, cols.map(([, get]) => el('td', {}, get(it))))))));
  }

  function where(m) {
    const line = m.line ? `${state.kind === 'xlsx' ? 'row' : 'line'} ${m.line}` : '';
    const col = m.column ? `column ${state.kind === 'xlsx' ? columnLetter(m.column) : m.column}` : '';
    return [line, col].filter(Boolean).join(', ') || '—';
  }

  function messagesTable(list, className, caption) {
    return table({
      className, caption,
      columns: [
        { label: 'Where', render: where },
        { label: 'Message', render: (m) => m.message },
        { label: 'Code', render: (m) => el('code', {}, m.code) },
      ],
      rows: list,
    });
  }

  function renderPreview() {
    const r = state.report;
    const format = r.format === 'xlsx'
      ? (r.sheet ? `Excel workbook, sheet “${r.sheet}”` : `Excel workbook, ${r.sheets.length} sheets as one BOM`)
      : `Text, ${r.encoding || 'UTF-8'}, separated by ${DELIMITERS[r.delimiter] || `“${r.delimiter}”`}`;
    const counts = r.counts || {};
    const summary = el('dl', { class: 'facts import-facts' },
      el('dt', {}, 'Recognised as'), el('dd', { 'data-testid': 'import-profile-found' }, r.profile || '—'),
      el('dt', {}, 'Format'), el('dd', { 'data-testid': 'import-format' }, format),
      el('dt', {}, 'Header'), el('dd', {}, r.header_line ? `${state.kind === 'xlsx' ? 'row' : 'line'} ${r.header_line}` : '—'),
      el('dt', {}, 'Would import'), el('dd', { 'data-testid': 'import-counts' },
        `${plural(r.items, 'item')} from ${plural(counts.rows ?? 0, 'row')}` +
        (counts.skipped ? `, ${plural(counts.skipped, 'row')} skipped` : '') +
        `, ${plural(r.warnings.length, 'warning')}, ${plural(r.errors.length, 'error')}`));
    const reset = state.overrides.size
      ? el('button', { type: 'button', class: 'secondary', onclick: () => { state.overrides.clear(); runPreview(); } }, 'Undo my column changes')
      : null;
    fill(preview,
      el('h2', { id: 'preview-h' }, 'Preview'),
      el('p', { class: 'muted' }, 'What the server would store, read with the settings above. Nothing is stored until you import.'),
      summary,
      r.errors.length ? el('p', { class: 'warn' }, `The file would be refused as it is: ${plural(r.errors.length, 'error')}. Fix the mapping below, skip the bad rows, or fix the file.`) : null,
      r.mapping && r.mapping.length ? mappingTable(r) : null,
      reset,
      el('h3', {}, r.items > ROWS_SHOWN ? `The first ${ROWS_SHOWN} of ${plural(r.items, 'item')}` : plural(r.items, 'item')),
      itemsTable(r),
      r.errors.length ? [el('h3', {}, 'Errors'), messagesTable(r.errors, 'preview-errors', null)] : null,
      r.warnings.length ? [el('h3', {}, 'Warnings and skipped rows'), messagesTable(r.warnings, 'warnings', null)] : null);
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
    const headingId = uid('problems');
    fill(problems,
      el('h2', { id: headingId, tabindex: '-1' }, details.length > 1 ? `${details.length} problems in the file` : 'The file was not imported'),
      el('p', { role: 'alert', class: 'error' }, describeError(e)),
      details.length ? table({
        className: 'problems',
        columns: [
          { label: state.kind === 'xlsx' ? 'Row' : 'Line', className: 'num', render: (d) => String(d.line) },
          { label: 'Column', render: (d) => (d.column ? (state.kind === 'xlsx' ? columnLetter(d.column) : String(d.column)) : '—') },
          { label: 'Problem', render: (d) => d.message },
          { label: 'Code', render: (d) => el('code', {}, d.code) },
        ],
        rows: details,
      }) : null,
      details.length >= 100 ? el('p', { class: 'muted' }, 'Only the first 100 problems are listed.') : null);
    problems.querySelector('h2').focus();
  }

  const form = el('form', { class: 'stack', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    msg.clear();
    problems.hidden = true;
    if (!state.file) { msg.error('Choose a BOM file first.'); picker.focus(); return; }
    if (!name.value.trim()) { msg.error('Give the BOM a name.'); name.focus(); return; }
    await busy(submit, async () => {
      progress.hidden = false;
      bar.value = 0;
      barText.textContent = 'Uploading…';
      const path = '/boms/import' + qs({ name: name.value.trim(), source: source.value.trim(), ...params() });
      try {
        const r = await upload(path, state.file, contentType(), (sent, total) => {
          const pct = total ? Math.round((100 * sent) / total) : 0;
          bar.value = pct;
          barText.textContent = pct >= 100 ? 'Checking the file…' : `Uploading… ${pct}%`;
        });
        bar.value = 100;
        barText.textContent = 'Imported.';
        const w = r.warnings && r.warnings.length ? ` (${plural(r.warnings.length, 'warning')})` : '';
        announce(`Imported “${name.value.trim()}” with ${plural(r.items, 'item')}${w}.`);
        navigate(`#/boms/${encodeURIComponent(r.id)}`);
      } catch (e) {
        progress.hidden = true;
        if (e.name === 'ApiError' && (e.status === 400 || e.status === 422) && e.details.length) showProblems(e);
        else msg.error(e);
      }
    });
  } },
  field('BOM name', name, 'Filled in from the file name; change it if you like.'),
  field('Source (optional)', source, 'Where the file came from, e.g. the PLM system or drawing number.'),
  el('div', { class: 'actions' }, submit), progress, msg.node);

  // File first, then how it is read and what it would give, then the name and the import.
  fill(root,
    pageHeading('Import a BOM'),
    el('section', { class: 'card' },
      el('p', { class: 'muted' }, 'Drop the file exactly as your CAD, EDA, PLM or ERP tool exported it (KiCad, Altium, Eagle, EasyEDA, SolidWorks, Odoo, InvenTree, spreadsheets…): the server recognises the tool, finds the table and shows what it would store before anything is saved.'),
      el('div', { class: 'field' }, el('span', { class: 'label', id: 'file-label' }, 'BOM file'), drop)),
    settings, preview,
    el('section', { class: 'card', 'aria-label': 'Import' }, form),
    problems);
}
