// Named importer profiles: an organisation's saved ways of reading its tools' exports. Each is a
// name, an optional base built-in profile (bom/profile.h), column mappings (bom/mapping.h) and
// import options (charset, sheet, on_error). An import names one with ?profile=ID; the org-wide
// column mappings stay the fallback for columns a profile does not map. Two people importing from
// different tools at once each pick their own profile instead of rewriting the org's mappings.
//
// Rules: every member lists and uses profiles (Function::kColumnMappingsRead: they import);
// Administrators create, replace and delete them (kOrgSettingsWrite); another org's profile is
// NotFound. Stored sealed under the org data key with the profile id in the associated data;
// every change is audited on object "org:<id>". At most kMaxImportProfiles per org; names unique
// per org (case-insensitive). The stored document and the API's body are codec/import_profile.h's;
// this service takes and returns the settings as structs. Thread-safe: state lives in the store.
#pragma once

#include <string>
#include <vector>

#include "access/permissions.h"
#include "bom/import.h"
#include "bom/mapping.h"
#include "codec/import_profile.h"
#include "service/org_keys.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::service {

inline constexpr size_t kMaxImportProfiles = 100;

// A saved profile: its settings (name, base, mappings, options) and what the store adds.
struct ImportProfile : codec::ImportProfileSettings {
  util::ImportProfileId id;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

class ImportProfiles {
 public:
  ImportProfiles(store::Database& db, OrgKeys& keys) : db_(db), keys_(keys) {}

  util::Result<std::vector<ImportProfile>> List(const access::Principal& actor);
  util::Result<ImportProfile> Get(const access::Principal& actor, const util::ImportProfileId& id);
  // The settings are checked again (codec::CheckImportProfile): problems are
  // Invalid("invalid_profile", …), as when the API's body was read.
  util::Result<ImportProfile> Create(const access::Principal& actor,
                                     codec::ImportProfileSettings settings);
  util::Result<ImportProfile> Replace(const access::Principal& actor,
                                      const util::ImportProfileId& id,
                                      codec::ImportProfileSettings settings);
  util::Status Delete(const access::Principal& actor, const util::ImportProfileId& id);

  // Applies a profile to an import: its base, options (where the request gave none) and its
  // mappings ahead of the org's.
  static void Apply(const ImportProfile& p, bom::ImportOptions* options,
                    bom::ColumnMappings* mappings);

 private:
  store::Database& db_;
  OrgKeys& keys_;
};

}  // namespace bomvault::service
