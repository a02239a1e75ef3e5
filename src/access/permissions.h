// The one permission table. Every route asks here before it touches data; no role checks live
// in handlers. Pure functions, no I/O, thread-safe, exhaustively unit-tested.
//
// Two questions, in this order:
//  1. May this principal use this function at all? (Allowed, else 403 Forbidden.)
//  2. For an object (a BOM): may it see the object (else 404, the same as a missing one), and
//     may it do this to it (else 403)?
// The operator is the instance's root credential: it manages organisations and sealing and
// never reads organisation data. Roles inside an organisation follow the seeds:
//   Administrator: everything in the org, every BOM in it.
//   Editor: creates BOMs; edits, shares, deletes, transfers what it owns or may edit.
//   Viewer: views what it owns or what is shared with it; transfers what it owns.
// A user whose org requires a second factor they have not enrolled is "enrolment only": they may
// read their own profile and enrol an authenticator (kSelf, kMfaEnrol), nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "util/ids.h"
#include "util/status.h"

namespace bomvault::access {

// Persisted as text in users.role: values must not change.
enum class Role { kAdministrator, kEditor, kViewer };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view s);

// Persisted as text in bom_shares.access: values must not change.
enum class ShareAccess { kView, kEdit };
std::string_view ShareAccessName(ShareAccess a);
std::optional<ShareAccess> ParseShareAccess(std::string_view s);

// What a user's own access to a BOM is called in answers ("my_access"), ranked broadest first:
// the owner; then an Administrator of the org (who may do everything a share allows and more,
// whether or not they also hold a share); then the share. Empty when none applies. One ranking
// for every route that shows it, so a BOM reads the same in the list and on its own page.
std::string_view MyAccessName(bool is_owner, Role role, std::optional<ShareAccess> share);

enum class PrincipalKind { kAnonymous, kOperator, kUser };

struct Principal {
  PrincipalKind kind = PrincipalKind::kAnonymous;
  util::UserId user;
  util::OrgId org;
  Role role = Role::kViewer;
  bool email_verified = false;
  bool read_only = false;  // an API token with read scope
  // Signed in without the second factor the org's MFA policy requires: may only enrol one.
  bool mfa_enrolment_only = false;
  // A personal API token (sessions.kind 'api'), not a browser session.
  bool api_token = false;
  // Unix seconds: when the holder of this browser session last proved who they are (the sign-in
  // itself, or a later re-authentication). 0 for API tokens and the operator.
  int64_t authenticated_at = 0;
};

enum class Function {
  kOrgCreate,
  kOrgList,
  kOrgDelete,
  kSeal,
  kMetrics,      // operator
  kBackup,       // operator: write a backup, list backup directories
  kKeyRotate,    // operator: rotate organisation data keys, watch the re-seal
  kSupportRead,  // operator, and only inside a support window an Administrator granted
  kOrgSettingsRead,
  kOrgSettingsWrite,  // org administration
  kUserCreate,
  kUserList,
  kUserUpdate,
  kUserMfaReset,  // turn off a user's second factor after a lost device
  kAuditRead,
  kInvitationRead,
  kInvitationWrite,  // invitations by e-mail
  kBlockListRead,
  kBlockListWrite,  // addresses and domains refused
  kBomCreate,
  kBomList,
  kBomRead,
  kBomUpdate,
  kBomDelete,
  kBomShare,
  kBomTransfer,
  kSelf,                // read one's own profile
  kSelfSessions,        // list one's own sessions and tokens
  kSelfManage,          // change one's own account: password, tokens, sign-out everywhere, recovery
                        // codes, address verification
  kMfaEnrol,            // enrol an authenticator (TOTP start and confirm)
  kColumnMappingsRead,  // see how the org's imports map columns (every member: they import)
  kSourceManage,        // create, change, delete data sources (Administrators)
  kSourceList,          // list sources: every member, who sees id, name, kind, own connection
  kSourceConnect,       // connect or disconnect one's own credentials (every member)
  kSourcePull,          // pull or refresh a BOM from a source (Administrators, Editors)
  kBomSend,             // send a readable BOM to a source (every member, own connection)
  kJobRead,             // see or cancel one's own background jobs
  kDirectoryRead,       // look colleagues up by name or address (every member: to share)
};

enum class Decision { kAllow, kForbidden, kNotFound, kUnauthenticated };

// Question 1: the function as such.
Decision MayUse(const Principal& p, Function f);

// The Status for a decision: Ok for kAllow; 401, 404, or 403 (code "mfa_enrolment_required" when
// only the missing second factor stands in the way), so every layer refuses alike.
util::Status Refusal(const Principal& p, Function f, Decision d);

// Re-authentication before sensitive operations (ASVS 7.5.1-7.5.3). Routes marked so ask this
// before their handler runs. Ok for the operator (the instance's root credential, not a session)
// and for a browser session whose proof is at most `window_seconds` old; otherwise 403:
//  * "reauth_required" for an older browser session: re-prove with
//    POST /api/v1/sessions/current/reauth (or sign in again) and retry;
//  * "interactive_session_required" for an API token, which can never re-prove: sensitive
//    operations are for people at a browser, not for scripts.
// Anonymous principals never get here (the route needs a sign-in first).
util::Status RecentProof(const Principal& p, int64_t now, int64_t window_seconds);

// Whether an org's MFA policy (persisted in its settings: "optional" | "administrators" |
// "everyone") requires a second factor of a user with this role. Unknown policies require one.
bool MfaRequired(std::string_view policy, Role role);

// What the store knows about a BOM, for question 2.
struct BomFacts {
  util::OrgId org;
  util::UserId owner;
  std::optional<ShareAccess> share;  // the principal's share of this BOM, if any
  bool org_sharing_enabled = true;
};

// Question 2. kBomRead also decides visibility for every other BOM function. kBomSend (send the
// BOM to a source) is allowed on every BOM the principal may read, once MayUse allows it.
Decision MayOnBom(const Principal& p, Function f, const BomFacts& bom);

// For a function on one user who may be the caller (a profile: one's own, or, for an
// Administrator, anyone's in the org): `self` when `target` is the signed-in user, `others`
// otherwise (the operator is never a user). Ask MayUse of the answer.
Function UserFunction(const Principal& p, const util::UserId& target, Function self,
                      Function others);

// Support access: the operator may read an org's users and audit (kSupportRead) only while the
// org's Administrator-granted window (support_until, unix seconds) is open.
Decision MayUseSupport(const Principal& p, int64_t support_until, int64_t now);

// Whether `p` may share with / transfer to a user with these facts.
Decision MayShareWith(const Principal& p, const util::OrgId& target_org, bool target_verified,
                      bool target_disabled, bool org_sharing_enabled);

}  // namespace bomvault::access
