#include "store/import_profiles_store.h"

#include "store/rows.h"

namespace bomvault::store {

std::vector<ImportProfileRow> ListImportProfiles(Db& db, const util::OrgId& org) {
  SQLite::Statement q(db,
                      "SELECT id, sealed, created_at, updated_at FROM import_profiles WHERE "
                      "org_id = ? ORDER BY created_at, id");
  q.bind(1, org.str());
  std::vector<ImportProfileRow> out;
  while (q.executeStep()) {
    ImportProfileRow r;
    r.id = util::ImportProfileId::FromTrusted(q.getColumn(0).getString());
    r.sealed = Copy(q.getColumn(1));
    r.created_at = q.getColumn(2).getInt64();
    r.updated_at = q.getColumn(3).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

void InsertImportProfile(Db& db, const util::OrgId& org, const util::UserId& created_by,
                         const ImportProfileRow& row) {
  SQLite::Statement ins(db,
                        "INSERT INTO import_profiles(id, org_id, sealed, created_by, "
                        "created_at, updated_at) VALUES (?,?,?,?,?,?)");
  ins.bind(1, row.id.str());
  ins.bind(2, org.str());
  BindBlob(ins, 3, row.sealed);
  ins.bind(4, created_by.str());
  ins.bind(5, row.created_at);
  ins.bind(6, row.updated_at);
  ins.exec();
}

void UpdateImportProfile(Db& db, const util::OrgId& org, const util::ImportProfileId& id,
                         const crypto::Bytes& sealed, int64_t updated_at) {
  SQLite::Statement u(db,
                      "UPDATE import_profiles SET sealed = ?, updated_at = ? WHERE id = ? AND "
                      "org_id = ?");
  BindBlob(u, 1, sealed);
  u.bind(2, updated_at);
  u.bind(3, id.str());
  u.bind(4, org.str());
  u.exec();
}

bool DeleteImportProfile(Db& db, const util::OrgId& org, const util::ImportProfileId& id) {
  SQLite::Statement d(db, "DELETE FROM import_profiles WHERE id = ? AND org_id = ?");
  d.bind(1, id.str());
  d.bind(2, org.str());
  return d.exec() != 0;
}

}  // namespace bomvault::store
