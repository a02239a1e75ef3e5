-- bomvault schema, version 15: HTTP conventions (docs/api.md): entity-tag versions and
-- idempotency keys. Forward-only: never edit once shipped.
--
-- Versions. GET /boms/{id}, the user reads and GET /org/settings answer an ETag built from a
-- version number that these triggers raise on every write of the object's content, whichever
-- code path writes it; If-Match on a write is compared with it inside the write's transaction.
-- The activity marks (boms.last_interacted_at, users.last_active_at, totp_last_step) are not in
-- the trigger lists: a read or a sign-in must not make every writer's ETag stale.
ALTER TABLE boms ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE orgs ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 1;

CREATE TRIGGER boms_version AFTER UPDATE OF owner_id, name_sealed, meta_sealed, item_count,
  chunk_count, updated_at, revision ON boms
BEGIN
  UPDATE boms SET version = OLD.version + 1 WHERE id = NEW.id;
END;
-- A BOM's summary counts its attachments and names its thumbnail.
CREATE TRIGGER bom_attachments_added AFTER INSERT ON bom_attachments
BEGIN
  UPDATE boms SET version = version + 1 WHERE id = NEW.bom_id;
END;
CREATE TRIGGER bom_attachments_removed AFTER DELETE ON bom_attachments
BEGIN
  UPDATE boms SET version = version + 1 WHERE id = OLD.bom_id;
END;

CREATE TRIGGER users_version AFTER UPDATE OF email_sealed, display_name_sealed, role,
  email_verified, disabled, totp_enabled ON users
BEGIN
  UPDATE users SET version = OLD.version + 1 WHERE id = NEW.id;
END;
-- A user's representation counts recovery codes left and passkeys.
CREATE TRIGGER users_recovery_added AFTER INSERT ON recovery_codes
BEGIN
  UPDATE users SET version = version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER users_recovery_removed AFTER DELETE ON recovery_codes
BEGIN
  UPDATE users SET version = version + 1 WHERE id = OLD.user_id;
END;
CREATE TRIGGER users_passkey_added AFTER INSERT ON passkeys
BEGIN
  UPDATE users SET version = version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER users_passkey_removed AFTER DELETE ON passkeys
BEGIN
  UPDATE users SET version = version + 1 WHERE id = OLD.user_id;
END;

CREATE TRIGGER orgs_settings_version AFTER UPDATE OF settings ON orgs
BEGIN
  UPDATE orgs SET settings_version = OLD.settings_version + 1 WHERE id = NEW.id;
END;

-- Idempotency keys (POST creates with an Idempotency-Key header). key_hash is the org's keyed
-- blind index of (user, method, path, the client's key), so the table holds no key in the clear
-- and one user's key never meets another's; request_hash the same of the query and body. While
-- the first request runs, state is 'running' and response_sealed is NULL; once it answered 2xx,
-- the answer (status, Location, body) is sealed with the org's data key. Rows expire after 24
-- hours and the retention job deletes them; deleting the org deletes them with its key.
CREATE TABLE idempotency_keys (
  key_hash BLOB PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  request_hash BLOB NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done')),
  response_sealed BLOB,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_expiry ON idempotency_keys(expires_at);
