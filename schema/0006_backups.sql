-- Every directory the server has written a backup to (service/backups.h). Deleting an org must
-- reach each one's key file; keys_pending marks a directory that could not be rewritten yet (not
-- mounted, full), retried until it succeeds. last_success_at feeds the backup-age metric.
CREATE TABLE backup_targets (
  path TEXT PRIMARY KEY,
  added_at INTEGER NOT NULL,
  last_success_at INTEGER NOT NULL DEFAULT 0,
  last_snapshot TEXT NOT NULL DEFAULT '',
  keys_written_at INTEGER NOT NULL DEFAULT 0,
  keys_pending INTEGER NOT NULL DEFAULT 0 CHECK (keys_pending IN (0, 1))
);
