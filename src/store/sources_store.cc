#include "store/sources_store.h"

#include "store/rows.h"

namespace bomvault::store {

std::optional<SourceRow> FindSource(Db& db, const util::OrgId& org, const util::SourceId& id,
                                    const util::UserId& user) {
  SQLite::Statement q(db,
                      "SELECT kind, sealed, created_at, updated_at, EXISTS(SELECT 1 FROM "
                      "source_connections c WHERE c.source_id = s.id AND c.user_id = ?2) "
                      "FROM sources s WHERE s.id = ?1 AND s.org_id = ?3");
  q.bind(1, id.str());
  q.bind(2, user.str());
  q.bind(3, org.str());
  if (!q.executeStep()) return std::nullopt;
  SourceRow r;
  r.kind = q.getColumn(0).getString();
  r.sealed = Copy(q.getColumn(1));
  r.created_at = q.getColumn(2).getInt64();
  r.updated_at = q.getColumn(3).getInt64();
  r.connected = q.getColumn(4).getInt() != 0;
  return r;
}

std::vector<util::SourceId> SourceIds(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT id FROM sources WHERE org_id = ? ORDER BY created_at, id");
  q.bind(1, org.str());
  std::vector<util::SourceId> ids;
  while (q.executeStep()) ids.push_back(util::SourceId::FromTrusted(q.getColumn(0).getString()));
  return ids;
}

void InsertSource(Db& db, const util::OrgId& org, const util::SourceId& id, const std::string& kind,
                  const crypto::Bytes& sealed, const util::UserId& created_by, int64_t now) {
  SQLite::Statement ins(db,
                        "INSERT INTO sources(id, org_id, kind, sealed, created_by, created_at, "
                        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
  ins.bind(1, id.str());
  ins.bind(2, org.str());
  ins.bind(3, kind);
  BindBlob(ins, 4, sealed);
  ins.bind(5, created_by.str());
  ins.bind(6, now);
  ins.exec();
}

void UpdateSource(Db& db, const util::SourceId& id, const crypto::Bytes& sealed, int64_t now) {
  SQLite::Statement u(db, "UPDATE sources SET sealed = ?, updated_at = ? WHERE id = ?");
  BindBlob(u, 1, sealed);
  u.bind(2, now);
  u.bind(3, id.str());
  u.exec();
}

void DeleteSource(Db& db, const util::OrgId& org, const util::SourceId& id) {
  SQLite::Statement d(db, "DELETE FROM sources WHERE id = ? AND org_id = ?");
  d.bind(1, id.str());
  d.bind(2, org.str());
  d.exec();
}

std::optional<crypto::Bytes> SourceConnection(Db& db, const util::OrgId& org,
                                              const util::SourceId& id, const util::UserId& user) {
  SQLite::Statement q(db,
                      "SELECT sealed FROM source_connections WHERE source_id = ? AND user_id = ? "
                      "AND org_id = ?");
  q.bind(1, id.str());
  q.bind(2, user.str());
  q.bind(3, org.str());
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

void SaveSourceConnection(Db& db, const util::OrgId& org, const util::SourceId& id,
                          const util::UserId& user, const crypto::Bytes& sealed, int64_t now) {
  SQLite::Statement ins(db,
                        "INSERT INTO source_connections(source_id, user_id, org_id, sealed, "
                        "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON "
                        "CONFLICT(source_id, user_id) DO UPDATE SET sealed = ?4, updated_at = ?5");
  ins.bind(1, id.str());
  ins.bind(2, user.str());
  ins.bind(3, org.str());
  BindBlob(ins, 4, sealed);
  ins.bind(5, now);
  ins.exec();
}

void UpdateSourceConnection(Db& db, const util::OrgId& org, const util::SourceId& id,
                            const util::UserId& user, const crypto::Bytes& sealed, int64_t now) {
  SQLite::Statement u(db,
                      "UPDATE source_connections SET sealed = ?, updated_at = ? WHERE "
                      "source_id = ? AND user_id = ? AND org_id = ?");
  BindBlob(u, 1, sealed);
  u.bind(2, now);
  u.bind(3, id.str());
  u.bind(4, user.str());
  u.bind(5, org.str());
  u.exec();
}

int DeleteSourceConnections(Db& db, const util::SourceId& id, const util::UserId* user) {
  if (user == nullptr) {
    SQLite::Statement d(db, "DELETE FROM source_connections WHERE source_id = ?");
    d.bind(1, id.str());
    return d.exec();
  }
  SQLite::Statement d(db, "DELETE FROM source_connections WHERE source_id = ? AND user_id = ?");
  d.bind(1, id.str());
  d.bind(2, user->str());
  return d.exec();
}

int DeleteUserSourceConnections(Db& db, const util::UserId& user) {
  SQLite::Statement d(db, "DELETE FROM source_connections WHERE user_id = ?");
  d.bind(1, user.str());
  return d.exec();
}

std::optional<crypto::Bytes> BomSourceLink(Db& db, const util::BomId& bom,
                                           const util::SourceId& id) {
  SQLite::Statement q(db,
                      "SELECT remote_sealed FROM bom_source_links WHERE bom_id = ? AND "
                      "source_id = ?");
  q.bind(1, bom.str());
  q.bind(2, id.str());
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

void SaveBomSourceLink(Db& db, const util::BomId& bom, const util::SourceId& id,
                       const crypto::Bytes& sealed, int64_t now) {
  SQLite::Statement u(db,
                      "INSERT INTO bom_source_links(bom_id, source_id, remote_sealed, updated_at) "
                      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(bom_id, source_id) DO UPDATE SET "
                      "remote_sealed = ?3, updated_at = ?4");
  u.bind(1, bom.str());
  u.bind(2, id.str());
  BindBlob(u, 3, sealed);
  u.bind(4, now);
  u.exec();
}

std::optional<crypto::Bytes> SourceFile(Db& db, const util::SourceId& id,
                                        const crypto::Bytes& name_key) {
  SQLite::Statement q(db, "SELECT sealed FROM source_files WHERE source_id = ? AND name_key = ?");
  q.bind(1, id.str());
  BindBlob(q, 2, name_key);
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

void SaveSourceFile(Db& db, const util::SourceId& id, const crypto::Bytes& name_key,
                    const crypto::Bytes& sealed, int64_t now) {
  SQLite::Statement u(db,
                      "INSERT INTO source_files(source_id, name_key, sealed, updated_at) VALUES "
                      "(?1, ?2, ?3, ?4) ON CONFLICT(source_id, name_key) DO UPDATE SET "
                      "sealed = ?3, updated_at = ?4");
  u.bind(1, id.str());
  BindBlob(u, 2, name_key);
  BindBlob(u, 3, sealed);
  u.bind(4, now);
  u.exec();
}

}  // namespace bomvault::store
