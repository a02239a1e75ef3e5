// The keyring: the few keys everything else hangs from, sealed under the root key.
//
// Key hierarchy:
//   root key (256-bit, random, never stored; only its Shamir shares exist, held by people)
//     └─ keyring (DIR/keyring.json, XChaCha20-Poly1305, associated data = store id)
//          ├─ db_key: the SQLCipher key of DIR/bomvault.db
//          ├─ data_master: wraps each organisation's data key (rows of org_keys)
//          └─ index_key: instance-wide blind indexes (e-mail addresses for sign-in)
// Rotating the root key (always with new shares: `bomvault rekey`) re-encrypts only the keyring
// file. Rotating data_master rewraps only org_keys rows.
// Deleting an org deletes its wrapped key, which makes all its ciphertext unreadable.
//
// The keyring file also holds non-secret metadata (store id, share count, threshold) that the
// sealed server needs to check shares; its text is codec/keyring_file.h's. Writes are atomic
// (temp file, fsync, rename).
// Functions are pure except for file I/O; the Keys struct lives in locked memory.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codec/keyring_file.h"
#include "crypto/crypto.h"
#include "crypto/secure_buffer.h"
#include "util/status.h"

namespace bomvault::vault {

using StoreId = codec::StoreId;
using KeyringFile = codec::KeyringFile;

struct Keys {
  crypto::SecureBuffer db_key;
  crypto::SecureBuffer data_master;
  crypto::SecureBuffer index_key;
};

struct NewKeyring {
  KeyringFile file;
  std::vector<std::string> share_texts;  // printed once, never stored
  crypto::SecureBuffer root_key;
  Keys keys;
};

util::Result<NewKeyring> CreateKeyring(int shares, int threshold);
// `bomvault rekey`: the same keys sealed under a NEW random root key, split into new shares for
// the same store. Re-splitting the old root key would leave the old shares valid too, so bomvault
// never re-shares without rotating: after the new file replaces the old one, exactly one set of
// shares opens the store. Pure; the caller prints the shares, then writes the file.
util::Result<NewKeyring> RotateRootKey(const KeyringFile& current, const Keys& keys, int shares,
                                       int threshold);
std::optional<Keys> OpenKeyring(const KeyringFile& file, const crypto::SecureBuffer& root_key);

std::string KeyringPath(const std::string& data_dir);
util::Result<KeyringFile> ReadKeyringFile(const std::string& data_dir);
util::Status WriteKeyringFile(const std::string& data_dir, const KeyringFile& file);
std::string StoreIdHex(const StoreId& id);

}  // namespace bomvault::vault
