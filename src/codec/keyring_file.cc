#include "codec/keyring_file.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "codec/json_fields.h"

namespace bomvault::codec {

util::Result<KeyringFile> DecodeKeyringFile(std::string_view text) {
  const util::Status bad(util::Code::kInternal, "keyring_damaged", "the keyring file is damaged");
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || IntField(j, "format") != 1) return bad;
  auto id = crypto::FromHex(StringField(j, "store_id"));
  auto sealed = crypto::FromBase64(StringField(j, "keyring"));
  KeyringFile f;
  if (!id || id->size() != f.store_id.size() || !sealed || sealed->empty()) return bad;
  std::copy(id->begin(), id->end(), f.store_id.begin());
  const int64_t threshold = IntField(j, "threshold"), shares = IntField(j, "shares");
  if (threshold < 2 || threshold > shares || shares > 10) return bad;
  f.threshold = static_cast<int>(threshold);
  f.shares = static_cast<int>(shares);
  f.sealed = std::move(*sealed);
  return f;
}

std::string EncodeKeyringFile(const KeyringFile& file) {
  nlohmann::json j = {{"format", 1},
                      {"store_id", crypto::ToHex(file.store_id)},
                      {"threshold", file.threshold},
                      {"shares", file.shares},
                      {"keyring", crypto::ToBase64(file.sealed)}};
  return j.dump(2) + "\n";
}

}  // namespace bomvault::codec
