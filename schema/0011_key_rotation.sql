-- bomvault schema, version 11: rotating organisation data keys (service/key_rotation.h).
-- Forward-only: never edit once shipped.
--
-- Rotating an org's data key puts a new random key in org_keys and moves the old one (still
-- wrapped by data_master, same associated data) to org_keys_retired. The background re-seal then
-- rewrites every ciphertext of the org under the new key, batch by batch, remembering where it is
-- in key_rotations, so a crash or a seal resumes where it stopped. When the re-seal has verified
-- that nothing in the live store still needs a retired key, resealed_at is set; the retired row is
-- deleted (secure_delete: the page is zeroed) as soon as nothing else needs it either: no backup
-- snapshot older than resealed_at may still exist, and no long-term audit chain entry (hash-chained,
-- so never re-sealed) of the org sealed before it remains.
--
-- The org's blind-index key must survive rotations (every *_bidx would change otherwise): before
-- the first rotation it is derived from the data key; the first rotation stores that derived key
-- wrapped in wrapped_index_key, which is used from then on.
ALTER TABLE org_keys ADD COLUMN wrapped_index_key BLOB;

CREATE TABLE org_keys_retired (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  wrapped_key BLOB NOT NULL,
  retired_at INTEGER NOT NULL,
  resealed_at INTEGER NOT NULL DEFAULT 0     -- 0 while live rows may still be sealed under it
);
CREATE INDEX org_keys_retired_org ON org_keys_retired(org_id);

-- One row per org whose re-seal is not finished. pass 1 re-seals; pass 2 (after every request
-- that could still seal with the old key has ended) re-seals stragglers and proves none is left.
-- step indexes the sealed-column table of service/key_rotation.cc (its order is persisted: only
-- append to it); position is the last primary key done within the step, as a JSON array.
CREATE TABLE key_rotations (
  org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  pass INTEGER NOT NULL DEFAULT 1 CHECK (pass IN (1, 2)),
  step INTEGER NOT NULL DEFAULT 0,
  position TEXT NOT NULL DEFAULT '',
  resealed INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL
);
