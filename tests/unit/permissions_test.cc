// The permission table, exhaustively: every principal kind × role × function × relation to the
// BOM × sharing setting × token scope is checked against the rules written out independently.
#include "access/permissions.h"

#include <doctest/doctest.h>

#include <map>

using namespace bomvault::access;
using bomvault::util::OrgId;
using bomvault::util::UserId;

namespace {

const Function kAll[] = {Function::kOrgCreate,       Function::kOrgList,
                         Function::kOrgDelete,       Function::kSeal,
                         Function::kMetrics,         Function::kSupportRead,
                         Function::kOrgSettingsRead, Function::kOrgSettingsWrite,
                         Function::kUserCreate,      Function::kUserList,
                         Function::kUserUpdate,      Function::kAuditRead,
                         Function::kInvitationRead,  Function::kInvitationWrite,
                         Function::kBlockListRead,   Function::kBlockListWrite,
                         Function::kBomCreate,       Function::kBomList,
                         Function::kBomRead,         Function::kBomUpdate,
                         Function::kBomDelete,       Function::kBomShare,
                         Function::kBomTransfer,     Function::kSelf,
                         Function::kSelfSessions,    Function::kSelfManage,
                         Function::kMfaEnrol,        Function::kColumnMappingsRead,
                         Function::kSourceManage,    Function::kSourceList,
                         Function::kSourceConnect,   Function::kSourcePull,
                         Function::kBomSend,         Function::kJobRead,
                         Function::kBackup,          Function::kUserMfaReset,
                         Function::kDirectoryRead,   Function::kKeyRotate};

const Function kBomFns[] = {Function::kBomRead,  Function::kBomUpdate,   Function::kBomDelete,
                            Function::kBomShare, Function::kBomTransfer, Function::kBomSend};

bool OperatorFn(Function f) {
  return f == Function::kOrgCreate || f == Function::kOrgList || f == Function::kOrgDelete ||
         f == Function::kSeal || f == Function::kMetrics || f == Function::kSupportRead ||
         f == Function::kBackup || f == Function::kKeyRotate;
}
bool AdminFn(Function f) {
  return f == Function::kOrgSettingsRead || f == Function::kOrgSettingsWrite ||
         f == Function::kUserCreate || f == Function::kUserList || f == Function::kUserUpdate ||
         f == Function::kUserMfaReset || f == Function::kAuditRead ||
         f == Function::kInvitationRead || f == Function::kInvitationWrite ||
         f == Function::kBlockListRead || f == Function::kBlockListWrite ||
         f == Function::kSourceManage;
}
bool ReadFn(Function f) {
  return f == Function::kOrgSettingsRead || f == Function::kUserList || f == Function::kAuditRead ||
         f == Function::kInvitationRead || f == Function::kBlockListRead ||
         f == Function::kBomList || f == Function::kBomRead || f == Function::kSelf ||
         f == Function::kSelfSessions || f == Function::kColumnMappingsRead ||
         f == Function::kSourceList || f == Function::kJobRead || f == Function::kDirectoryRead;
}

enum class Rel { kOwner, kSharedView, kSharedEdit, kColleague, kOtherOrg };

// The seeds' rules, spelled out as a table of what each role may do to a BOM it can see.
Decision Expected(Role role, bool read_only, Function f, Rel rel, bool sharing) {
  if (read_only && !ReadFn(f)) return Decision::kForbidden;
  if (rel == Rel::kOtherOrg) return Decision::kNotFound;
  bool admin = role == Role::kAdministrator;
  bool owner = rel == Rel::kOwner;
  bool shared = (rel == Rel::kSharedView || rel == Rel::kSharedEdit) && sharing;
  if (!(admin || owner || shared)) return Decision::kNotFound;
  bool viewer = role == Role::kViewer;
  switch (f) {
    case Function::kBomRead:
    case Function::kBomSend:  // sending is reading it out, on one's own connection
      return Decision::kAllow;
    case Function::kBomTransfer:
      return admin || owner ? Decision::kAllow : Decision::kForbidden;
    case Function::kBomUpdate:
      if (viewer) return Decision::kForbidden;
      return admin || owner || rel == Rel::kSharedEdit ? Decision::kAllow : Decision::kForbidden;
    case Function::kBomDelete:
    case Function::kBomShare:
      if (viewer) return Decision::kForbidden;
      return admin || owner ? Decision::kAllow : Decision::kForbidden;
    default:
      return Decision::kForbidden;
  }
}

}  // namespace

TEST_CASE("role and share names round trip; unknown names are refused") {
  for (Role r : {Role::kAdministrator, Role::kEditor, Role::kViewer}) {
    CHECK(ParseRole(RoleName(r)) == r);
  }
  CHECK_FALSE(ParseRole("Administrator"));
  CHECK_FALSE(ParseRole("root"));
  CHECK(ParseShareAccess("edit") == ShareAccess::kEdit);
  CHECK_FALSE(ParseShareAccess("owner"));
}

TEST_CASE("my_access ranks owner, then Administrator, then the share, whatever else is held") {
  CHECK(MyAccessName(true, Role::kViewer, ShareAccess::kView) == "owner");
  CHECK(MyAccessName(true, Role::kAdministrator, std::nullopt) == "owner");
  // The bug this pins: an Administrator who also holds a view share read "administrator" on the
  // BOM's page and "view" in the list.
  CHECK(MyAccessName(false, Role::kAdministrator, ShareAccess::kView) == "administrator");
  CHECK(MyAccessName(false, Role::kAdministrator, std::nullopt) == "administrator");
  CHECK(MyAccessName(false, Role::kEditor, ShareAccess::kEdit) == "edit");
  CHECK(MyAccessName(false, Role::kViewer, ShareAccess::kView) == "view");
  CHECK(MyAccessName(false, Role::kEditor, std::nullopt).empty());
}

TEST_CASE("anonymous callers are unauthenticated for every function") {
  Principal anon;
  for (Function f : kAll) CHECK(MayUse(anon, f) == Decision::kUnauthenticated);
}

TEST_CASE("the operator manages the instance and reads no organisation data") {
  Principal op;
  op.kind = PrincipalKind::kOperator;
  BomFacts bom{OrgId::Generate(), UserId::Generate(), std::nullopt, true};
  for (Function f : kAll) {
    CHECK(MayUse(op, f) == (OperatorFn(f) ? Decision::kAllow : Decision::kForbidden));
  }
  for (Function f : kBomFns) CHECK(MayOnBom(op, f, bom) == Decision::kForbidden);
}

TEST_CASE("function-level table for each role and token scope") {
  for (Role role : {Role::kAdministrator, Role::kEditor, Role::kViewer}) {
    for (bool ro : {false, true}) {
      Principal p;
      p.kind = PrincipalKind::kUser;
      p.role = role;
      p.read_only = ro;
      for (Function f : kAll) {
        Decision want;
        if (OperatorFn(f))
          want = Decision::kForbidden;
        else if (ro && !ReadFn(f))
          want = Decision::kForbidden;
        else if (AdminFn(f))
          want = role == Role::kAdministrator ? Decision::kAllow : Decision::kForbidden;
        else if (f == Function::kBomCreate || f == Function::kBomUpdate ||
                 f == Function::kBomDelete || f == Function::kBomShare ||
                 f == Function::kSourcePull)
          want = role == Role::kViewer ? Decision::kForbidden : Decision::kAllow;
        else
          want = Decision::kAllow;
        CAPTURE(static_cast<int>(role));
        CAPTURE(ro);
        CAPTURE(static_cast<int>(f));
        CHECK(MayUse(p, f) == want);
      }
    }
  }
}

TEST_CASE("BOM table: role × relation × sharing × scope × function") {
  OrgId org = OrgId::Generate();
  UserId me = UserId::Generate();
  int checked = 0;
  for (Role role : {Role::kAdministrator, Role::kEditor, Role::kViewer}) {
    for (bool ro : {false, true}) {
      for (Rel rel :
           {Rel::kOwner, Rel::kSharedView, Rel::kSharedEdit, Rel::kColleague, Rel::kOtherOrg}) {
        for (bool sharing : {true, false}) {
          Principal p;
          p.kind = PrincipalKind::kUser;
          p.role = role;
          p.user = me;
          p.org = org;
          p.read_only = ro;
          BomFacts bom;
          bom.org = rel == Rel::kOtherOrg ? OrgId::Generate() : org;
          bom.owner = rel == Rel::kOwner ? me : UserId::Generate();
          if (rel == Rel::kSharedView) bom.share = ShareAccess::kView;
          if (rel == Rel::kSharedEdit) bom.share = ShareAccess::kEdit;
          bom.org_sharing_enabled = sharing;
          for (Function f : kBomFns) {
            CAPTURE(static_cast<int>(role));
            CAPTURE(ro);
            CAPTURE(static_cast<int>(rel));
            CAPTURE(sharing);
            CAPTURE(static_cast<int>(f));
            Decision want = Expected(role, ro, f, rel, sharing);
            // Visibility wins over scope: an invisible BOM is 404 even for a read-only token.
            if (rel == Rel::kOtherOrg ||
                (!(role == Role::kAdministrator || rel == Rel::kOwner ||
                   ((rel == Rel::kSharedView || rel == Rel::kSharedEdit) && sharing)))) {
              want = Decision::kNotFound;
            }
            CHECK(MayOnBom(p, f, bom) == want);
            ++checked;
          }
        }
      }
    }
  }
  CHECK(checked == 3 * 2 * 5 * 2 * 6);
}

TEST_CASE("functions that are not about a BOM are refused on one, even when visible") {
  Principal p;
  p.kind = PrincipalKind::kUser;
  p.role = Role::kAdministrator;
  p.user = UserId::Generate();
  p.org = OrgId::Generate();
  BomFacts own{p.org, p.user, std::nullopt, true};
  BomFacts other{OrgId::Generate(), UserId::Generate(), std::nullopt, true};
  for (Function f : kAll) {
    bool bom_fn = false;
    for (Function b : kBomFns) bom_fn = bom_fn || b == f;
    CAPTURE(static_cast<int>(f));
    if (!bom_fn && MayUse(p, f) == Decision::kAllow) {
      CHECK(MayOnBom(p, f, own) == Decision::kForbidden);
    }
    // Whatever the function, an invisible BOM stays a missing one.
    if (MayUse(p, f) != Decision::kUnauthenticated) {
      CHECK(MayOnBom(p, f, other) == Decision::kNotFound);
    }
  }
}

TEST_CASE("a function on one user: the self function for oneself, the other for anyone else") {
  Principal p;
  p.kind = PrincipalKind::kUser;
  p.user = UserId::Generate();
  p.org = OrgId::Generate();
  CHECK(UserFunction(p, p.user, Function::kSelf, Function::kUserList) == Function::kSelf);
  CHECK(UserFunction(p, UserId::Generate(), Function::kSelf, Function::kUserList) ==
        Function::kUserList);
  // The operator is nobody's self, even for an id equal to its empty one.
  Principal op;
  op.kind = PrincipalKind::kOperator;
  CHECK(UserFunction(op, op.user, Function::kSelf, Function::kUserList) == Function::kUserList);
  Principal anon;
  CHECK(UserFunction(anon, anon.user, Function::kSelf, Function::kUserList) == Function::kUserList);
  // So a member reads their own profile and no one else's; an Administrator reads anyone's.
  for (Role role : {Role::kEditor, Role::kViewer}) {
    p.role = role;
    CHECK(MayUse(p, UserFunction(p, p.user, Function::kSelf, Function::kUserList)) ==
          Decision::kAllow);
    CHECK(MayUse(p, UserFunction(p, UserId::Generate(), Function::kSelf, Function::kUserList)) ==
          Decision::kForbidden);
  }
  p.role = Role::kAdministrator;
  CHECK(MayUse(p, UserFunction(p, UserId::Generate(), Function::kSelf, Function::kUserList)) ==
        Decision::kAllow);
}

TEST_CASE("sharing targets: same org, verified on both sides, enabled, not disabled") {
  Principal p;
  p.kind = PrincipalKind::kUser;
  p.org = OrgId::Generate();
  p.email_verified = true;
  CHECK(MayShareWith(p, p.org, true, false, true) == Decision::kAllow);
  CHECK(MayShareWith(p, OrgId::Generate(), true, false, true) == Decision::kNotFound);
  CHECK(MayShareWith(p, p.org, true, true, true) == Decision::kNotFound);
  CHECK(MayShareWith(p, p.org, false, false, true) == Decision::kForbidden);
  CHECK(MayShareWith(p, p.org, true, false, false) == Decision::kForbidden);
  p.email_verified = false;
  CHECK(MayShareWith(p, p.org, true, false, true) == Decision::kForbidden);
  Principal op;
  op.kind = PrincipalKind::kOperator;
  CHECK(MayShareWith(op, p.org, true, false, true) == Decision::kNotFound);
}

TEST_CASE("enrolment-only sessions may read their profile and enrol, nothing else") {
  OrgId org = OrgId::Generate();
  UserId me = UserId::Generate();
  for (Role role : {Role::kAdministrator, Role::kEditor, Role::kViewer}) {
    for (bool ro : {false, true}) {
      Principal p;
      p.kind = PrincipalKind::kUser;
      p.role = role;
      p.user = me;
      p.org = org;
      p.read_only = ro;
      p.email_verified = true;
      p.mfa_enrolment_only = true;
      for (Function f : kAll) {
        CAPTURE(static_cast<int>(role));
        CAPTURE(ro);
        CAPTURE(static_cast<int>(f));
        Decision want = Decision::kForbidden;
        if (f == Function::kSelf) want = Decision::kAllow;
        if (f == Function::kMfaEnrol && !ro) want = Decision::kAllow;
        CHECK(MayUse(p, f) == want);
        bomvault::util::Status st = Refusal(p, f, MayUse(p, f));
        if (want == Decision::kAllow) {
          CHECK(st.ok());
        } else if ((ro && !ReadFn(f)) || OperatorFn(f) ||
                   (AdminFn(f) && role != Role::kAdministrator) ||
                   (role == Role::kViewer &&
                    (f == Function::kBomCreate || f == Function::kBomUpdate ||
                     f == Function::kBomDelete || f == Function::kBomShare ||
                     f == Function::kSourcePull))) {
          // Scope or role refuses: enrolling would not help, so the answer does not suggest it.
          CHECK(st.machine_code() == "forbidden");
        } else {
          CHECK(st.code() == bomvault::util::Code::kForbidden);
          CHECK(st.machine_code() == "mfa_enrolment_required");
        }
      }
      // Visibility still comes first: an invisible BOM is 404, a visible one 403.
      BomFacts own{org, me, std::nullopt, true};
      BomFacts colleague{org, UserId::Generate(), std::nullopt, true};
      BomFacts other{OrgId::Generate(), UserId::Generate(), std::nullopt, true};
      for (Function f : kBomFns) {
        CHECK(MayOnBom(p, f, own) == Decision::kForbidden);
        CHECK(MayOnBom(p, f, other) == Decision::kNotFound);
        if (role != Role::kAdministrator) CHECK(MayOnBom(p, f, colleague) == Decision::kNotFound);
      }
      CHECK(MayShareWith(p, org, true, false, true) == Decision::kForbidden);
    }
  }
}

TEST_CASE("refusals map to one Status each; plain principals never get the MFA code") {
  Principal p;
  p.kind = PrincipalKind::kUser;
  p.role = Role::kEditor;
  CHECK(Refusal(p, Function::kBomRead, Decision::kAllow).ok());
  CHECK(Refusal(p, Function::kBomRead, Decision::kNotFound).code() ==
        bomvault::util::Code::kNotFound);
  CHECK(Refusal(p, Function::kUserList, Decision::kForbidden).machine_code() == "forbidden");
  Principal anon;
  CHECK(Refusal(anon, Function::kSelf, MayUse(anon, Function::kSelf)).code() ==
        bomvault::util::Code::kUnauthenticated);
}

TEST_CASE("MFA policy: optional, administrators, everyone; unknown fails closed") {
  for (Role role : {Role::kAdministrator, Role::kEditor, Role::kViewer}) {
    CHECK_FALSE(MfaRequired("optional", role));
    CHECK(MfaRequired("everyone", role));
    CHECK(MfaRequired("administrators", role) == (role == Role::kAdministrator));
    CHECK(MfaRequired("", role));
    CHECK(MfaRequired("Optional", role));
  }
}

TEST_CASE("support access: the operator only, only inside the window") {
  Principal op;
  op.kind = PrincipalKind::kOperator;
  CHECK(MayUseSupport(op, 1000, 999) == Decision::kAllow);
  CHECK(MayUseSupport(op, 1000, 1000) == Decision::kForbidden);  // expired exactly now
  CHECK(MayUseSupport(op, 0, 5) == Decision::kForbidden);        // never granted
  Principal admin;
  admin.kind = PrincipalKind::kUser;
  admin.role = Role::kAdministrator;
  CHECK(MayUseSupport(admin, 1000, 1) == Decision::kForbidden);
  CHECK(MayUseSupport(Principal{}, 1000, 1) == Decision::kUnauthenticated);
}

TEST_CASE("recent proof: a browser session inside the window; API tokens never; operator always") {
  Principal user;
  user.kind = PrincipalKind::kUser;
  user.authenticated_at = 10000;
  CHECK(RecentProof(user, 10000, 600).ok());  // just signed in
  CHECK(RecentProof(user, 10600, 600).ok());  // the window's last second
  auto late = RecentProof(user, 10601, 600);
  CHECK(late.code() == bomvault::util::Code::kForbidden);
  CHECK(late.machine_code() == "reauth_required");
  // A clock moved backwards does not make an old proof look recent, nor a future one valid.
  CHECK(RecentProof(user, 9999, 600).machine_code() == "reauth_required");
  user.authenticated_at = 0;  // never proved (no such session is issued; fail closed)
  CHECK(RecentProof(user, 100, 600).machine_code() == "reauth_required");
  Principal token = user;
  token.api_token = true;
  token.authenticated_at = 10000;
  CHECK(RecentProof(token, 10000, 600).machine_code() == "interactive_session_required");
  Principal op;
  op.kind = PrincipalKind::kOperator;
  CHECK(RecentProof(op, 10000, 600).ok());
}
