#include "access/permissions.h"

namespace bomvault::access {

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kAdministrator:
      return "administrator";
    case Role::kEditor:
      return "editor";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view s) {
  if (s == "administrator") return Role::kAdministrator;
  if (s == "editor") return Role::kEditor;
  if (s == "viewer") return Role::kViewer;
  return std::nullopt;
}

std::string_view ShareAccessName(ShareAccess a) {
  return a == ShareAccess::kEdit ? "edit" : "view";
}

std::string_view MyAccessName(bool is_owner, Role role, std::optional<ShareAccess> share) {
  if (is_owner) return "owner";
  if (role == Role::kAdministrator) return "administrator";
  if (share) return ShareAccessName(*share);
  return "";
}

std::optional<ShareAccess> ParseShareAccess(std::string_view s) {
  if (s == "view") return ShareAccess::kView;
  if (s == "edit") return ShareAccess::kEdit;
  return std::nullopt;
}

namespace {

bool Writes(Function f) {
  switch (f) {
    case Function::kOrgSettingsRead:
    case Function::kUserList:
    case Function::kAuditRead:
    case Function::kInvitationRead:
    case Function::kBlockListRead:
    case Function::kBomList:
    case Function::kBomRead:
    case Function::kColumnMappingsRead:
    case Function::kSourceList:
    case Function::kJobRead:
    case Function::kDirectoryRead:
    case Function::kSelf:  // a read-only token may still read its own account
    case Function::kSelfSessions:
      return false;
    default:
      return true;
  }
}

bool AllowedDuringEnrolment(Function f) { return f == Function::kSelf || f == Function::kMfaEnrol; }

}  // namespace

Decision MayUse(const Principal& p, Function f) {
  switch (p.kind) {
    case PrincipalKind::kAnonymous:
      return Decision::kUnauthenticated;
    case PrincipalKind::kOperator:
      switch (f) {
        case Function::kOrgCreate:
        case Function::kOrgList:
        case Function::kOrgDelete:
        case Function::kSeal:
        case Function::kMetrics:
        case Function::kBackup:
        case Function::kKeyRotate:
        case Function::kSupportRead:  // the window is checked by MayUseSupport
          return Decision::kAllow;
        default:
          return Decision::kForbidden;
      }
    case PrincipalKind::kUser:
      break;
  }
  if (p.read_only && Writes(f)) return Decision::kForbidden;
  if (p.mfa_enrolment_only && !AllowedDuringEnrolment(f)) return Decision::kForbidden;
  switch (f) {
    case Function::kOrgCreate:
    case Function::kOrgList:
    case Function::kOrgDelete:
    case Function::kSeal:
    case Function::kMetrics:
    case Function::kBackup:
    case Function::kKeyRotate:
    case Function::kSupportRead:
      return Decision::kForbidden;
    case Function::kOrgSettingsRead:
    case Function::kOrgSettingsWrite:
    case Function::kUserCreate:
    case Function::kUserList:
    case Function::kUserUpdate:
    case Function::kUserMfaReset:
    case Function::kAuditRead:
    case Function::kInvitationRead:
    case Function::kInvitationWrite:
    case Function::kBlockListRead:
    case Function::kBlockListWrite:
    case Function::kSourceManage:
      return p.role == Role::kAdministrator ? Decision::kAllow : Decision::kForbidden;
    case Function::kSourcePull:
      return p.role == Role::kViewer ? Decision::kForbidden : Decision::kAllow;
    case Function::kBomCreate:
      return p.role == Role::kViewer ? Decision::kForbidden : Decision::kAllow;
    case Function::kBomUpdate:
    case Function::kBomDelete:
    case Function::kBomShare:
      // Viewers may own a BOM (by transfer) but only view and transfer it.
      return p.role == Role::kViewer ? Decision::kForbidden : Decision::kAllow;
    case Function::kBomList:
    case Function::kBomRead:
    case Function::kBomTransfer:
    case Function::kSelf:
    case Function::kSelfSessions:
    case Function::kSelfManage:
    case Function::kMfaEnrol:
    case Function::kColumnMappingsRead:
    case Function::kSourceList:
    case Function::kSourceConnect:
    case Function::kBomSend:
    case Function::kJobRead:
    case Function::kDirectoryRead:
      return Decision::kAllow;
  }
  return Decision::kForbidden;
}

Decision MayUseSupport(const Principal& p, int64_t support_until, int64_t now) {
  Decision use = MayUse(p, Function::kSupportRead);
  if (use != Decision::kAllow) return use;
  return now < support_until ? Decision::kAllow : Decision::kForbidden;
}

util::Status Refusal(const Principal& p, Function f, Decision d) {
  switch (d) {
    case Decision::kAllow:
      return util::Status::Ok();
    case Decision::kUnauthenticated:
      return util::Status::Unauthenticated();
    case Decision::kNotFound:
      return util::Status::NotFound();
    case Decision::kForbidden:
      break;
  }
  // The MFA code only when enrolling would actually open the door.
  Principal enrolled = p;
  enrolled.mfa_enrolment_only = false;
  if (p.mfa_enrolment_only && MayUse(enrolled, f) == Decision::kAllow) {
    return util::Status(util::Code::kForbidden, "mfa_enrolment_required",
                        "your organisation requires two-step sign-in: enrol an authenticator "
                        "first");
  }
  return util::Status::Forbidden();
}

util::Status RecentProof(const Principal& p, int64_t now, int64_t window_seconds) {
  if (p.kind != PrincipalKind::kUser) return util::Status::Ok();
  if (p.api_token) {
    return util::Status(util::Code::kForbidden, "interactive_session_required",
                        "an API token cannot do this; sign in and do it from a browser session");
  }
  // A clock that went backwards leaves the proof as fresh as it was, never fresher.
  if (p.authenticated_at > 0 && now >= p.authenticated_at &&
      now - p.authenticated_at <= window_seconds) {
    return util::Status::Ok();
  }
  return util::Status(util::Code::kForbidden, "reauth_required",
                      "confirm it is you: re-enter your password (and one-time code) to go on");
}

bool MfaRequired(std::string_view policy, Role role) {
  if (policy == "optional") return false;
  if (policy == "administrators") return role == Role::kAdministrator;
  return true;  // "everyone", and anything unknown: fail closed
}

Decision MayOnBom(const Principal& p, Function f, const BomFacts& bom) {
  Decision use = MayUse(p, f);
  if (use == Decision::kUnauthenticated) return use;
  // The operator has no BOM functions at all. A user of another tenant learns nothing, not even
  // that the BOM exists: visibility is decided before the function, so the answer is the same
  // 404 as for a missing BOM whatever the role or token scope.
  if (p.kind != PrincipalKind::kUser) return use == Decision::kAllow ? Decision::kNotFound : use;
  if (p.org != bom.org) return Decision::kNotFound;
  const bool admin = p.role == Role::kAdministrator;
  const bool owner = p.user == bom.owner;
  const bool shared = bom.share.has_value() && bom.org_sharing_enabled;
  const bool can_see = admin || owner || shared;
  if (!can_see) return Decision::kNotFound;
  if (use != Decision::kAllow) return use;
  switch (f) {
    case Function::kBomRead:
    case Function::kBomSend:
      return Decision::kAllow;
    case Function::kBomUpdate:
      return admin || owner || (shared && *bom.share == ShareAccess::kEdit) ? Decision::kAllow
                                                                            : Decision::kForbidden;
    case Function::kBomDelete:
    case Function::kBomShare:
    case Function::kBomTransfer:
      return admin || owner ? Decision::kAllow : Decision::kForbidden;
    default:
      return Decision::kForbidden;
  }
}

Function UserFunction(const Principal& p, const util::UserId& target, Function self,
                      Function others) {
  return p.kind == PrincipalKind::kUser && p.user == target ? self : others;
}

Decision MayShareWith(const Principal& p, const util::OrgId& target_org, bool target_verified,
                      bool target_disabled, bool org_sharing_enabled) {
  // Another org's user is invisible: same answer as a user that does not exist.
  if (p.kind != PrincipalKind::kUser || target_org != p.org || target_disabled) {
    return Decision::kNotFound;
  }
  if (!org_sharing_enabled || !p.email_verified || !target_verified || p.mfa_enrolment_only) {
    return Decision::kForbidden;
  }
  return Decision::kAllow;
}

}  // namespace bomvault::access
