// The blocked_entries rows: an org's block list of addresses and domains (service/invitations.h).
//
// An entry is stored sealed under the org's key and found by its blind index (the index of
// "address:<email>" or "domain:<domain>"); this module moves the sealed bytes and indexes only.
// Every function runs on the caller's connection inside the caller's transaction
// (store/database.h). Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct BlockedRow {
  std::string kind;  // "address" | "domain"
  crypto::Bytes entry_bidx, entry_sealed;
  std::string created_by;
  int64_t created_at = 0;
};

bool BlockedEntryExists(Db& db, const util::OrgId& org, const crypto::Bytes& entry_bidx);
// The org's entries, oldest first, at most `limit`.
std::vector<BlockedRow> ListBlocked(Db& db, const util::OrgId& org, int limit);
int64_t CountBlocked(Db& db, const util::OrgId& org);
void InsertBlocked(Db& db, const util::OrgId& org, const BlockedRow& row);
// False if the org has no such entry.
bool DeleteBlocked(Db& db, const util::OrgId& org, const crypto::Bytes& entry_bidx);

}  // namespace bomvault::store
