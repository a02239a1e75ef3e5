// Organisation data keys: creation, unwrapping, and the sealing helpers every service uses.
//
// Each organisation has one random 256-bit data key, stored only wrapped by the keyring's
// data_master (AEAD, associated data = org id) in org_keys. Unwrapped keys are cached in locked
// memory for the life of the unsealed state; the cache dies (and is wiped) when the server seals.
// OrgCrypto seals a field with associated data naming org, object and field, so ciphertext copied
// to another tenant, object or column fails to open; it also derives the org's blind-index key.
// Thread-safe: the cache has its own mutex; OrgCrypto is immutable once made.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"
#include "util/status.h"

namespace bomvault::service {

class OrgCrypto {
 public:
  OrgCrypto(util::OrgId org, crypto::SecureBuffer data_key);
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
  const crypto::SecureBuffer& data_key() const { return data_key_; }

 private:
  crypto::Bytes Ad(std::string_view purpose, std::string_view object) const;
  util::OrgId org_;
  crypto::SecureBuffer data_key_;
  crypto::SecureBuffer index_key_;
};

class OrgKeys {
 public:
  explicit OrgKeys(const crypto::SecureBuffer& data_master) : data_master_(data_master.Clone()) {}

  // Makes a new data key for `org` and inserts its wrapped form (inside the caller's tx).
  std::shared_ptr<const OrgCrypto> Create(store::Db& db, const util::OrgId& org);
  // The org's crypto, from the cache or unwrapped from org_keys; NotFound if the org is gone.
  util::Result<std::shared_ptr<const OrgCrypto>> Get(store::Db& db, const util::OrgId& org);
  void Forget(const util::OrgId& org);

 private:
  crypto::Bytes Ad(const util::OrgId& org) const;
  crypto::SecureBuffer data_master_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const OrgCrypto>> cache_;  // guarded by mu_
};

}  // namespace bomvault::service
