// The sessions rows (browser sessions and API tokens). So far the one change two services make:
// once a user proves a new second factor, their enrolment-only sessions become whole. The
// statements service/accounts.cc runs move here next. Every function runs on the caller's
// connection inside the caller's transaction (store/database.h). Thread-safety: that of the
// connection.
#pragma once

#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

// Clears mfa_pending on every session of `user` (after a TOTP or passkey enrolment).
void ClearMfaPending(Db& db, const util::UserId& user);

}  // namespace bomvault::store
