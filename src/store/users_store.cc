#include "store/users_store.h"

#include "store/rows.h"

namespace bomvault::store {

std::optional<crypto::Bytes> UserEmailSealed(Db& db, const util::OrgId& org,
                                             const util::UserId& user) {
  SQLite::Statement q(db, "SELECT email_sealed FROM users WHERE id = ? AND org_id = ?");
  q.bind(1, user.str());
  q.bind(2, org.str());
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

std::optional<crypto::Bytes> EnabledUserEmailSealed(Db& db, const util::OrgId& org,
                                                    const util::UserId& user) {
  SQLite::Statement q(
      db, "SELECT email_sealed FROM users WHERE id = ? AND org_id = ? AND disabled = 0");
  q.bind(1, user.str());
  q.bind(2, org.str());
  if (!q.executeStep()) return std::nullopt;
  return Copy(q.getColumn(0));
}

}  // namespace bomvault::store
