#include "store/sessions_store.h"

#include <SQLiteCpp/Statement.h>

namespace bomvault::store {

void ClearMfaPending(Db& db, const util::UserId& user) {
  SQLite::Statement s(db, "UPDATE sessions SET mfa_pending = 0 WHERE user_id = ?");
  s.bind(1, user.str());
  s.exec();
}

}  // namespace bomvault::store
