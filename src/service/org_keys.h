// Organisation data keys: creation, unwrapping, and the sealing helpers every service uses.
//
// Each organisation has one random 256-bit data key, stored only wrapped by the keyring's
// data_master (AEAD, associated data = org id) in org_keys. Unwrapped keys are cached in locked
// memory for the life of the unsealed state; the cache dies (and is wiped) when the server seals.
// OrgCrypto seals a field with associated data naming org, object and field, so ciphertext copied
// to another tenant, object or column fails to open; it also holds the org's blind-index key.
//
// Rotation (service/key_rotation.h): an org may have retired keys besides its current one. Seal
// always uses the current key; Open tries the current key, then the retired ones, so nothing
// stops working while the background re-seal runs. The keys live in a KeySet shared by every
// OrgCrypto handle of the org, swapped in place under its lock, so a request that fetched its
// handle before a rotation seals under the new key from the moment the rotation is committed.
// A rotation also gives the cache a new handle: the old one expiring (OrgKeys::Drained) proves
// that every request which could have sealed under the old key before the swap has ended.
// The blind-index key never changes with rotation (see schema/0011_key_rotation.sql).
// Thread-safe: the cache has its own mutex, each KeySet its shared mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"
#include "util/status.h"

namespace bomvault::service {

// The keys of one org: current and retired (newest first). Shared by the org's handles.
struct OrgKeySet {
  std::shared_mutex mu;
  crypto::SecureBuffer current;               // guarded by mu
  std::vector<crypto::SecureBuffer> retired;  // guarded by mu
};

class OrgCrypto {
 public:
  OrgCrypto(util::OrgId org, std::shared_ptr<OrgKeySet> keys, crypto::SecureBuffer index_key);
  const util::OrgId& org() const { return org_; }

  // ad = "<purpose>:<org>:<object>"
  crypto::Bytes Seal(std::string_view purpose, std::string_view object,
                     std::span<const uint8_t> plain) const;
  crypto::Bytes SealText(std::string_view purpose, std::string_view object,
                         std::string_view text) const {
    return Seal(purpose, object, crypto::AsBytes(text));
  }
  std::optional<crypto::Bytes> Open(std::string_view purpose, std::string_view object,
                                    std::span<const uint8_t> sealed) const;
  std::optional<std::string> OpenText(std::string_view purpose, std::string_view object,
                                      std::span<const uint8_t> sealed) const;
  // Opens straight into locked memory: for secrets (credentials, tokens).
  std::optional<crypto::SecureBuffer> OpenSecret(std::string_view purpose, std::string_view object,
                                                 std::span<const uint8_t> sealed) const;
  // Keyed blind index of a value, per org and per purpose.
  crypto::Bytes BlindIndex(std::string_view purpose, std::string_view value) const;

  // For the re-seal: kCurrent if `sealed` opens under the current key (nothing to do),
  // kResealed with *out set to the same plaintext sealed under the current key if it opened under
  // a retired one, kUnreadable if no key opens it. The plaintext never leaves locked memory.
  enum class Reseal { kCurrent, kResealed, kUnreadable };
  Reseal ResealUnderCurrent(std::string_view purpose, std::string_view object,
                            std::span<const uint8_t> sealed, crypto::Bytes* out) const;
  // Whether `key` opens `sealed` (the check that a retired key opens nothing any more).
  bool OpensWith(const crypto::SecureBuffer& key, std::string_view purpose, std::string_view object,
                 std::span<const uint8_t> sealed) const;
  size_t retired_count() const;

 private:
  friend class OrgKeys;
  crypto::Bytes Ad(std::string_view purpose, std::string_view object) const;
  util::OrgId org_;
  std::shared_ptr<OrgKeySet> keys_;
  crypto::SecureBuffer index_key_;
};

class OrgKeys {
 public:
  explicit OrgKeys(const crypto::SecureBuffer& data_master) : data_master_(data_master.Clone()) {}

  // Makes a new data key for `org` and inserts its wrapped form (inside the caller's tx).
  std::shared_ptr<const OrgCrypto> Create(store::Db& db, const util::OrgId& org);
  // The org's crypto, from the cache or unwrapped from org_keys (and org_keys_retired); NotFound
  // if the org is gone.
  util::Result<std::shared_ptr<const OrgCrypto>> Get(store::Db& db, const util::OrgId& org);
  void Forget(const util::OrgId& org);

  // Rotation, inside the caller's write tx: a new random data key replaces the current one in
  // org_keys, the current one moves to org_keys_retired, the blind-index key is pinned, and a
  // key_rotations row (re)starts the re-seal. Returns the new key; after the tx commits, pass it
  // to Rotated() (never before: a rolled-back rotation must not leave its key in use).
  util::Result<crypto::SecureBuffer> Rotate(store::Db& db, const util::OrgId& org);
  void Rotated(const util::OrgId& org, crypto::SecureBuffer new_key);
  // True once no handle fetched before the org's last rotation is alive.
  bool Drained(const util::OrgId& org);
  // Reloads the org's retired keys from org_keys_retired (after rows were deleted).
  util::Status ReloadRetired(store::Db& db, const util::OrgId& org);
  // The org's retired keys as stored (for `check --retired-from`): unwrapped, newest first.
  util::Result<std::vector<crypto::SecureBuffer>> RetiredKeys(store::Db& db,
                                                              const util::OrgId& org);
  // The org's current data key unwrapped from org_keys (for `check --retired-from`).
  util::Result<crypto::SecureBuffer> CurrentKey(store::Db& db, const util::OrgId& org);

 private:
  crypto::Bytes Ad(const util::OrgId& org) const;
  crypto::Bytes IndexAd(const util::OrgId& org) const;
  crypto::SecureBuffer data_master_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<OrgCrypto>> cache_;       // guarded by mu_
  std::map<std::string, std::weak_ptr<const OrgCrypto>> before_;  // guarded by mu_
};

}  // namespace bomvault::service
