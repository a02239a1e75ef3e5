#include "service/accounts.h"

#include <chrono>

#include "crypto/crypto.h"
#include "service/accounts_shared.h"
#include "util/clock.h"

namespace bomvault::service {

using access::Principal;
using access::PrincipalKind;
using util::Code;
using util::Status;

namespace accounts_detail {

Status Allowed(const Principal& p, access::Function f) {
  return access::Refusal(p, f, access::MayUse(p, f));
}

Status TooManyAttempts(int64_t wait) {
  return Status(Code::kTooManyRequests, "too_many_attempts",
                "too many failed attempts; wait before trying again")
      .WithRetryAfter(wait);
}

Status SealingStatus() { return Status(Code::kSealed, "sealed", "the vault is being sealed"); }

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

// A valid Argon2id hash of a random password, verified when the account does not exist so that
// sign-in takes as long for an unknown address as for a wrong password.
const char* DummyHash() {
  static const std::string h = crypto::PasswordHash(crypto::RandomToken()).value_or("");
  return h.c_str();
}

}  // namespace accounts_detail

using accounts_detail::DummyHash;
using accounts_detail::SealingStatus;

Accounts::Accounts(store::Database& db, OrgKeys& org_keys, const crypto::SecureBuffer& index_key,
                   crypto::Bytes operator_token_hash)
    : db_(db),
      org_keys_(org_keys),
      index_key_(index_key.Clone()),
      operator_hash_(std::move(operator_token_hash)) {
  DummyHash();
}

void Accounts::StopHashing() { hashing_stopped_.store(true); }

std::optional<Accounts::HashSlot> Accounts::TakeHashSlot(const std::function<bool()>& stop) {
  // Polled rather than woken: a seal is rare, and 20 ms is far inside its one-second promise.
  while (!stop()) {
    if (hashing_.try_acquire_for(std::chrono::milliseconds(20))) {
      if (!stop()) return HashSlot(&hashing_);
      hashing_.release();
    }
  }
  return std::nullopt;
}

util::Result<std::string> Accounts::HashPassword(std::string_view password) {
  std::optional<std::string> h;
  {
    auto slot = TakeHashSlot([this] { return hashing_stopped_.load(); });
    if (!slot) return SealingStatus();
    h = crypto::PasswordHash(password);
  }
  if (!h) return Status::Internal("the password could not be hashed");
  return *h;
}

crypto::Bytes Accounts::EmailIndex(std::string_view normalised_email) const {
  return crypto::KeyedHash(index_key_, "email", crypto::AsBytes(normalised_email));
}

crypto::Bytes Accounts::TokenHash(std::string_view token) const {
  return crypto::Hash("bomvault-token", crypto::AsBytes(token));
}

util::Result<std::shared_ptr<const OrgCrypto>> Accounts::Org(store::Db& db,
                                                             const util::OrgId& org) {
  return org_keys_.Get(db, org);
}

void Accounts::Notify(const util::UserId& user, const util::OrgId& org, NoticeKind kind,
                      int failures) {
  Notices* n = notices_.load();
  if (n != nullptr) n->Post(Notice{user, org, kind, util::NowUnix(), failures});
}

void Accounts::ForgetCachedPrincipals() {
  std::lock_guard lock(cache_mu_);
  cache_.clear();
  ++cache_generation_;
}

}  // namespace bomvault::service
