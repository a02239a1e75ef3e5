#include "service/org_keys.h"

#include <SQLiteCpp/Statement.h>

#include "util/clock.h"

namespace bomvault::service {

OrgCrypto::OrgCrypto(util::OrgId org, crypto::SecureBuffer data_key)
    : org_(std::move(org)),
      data_key_(std::move(data_key)),
      index_key_(crypto::DeriveKey(data_key_, 1, "bidx____")) {}

crypto::Bytes OrgCrypto::Ad(std::string_view purpose, std::string_view object) const {
  std::string ad;
  ad.reserve(purpose.size() + org_.str().size() + object.size() + 2);
  ad.append(purpose).append(":").append(org_.str()).append(":").append(object);
  return crypto::Bytes(ad.begin(), ad.end());
}

crypto::Bytes OrgCrypto::Seal(std::string_view purpose, std::string_view object,
                              std::span<const uint8_t> plain) const {
  return crypto::AeadSeal(data_key_, plain, Ad(purpose, object));
}

std::optional<crypto::Bytes> OrgCrypto::Open(std::string_view purpose, std::string_view object,
                                             std::span<const uint8_t> sealed) const {
  return crypto::AeadOpen(data_key_, sealed, Ad(purpose, object));
}

std::optional<std::string> OrgCrypto::OpenText(std::string_view purpose, std::string_view object,
                                               std::span<const uint8_t> sealed) const {
  auto b = Open(purpose, object, sealed);
  if (!b) return std::nullopt;
  return std::string(b->begin(), b->end());
}

std::optional<crypto::SecureBuffer> OrgCrypto::OpenSecret(std::string_view purpose,
                                                          std::string_view object,
                                                          std::span<const uint8_t> sealed) const {
  return crypto::AeadOpenSecret(data_key_, sealed, Ad(purpose, object));
}

crypto::Bytes OrgCrypto::BlindIndex(std::string_view purpose, std::string_view value) const {
  return crypto::KeyedHash(index_key_, purpose, crypto::AsBytes(value));
}

crypto::Bytes OrgKeys::Ad(const util::OrgId& org) const {
  std::string ad = "org-key:" + org.str();
  return crypto::Bytes(ad.begin(), ad.end());
}

std::shared_ptr<const OrgCrypto> OrgKeys::Create(store::Db& db, const util::OrgId& org) {
  auto key = crypto::SecureBuffer::Random(crypto::kKeySize);
  crypto::Bytes wrapped = crypto::AeadSeal(data_master_, key.span(), Ad(org));
  SQLite::Statement ins(db, "INSERT INTO org_keys(org_id, wrapped_key, created_at) VALUES (?,?,?)");
  ins.bind(1, org.str());
  ins.bind(2, wrapped.data(), static_cast<int>(wrapped.size()));
  ins.bind(3, static_cast<int64_t>(util::NowUnix()));
  ins.exec();
  auto crypto = std::make_shared<const OrgCrypto>(org, std::move(key));
  std::lock_guard lock(mu_);
  cache_[org.str()] = crypto;
  return crypto;
}

util::Result<std::shared_ptr<const OrgCrypto>> OrgKeys::Get(store::Db& db, const util::OrgId& org) {
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(org.str());
    if (it != cache_.end()) return it->second;
  }
  SQLite::Statement q(db, "SELECT wrapped_key FROM org_keys WHERE org_id = ?");
  q.bind(1, org.str());
  if (!q.executeStep()) return util::Status::NotFound();
  auto col = q.getColumn(0);
  auto key = crypto::AeadOpenSecret(
      data_master_, {static_cast<const uint8_t*>(col.getBlob()), static_cast<size_t>(col.size())},
      Ad(org));
  if (!key) return util::Status::Internal("an organisation key could not be opened");
  auto crypto = std::make_shared<const OrgCrypto>(org, std::move(*key));
  std::lock_guard lock(mu_);
  cache_[org.str()] = crypto;
  return crypto;
}

void OrgKeys::Forget(const util::OrgId& org) {
  std::lock_guard lock(mu_);
  cache_.erase(org.str());
}

}  // namespace bomvault::service
