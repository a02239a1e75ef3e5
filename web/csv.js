// Column names as the server reads them, for the pages that edit column mappings (the org's
// settings and the import page). The server parses every file itself (the import page shows its
// preview), so nothing here reads CSV.

// How the server normalises a header name before matching a mapping (bom::NormalizeColumnName).
export function normalizeColumn(name) {
  return String(name).trim().toLowerCase().replace(/[ -]/g, '_');
}

// The fields a column can be mapped to, and the built-in names: generated from src/bom/ at build
// time (tools/gen_columns.cc), so they always match what the server accepts.
export { FIELDS, BUILT_IN_NAMES } from './columns.js';
