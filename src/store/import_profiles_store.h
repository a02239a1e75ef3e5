// The import_profiles rows behind service/import_profiles.h: one sealed JSON document per
// profile, with its org and times in clear. This module moves the sealed bytes only; every
// function runs on the caller's connection inside the caller's transaction (store/database.h).
// Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct ImportProfileRow {
  util::ImportProfileId id;
  crypto::Bytes sealed;
  int64_t created_at = 0, updated_at = 0;
};

// The org's profiles, oldest first.
std::vector<ImportProfileRow> ListImportProfiles(Db& db, const util::OrgId& org);
void InsertImportProfile(Db& db, const util::OrgId& org, const util::UserId& created_by,
                         const ImportProfileRow& row);
void UpdateImportProfile(Db& db, const util::OrgId& org, const util::ImportProfileId& id,
                         const crypto::Bytes& sealed, int64_t updated_at);
// False if the org had no such profile.
bool DeleteImportProfile(Db& db, const util::OrgId& org, const util::ImportProfileId& id);

}  // namespace bomvault::store
