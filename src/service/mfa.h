// Accounts, part three: the second factor. TOTP enrolment (start, confirm, remove), recovery
// codes, and an Administrator's reset after a lost device. The methods are Accounts'
// (service/accounts.h), in mfa.cc; service/users.h says why Accounts is one class split into files
// by concern.
//
// TOTP (RFC 6238) comes with Accounts::kRecoveryCodes single-use recovery codes of 120 random bits
// each, shown once when TOTP is confirmed (or regenerated) and stored only as BLAKE2b hashes
// (store/mfa_store.h); a recovery code is accepted at sign-in in place of a TOTP code and deleted
// in the same transaction. When the org's MFA policy requires a second factor the user has not
// enrolled, sign-in still succeeds but the session is marked (sessions.mfa_pending) and Resolve()
// sets Principal::mfa_enrolment_only, which access::MayUse turns into "enrol first" everywhere;
// the policy is also applied at every Resolve(), so tightening it reaches existing sessions and
// API tokens too. Wrong current passwords and TOTP codes given by a signed-in user back off per
// user. Thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "crypto/secure_buffer.h"
#include "service/org_keys.h"
#include "util/ids.h"

namespace bomvault::service {

struct TotpEnrollment {
  std::string secret_base32;
  std::string otpauth_uri;
};

// A recovery code as typed: case, spaces and dashes do not matter; nullopt when anything else
// is outside the base32 alphabet or the length is not a code's.
std::optional<std::string> NormaliseRecoveryCode(std::string_view code);
// The user's TOTP secret, unsealed with the org's key; nullopt if it cannot be opened.
std::optional<crypto::SecureBuffer> OpenTotpSecret(const OrgCrypto& org, const util::UserId& user,
                                                   std::span<const uint8_t> sealed);

}  // namespace bomvault::service
