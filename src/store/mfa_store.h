// The second factor's rows: the TOTP columns of users (totp_enabled, totp_secret_sealed,
// totp_last_step) and the recovery_codes table.
//
// A TOTP secret is stored sealed under the org's key and a recovery code only as its hash
// (service/accounts.h derives both); this module moves sealed bytes and hashes only. The last
// accepted time step makes each one-time code prove once: AdvanceTotpStep is the check-and-set
// every use goes through, and deleting a recovery code is its single use. Every function runs on
// the caller's connection inside the caller's transaction (store/database.h). Thread-safety: that
// of the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct TotpRow {
  bool enabled = false;
  std::optional<crypto::Bytes> secret_sealed;  // set from the start of an enrolment
  int64_t last_step = 0;                       // the last time step a code was accepted for
};
std::optional<TotpRow> FindTotp(Db& db, const util::UserId& user);
// A new secret for an enrolment that has not been confirmed yet; the step count starts again.
void StoreTotpSecret(Db& db, const util::UserId& user, const crypto::Bytes& sealed);
// Confirms the enrolment with the step of the code that proved it.
void EnableTotp(Db& db, const util::UserId& user, int64_t step);
// Check-and-set: true if `step` is later than the last accepted one and is now the last.
bool AdvanceTotpStep(Db& db, const util::UserId& user, int64_t step);
// Turns TOTP off and forgets the secret: false if it was not enabled.
bool DisableTotp(Db& db, const util::UserId& user);
// The same whatever the state, an enrolment still unconfirmed included.
void ClearTotp(Db& db, const util::UserId& user);

// False if the user already holds a code with this hash.
bool InsertRecoveryCode(Db& db, const util::UserId& user, std::span<const uint8_t> code_hash,
                        int64_t now);
// The single use: false if the user holds no such code (wrong, or used already).
bool UseRecoveryCode(Db& db, const util::UserId& user, std::span<const uint8_t> code_hash);
int CountRecoveryCodes(Db& db, const util::UserId& user);
// How many were deleted.
int DeleteRecoveryCodes(Db& db, const util::UserId& user);

}  // namespace bomvault::store
