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
#pragma once

#include <optional>
#include <string_view>

#include "util/ids.h"

namespace bomvault::access {

// Persisted as text in users.role: values must not change.
enum class Role { kAdministrator, kEditor, kViewer };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view s);

// Persisted as text in bom_shares.access: values must not change.
enum class ShareAccess { kView, kEdit };
std::string_view ShareAccessName(ShareAccess a);
std::optional<ShareAccess> ParseShareAccess(std::string_view s);

enum class PrincipalKind { kAnonymous, kOperator, kUser };

struct Principal {
  PrincipalKind kind = PrincipalKind::kAnonymous;
  util::UserId user;
  util::OrgId org;
  Role role = Role::kViewer;
  bool email_verified = false;
  bool read_only = false;  // an API token with read scope
};

enum class Function {
  kOrgCreate, kOrgList, kOrgDelete, kSeal, kMetrics,  // operator
  kOrgSettingsRead, kOrgSettingsWrite,                // org administration
  kUserCreate, kUserList, kUserUpdate,
  kAuditRead,
  kBomCreate, kBomList, kBomRead, kBomUpdate, kBomDelete, kBomShare, kBomTransfer,
  kSelf,                                               // one's own account, MFA, tokens
};

enum class Decision { kAllow, kForbidden, kNotFound, kUnauthenticated };

// Question 1: the function as such.
Decision MayUse(const Principal& p, Function f);

// What the store knows about a BOM, for question 2.
struct BomFacts {
  util::OrgId org;
  util::UserId owner;
  std::optional<ShareAccess> share;  // the principal's share of this BOM, if any
  bool org_sharing_enabled = true;
};

// Question 2. kBomRead also decides visibility for every other BOM function.
Decision MayOnBom(const Principal& p, Function f, const BomFacts& bom);

// Whether `p` may share with / transfer to a user with these facts.
Decision MayShareWith(const Principal& p, const util::OrgId& target_org, bool target_verified,
                      bool target_disabled, bool org_sharing_enabled);

}  // namespace bomvault::access
