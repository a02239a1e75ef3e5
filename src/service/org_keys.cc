#include "service/org_keys.h"

#include "store/org_keys_store.h"
#include "util/clock.h"

namespace bomvault::service {

OrgCrypto::OrgCrypto(util::OrgId org, std::shared_ptr<OrgKeySet> keys,
                     crypto::SecureBuffer index_key)
    : org_(std::move(org)), keys_(std::move(keys)), index_key_(std::move(index_key)) {}

crypto::Bytes OrgCrypto::Ad(std::string_view purpose, std::string_view object) const {
  std::string ad;
  ad.reserve(purpose.size() + org_.str().size() + object.size() + 2);
  ad.append(purpose).append(":").append(org_.str()).append(":").append(object);
  return crypto::Bytes(ad.begin(), ad.end());
}

crypto::Bytes OrgCrypto::Seal(std::string_view purpose, std::string_view object,
                              std::span<const uint8_t> plain) const {
  std::shared_lock lock(keys_->mu);
  return crypto::AeadSeal(keys_->current, plain, Ad(purpose, object));
}

std::optional<crypto::Bytes> OrgCrypto::Open(std::string_view purpose, std::string_view object,
                                             std::span<const uint8_t> sealed) const {
  const crypto::Bytes ad = Ad(purpose, object);
  std::shared_lock lock(keys_->mu);
  if (auto plain = crypto::AeadOpen(keys_->current, sealed, ad)) return plain;
  for (const auto& key : keys_->retired) {
    if (auto plain = crypto::AeadOpen(key, sealed, ad)) return plain;
  }
  return std::nullopt;
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
  const crypto::Bytes ad = Ad(purpose, object);
  std::shared_lock lock(keys_->mu);
  if (auto plain = crypto::AeadOpenSecret(keys_->current, sealed, ad)) return plain;
  for (const auto& key : keys_->retired) {
    if (auto plain = crypto::AeadOpenSecret(key, sealed, ad)) return plain;
  }
  return std::nullopt;
}

crypto::Bytes OrgCrypto::BlindIndex(std::string_view purpose, std::string_view value) const {
  return crypto::KeyedHash(index_key_, purpose, crypto::AsBytes(value));
}

OrgCrypto::Reseal OrgCrypto::ResealUnderCurrent(std::string_view purpose, std::string_view object,
                                                std::span<const uint8_t> sealed,
                                                crypto::Bytes* out) const {
  const crypto::Bytes ad = Ad(purpose, object);
  std::shared_lock lock(keys_->mu);
  if (crypto::AeadOpenSecret(keys_->current, sealed, ad)) return Reseal::kCurrent;
  for (const auto& key : keys_->retired) {
    if (auto plain = crypto::AeadOpenSecret(key, sealed, ad)) {
      *out = crypto::AeadSeal(keys_->current, plain->span(), ad);
      return Reseal::kResealed;
    }
  }
  return Reseal::kUnreadable;
}

bool OrgCrypto::OpensWith(const crypto::SecureBuffer& key, std::string_view purpose,
                          std::string_view object, std::span<const uint8_t> sealed) const {
  return crypto::AeadOpenSecret(key, sealed, Ad(purpose, object)).has_value();
}

size_t OrgCrypto::retired_count() const {
  std::shared_lock lock(keys_->mu);
  return keys_->retired.size();
}

crypto::Bytes OrgKeys::Ad(const util::OrgId& org) const {
  std::string ad = "org-key:" + org.str();
  return crypto::Bytes(ad.begin(), ad.end());
}

crypto::Bytes OrgKeys::IndexAd(const util::OrgId& org) const {
  std::string ad = "org-index-key:" + org.str();
  return crypto::Bytes(ad.begin(), ad.end());
}

std::shared_ptr<const OrgCrypto> OrgKeys::Create(store::Db& db, const util::OrgId& org) {
  auto key = crypto::SecureBuffer::Random(crypto::kKeySize);
  crypto::Bytes wrapped = crypto::AeadSeal(data_master_, key.span(), Ad(org));
  store::InsertOrgKey(db, org, wrapped, static_cast<int64_t>(util::NowUnix()));
  auto keys = std::make_shared<OrgKeySet>();
  auto index_key = crypto::DeriveKey(key, 1, "bidx____");
  keys->current = std::move(key);
  auto crypto = std::make_shared<OrgCrypto>(org, std::move(keys), std::move(index_key));
  std::lock_guard lock(mu_);
  cache_[org.str()] = crypto;
  return crypto;
}

util::Result<std::shared_ptr<const OrgCrypto>> OrgKeys::Get(store::Db& db, const util::OrgId& org) {
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(org.str());
    if (it != cache_.end()) return std::shared_ptr<const OrgCrypto>(it->second);
  }
  auto row = store::FindOrgKey(db, org);
  if (!row) return util::Status::NotFound();
  auto key = crypto::AeadOpenSecret(data_master_, row->wrapped_key, Ad(org));
  if (!key) return util::Status::Internal("an organisation key could not be opened");
  std::optional<crypto::SecureBuffer> index_key;
  if (!row->wrapped_index_key) {
    index_key = crypto::DeriveKey(*key, 1, "bidx____");
  } else {
    index_key = crypto::AeadOpenSecret(data_master_, *row->wrapped_index_key, IndexAd(org));
    if (!index_key) return util::Status::Internal("an organisation key could not be opened");
  }
  auto keys = std::make_shared<OrgKeySet>();
  keys->current = std::move(*key);
  auto retired = RetiredKeys(db, org);
  if (!retired.ok()) return retired.status();
  keys->retired = std::move(retired.value());
  auto crypto = std::make_shared<OrgCrypto>(org, std::move(keys), std::move(*index_key));
  std::lock_guard lock(mu_);
  auto [it, inserted] = cache_.emplace(org.str(), crypto);
  return std::shared_ptr<const OrgCrypto>(it->second);
}

void OrgKeys::Forget(const util::OrgId& org) {
  std::lock_guard lock(mu_);
  cache_.erase(org.str());
  before_.erase(org.str());
}

util::Result<std::vector<crypto::SecureBuffer>> OrgKeys::RetiredKeys(store::Db& db,
                                                                     const util::OrgId& org) {
  std::vector<crypto::SecureBuffer> out;
  for (const auto& wrapped : store::RetiredOrgKeys(db, org)) {
    auto key = crypto::AeadOpenSecret(data_master_, wrapped, Ad(org));
    if (!key) return util::Status::Internal("a retired organisation key could not be opened");
    out.push_back(std::move(*key));
  }
  return out;
}

util::Result<crypto::SecureBuffer> OrgKeys::CurrentKey(store::Db& db, const util::OrgId& org) {
  auto row = store::FindOrgKey(db, org);
  if (!row) return util::Status::NotFound();
  auto key = crypto::AeadOpenSecret(data_master_, row->wrapped_key, Ad(org));
  if (!key) return util::Status::Internal("an organisation key could not be opened");
  return std::move(*key);
}

util::Result<crypto::SecureBuffer> OrgKeys::Rotate(store::Db& db, const util::OrgId& org) {
  auto row = store::FindOrgKey(db, org);
  if (!row) return util::Status::NotFound();
  const crypto::Bytes old_wrapped = std::move(row->wrapped_key);
  const bool index_pinned = row->wrapped_index_key.has_value();
  auto old_key = crypto::AeadOpenSecret(data_master_, old_wrapped, Ad(org));
  if (!old_key) return util::Status::Internal("an organisation key could not be opened");
  const int64_t now = util::NowUnix();
  if (!index_pinned) {
    auto index_key = crypto::DeriveKey(*old_key, 1, "bidx____");
    crypto::Bytes wrapped_index = crypto::AeadSeal(data_master_, index_key.span(), IndexAd(org));
    store::SetOrgIndexKey(db, org, wrapped_index);
  }
  store::RetireOrgKey(db, org, old_wrapped, now);
  auto key = crypto::SecureBuffer::Random(crypto::kKeySize);
  crypto::Bytes wrapped = crypto::AeadSeal(data_master_, key.span(), Ad(org));
  store::SetOrgKey(db, org, wrapped, now);
  store::StartKeyRotation(db, org, now);
  return key;
}

void OrgKeys::Rotated(const util::OrgId& org, crypto::SecureBuffer new_key) {
  std::lock_guard lock(mu_);
  auto it = cache_.find(org.str());
  if (it == cache_.end()) return;  // the next Get() loads the committed state
  std::shared_ptr<OrgCrypto> old = it->second;
  {
    std::unique_lock keys_lock(old->keys_->mu);
    OrgKeySet& ks = *old->keys_;
    // A Get() that missed the cache after the commit may have loaded the new key already.
    if (!ks.current.Equals(new_key.span())) {
      ks.retired.insert(ks.retired.begin(), std::move(ks.current));
      ks.current = std::move(new_key);
    }
  }
  // A fresh handle over the same keys: the old one's holders are the ones that may have sealed
  // under the old key before the swap.
  it->second = std::make_shared<OrgCrypto>(old->org_, old->keys_, old->index_key_.Clone());
  before_[org.str()] = old;
}

bool OrgKeys::Drained(const util::OrgId& org) {
  std::lock_guard lock(mu_);
  auto it = before_.find(org.str());
  if (it == before_.end()) return true;
  if (!it->second.expired()) return false;
  before_.erase(it);
  return true;
}

util::Status OrgKeys::ReloadRetired(store::Db& db, const util::OrgId& org) {
  auto retired = RetiredKeys(db, org);
  if (!retired.ok()) return retired.status();
  std::lock_guard lock(mu_);
  auto it = cache_.find(org.str());
  if (it == cache_.end()) return util::Status::Ok();
  std::unique_lock keys_lock(it->second->keys_->mu);
  it->second->keys_->retired = std::move(retired.value());
  return util::Status::Ok();
}

}  // namespace bomvault::service
