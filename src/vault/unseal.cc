#include "vault/unseal.h"

#include <algorithm>

#include "crypto/crypto.h"
#include "vault/share_codec.h"

namespace bomvault::vault {

using util::Status;

util::Result<UnsealOutcome> UnsealProgress::Submit(std::string_view share_text) {
  auto decoded = DecodeShare(share_text, file_.store_id);
  if (!decoded.ok()) return decoded.status();
  DecodedShare& d = decoded.value();
  if (d.threshold != file_.threshold || d.index > file_.shares) {
    return Status::Invalid("malformed_share", "this share does not belong to this store's key");
  }
  std::lock_guard lock(mu_);
  for (const auto& s : shares_) {
    if (s.x == d.index) {
      return Status::Invalid("duplicate_share",
                             "share " + std::to_string(d.index) + " was already given");
    }
  }
  shares_.push_back(crypto::ShamirShare{d.index, std::move(d.y)});
  UnsealOutcome out;
  out.threshold = file_.threshold;
  out.share_index = d.index;
  if (static_cast<int>(shares_.size()) < file_.threshold) {
    out.progress = static_cast<int>(shares_.size());
    return out;
  }
  std::vector<const crypto::ShamirShare*> ptrs;
  for (const auto& s : shares_) ptrs.push_back(&s);
  auto root = crypto::ShamirCombine(ptrs);
  if (root.ok()) out.keys = OpenKeyring(file_, root.value());
  if (!out.keys) {
    // Only the share that completed the threshold leaves: a forged last share must not throw
    // away what the key holders gave. A wrong share given earlier needs a holder's ResetBy().
    shares_.pop_back();
    return Status::Invalid("unseal_failed",
                           "these shares do not open this store; the last share was not kept. If "
                           "a share given earlier was wrong, a key holder who gave one can start "
                           "over");
  }
  shares_.clear();  // wipes every y (SecureBuffer)
  return out;
}

util::Result<int> UnsealProgress::ResetBy(std::string_view share_text) {
  auto decoded = DecodeShare(share_text, file_.store_id);
  if (!decoded.ok()) return decoded.status();
  const DecodedShare& d = decoded.value();
  std::lock_guard lock(mu_);
  if (shares_.empty()) return 0;
  bool holder = false;
  for (const auto& s : shares_) {
    // Every given share is compared, whatever matched, so timing tells nothing.
    bool same = s.x == d.index && crypto::ConstantTimeEquals(s.y.span(), d.y.span());
    holder = holder || same;
  }
  if (!holder) {
    return Status(util::Code::kForbidden, "reset_refused",
                  "only a key holder whose share was already given can start over: give that "
                  "share with the reset");
  }
  shares_.clear();
  return 0;
}

void UnsealProgress::Reset() {
  std::lock_guard lock(mu_);
  shares_.clear();
}

std::vector<int> UnsealProgress::indices() const {
  std::lock_guard lock(mu_);
  std::vector<int> out;
  out.reserve(shares_.size());
  for (const auto& s : shares_) out.push_back(s.x);
  std::sort(out.begin(), out.end());
  return out;
}

int UnsealProgress::progress() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(shares_.size());
}

util::Result<Keys> KeysFromShares(const std::string& data_dir,
                                  const std::vector<std::string>& shares) {
  auto kf = ReadKeyringFile(data_dir);
  if (!kf.ok()) return kf.status();
  UnsealProgress progress(kf.value());
  for (const auto& s : shares) {
    auto r = progress.Submit(s);
    if (!r.ok()) return r.status();
    if (r->keys) return std::move(*r->keys);
  }
  return Status::Invalid("not_enough_shares", "not enough shares to open the store");
}

}  // namespace bomvault::vault
