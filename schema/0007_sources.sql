-- bomvault schema, version 7: data sources, per-user connections, links from BOMs to remote
-- records. Forward-only: never edit once shipped.
--
-- A source's whole configuration (name, base URL, auth method, client id and secret, scopes, CA
-- bundle, importer profile and rules) is one JSON object sealed under the org key, associated
-- data "source:<org>:<source id>"; only kind is plain, because every member's list shows it.
-- A connection holds one user's own credentials or tokens for one source, sealed under the org
-- key with org, source and user in the associated data ("source-connection:<org>:<source>/<user>"),
-- so a row copied to another user, source or tenant does not open. Rows die with their source,
-- their user and their org.

-- kind is persisted text: 'tryton' | 'rest' | 'folder'.
CREATE TABLE sources (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('tryton', 'rest', 'folder')),
  sealed BLOB NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX sources_org ON sources(org_id, created_at);

CREATE TABLE source_connections (
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source_id, user_id)
) WITHOUT ROWID;
CREATE INDEX source_connections_user ON source_connections(user_id);

-- Which remote record a BOM was pulled from or sent to, per source, so a refresh reads the same
-- record and a second send updates it. remote_sealed: the remote id, associated data
-- "source-link:<org>:<bom>/<source>".
CREATE TABLE bom_source_links (
  bom_id TEXT NOT NULL REFERENCES boms(id) ON DELETE CASCADE,
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  remote_sealed BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (bom_id, source_id)
) WITHOUT ROWID;
