// The key files of backups (service/backups.h), the only place a backup keeps the org data keys:
//   DEST/keys.json          {"format": 1, "store_id", "written_at", "keyring": {"threshold",
//                           "shares", "keyring"}, "org_keys": [...]}: the keyring file's fields
//                           and every live org's wrapped keys, rewritten after each backup,
//                           org deletion and rekey;
//   DIR/restore-keys.json   {"format": 1, "store_id", "org_keys": [...]}: what `bomvault restore`
//                           leaves for the first unseal to put back.
// Each org_keys entry is {"org_id", "wrapped_key" (base64), "created_at", "wrapped_index_key"?,
// "retired_keys"?: [base64, ...]}. Both files are written with one space of indent and sorted keys,
// as since format 1. Decoding never throws: a damaged keys.json is Invalid("backup_damaged", …), a
// damaged restore-keys.json Internal (the data directory's own file). Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/keyring_file.h"
#include "crypto/crypto.h"
#include "util/ids.h"
#include "util/status.h"

namespace bomvault::codec {

// One org's keys, all wrapped by data_master: the current data key, the pinned blind-index key
// once the org has been rotated, and the retired data keys (newest first) that older snapshots
// may still need.
struct OrgKeyEntry {
  util::OrgId org;
  crypto::Bytes wrapped;
  int64_t created_at = 0;
  std::optional<crypto::Bytes> wrapped_index;
  std::vector<crypto::Bytes> retired;
};

struct BackupKeyFile {
  KeyringFile keyring;
  int64_t written_at = 0;  // unix seconds
  std::vector<OrgKeyEntry> org_keys;
};

util::Result<BackupKeyFile> DecodeBackupKeyFile(std::string_view text);
std::string EncodeBackupKeyFile(const BackupKeyFile& file);

// restore-keys.json: the store it belongs to is written for people; reading needs the keys only.
util::Result<std::vector<OrgKeyEntry>> DecodeRestoreKeyFile(std::string_view text);
std::string EncodeRestoreKeyFile(const StoreId& store_id, const std::vector<OrgKeyEntry>& org_keys);

}  // namespace bomvault::codec
