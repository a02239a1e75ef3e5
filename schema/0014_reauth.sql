-- bomvault schema, version 14: re-authentication before sensitive operations, and the addresses a
-- user has signed in from (for the new-address notice). Forward-only: never edit once shipped.
--
-- sessions.authenticated_at: Unix seconds of the last time the session's holder proved who they
-- are after the sign-in (POST /api/v1/sessions/current/reauth). NULL means "at the sign-in", i.e.
-- created_at, so sessions issued before this version and every fresh sign-in count as proved then.
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER;

-- The network addresses a user signed in from, as keyed pseudonyms only (a keyed BLAKE2b of the
-- user id and the address under the instance's blind-index key): never the address itself. At
-- most a bounded number of the most recent per user are kept (service/sign_in_addresses.h); a
-- successful sign-in from one not listed mails the user a notice, except the account's very first
-- sign-in.
CREATE TABLE sign_in_addresses (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  pseudonym BLOB NOT NULL,
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, pseudonym)
) WITHOUT ROWID;
