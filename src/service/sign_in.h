// Accounts, part two: signing in and what it issues. Password sign-in (in three steps, so the
// HTTP handler can let go of the instance's hold while a hash runs), browser sessions for
// password, passkey and single sign-on, Resolve() from a bearer token to a Principal, sign-out,
// personal API tokens, re-authentication and password changes. The methods are Accounts'
// (service/accounts.h): proving who one is (password sign-in, re-authentication, password
// changes) in sign_in.cc, what a proof issues (sessions, tokens, Resolve, sign-out) in
// sessions.cc; service/users.h says why Accounts is one class split into files by concern.
//
// Passwords are hashed with Argon2id (crypto::PasswordHash); at most Accounts::kHashingSlots
// hashes run at once so a burst of sign-ins cannot starve other requests or exhaust memory.
// Sign-in failures back off per account and per address (429 with a retry time). Session and API
// tokens are 256 random bits shown once and stored only as BLAKE2b hashes; lookups go by hash
// (store/sessions_store.h). Resolved principals are cached for a few seconds and the cache is
// cleared whenever a session, role or account state changes, so a revocation takes effect on the
// next request. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "access/permissions.h"
#include "util/ids.h"

namespace bomvault::service {

struct SignInResult {
  std::string token;  // shown once
  util::UserId user;
  util::OrgId org;
  access::Role role;
  int64_t expires_at = 0;
  bool mfa_enrolment_required = false;  // the session may only enrol a second factor
};

struct TokenView {
  util::SessionId id;
  std::string kind;  // "session" | "api"
  std::string name;
  std::string scope;
  int64_t created_at = 0, last_seen_at = 0, expires_at = 0;
  bool current = false;
};

}  // namespace bomvault::service
