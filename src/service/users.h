// Accounts, part one: the users of an org (create, list, read, update, the directory colleagues
// search, a user's own display name) and the address and password checks org creation and
// invitations share.
//
// How Accounts is split: one class, its files by concern. service/accounts.h declares the class
// and its shared machinery (password hashing slots, the resolved-principal cache that every change
// here must clear, org keys, security notices); this header, service/sign_in.h and service/mfa.h
// hold each concern's value types and pure checks, and users.cc, sign_in.cc, sessions.cc and
// mfa.cc its methods. Separate classes were weighed and not taken yet: every concern clears the one
// principal cache, sign-in and MFA share the hashing slots and the per-user back-off, and oidc,
// invitations, orgs and passkeys hold one Accounts&, so a class split would ripple through all of
// them; the file split keeps callers unchanged and each file to one concern.
//
// Addresses are found through an instance-wide blind index and stored sealed under the org key
// (store/users_store.h); the functions below are pure. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "access/permissions.h"
#include "service/org_keys.h"
#include "store/database.h"
#include "util/etag.h"
#include "util/ids.h"
#include "util/status.h"

namespace bomvault::service {

struct UserView {
  util::UserId id;
  util::OrgId org;
  std::string email;
  std::string display_name;  // chosen by the user; may be empty
  access::Role role;
  bool email_verified = false;
  bool disabled = false;
  bool mfa_enabled = false;
  int recovery_codes_left = 0;
  int passkeys = 0;
  int64_t created_at = 0;
  int64_t last_active_at = 0;
  int64_t version = 0;  // the write counter (schema/0015): GET /users/{id}'s ETag
};

// GET /users/{id}'s entity tag. GET /me's adds what the caller's own session shapes there.
inline std::string UserEtag(const UserView& u) { return util::EntityTag(u.version); }
inline std::string MeEtag(int64_t version, const access::Principal& p) {
  return util::EntityTag(
      version, std::string("me") + (p.read_only ? "r" : "") + (p.mfa_enrolment_only ? "e" : ""));
}

// One line of the org directory: what every member may know about a colleague.
struct DirectoryEntry {
  util::UserId id;
  std::string display_name;
  std::string email;
};

// Validation shared with org creation.
util::Result<std::string> NormaliseEmail(std::string_view email);
util::Status CheckPasswordPolicy(std::string_view password);

// Context-specific words barred from passwords (ASVS 6.1.2, 6.2.11): the local part of the
// account's address, its display name, its organisation's name and "bomvault". Each is split into
// words at every character that is not an ASCII letter or digit (bytes of other scripts stay in
// the word); every word of 4 or more bytes, and the whole local part, name or org name when it is
// 4 or more bytes with the separators removed, is barred anywhere in the password, ignoring ASCII
// case and the same separators. Shorter words ("al", "qa") would refuse too many good passwords.
// Pure; the callers unseal the names.
struct PasswordContext {
  std::string email;         // normalised address
  std::string display_name;  // may be empty
  std::string org_name;      // may be empty
};
// Invalid "password_context_word" whose message names which kind of word the password holds.
util::Status CheckPasswordContext(std::string_view password, const PasswordContext& context);
// The org's name, unsealed ("" when it cannot be opened).
std::string OpenOrgName(store::Db& db, const OrgCrypto& org, const util::OrgId& id);

}  // namespace bomvault::service
