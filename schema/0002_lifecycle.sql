-- bomvault schema, version 2: the long-term audit chain. Forward-only: never edit once shipped.
--
-- When the operator turns long-term audit on (serve --audit-retention-days N), every audit entry
-- is also appended here in the transaction of the change it records. Rows are hash-chained:
--   hash = BLAKE2b-256("bomvault-audit-chain-v1" || 0x00 || prev_hash || encoding of the row)
-- (service/audit.h defines the encoding), so `bomvault audit verify` detects an edited, inserted,
-- reordered or deleted row. Retention deletes only a prefix of the oldest rows and appends a
-- "chain.checkpoint" row naming the last deleted seq and its hash, so the shortened chain still
-- verifies. org_id has no foreign key on purpose: deleting an organisation must not delete (and so
-- break) the chain; its rows keep ids only, and their changes stay sealed under the org key that
-- the deletion destroyed. Instance events and checkpoints hold plain JSON of ids and counts.
CREATE TABLE audit_chain (
  seq INTEGER PRIMARY KEY,          -- 1, 2, 3 ... without gaps; assigned as head + 1
  at INTEGER NOT NULL,
  org_id TEXT,                      -- NULL for instance events and checkpoints
  object TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  change_sealed BLOB,               -- the same ciphertext as in audit (org entries)
  change_plain TEXT,                -- instance events and checkpoints
  prev_hash BLOB NOT NULL,          -- 32 zero bytes before seq 1
  hash BLOB NOT NULL,
  CHECK ((change_sealed IS NULL) <> (change_plain IS NULL))
);
CREATE INDEX audit_chain_at ON audit_chain(at);
