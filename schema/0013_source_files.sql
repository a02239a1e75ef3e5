-- bomvault schema, version 13: what a folder source's files were when they were last pulled.
-- Forward-only: never edit once shipped.
--
-- A folder source (service/source_folder.h) lists the files a PDM or PLM export job dropped in its
-- directory; a file is "new" until someone pulls it, "changed" when its size and SHA-256 no longer
-- match the last pull or refresh of it. One row per source and file name: name_key is the file
-- name's keyed blind index (file names name products), sealed holds {"name", "size", "mtime",
-- "sha256", "bom_id", "revision", "user_id"} under the org key, associated data
-- "source-file:<org>:<source id>/<name_key hex>". Rows die with their source.
CREATE TABLE source_files (
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  name_key BLOB NOT NULL,
  sealed BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source_id, name_key)
) WITHOUT ROWID;
