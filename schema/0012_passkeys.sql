-- bomvault schema, version 12: passkeys (WebAuthn) as a second factor and for passwordless sign-in.
-- Forward-only: never edit once shipped.
--
-- A passkey's credential id and public key (the COSE_Key exactly as the authenticator sent it) are
-- one document sealed under the org key, with the user and the passkey named in the associated
-- data, so a key cannot be moved to another user, org or row. The credential id is found by its
-- hash, unique across the instance. Its name is sealed like every other user-chosen text.
-- Challenges are stored only as hashes; a row is deleted when it is used (single use) or expires.

CREATE TABLE passkeys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  credential_hash BLOB NOT NULL UNIQUE,
  credential_sealed BLOB NOT NULL,
  name_sealed BLOB NOT NULL,
  alg INTEGER NOT NULL CHECK (alg IN (-7, -8)),  -- COSE: ES256, EdDSA
  sign_count INTEGER NOT NULL,                   -- the highest signature counter seen
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_user ON passkeys(user_id, created_at);

-- purpose is persisted text: 'register' (bound to the user and the session that asked),
-- 'second_factor' (bound to the user whose password was just checked), 'passwordless' (anyone).
CREATE TABLE passkey_challenges (
  challenge_hash BLOB PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('register', 'second_factor', 'passwordless')),
  user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
  session_hash BLOB,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX passkey_challenges_expiry ON passkey_challenges(expires_at);
