#include "store/sealed_columns_store.h"

#include "store/rows.h"

namespace bomvault::store {

namespace {

// The index of an entry is persisted (key_rotations.step): only append. Each select takes ?1 = org
// id and returns the key columns, the object (the associated data's last part, as the service that
// wrote it builds it) and the ciphertext, in key order; @AFTER@ becomes "1" or the key-tuple
// comparison with ?2.. for the position. Each update takes ?1 = the new ciphertext and ?2.. = the
// key columns.
struct SealedColumn {
  const char* purpose;
  int keys;
  const char* select;
  const char* after;  // the key tuple, compared with (?2, ...)
  const char* update;
};

#define ORG_BOMS "(SELECT id FROM boms WHERE org_id = ?1)"
const SealedColumn kSealedColumns[] = {
    {"org-name", 1, "SELECT id, id, name_sealed FROM orgs WHERE id = ?1 AND @AFTER@ ORDER BY id",
     "id", "UPDATE orgs SET name_sealed = ?1 WHERE id = ?2"},
    {"email", 1, "SELECT id, id, email_sealed FROM users WHERE org_id = ?1 AND @AFTER@ ORDER BY id",
     "id", "UPDATE users SET email_sealed = ?1 WHERE id = ?2"},
    {"totp", 1,
     "SELECT id, id, totp_secret_sealed FROM users WHERE org_id = ?1 AND totp_secret_sealed IS NOT "
     "NULL AND @AFTER@ ORDER BY id",
     "id", "UPDATE users SET totp_secret_sealed = ?1 WHERE id = ?2"},
    {"display-name", 1,
     "SELECT id, id, display_name_sealed FROM users WHERE org_id = ?1 AND display_name_sealed IS "
     "NOT NULL AND @AFTER@ ORDER BY id",
     "id", "UPDATE users SET display_name_sealed = ?1 WHERE id = ?2"},
    {"token-name", 1,
     "SELECT id, id, name_sealed FROM sessions WHERE user_id IN (SELECT id FROM users WHERE "
     "org_id = ?1) AND name_sealed IS NOT NULL AND @AFTER@ ORDER BY id",
     "id", "UPDATE sessions SET name_sealed = ?1 WHERE id = ?2"},
    {"bom-name", 1,
     "SELECT id, id, name_sealed FROM boms WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE boms SET name_sealed = ?1 WHERE id = ?2"},
    {"bom-meta", 1,
     "SELECT id, id, meta_sealed FROM boms WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE boms SET meta_sealed = ?1 WHERE id = ?2"},
    {"bom-chunk", 2,
     "SELECT bom_id, seq, bom_id || '/' || seq, sealed FROM bom_chunks WHERE bom_id IN " ORG_BOMS
     " AND @AFTER@ ORDER BY bom_id, seq",
     "(bom_id, seq)", "UPDATE bom_chunks SET sealed = ?1 WHERE bom_id = ?2 AND seq = ?3"},
    {"bom-revision", 2,
     "SELECT bom_id, revision, bom_id || '@' || revision, meta_sealed FROM bom_revisions WHERE "
     "bom_id IN " ORG_BOMS " AND meta_sealed IS NOT NULL AND @AFTER@ ORDER BY bom_id, revision",
     "(bom_id, revision)",
     "UPDATE bom_revisions SET meta_sealed = ?1 WHERE bom_id = ?2 AND revision = ?3"},
    {"bom-chunk", 3,
     "SELECT bom_id, revision, seq, bom_id || '@' || revision || '/' || seq, sealed FROM "
     "bom_revision_chunks WHERE bom_id IN " ORG_BOMS " AND @AFTER@ ORDER BY bom_id, revision, seq",
     "(bom_id, revision, seq)",
     "UPDATE bom_revision_chunks SET sealed = ?1 WHERE bom_id = ?2 AND revision = ?3 AND seq = "
     "?4"},
    {"bom-attachment-meta", 1,
     "SELECT id, bom_id || '/' || id || '/' || kind || '/' || media_type || '/' || size || '/' || "
     "width || 'x' || height || '/' || chunk_count, meta_sealed FROM bom_attachments WHERE bom_id "
     "IN " ORG_BOMS " AND @AFTER@ ORDER BY id",
     "id", "UPDATE bom_attachments SET meta_sealed = ?1 WHERE id = ?2"},
    {"bom-attachment", 2,
     "SELECT c.attachment_id, c.seq, a.bom_id || '/' || c.attachment_id || '/' || c.seq || '/' || "
     "a.chunk_count, c.sealed FROM bom_attachment_chunks c JOIN bom_attachments a ON a.id = "
     "c.attachment_id WHERE a.bom_id IN " ORG_BOMS " AND @AFTER@ ORDER BY c.attachment_id, c.seq",
     "(c.attachment_id, c.seq)",
     "UPDATE bom_attachment_chunks SET sealed = ?1 WHERE attachment_id = ?2 AND seq = ?3"},
    {"audit", 1,
     "SELECT id, object, change_sealed FROM audit WHERE org_id = ?1 AND change_sealed IS NOT NULL "
     "AND @AFTER@ ORDER BY id",
     "id", "UPDATE audit SET change_sealed = ?1 WHERE id = ?2"},
    {"invitation-email", 1,
     "SELECT id, id, email_sealed FROM invitations WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE invitations SET email_sealed = ?1 WHERE id = ?2"},
    {"blocked", 2,
     "SELECT org_id, entry_bidx, lower(hex(entry_bidx)), entry_sealed FROM blocked_entries WHERE "
     "org_id = ?1 AND @AFTER@ ORDER BY org_id, entry_bidx",
     "(org_id, entry_bidx)",
     "UPDATE blocked_entries SET entry_sealed = ?1 WHERE org_id = ?2 AND entry_bidx = ?3"},
    {"column-mappings", 1,
     "SELECT org_id, org_id, sealed FROM org_column_mappings WHERE org_id = ?1 AND @AFTER@ ORDER "
     "BY org_id",
     "org_id", "UPDATE org_column_mappings SET sealed = ?1 WHERE org_id = ?2"},
    {"import-profile", 1,
     "SELECT id, id, sealed FROM import_profiles WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE import_profiles SET sealed = ?1 WHERE id = ?2"},
    {"source", 1, "SELECT id, id, sealed FROM sources WHERE org_id = ?1 AND @AFTER@ ORDER BY id",
     "id", "UPDATE sources SET sealed = ?1 WHERE id = ?2"},
    {"source-connection", 2,
     "SELECT source_id, user_id, source_id || '/' || user_id, sealed FROM source_connections "
     "WHERE org_id = ?1 AND @AFTER@ ORDER BY source_id, user_id",
     "(source_id, user_id)",
     "UPDATE source_connections SET sealed = ?1 WHERE source_id = ?2 AND user_id = ?3"},
    {"source-link", 2,
     "SELECT bom_id, source_id, bom_id || '/' || source_id, remote_sealed FROM bom_source_links "
     "WHERE bom_id IN " ORG_BOMS " AND @AFTER@ ORDER BY bom_id, source_id",
     "(bom_id, source_id)",
     "UPDATE bom_source_links SET remote_sealed = ?1 WHERE bom_id = ?2 AND source_id = ?3"},
    {"oidc", 1,
     "SELECT org_id, org_id, config_sealed FROM oidc_providers WHERE org_id = ?1 AND @AFTER@ "
     "ORDER BY org_id",
     "org_id", "UPDATE oidc_providers SET config_sealed = ?1 WHERE org_id = ?2"},
    {"oidc-login", 1,
     "SELECT state_hash, lower(hex(state_hash)), request_sealed FROM oidc_logins WHERE org_id = ?1 "
     "AND @AFTER@ ORDER BY state_hash",
     "state_hash", "UPDATE oidc_logins SET request_sealed = ?1 WHERE state_hash = ?2"},
    {"oidc-session", 1,
     "SELECT session_id, session_id, id_token_sealed FROM oidc_sessions WHERE org_id = ?1 AND "
     "@AFTER@ ORDER BY session_id",
     "session_id", "UPDATE oidc_sessions SET id_token_sealed = ?1 WHERE session_id = ?2"},
    {"passkey", 1,
     "SELECT id, user_id || '/' || id, credential_sealed FROM passkeys WHERE org_id = ?1 AND "
     "@AFTER@ ORDER BY id",
     "id", "UPDATE passkeys SET credential_sealed = ?1 WHERE id = ?2"},
    {"passkey-name", 1,
     "SELECT id, id, name_sealed FROM passkeys WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE passkeys SET name_sealed = ?1 WHERE id = ?2"},
    {"source-file", 2,
     "SELECT source_id, name_key, source_id || '/' || lower(hex(name_key)), sealed FROM "
     "source_files WHERE source_id IN (SELECT id FROM sources WHERE org_id = ?1) AND @AFTER@ "
     "ORDER BY source_id, name_key",
     "(source_id, name_key)",
     "UPDATE source_files SET sealed = ?1 WHERE source_id = ?2 AND name_key = ?3"},
};
#undef ORG_BOMS

constexpr int kColumns = static_cast<int>(std::size(kSealedColumns));

KeyValue ReadKey(const SQLite::Column& c) {
  if (c.isInteger()) return c.getInt64();
  if (c.isBlob()) return Copy(c);
  return c.getString();
}

void BindKey(SQLite::Statement& s, int index, const KeyValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    s.bind(index, *i);
  } else if (const auto* t = std::get_if<std::string>(&v)) {
    s.bind(index, *t);
  } else {
    BindBlob(s, index, std::get<crypto::Bytes>(v));
  }
}

std::string SelectSql(const SealedColumn& col, bool after, int limit) {
  std::string sql = col.select;
  std::string cond = "1";
  if (after) {
    cond = std::string(col.after) + " > (";
    for (int i = 0; i < col.keys; ++i) cond += (i ? ", ?" : "?") + std::to_string(i + 2);
    cond += ")";
  }
  sql.replace(sql.find("@AFTER@"), 7, cond);
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  return sql;
}

}  // namespace

int SealedColumnCount() { return kColumns; }

std::string_view SealedColumnPurpose(int step) { return kSealedColumns[step].purpose; }

int SealedColumnKeyCount(int step) { return kSealedColumns[step].keys; }

std::vector<SealedRow> SealedBatch(Db& db, int step, const util::OrgId& org,
                                   const std::optional<std::vector<KeyValue>>& after, int limit) {
  const SealedColumn& col = kSealedColumns[step];
  SQLite::Statement q(db, SelectSql(col, after.has_value(), limit));
  q.bind(1, org.str());
  if (after) {
    for (int i = 0; i < col.keys; ++i) BindKey(q, i + 2, (*after)[i]);
  }
  std::vector<SealedRow> rows;
  while (q.executeStep()) {
    SealedRow r;
    for (int i = 0; i < col.keys; ++i) r.keys.push_back(ReadKey(q.getColumn(i)));
    r.object = q.getColumn(col.keys).getString();
    r.sealed = Copy(q.getColumn(col.keys + 1));
    rows.push_back(std::move(r));
  }
  return rows;
}

void UpdateSealed(Db& db, int step, const std::vector<KeyValue>& keys,
                  std::span<const uint8_t> sealed) {
  const SealedColumn& col = kSealedColumns[step];
  SQLite::Statement u(db, col.update);
  BindBlob(u, 1, sealed);
  for (int i = 0; i < col.keys; ++i) BindKey(u, i + 2, keys[i]);
  u.exec();
}

void ForEachSealedColumn(
    Db& db, const util::OrgId& org,
    const std::function<void(std::string_view, std::string_view, std::span<const uint8_t>)>& fn) {
  for (const SealedColumn& col : kSealedColumns) {
    SQLite::Statement q(db, SelectSql(col, false, 0));
    q.bind(1, org.str());
    while (q.executeStep()) {
      fn(col.purpose, q.getColumn(col.keys).getString(), Blob(q.getColumn(col.keys + 1)));
    }
  }
}

}  // namespace bomvault::store
