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
using util::Status;

namespace {

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
             {.request = "OrgCreate", .responses = {{201, "OrgCreated"}}, .errors = {409}},
             Function::kOrgCreate},
            [](Ctx& c) {
              auto body = JsonBody(c);
              if (!body) return;
              auto name = StringField(c, *body, "name", true);
              if (!name) return;
              auto email = StringField(c, *body, "admin_email", true);
              if (!email) return;
              auto password = StringField(c, *body, "admin_password", true);
              if (!password) return;
              auto r = c.s().orgs->Create(c.principal, *name, *email, *password);
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/orgs/" + r->first.str(),
                          {{"id", r->first.str()}, {"admin_user_id", r->second.str()}});
            });

  api.Route({"GET",
             "/api/v1/orgs",
             "orgs.list",
             Auth::kSignedIn,
             false,
             "Operator: list organisations, oldest first",
             {.responses = {{200, "Orgs"}}, .list_max = 1000},
             Function::kOrgList},
            [](Ctx& c) {
              auto page = PageParams(c, 1000, 1000);
              if (!page) return;
              auto r = c.s().orgs->List(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              const int64_t now = util::NowUnix();
              SendPage<service::OrgView>(
                  c, "orgs", std::move(r.value()),
                  [](const service::OrgView& o) { return TimeIdKey(o.created_at, o.id.str()); },
                  false, *page,
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
            [](Ctx& c) {
              auto id = PathId<util::OrgId>(c, 1);
              if (!id) return;
              Status st = c.s().orgs->Delete(c.principal, *id);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
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
            [](Ctx& c) {
              auto id = PathId<util::OrgId>(c, 1);
              if (!id) return;
              auto page = PageParams(c, 200, 200);
              if (!page) return;
              auto r = c.s().orgs->SupportUsers(c.principal, *id);
              if (!r.ok()) return SendError(c, r.status());
              SendPage<service::UserView>(
                  c, "users", std::move(r.value()),
                  [](const service::UserView& u) { return TimeIdKey(u.created_at, u.id.str()); },
                  false, *page, UserJson);
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
            [](Ctx& c) {
              auto id = PathId<util::OrgId>(c, 1);
              if (!id) return;
              auto q = AuditQueryParams(c);
              if (!q) return;
              auto r = c.s().orgs->SupportAudit(c.principal, *id, *q);
              if (!r.ok()) return SendError(c, r.status());
              SendAuditEntries(c, r.value(), q->limit);
            });

  // --- Verified addresses ---
  api.Route({"POST",
             "/api/v1/me/verify-email",
             "me.verify_email",
             Auth::kSignedIn,
             false,
             "Send a verification link to this user's unverified address (valid 24 h, once)",
             {.request = "Empty", .responses = {{202, "VerificationSent"}}, .errors = {409}},
             Function::kSelfManage},
            [](Ctx& c) {
              auto body = JsonBody(c, 1024);
              if (!body) return;
              Status st = c.s().invitations->RequestVerification(c.principal);
              if (!st.ok()) return SendError(c, st);
              SendJson(c, 202, {{"sent", true}});
            });

  api.Route({"POST",
             "/api/v1/verify-email",
             "verify_email",
             Auth::kNone,
             false,
             "Verify an address with the token from its link {token}; the link is "
             "PUBLIC_URL/verify-email#token=...",
             {.request = "VerifyEmail", .responses = {{200, "EmailVerified"}}}},
            [](Ctx& c) {
              auto body = JsonBody(c, 1024);
              if (!body) return;
              auto token = StringField(c, *body, "token", true);
              if (!token) return;
              Status st = c.s().invitations->Verify(*token);
              if (!st.ok()) return SendError(c, st);
              SendJson(c, 200, {{"email_verified", true}});
            });

  // --- Invitations (org Administrators; accepting needs only the link) ---
  api.Route({"POST",
             "/api/v1/invitations",
             "invitations.create",
             Auth::kRecent,
             false,
             "Administrator: invite {email, role} by mail; the link works once and expires "
             "(72 h by default)",
             {.request = "InvitationCreate",
              .responses = {{201, "Invitation"}},
              .errors = {409},
              .idempotent = true},
             Function::kInvitationWrite},
            [](Ctx& c) {
              auto body = JsonBody(c, 4096);
              if (!body) return;
              auto email = StringField(c, *body, "email", true);
              if (!email) return;
              auto role = StringField(c, *body, "role", true);
              if (!role) return;
              auto r = c.s().invitations->Invite(c.principal, *email, *role);
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/invitations/" + r->id.str(), InvitationJson(r.value()));
            });

  api.Route({"GET",
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
            [](Ctx& c) {
              auto page = PageParams(c, 50, 100);
              if (!page) return;
              std::optional<int64_t> limit = static_cast<int64_t>(page->limit);
              std::optional<util::InvitationId> after;
              if (page->after) {
                // The cursor's key is the last invitation's id (the service pages by it).
                after = util::InvitationId::Parse(*page->after);
                if (!after) {
                  return SendError(c, Status::Invalid("invalid_cursor",
                                                      "\"cursor\" is not a cursor of this list"));
                }
              } else if (c.req.has_param("after")) {
                after = util::InvitationId::Parse(c.req.get_param_value("after"));
                if (!after) {
                  return SendError(c, Status::Invalid("invalid_parameter",
                                                      "\"after\" must be an invitation id"));
                }
              }
              auto r = c.s().invitations->List(c.principal, static_cast<int>(*limit), after);
              if (!r.ok()) return SendError(c, r.status());
              nlohmann::json out = nlohmann::json::array();
              for (const auto& v : r->invitations) out.push_back(InvitationJson(v));
              nlohmann::json body = {{"invitations", out}};
              if (r->next_after) body["next_after"] = r->next_after->str();
              AddNextPage(
                  c, body,
                  r->next_after ? std::optional<std::string>(r->next_after->str()) : std::nullopt);
              SendJson(c, 200, body);
            });

  api.Route({"DELETE",
             "/api/v1/invitations/{id}",
             "invitations.delete",
             Auth::kSignedIn,
             false,
             "Administrator: revoke an invitation; its link stops working at once",
             {.responses = {{204, nullptr}}},
             Function::kInvitationWrite},
            [](Ctx& c) {
              auto id = PathId<util::InvitationId>(c, 1);
              if (!id) return;
              Status st = c.s().invitations->Revoke(c.principal, *id);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  api.Route({"POST",
             "/api/v1/invitations/accept",
             "invitations.accept",
             Auth::kNone,
             false,
             "Accept an invitation {token, password}: creates the account, address verified; "
             "the link is PUBLIC_URL/invitation#token=...",
             {.request = "InvitationAccept",
              .responses = {{201, "InvitationAccepted"}},
              .errors = {409}}},
            [](Ctx& c) {
              auto body = JsonBody(c, 8192);
              if (!body) return;
              auto token = StringField(c, *body, "token", true);
              if (!token) return;
              auto password = StringField(c, *body, "password", true);
              if (!password) return;
              auto r = c.s().invitations->Accept(*token, *password);
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/users/" + r->user.str(),
                          {{"user_id", r->user.str()},
                           {"org_id", r->org.str()},
                           {"role", access::RoleName(r->role)}});
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
            [](Ctx& c) {
              auto page = PageParams(c, 1000, 1000);
              if (!page) return;
              auto r = c.s().invitations->Blocked(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              SendPage<service::BlockedEntry>(
                  c, "entries", std::move(r.value()),
                  [](const service::BlockedEntry& e) { return e.entry; }, false, *page,
                  BlockedJson);
            });

  api.Route({"POST",
             "/api/v1/org/blocked",
             "org.blocked.add",
             Auth::kSignedIn,
             false,
             "Administrator: block {entry: an address, or a domain (blocks its subdomains too)}",
             {.request = "BlockEntry",
              .responses = {{201, "BlockedEntry"}},
              .errors = {409},
              .idempotent = true},
             Function::kBlockListWrite},
            [](Ctx& c) {
              auto body = JsonBody(c, 1024);
              if (!body) return;
              auto entry = StringField(c, *body, "entry", true);
              if (!entry) return;
              auto r = c.s().invitations->Block(c.principal, *entry);
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/org/blocked", BlockedJson(r.value()));
            });

  api.Route({"DELETE",
             "/api/v1/org/blocked",
             "org.blocked.delete",
             Auth::kSignedIn,
             false,
             "Administrator: unblock {entry} (in the body, so no address travels in a URL)",
             {.request = "BlockEntry", .responses = {{204, nullptr}}, .errors = {404}},
             Function::kBlockListWrite},
            [](Ctx& c) {
              auto body = JsonBody(c, 1024);
              if (!body) return;
              auto entry = StringField(c, *body, "entry", true);
              if (!entry) return;
              Status st = c.s().invitations->Unblock(c.principal, *entry);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
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
            [](Ctx& c) {
              auto q = AuditQueryParams(c);
              if (!q) return;
              auto r = c.s().orgs->SearchAudit(c.principal, *q);
              if (!r.ok()) return SendError(c, r.status());
              SendAuditEntries(c, r.value(), q->limit);
            });
}

}  // namespace bomvault::http
