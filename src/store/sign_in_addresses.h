// The network addresses each user has signed in from (table sign_in_addresses, schema 0014), for
// the "sign-in from a new address" notice (service/notices.h, ASVS 6.3.5).
//
// Only keyed pseudonyms are stored, never an address: the caller passes a keyed hash of the user
// and the address (Accounts derives it from the instance's blind-index key), so the table tells
// nothing about where anyone was without that key, and the same address of two users reads as two
// unrelated values. At most `keep` pseudonyms per user are kept, the most recently used ones.
// Functions run inside the caller's transaction; no state of their own, so thread-safety is the
// Database's.
#pragma once

#include <cstdint>
#include <span>

#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct SignInAddressSeen {
  bool known = false;          // the pseudonym was on the user's list already
  bool first_sign_in = false;  // the user's list was empty: nothing to compare with
};

// Records a successful sign-in of `user` from the address behind `pseudonym` at `now`: a known
// pseudonym gets its last use moved, a new one is added and the user's list is cut back to the
// `keep` most recently used (ties: the older first use goes first). Says what was there before.
SignInAddressSeen RecordSignInAddress(Db& db, const util::UserId& user,
                                      std::span<const uint8_t> pseudonym, int64_t now, int keep);

}  // namespace bomvault::store
