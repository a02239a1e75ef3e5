// Unseal progress: the key shares submitted so far, until the threshold is reached.
//
// Shares are checked one by one as they arrive (format, checksum, store id, threshold, no
// duplicate index), so a mistyped or foreign share is refused at once and does not count. Their
// secret parts live in locked memory (SecureBuffer) and are wiped on Reset(), on a failed
// combination and as soon as the threshold is reached. Reaching the threshold combines the
// shares and tries to open the keyring; a wrong combination fails closed and drops the share
// that completed it, so a forged share (anyone can build a well-formed one from the public store
// id: the checksum is not a MAC) cannot discard the shares the key holders gave. Starting over
// (ResetBy) needs one of the shares already given, so only a key holder who took part can
// discard the ceremony; a stranger, or a forged share, cannot.
// Thread-safe: a mutex guards the shares.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/shamir.h"
#include "vault/keyring.h"

namespace bomvault::vault {

struct UnsealOutcome {
  int progress = 0;  // shares held after this one (0 once opened or reset)
  int threshold = 0;
  int share_index = 0;       // index carried by the submitted share (not secret)
  std::optional<Keys> keys;  // set when the threshold was reached and the keyring opened
};

class UnsealProgress {
 public:
  explicit UnsealProgress(KeyringFile file) : file_(std::move(file)) {}

  // 4xx Status for a malformed, mistyped, foreign or duplicate share; "unseal_failed" when the
  // threshold was reached but the shares do not open the keyring (progress is reset then).
  util::Result<UnsealOutcome> Submit(std::string_view share_text);
  void Reset();
  // Discards the shares given so far if `share_text` is one of them (403 "reset_refused"
  // otherwise; nothing to discard is not an error). Compared in constant time.
  util::Result<int> ResetBy(std::string_view share_text);
  int progress() const;
  // The indices (x values, 1..10) of the shares held, ascending; not secret: each share's text
  // carries it in clear, and the unseal page shows key holders which shares are in.
  std::vector<int> indices() const;
  int threshold() const { return file_.threshold; }
  const KeyringFile& keyring_file() const { return file_; }

 private:
  const KeyringFile file_;
  mutable std::mutex mu_;
  std::vector<crypto::ShamirShare> shares_;  // guarded by mu_
};

// Offline commands (check, audit verify): the keys of the store in DIR from share texts, or the
// first refusal; "not_enough_shares" when they run out before the threshold.
util::Result<Keys> KeysFromShares(const std::string& data_dir,
                                  const std::vector<std::string>& shares);

}  // namespace bomvault::vault
