// The users rows. So far the lookups other aggregates make (a member's sealed address); the
// statements service/accounts.cc runs move here next. Addresses are stored sealed under the org's
// key and blind-indexed; this module moves the sealed bytes only. Every function runs on the
// caller's connection inside the caller's transaction (store/database.h).
// Thread-safety: that of the connection.
#pragma once

#include <optional>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

// The sealed address of `user` in `org`; nullopt if the org has no such user.
std::optional<crypto::Bytes> UserEmailSealed(Db& db, const util::OrgId& org,
                                             const util::UserId& user);
// The same, only while the account is enabled (mail to a disabled account is never sent).
std::optional<crypto::Bytes> EnabledUserEmailSealed(Db& db, const util::OrgId& org,
                                                    const util::UserId& user);

}  // namespace bomvault::store
