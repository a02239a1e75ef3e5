-- bomvault schema, version 1. Forward-only: never edit once shipped; add 0002_... instead.
--
-- Sensitive text (names, e-mail addresses, BOM content, audit changes of org objects) is stored
-- only as XChaCha20-Poly1305 ciphertext ("*_sealed" columns) under the organisation's data key,
-- with the org and object ids as associated data. Exact-match lookups use keyed blind indexes
-- ("*_bidx"). Enumerations stored as text below are persisted: their values must not change.

CREATE TABLE instance (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  store_id TEXT NOT NULL,
  operator_token_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  name_sealed BLOB NOT NULL,
  -- Non-sensitive policy: sharing on/off, audit depth, MFA policy, purge notice (JSON object).
  settings TEXT NOT NULL DEFAULT '{}',
  support_until INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

-- One data key per organisation, wrapped by the keyring's data master key. Deleting the row
-- (secure_delete on, WAL truncated) destroys the key and with it every ciphertext of the org.
CREATE TABLE org_keys (
  org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  wrapped_key BLOB NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  email_bidx BLOB NOT NULL UNIQUE,   -- instance-wide: sign-in finds the account by address
  email_sealed BLOB NOT NULL,
  password_hash TEXT,
  role TEXT NOT NULL CHECK (role IN ('administrator', 'editor', 'viewer')),
  email_verified INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  totp_secret_sealed BLOB,
  totp_enabled INTEGER NOT NULL DEFAULT 0,
  totp_last_step INTEGER NOT NULL DEFAULT 0,
  last_active_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
  scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
  name_sealed BLOB,
  mfa_pending INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE boms (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL REFERENCES users(id),
  name_sealed BLOB NOT NULL,
  name_bidx BLOB NOT NULL,
  meta_sealed BLOB NOT NULL,        -- source reference and free metadata
  item_count INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_interacted_at INTEGER NOT NULL
);
CREATE INDEX boms_org_owner ON boms(org_id, owner_id);
CREATE INDEX boms_name ON boms(org_id, name_bidx);

-- Items are sealed in chunks of up to 512 items (one AEAD per chunk, associated data binds org,
-- BOM and chunk number), which keeps bulk import and read near raw SQLite speed.
CREATE TABLE bom_chunks (
  bom_id TEXT NOT NULL REFERENCES boms(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  sealed BLOB NOT NULL,
  PRIMARY KEY (bom_id, seq)
) WITHOUT ROWID;

-- Blind index of the part numbers each BOM uses, for search and where-used without plaintext:
-- one sorted blob of 16-byte keyed hashes per BOM (one row, not one per part, so a 100k-item
-- import does not write 100k index rows).
CREATE TABLE bom_part_index (
  bom_id TEXT PRIMARY KEY REFERENCES boms(id) ON DELETE CASCADE,
  entries BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE bom_shares (
  bom_id TEXT NOT NULL REFERENCES boms(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  access TEXT NOT NULL CHECK (access IN ('view', 'edit')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (bom_id, user_id)
) WITHOUT ROWID;
CREATE INDEX bom_shares_user ON bom_shares(user_id);

-- Short-term audit: the last N entries per object (N per org, default 10). Changes of org
-- objects are sealed under the org key; instance events (seal, unseal) hold ids only.
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT REFERENCES orgs(id) ON DELETE CASCADE,
  object TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  change_sealed BLOB,
  change_plain TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX audit_object ON audit(object, id);
CREATE INDEX audit_org ON audit(org_id, id);
