-- bomvault schema, version 5: BOM revisions and named importer profiles.
-- Forward-only: never edit once shipped.
--
-- A BOM reads as its current revision (boms.revision; items in bom_chunks as before). Importing a
-- newer export (POST /boms/{id}/revisions) moves the current items into bom_revision_chunks,
-- re-sealed with the revision number in their associated data so an archived chunk can neither
-- be passed off as a current one nor moved between revisions, BOMs or tenants, and stores the new
-- items as current. Every revision, the current one included, has a row saying who made it, when,
-- how many items it has, and (sealed) from which file or source. Earlier revisions are read-only.
-- A BOM and its revisions are one object: deleting or purging the BOM cascades here.
ALTER TABLE boms ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;

CREATE TABLE bom_revisions (
  bom_id TEXT NOT NULL REFERENCES boms(id) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  actor_id TEXT NOT NULL,
  item_count INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,      -- archived chunks; 0 while the revision is current
  meta_sealed BLOB,                  -- {"via", "source"?, "profile"?}; NULL for BOMs made before v5
  PRIMARY KEY (bom_id, revision)
) WITHOUT ROWID;

CREATE TABLE bom_revision_chunks (
  bom_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  sealed BLOB NOT NULL,
  PRIMARY KEY (bom_id, revision, seq),
  FOREIGN KEY (bom_id, revision) REFERENCES bom_revisions(bom_id, revision) ON DELETE CASCADE
) WITHOUT ROWID;

INSERT INTO bom_revisions(bom_id, revision, created_at, actor_id, item_count, chunk_count,
                          meta_sealed)
  SELECT id, 1, created_at, owner_id, item_count, 0, NULL FROM boms;

-- Named importer profiles per organisation (service/import_profiles.h): a base built-in profile,
-- column mappings and import options, all sealed under the org data key, since header names and
-- sheet names can name products. Administrators write them, members read and use them.
CREATE TABLE import_profiles (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  sealed BLOB NOT NULL,              -- {"name", "base", "mappings", "options"}
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX import_profiles_org ON import_profiles(org_id, created_at);
