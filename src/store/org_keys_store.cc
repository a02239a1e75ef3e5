#include "store/org_keys_store.h"

#include "store/rows.h"

namespace bomvault::store {

std::optional<OrgKeyRow> FindOrgKey(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT wrapped_key, wrapped_index_key FROM org_keys WHERE org_id = ?");
  q.bind(1, org.str());
  if (!q.executeStep()) return std::nullopt;
  return OrgKeyRow{Copy(q.getColumn(0)), CopyOrNull(q.getColumn(1))};
}

void InsertOrgKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped, int64_t now) {
  SQLite::Statement ins(db, "INSERT INTO org_keys(org_id, wrapped_key, created_at) VALUES (?,?,?)");
  ins.bind(1, org.str());
  BindBlob(ins, 2, wrapped);
  ins.bind(3, now);
  ins.exec();
}

void SetOrgIndexKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped_index) {
  SQLite::Statement u(db, "UPDATE org_keys SET wrapped_index_key = ? WHERE org_id = ?");
  BindBlob(u, 1, wrapped_index);
  u.bind(2, org.str());
  u.exec();
}

void SetOrgKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped, int64_t now) {
  SQLite::Statement u(db, "UPDATE org_keys SET wrapped_key = ?, created_at = ? WHERE org_id = ?");
  BindBlob(u, 1, wrapped);
  u.bind(2, now);
  u.bind(3, org.str());
  u.exec();
}

std::vector<crypto::Bytes> RetiredOrgKeys(Db& db, const util::OrgId& org) {
  std::vector<crypto::Bytes> out;
  SQLite::Statement q(db,
                      "SELECT wrapped_key FROM org_keys_retired WHERE org_id = ? ORDER BY id DESC");
  q.bind(1, org.str());
  while (q.executeStep()) out.push_back(Copy(q.getColumn(0)));
  return out;
}

void RetireOrgKey(Db& db, const util::OrgId& org, const crypto::Bytes& wrapped, int64_t now) {
  SQLite::Statement keep(db,
                         "INSERT INTO org_keys_retired(org_id, wrapped_key, retired_at) "
                         "VALUES (?,?,?)");
  keep.bind(1, org.str());
  BindBlob(keep, 2, wrapped);
  keep.bind(3, now);
  keep.exec();
}

std::vector<util::OrgId> OrgIdsWithKeys(Db& db) {
  std::vector<util::OrgId> out;
  SQLite::Statement q(db, "SELECT org_id FROM org_keys ORDER BY org_id");
  while (q.executeStep()) out.push_back(util::OrgId::FromTrusted(q.getColumn(0).getString()));
  return out;
}

void StartKeyRotation(Db& db, const util::OrgId& org, int64_t now) {
  SQLite::Statement r(db,
                      "INSERT INTO key_rotations(org_id, pass, step, position, resealed, "
                      "started_at) VALUES (?1, 1, 0, '', 0, ?2) ON CONFLICT(org_id) DO UPDATE SET "
                      "pass = 1, step = 0, position = '', started_at = ?2");
  r.bind(1, org.str());
  r.bind(2, now);
  r.exec();
}

namespace {

KeyRotationRow KeyRotationFrom(SQLite::Statement& q) {
  KeyRotationRow r;
  r.org = util::OrgId::FromTrusted(q.getColumn(0).getString());
  r.pass = q.getColumn(1).getInt();
  r.step = q.getColumn(2).getInt();
  r.position = q.getColumn(3).getString();
  r.resealed = q.getColumn(4).getInt64();
  r.started_at = q.getColumn(5).getInt64();
  return r;
}

}  // namespace

std::vector<KeyRotationRow> ListKeyRotations(Db& db) {
  SQLite::Statement q(db,
                      "SELECT org_id, pass, step, position, resealed, started_at FROM "
                      "key_rotations ORDER BY started_at, org_id");
  std::vector<KeyRotationRow> out;
  while (q.executeStep()) out.push_back(KeyRotationFrom(q));
  return out;
}

std::optional<KeyRotationRow> NextKeyRotation(Db& db) {
  SQLite::Statement q(db,
                      "SELECT org_id, pass, step, position, resealed, started_at FROM "
                      "key_rotations ORDER BY started_at, org_id LIMIT 1");
  if (!q.executeStep()) return std::nullopt;
  return KeyRotationFrom(q);
}

std::optional<KeyRotationRow> FindKeyRotation(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db,
                      "SELECT org_id, pass, step, position, resealed, started_at FROM "
                      "key_rotations WHERE org_id = ?");
  q.bind(1, org.str());
  if (!q.executeStep()) return std::nullopt;
  return KeyRotationFrom(q);
}

void AdvanceKeyRotation(Db& db, const util::OrgId& org, int step, const std::string& position,
                        int64_t resealed) {
  SQLite::Statement u(db,
                      "UPDATE key_rotations SET step = ?1, position = ?2, resealed = resealed + "
                      "?3 WHERE org_id = ?4");
  u.bind(1, step);
  u.bind(2, position);
  u.bind(3, resealed);
  u.bind(4, org.str());
  u.exec();
}

void StartKeyRotationSecondPass(Db& db, const util::OrgId& org) {
  SQLite::Statement u(
      db, "UPDATE key_rotations SET pass = 2, step = 0, position = '' WHERE org_id = ?");
  u.bind(1, org.str());
  u.exec();
}

void DeleteKeyRotation(Db& db, const util::OrgId& org) {
  SQLite::Statement d(db, "DELETE FROM key_rotations WHERE org_id = ?");
  d.bind(1, org.str());
  d.exec();
}

std::vector<RetiredKeyRow> ListRetiredKeys(Db& db, bool resealed_only) {
  SQLite::Statement q(db, resealed_only
                              ? "SELECT id, org_id, retired_at, resealed_at FROM org_keys_retired "
                                "WHERE resealed_at > 0 ORDER BY id"
                              : "SELECT id, org_id, retired_at, resealed_at FROM org_keys_retired "
                                "ORDER BY id");
  std::vector<RetiredKeyRow> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), util::OrgId::FromTrusted(q.getColumn(1).getString()),
                   q.getColumn(2).getInt64(), q.getColumn(3).getInt64()});
  }
  return out;
}

void MarkRetiredKeysResealed(Db& db, const util::OrgId& org, int64_t now) {
  SQLite::Statement u(db,
                      "UPDATE org_keys_retired SET resealed_at = ? WHERE org_id = ? AND "
                      "resealed_at = 0");
  u.bind(1, now);
  u.bind(2, org.str());
  u.exec();
}

void DeleteRetiredKey(Db& db, int64_t id) {
  SQLite::Statement d(db, "DELETE FROM org_keys_retired WHERE id = ?");
  d.bind(1, id);
  d.exec();
}

}  // namespace bomvault::store
