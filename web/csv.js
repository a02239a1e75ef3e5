// A client-side CSV reader for the import preview only: the server parses the file again and is
// the authority on what is accepted. It follows the server's reading rules closely enough that
// the preview's line numbers match the server's error lines: optional UTF-8 byte-order mark,
// ',' or ';' (';' only when the header has more of them outside quotes), RFC 4180 quotes, CRLF
// or LF, blank lines skipped, unquoted cells trimmed.

// Column aliases as the server resolves them (src/bom/tree.cc), after normalisation.
const ALIASES = {
  ref: 'ref', parent: 'parent', level: 'level',
  find_number: 'find_number', find: 'find_number', find_no: 'find_number', item_no: 'find_number', pos: 'find_number',
  part_number: 'part_number', part: 'part_number', part_no: 'part_number', pn: 'part_number', number: 'part_number',
  description: 'description', desc: 'description',
  quantity: 'quantity', qty: 'quantity',
  unit: 'unit', uom: 'unit',
  refdes: 'refdes', reference_designators: 'refdes', ref_des: 'refdes',
};

export function normalizeColumn(name) {
  return name.trim().toLowerCase().replace(/[ -]/g, '_');
}

export function recognizedColumn(name) {
  return ALIASES[normalizeColumn(name)] || '';
}

// The core fields a column can stand for, in the order the mapping editor lists them.
export const FIELDS = [
  ['part_number', 'Part number'], ['quantity', 'Quantity'], ['level', 'Level'], ['parent', 'Parent ref'],
  ['ref', 'Ref'], ['find_number', 'Find number'], ['description', 'Description'], ['unit', 'Unit'],
  ['refdes', 'Reference designators'],
];

// How the server will read a header cell, given the org's column mappings (GET
// /org/column-mappings; their columns are already normalised): a mapping wins over the built-in
// aliases. Returns { field } for a core field, { property } for a property key, { ignore: true },
// plus `mapped` when an org mapping decided it.
export function mappingIndex(mappings) {
  return new Map((mappings || []).map((m) => [m.column, m]));
}

export function resolveColumn(name, index) {
  const m = index && index.get(normalizeColumn(name));
  if (m) {
    if (m.ignore) return { ignore: true, mapped: true };
    if (m.field) return { field: m.field, mapped: true };
    return { property: m.property, mapped: true };
  }
  const field = recognizedColumn(name);
  return field ? { field, mapped: false } : { property: normalizeColumn(name), mapped: false };
}

function detectDelimiter(text, start) {
  let commas = 0;
  let semis = 0;
  let quoted = false;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && c === ',') commas += 1;
    else if (!quoted && c === ';') semis += 1;
  }
  return semis > commas ? ';' : ',';
}

// Returns { delimiter, header: {cells, line}, rows: [{cells, line}] (at most maxRows),
// total (data records seen), error (a message when the text cannot be read) }.
export function previewCsv(text, maxRows = 10) {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  // Skip leading blank lines so the delimiter is read from the header line.
  for (;;) {
    let q = pos;
    while (q < n && (text[q] === ' ' || text[q] === '\t')) q += 1;
    if (q < n && (text[q] === '\n' || text[q] === '\r')) {
      pos = text[q] === '\r' && text[q + 1] === '\n' ? q + 2 : q + 1;
      line += 1;
    } else break;
  }
  const delimiter = detectDelimiter(text, pos);
  const out = { delimiter, header: null, rows: [], total: 0, error: '' };

  while (pos < n) {
    const cells = [];
    const recLine = line;
    let cell = '';
    let quotedCell = false;
    let inQuotes = false;
    let done = false;
    while (!done) {
      if (pos >= n) {
        if (inQuotes) { out.error = `line ${recLine}: a quoted cell is never closed`; return out; }
        done = true;
        break;
      }
      const c = text[pos];
      if (inQuotes) {
        if (c === '"') {
          if (text[pos + 1] === '"') { cell += '"'; pos += 2; continue; }
          inQuotes = false;
          pos += 1;
          continue;
        }
        if (c === '\n') line += 1;
        cell += c;
        pos += 1;
        continue;
      }
      if (c === '"' && cell.trim() === '') { inQuotes = true; quotedCell = true; cell = ''; pos += 1; continue; }
      if (c === delimiter) {
        cells.push(quotedCell ? cell : cell.trim());
        cell = ''; quotedCell = false; pos += 1;
        continue;
      }
      if (c === '\n' || c === '\r') {
        pos += c === '\r' && text[pos + 1] === '\n' ? 2 : 1;
        line += 1;
        done = true;
        break;
      }
      if (quotedCell) { pos += 1; continue; }  // blanks after a closing quote
      cell += c;
      pos += 1;
    }
    cells.push(quotedCell ? cell : cell.trim());
    const blank = cells.every((x) => x === '');
    if (blank) continue;
    const stripped = cells.map((x) => (x.startsWith("'") ? x.slice(1) : x));
    if (!out.header) out.header = { cells: stripped, line: recLine };
    else {
      out.total += 1;
      if (out.rows.length < maxRows) out.rows.push({ cells: stripped, line: recLine });
    }
  }
  return out;
}
