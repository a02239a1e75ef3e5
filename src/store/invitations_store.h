// The invitations and email_verifications rows behind service/invitations.h and the SSO
// invitation match in service/oidc.h.
//
// An invitation's address is stored sealed under the org's key and found by its blind index; a
// link's token is stored only as its hash. This module moves sealed bytes and hashes, never
// opens them, and decides nothing: expiry, limits and access stay with the service. It also
// holds the two users statements that address verification needs (whether an address is
// verified, and marking it so), beside the verification rows they belong with. Every function
// runs on the caller's connection inside the caller's transaction (store/database.h).
// Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct InvitationRow {
  util::InvitationId id;
  util::OrgId org;
  util::UserId inviter;
  crypto::Bytes email_sealed;
  std::string role;
  int64_t created_at = 0, expires_at = 0;
};

// Deletes the org's invitations that expired at or before `expired_by`.
void PurgeExpiredInvitations(Db& db, const util::OrgId& org, int64_t expired_by);
// True if the org has an invitation for this address that is still live at `now`.
bool PendingInvitationExists(Db& db, const util::OrgId& org, const crypto::Bytes& email_bidx,
                             int64_t now);
struct PendingInvitations {
  int64_t count = 0;
  int64_t first_expiry = 0;  // the earliest expiry among them; 0 when there are none
};
// The inviter's invitations still live at `now`.
PendingInvitations PendingByInviter(Db& db, const util::UserId& inviter, int64_t now);
// How many of the org's invitations are still live at `now`.
int64_t CountPendingInvitations(Db& db, const util::OrgId& org, int64_t now);
void InsertInvitation(Db& db, const InvitationRow& row, const crypto::Bytes& email_bidx,
                      const crypto::Bytes& token_hash);
// The org's invitations, newest first, `limit` of them after the invitation `after` (or from the
// newest when absent).
std::vector<InvitationRow> ListInvitations(Db& db, const util::OrgId& org,
                                           const std::optional<util::InvitationId>& after,
                                           int limit);
std::optional<InvitationRow> FindInvitationByToken(Db& db, const crypto::Bytes& token_hash);
void DeleteInvitation(Db& db, const util::InvitationId& id);
// False if the org has no such invitation.
bool DeleteOrgInvitation(Db& db, const util::OrgId& org, const util::InvitationId& id);
struct TakenInvitation {
  util::InvitationId id;
  std::string role;
};
// Deletes and returns the org's newest invitation for this address that is live at `now`.
std::optional<TakenInvitation> TakeNewestInvitation(Db& db, const util::OrgId& org,
                                                    const crypto::Bytes& email_bidx, int64_t now);

// The users columns asking for a verification link reads.
struct VerificationTarget {
  bool email_verified = false;
  crypto::Bytes email_sealed;
};
std::optional<VerificationTarget> FindVerificationTarget(Db& db, const util::UserId& user);
void MarkEmailVerified(Db& db, const util::UserId& user);

// When the user's newest verification link was made; nullopt if there is none.
std::optional<int64_t> LastVerificationAt(Db& db, const util::UserId& user);
// Deletes the user's links and every link expired at `now`.
void DeleteVerificationsOf(Db& db, const util::UserId& user, int64_t now);
void InsertVerification(Db& db, const crypto::Bytes& token_hash, const util::UserId& user,
                        int64_t now, int64_t expires_at);
void DeleteVerification(Db& db, const crypto::Bytes& token_hash);
// Deletes every link of the user (one was used).
void DeleteUserVerifications(Db& db, const util::UserId& user);
struct VerificationRow {
  util::UserId user;
  util::OrgId org;  // the user's
  int64_t expires_at = 0;
};
// The link and its user; nullopt if there is no such link (or its user is gone).
std::optional<VerificationRow> FindVerification(Db& db, const crypto::Bytes& token_hash);

}  // namespace bomvault::store
