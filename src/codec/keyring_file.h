// The keyring file's text (DIR/keyring.json, vault/keyring.h; a backup's keys.json carries the
// same fields under "keyring"): format 1, the store id in hex, the share count and threshold
// the sealed server checks shares against, and the sealed keyring in base64. Written with two
// spaces of indent and sorted keys, as every bomvault since format 1 wrote it.
//
// Decoding refuses, with Status::Internal("keyring_damaged", …), text that is not a JSON object,
// another format, a store id that is not 8 bytes of hex, a keyring that is missing, empty or not
// base64, and share counts outside 2 <= threshold <= shares <= 10; no input throws.
// Pure functions: thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "util/status.h"

namespace bomvault::codec {

using StoreId = std::array<uint8_t, 8>;

struct KeyringFile {
  StoreId store_id{};
  int threshold = 0;
  int shares = 0;
  crypto::Bytes sealed;  // AEAD(root key, db_key || data_master || index_key)
};

util::Result<KeyringFile> DecodeKeyringFile(std::string_view text);
// The file's whole text, ending in a newline.
std::string EncodeKeyringFile(const KeyringFile& file);

}  // namespace bomvault::codec
