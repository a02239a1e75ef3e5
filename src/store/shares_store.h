// The bom_shares rows: which members a BOM is shared with, and how (view or edit).
//
// The access names are the ones access/ parses; this module stores and returns them as text and
// decides nothing (whether a share is allowed is access/'s and service/boms.h's). It also holds
// the users lookup sharing needs (the target's org and state). Every function runs on the
// caller's connection inside the caller's transaction (store/database.h). Thread-safety: that of
// the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct ShareRow {
  util::UserId user;
  std::string access;
  int64_t created_at = 0;
};
// The BOM's shares, oldest first.
std::vector<ShareRow> ListShares(Db& db, const util::BomId& bom);
// Shares the BOM with the user, or changes the access of an existing share (keeping its date).
void UpsertShare(Db& db, const util::BomId& bom, const util::UserId& user,
                 const std::string& access, int64_t now);
// False if the BOM was not shared with the user.
bool DeleteShare(Db& db, const util::BomId& bom, const util::UserId& user);

// What deciding a share or a transfer needs to know of the other user.
struct ShareTarget {
  util::OrgId org;
  bool email_verified = false;
  bool disabled = false;
};
std::optional<ShareTarget> FindShareTarget(Db& db, const util::UserId& user);

}  // namespace bomvault::store
