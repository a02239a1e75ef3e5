// What the files of Accounts (accounts.cc, users.cc, sign_in.cc, sessions.cc, mfa.cc) share, and
// no other file includes: the refusal helpers every concern answers with, and the dummy password
// hash that makes a sign-in for an unknown address cost as much as a wrong password. Defined in
// accounts.cc. Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "access/permissions.h"
#include "util/status.h"

namespace bomvault::service::accounts_detail {

// The access:: refusal for `f` (ok when allowed).
util::Status Allowed(const access::Principal& p, access::Function f);
// 429 too_many_attempts with the seconds to wait.
util::Status TooManyAttempts(int64_t wait);
// kSealed: the instance is sealing and hashing has stopped.
util::Status SealingStatus();
// UTF-8 code points (continuation bytes not counted).
size_t CodePoints(std::string_view s);
// A valid Argon2id hash of a random password, made once.
const char* DummyHash();

}  // namespace bomvault::service::accounts_detail
