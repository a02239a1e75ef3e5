// Routes for organisations (the operator's), address verification, invitations, the block list
// and the audit log. The other account routes are by concern: routes_users.cc (people),
// routes_sessions.cc (sign-in, sessions, tokens, passwords), routes_mfa.cc (second factor),
// routes_settings.cc (org settings). Each handler asks access:: (Require, or the service) before it
// reads the body's data; refusals go through access::Refusal so an enrolment-only session hears
// "mfa_enrolment_required" wherever it is turned away.
#include "http/account_routes.h"
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using access::Function;
using util::Result;
using util::Status;

namespace {

struct OrgCreateIn {
  std::string name, admin_email, admin_password;
};
const BodySpec<OrgCreateIn> kOrgCreate{
    "OrgCreate",
    1 << 20,
    {Text("name", &OrgCreateIn::name, Need::kRequired),
     Text("admin_email", &OrgCreateIn::admin_email, Need::kRequired),
     Text("admin_password", &OrgCreateIn::admin_password, Need::kRequired)}};

struct TokenIn {
  std::string token;
};
const BodySpec<TokenIn> kVerifyEmail{
    "VerifyEmail", 1024, {Text("token", &TokenIn::token, Need::kRequired)}};

struct InvitationIn {
  std::string email, role;
};
const BodySpec<InvitationIn> kInvitationCreate{
    "InvitationCreate",
    4096,
    {Text("email", &InvitationIn::email, Need::kRequired),
     RoleName("role", &InvitationIn::role, Need::kRequired)}};

struct AcceptIn {
  std::string token, password;
};
const BodySpec<AcceptIn> kInvitationAccept{
    "InvitationAccept",
    8192,
    {Text("token", &AcceptIn::token, Need::kRequired),
     Text("password", &AcceptIn::password, Need::kRequired)}};

struct BlockEntryIn {
  std::string entry;
};
const BodySpec<BlockEntryIn> kBlockEntry{
    "BlockEntry", 1024, {Text("entry", &BlockEntryIn::entry, Need::kRequired)}};

nlohmann::json InvitationJson(const service::InvitationView& v) {
  return {{"id", v.id.str()},
          {"email", v.email},
          {"role", access::RoleName(v.role)},
          {"inviter_id", v.inviter.str()},
          {"created_at", util::FormatUtc(v.created_at)},
          {"expires_at", util::FormatUtc(v.expires_at)},
          {"status", v.expired ? "expired" : "pending"}};
}

nlohmann::json BlockedJson(const service::BlockedEntry& e) {
  return {{"entry", e.entry},
          {"kind", e.kind},
          {"created_by", e.created_by},
          {"created_at", util::FormatUtc(e.created_at)}};
}

}  // namespace

void RegisterAccountRoutes(Api& api) {
  // --- Organisations (operator) ---
  api.Route({"POST",
             "/api/v1/orgs",
             "orgs.create",
             Auth::kSignedIn,
             false,
             "Operator: create an organisation and its first Administrator",
             {.responses = {{201, "OrgCreated"}}, .errors = {409}},
             Function::kOrgCreate},
            kOrgCreate, [](Ctx& c, OrgCreateIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(
                  auto created,
                  c.s().orgs->Create(c.principal, in.name, in.admin_email, in.admin_password));
              const auto& [org, admin] = created;
              return Reply::Created("/api/v1/orgs/" + org.str(),
                                    {{"id", org.str()}, {"admin_user_id", admin.str()}});
            });

  api.Route({"GET",
             "/api/v1/orgs",
             "orgs.list",
             Auth::kSignedIn,
             false,
             "Operator: list organisations, oldest first",
             {.responses = {{200, "Orgs"}}, .list_max = 1000},
             Function::kOrgList},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
              BV_ASSIGN_OR_RETURN(auto orgs, c.s().orgs->List(c.principal));
              const int64_t now = util::NowUnix();
              return ListPage<service::OrgView>(
                  c.req, "orgs", std::move(orgs),
                  [](const service::OrgView& o) { return TimeIdKey(o.created_at, o.id.str()); },
                  false, page,
                  [now](const service::OrgView& o) -> nlohmann::json {
                    return {{"id", o.id.str()},
                            {"name", o.name},
                            {"users", o.users},
                            {"created_at", util::FormatUtc(o.created_at)},
                            {"support_access_until",
                             o.support_until > now ? util::FormatUtc(o.support_until) : ""}};
                  });
            });

  api.Route({"DELETE",
             "/api/v1/orgs/{id}",
             "orgs.delete",
             Auth::kSignedIn,
             false,
             "Operator: delete an organisation and destroy its data key",
             {.responses = {{204, nullptr}}},
             Function::kOrgDelete},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::OrgId>(1));
              BV_RETURN_IF_ERROR(c.s().orgs->Delete(c.principal, id));
              return Reply::NoContent();
            });

  api.Route({"GET",
             "/api/v1/orgs/{id}/support/users",
             "orgs.support.users",
             Auth::kSignedIn,
             false,
             "Operator, inside a support window the org's Administrator granted: the org's "
             "users, oldest first (each use is audited in the org)",
             {.responses = {{200, "Users"}}, .list_max = 200},
             Function::kSupportRead},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::OrgId>(1));
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 200, 200));
              BV_ASSIGN_OR_RETURN(auto users, c.s().orgs->SupportUsers(c.principal, id));
              return ListPage<service::UserView>(
                  c.req, "users", std::move(users),
                  [](const service::UserView& u) { return TimeIdKey(u.created_at, u.id.str()); },
                  false, page, UserJson);
            });

  api.Route({"GET",
             "/api/v1/orgs/{id}/support/audit",
             "orgs.support.audit",
             Auth::kSignedIn,
             false,
             "Operator, inside a support window: the org's audit entries, newest first "
             "(limit, before); each use is audited in the org",
             {.responses = {{200, "AuditEntries"}}, .query = AuditQueryDoc(), .list_max = 500},
             Function::kSupportRead},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::OrgId>(1));
              BV_ASSIGN_OR_RETURN(auto q, AuditQueryParams(c.req));
              BV_ASSIGN_OR_RETURN(auto entries, c.s().orgs->SupportAudit(c.principal, id, q));
              return AuditEntriesReply(c.req, entries, q.limit);
            });

  // --- Verified addresses ---
  api.Route({"POST",
             "/api/v1/me/verify-email",
             "me.verify_email",
             Auth::kSignedIn,
             false,
             "Send a verification link to this user's unverified address (valid 24 h, once)",
             {.responses = {{202, "VerificationSent"}}, .errors = {409}},
             Function::kSelfManage},
            EmptyBody(), [](Ctx& c, NoFields&) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().invitations->RequestVerification(c.principal));
              return Reply::Json(202, {{"sent", true}});
            });

  api.Route({"POST",
             "/api/v1/verify-email",
             "verify_email",
             Auth::kNone,
             false,
             "Verify an address with the token from its link {token}; the link is "
             "PUBLIC_URL/verify-email#token=...",
             {.responses = {{200, "EmailVerified"}}}},
            kVerifyEmail, [](Ctx& c, TokenIn& in) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().invitations->Verify(in.token));
              return Reply::Json(200, {{"email_verified", true}});
            });

  // --- Invitations (org Administrators; accepting needs only the link) ---
  api.Route({"POST",
             "/api/v1/invitations",
             "invitations.create",
             Auth::kRecent,
             false,
             "Administrator: invite {email, role} by mail; the link works once and expires "
             "(72 h by default)",
             {.responses = {{201, "Invitation"}}, .errors = {409}, .idempotent = true},
             Function::kInvitationWrite},
            kInvitationCreate, [](Ctx& c, InvitationIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto invitation,
                                  c.s().invitations->Invite(c.principal, in.email, in.role));
              return Reply::Created("/api/v1/invitations/" + invitation.id.str(),
                                    InvitationJson(invitation));
            });

  api.Route(
      {"GET",
       "/api/v1/invitations",
       "invitations.list",
       Auth::kSignedIn,
       false,
       "Administrator: the org's invitations, newest first; limit (1-100, default 50), "
       "cursor (or after: the next_after of the previous page)",
       {.responses = {{200, "Invitations"}},
        .query = {{"after", "string", "the next_after of the previous page"}},
        .list_max = 100},
       Function::kInvitationRead},
      [](Ctx& c) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 50, 100));
        std::optional<util::InvitationId> after;
        if (page.after) {
          // The cursor's key is the last invitation's id (the service pages by it).
          after = util::InvitationId::Parse(*page.after);
          if (!after) {
            return Status::Invalid("invalid_cursor", "\"cursor\" is not a cursor of this list");
          }
        } else if (c.req.has_param("after")) {
          after = util::InvitationId::Parse(c.req.get_param_value("after"));
          if (!after) {
            return Status::Invalid("invalid_parameter", "\"after\" must be an invitation id");
          }
        }
        BV_ASSIGN_OR_RETURN(
            auto list, c.s().invitations->List(c.principal, static_cast<int>(page.limit), after));
        nlohmann::json out = nlohmann::json::array();
        for (const auto& v : list.invitations) out.push_back(InvitationJson(v));
        nlohmann::json body = {{"invitations", out}};
        std::optional<std::string> next;
        if (list.next_after) {
          next = list.next_after->str();
          body["next_after"] = *next;
        }
        return ListReply(c.req, std::move(body), next);
      });

  api.Route({"DELETE",
             "/api/v1/invitations/{id}",
             "invitations.delete",
             Auth::kSignedIn,
             false,
             "Administrator: revoke an invitation; its link stops working at once",
             {.responses = {{204, nullptr}}},
             Function::kInvitationWrite},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::InvitationId>(1));
              BV_RETURN_IF_ERROR(c.s().invitations->Revoke(c.principal, id));
              return Reply::NoContent();
            });

  api.Route({"POST",
             "/api/v1/invitations/accept",
             "invitations.accept",
             Auth::kNone,
             false,
             "Accept an invitation {token, password}: creates the account, address verified; "
             "the link is PUBLIC_URL/invitation#token=...",
             {.responses = {{201, "InvitationAccepted"}}, .errors = {409}}},
            kInvitationAccept, [](Ctx& c, AcceptIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto accepted, c.s().invitations->Accept(in.token, in.password));
              return Reply::Created("/api/v1/users/" + accepted.user.str(),
                                    {{"user_id", accepted.user.str()},
                                     {"org_id", accepted.org.str()},
                                     {"role", access::RoleName(accepted.role)}});
            });

  // --- Block list (org Administrators) ---
  api.Route({"GET",
             "/api/v1/org/blocked",
             "org.blocked.list",
             Auth::kSignedIn,
             false,
             "Administrator: addresses and domains refused for invitations and sharing, by entry",
             {.responses = {{200, "BlockedEntries"}}, .list_max = 1000},
             Function::kBlockListRead},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
              BV_ASSIGN_OR_RETURN(auto entries, c.s().invitations->Blocked(c.principal));
              return ListPage<service::BlockedEntry>(
                  c.req, "entries", std::move(entries),
                  [](const service::BlockedEntry& e) { return e.entry; }, false, page, BlockedJson);
            });

  api.Route({"POST",
             "/api/v1/org/blocked",
             "org.blocked.add",
             Auth::kSignedIn,
             false,
             "Administrator: block {entry: an address, or a domain (blocks its subdomains too)}",
             {.responses = {{201, "BlockedEntry"}}, .errors = {409}, .idempotent = true},
             Function::kBlockListWrite},
            kBlockEntry, [](Ctx& c, BlockEntryIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto blocked, c.s().invitations->Block(c.principal, in.entry));
              return Reply::Created("/api/v1/org/blocked", BlockedJson(blocked));
            });

  api.Route({"DELETE",
             "/api/v1/org/blocked",
             "org.blocked.delete",
             Auth::kSignedIn,
             false,
             "Administrator: unblock {entry} (in the body, so no address travels in a URL)",
             {.responses = {{204, nullptr}}, .errors = {404}},
             Function::kBlockListWrite},
            kBlockEntry, [](Ctx& c, BlockEntryIn& in) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().invitations->Unblock(c.principal, in.entry));
              return Reply::NoContent();
            });

  // --- Audit (Administrators) ---
  api.Route({"GET",
             "/api/v1/audit",
             "audit.search",
             Auth::kSignedIn,
             false,
             "Administrator: audit entries, newest first; filters object, actor, action, from, "
             "to (unix seconds), before (cursor), limit",
             {.responses = {{200, "AuditEntries"}}, .query = AuditQueryDoc(), .list_max = 500},
             Function::kAuditRead},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto q, AuditQueryParams(c.req));
              BV_ASSIGN_OR_RETURN(auto entries, c.s().orgs->SearchAudit(c.principal, q));
              return AuditEntriesReply(c.req, entries, q.limit);
            });
}

}  // namespace bomvault::http
