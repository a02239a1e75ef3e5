-- bomvault schema, version 4: BOM attachments and organisation column mappings.
-- Forward-only: never edit once shipped.
--
-- Attachments (a thumbnail, drawings, PDF/STEP exports) belong to one BOM and die with it: the
-- stale-data purge, a BOM's deletion and an org's deletion all cascade here. Their bytes are
-- sealed under the org data key in chunks whose associated data names org, BOM, attachment,
-- chunk number and chunk count, so chunks cannot be reordered, dropped, or moved to another BOM
-- or tenant. The file name and content hash are sealed too; type, size and pixel size are kept
-- in clear because listing and quota checks need them without decrypting anything.
CREATE TABLE bom_attachments (
  id TEXT PRIMARY KEY,
  bom_id TEXT NOT NULL REFERENCES boms(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('thumbnail', 'derivative')),
  media_type TEXT NOT NULL,          -- sniffed from the bytes (bom/sniff.h), never the client's
  size INTEGER NOT NULL,
  width INTEGER NOT NULL,            -- pixels; 0 for non-images
  height INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  meta_sealed BLOB NOT NULL,         -- {"name": str, "sha256": hex}
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX bom_attachments_bom ON bom_attachments(bom_id, kind);

CREATE TABLE bom_attachment_chunks (
  attachment_id TEXT NOT NULL REFERENCES bom_attachments(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  sealed BLOB NOT NULL,
  PRIMARY KEY (attachment_id, seq)
) WITHOUT ROWID;

-- An organisation's column mappings for CSV/XLSX import (bom/mapping.h), sealed under the org
-- key as one JSON list: header names can be as telling as the data.
CREATE TABLE org_column_mappings (
  org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  sealed BLOB NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
