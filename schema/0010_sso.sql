-- bomvault schema, version 10: single sign-on (OpenID Connect) per organisation.
-- Forward-only: never edit once shipped.
--
-- Everything an attacker could use is sealed under the org key or stored only as a hash: the
-- provider configuration (which holds the client secret) is one sealed JSON document; identities
-- are found by a keyed blind index of (org, issuer, sub); a pending sign-in is found by the hash
-- of its state, and its nonce and PKCE verifier are sealed; the ID token kept for RP-initiated
-- logout is sealed.

-- One provider per organisation.
CREATE TABLE oidc_providers (
  org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  config_sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- (issuer, sub) → user. Never matched by e-mail address.
CREATE TABLE oidc_identities (
  subject_bidx BLOB PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oidc_identities_user ON oidc_identities(user_id);

-- Authorization requests in flight. A row is deleted when its state comes back (single use) or
-- when it expires (10 minutes). binding_hash ties the request to the browser that started it.
CREATE TABLE oidc_logins (
  state_hash BLOB PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  binding_hash BLOB NOT NULL,
  request_sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oidc_logins_expiry ON oidc_logins(expires_at);

-- Sessions that came from the provider: the ID token for RP-initiated logout.
CREATE TABLE oidc_sessions (
  session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id_token_sealed BLOB NOT NULL
) WITHOUT ROWID;

-- A session whose second factor the provider asserted (amr/acr) meets the org's MFA policy.
ALTER TABLE sessions ADD COLUMN mfa_by_provider INTEGER NOT NULL DEFAULT 0;
