// Column names as the server reads them, for the pages that edit column mappings (the org's
// settings and the import page). The server parses every file itself (the import page shows its
// preview), so nothing here reads CSV.

// How the server normalises a header name before matching a mapping (bom::NormalizeColumnName).
export function normalizeColumn(name) {
  return String(name).trim().toLowerCase().replace(/[ -]/g, '_');
}

// The item fields a column can be mapped to (bom/mapping.cc), in the order the editors list them.
export const FIELDS = [
  ['part_number', 'Part number'], ['quantity', 'Quantity'], ['level', 'Level'], ['parent', 'Parent ref'],
  ['ref', 'Ref'], ['find_number', 'Find number'], ['description', 'Description'], ['unit', 'Unit'],
  ['refdes', 'Reference designators'], ['manufacturer', 'Manufacturer'], ['mpn', 'Manufacturer part number'],
  ['dnp', 'Do not place'],
];
