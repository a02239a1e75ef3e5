#include "store/sign_in_addresses.h"

namespace bomvault::store {

SignInAddressSeen RecordSignInAddress(Db& db, const util::UserId& user,
                                      std::span<const uint8_t> pseudonym, int64_t now, int keep) {
  SignInAddressSeen seen;
  {
    SQLite::Statement q(db,
                        "SELECT count(*), coalesce(sum(pseudonym = ?), 0) FROM sign_in_addresses "
                        "WHERE user_id = ?");
    q.bind(1, pseudonym.data(), static_cast<int>(pseudonym.size()));
    q.bind(2, user.str());
    q.executeStep();
    seen.first_sign_in = q.getColumn(0).getInt64() == 0;
    seen.known = q.getColumn(1).getInt64() > 0;
  }
  SQLite::Statement up(db,
                       "INSERT INTO sign_in_addresses(user_id, pseudonym, first_seen_at, "
                       "last_seen_at) VALUES (?,?,?,?) ON CONFLICT(user_id, pseudonym) DO UPDATE "
                       "SET last_seen_at = excluded.last_seen_at");
  up.bind(1, user.str());
  up.bind(2, pseudonym.data(), static_cast<int>(pseudonym.size()));
  up.bind(3, static_cast<int64_t>(now));
  up.bind(4, static_cast<int64_t>(now));
  up.exec();
  if (!seen.known) {
    SQLite::Statement cut(db,
                          "DELETE FROM sign_in_addresses WHERE user_id = ?1 AND pseudonym NOT IN "
                          "(SELECT pseudonym FROM sign_in_addresses WHERE user_id = ?1 ORDER BY "
                          "last_seen_at DESC, first_seen_at DESC LIMIT ?2)");
    cut.bind(1, user.str());
    cut.bind(2, keep);
    cut.exec();
  }
  return seen;
}

}  // namespace bomvault::store
