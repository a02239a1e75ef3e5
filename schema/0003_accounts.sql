-- bomvault schema, version 3: MFA recovery codes, invitations, address verification, block lists.
-- Forward-only: never edit once shipped.
--
-- Every secret here is a random 256-bit token (or a 120-bit recovery code) stored only as a
-- BLAKE2b hash, so a copy of the database cannot be used to accept an invitation, verify an
-- address or pass the second factor. E-mail addresses and blocked entries are stored sealed under
-- the org key and found through blind indexes, like users.email_*.

-- Single-use MFA recovery codes: a row is deleted when its code is used or when the set is
-- regenerated.
CREATE TABLE recovery_codes (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- Pending invitations. A row is deleted when accepted or revoked; expired rows stay listed (as
-- "expired") until revoked or purged 30 days after expiry.
-- role is persisted text (same values as users.role).
CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  inviter_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  email_bidx BLOB NOT NULL,          -- the instance-wide index users.email_bidx uses
  email_sealed BLOB NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('administrator', 'editor', 'viewer')),
  token_hash BLOB NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX invitations_org ON invitations(org_id, created_at);
CREATE INDEX invitations_inviter ON invitations(inviter_id, expires_at);
CREATE INDEX invitations_email ON invitations(email_bidx);

-- Address verification links (at most one pending per user).
CREATE TABLE email_verifications (
  token_hash BLOB PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX email_verifications_user ON email_verifications(user_id);

-- Addresses and whole domains an org refuses for invitations and sharing. entry_bidx is the org's
-- blind index of "address:<normalised address>" or "domain:<domain>"; the entry itself is sealed.
-- kind is persisted text: 'address' | 'domain'.
CREATE TABLE blocked_entries (
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  entry_bidx BLOB NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('address', 'domain')),
  entry_sealed BLOB NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, entry_bidx)
) WITHOUT ROWID;
