-- bomvault schema, version 9: display names.
-- Forward-only: never edit once shipped.
--
-- A user may choose how colleagues see them (sharing, owners, the audit view): sealed under the
-- org key like the e-mail address, so the file holds no name in clear. NULL: none chosen; the UI
-- shows the address instead.
ALTER TABLE users ADD COLUMN display_name_sealed BLOB;
