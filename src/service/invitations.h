// Invitations, address verification and block lists: everything that proves an e-mail address
// or refuses one.
//
// Invitation: an Administrator invites an address with a role; the invitee receives a link with
// a 256-bit token (stored only as a BLAKE2b hash) that expires after the configured lifetime
// (72 h by default) and works once: accepting it with a password creates the account, its
// address verified, and deletes the invitation in the same transaction. Pending invitations are
// capped per inviter (kMaxPendingPerInviter, 429) and per org (kMaxPendingPerOrg, 409).
// Verification: a user whose address is unverified (e.g. after losing privileges) asks for a
// link (24 h, one pending per user, one mail a minute) and verifies by presenting its token.
// Block list: an org's Administrators refuse addresses and whole domains (a domain blocks its
// subdomains too) for invitations and sharing; entries are stored as the org's blind index plus
// the text sealed under the org key.
// The invitation is committed before its mail is sent (no transaction waits on the network); if
// the mail cannot be sent the invitation is deleted again and the caller gets 503. Addresses never
// reach the log; ids do. Thread-safe: state lives in the store.
#pragma once

#include <string>
#include <vector>

#include "access/permissions.h"
#include "service/accounts.h"
#include "service/mail.h"
#include "service/org_keys.h"
#include "store/database.h"

namespace bomvault::service {

struct InvitationOptions {
  std::string public_url = "http://127.0.0.1:8080";  // links in mails start with this
  int64_t invitation_ttl_seconds = 72 * 3600;
  int64_t verification_ttl_seconds = 24 * 3600;
};

struct InvitationView {
  util::InvitationId id;
  std::string email;
  access::Role role = access::Role::kViewer;
  util::UserId inviter;
  int64_t created_at = 0, expires_at = 0;
  bool expired = false;
};

struct InvitationPage {
  std::vector<InvitationView> invitations;
  std::optional<util::InvitationId> next_after;  // set when another page may follow
};

struct AcceptedInvitation {
  util::UserId user;
  util::OrgId org;
  access::Role role = access::Role::kViewer;
};

struct BlockedEntry {
  std::string entry;  // "name@example.com" or "example.com"
  std::string kind;   // "address" | "domain"
  std::string created_by;
  int64_t created_at = 0;
};

// Whether `normalised_email` or one of its domains is on the org's block list. For other services
// (sharing), inside their transaction.
bool IsAddressBlocked(store::Db& db, const OrgCrypto& org, std::string_view normalised_email);
// The same for an existing user of that org, by id (their sealed address is opened).
bool IsUserBlocked(store::Db& db, const OrgCrypto& org, const util::UserId& user);

class Invitations {
 public:
  static constexpr int kMaxPendingPerInviter = 20;
  static constexpr int kMaxPendingPerOrg = 100;
  static constexpr int kMaxBlockedEntries = 1000;
  static constexpr int64_t kVerificationResendSeconds = 60;

  Invitations(store::Database& db, OrgKeys& keys, Accounts& accounts, Mailer& mailer,
              InvitationOptions options)
      : db_(db), keys_(keys), accounts_(accounts), mailer_(mailer), options_(std::move(options)) {}

  util::Result<InvitationView> Invite(const access::Principal& actor, std::string_view email,
                                      std::string_view role);
  // Newest first; `after` continues from the last id of the previous page.
  util::Result<InvitationPage> List(const access::Principal& actor, int limit,
                                    const std::optional<util::InvitationId>& after);
  util::Status Revoke(const access::Principal& actor, const util::InvitationId& id);
  // Anyone holding the token: creates the account (address verified) with this password.
  util::Result<AcceptedInvitation> Accept(std::string_view token, std::string_view password);

  // Sends a verification link to the actor's own (unverified) address.
  util::Status RequestVerification(const access::Principal& actor);
  // Anyone holding the token: marks the address verified.
  util::Status Verify(std::string_view token);

  util::Result<std::vector<BlockedEntry>> Blocked(const access::Principal& actor);
  util::Result<BlockedEntry> Block(const access::Principal& actor, std::string_view entry);
  util::Status Unblock(const access::Principal& actor, std::string_view entry);

 private:
  std::string Link(std::string_view page, const std::string& token) const;

  store::Database& db_;
  OrgKeys& keys_;
  Accounts& accounts_;
  Mailer& mailer_;
  InvitationOptions options_;
};

}  // namespace bomvault::service
