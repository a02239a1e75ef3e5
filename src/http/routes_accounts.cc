// Routes for organisations, people, sessions, tokens, MFA, invitations, address verification,
// the block list, org settings and the audit log. Each handler asks access:: (Require, or the
// service) before it reads the body's data; refusals go through access::Refusal so an
// enrolment-only session hears "mfa_enrolment_required" wherever it is turned away.
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using access::Decision;
using access::Function;
using util::Status;

namespace {

nlohmann::json UserJson(const service::UserView& u) {
  return {{"id", u.id.str()},
          {"org_id", u.org.str()},
          {"email", u.email},
          {"display_name", u.display_name},
          {"role", access::RoleName(u.role)},
          {"email_verified", u.email_verified},
          {"disabled", u.disabled},
          {"mfa_enabled", u.mfa_enabled},
          {"recovery_codes_left", u.recovery_codes_left},
          {"passkeys", u.passkeys},
          {"created_at", util::FormatUtc(u.created_at)},
          {"last_active_at", util::FormatUtc(u.last_active_at)}};
}

nlohmann::json SettingsJson(const service::OrgSettings& s) {
  return {{"sharing_enabled", s.sharing_enabled},
          {"audit_depth", s.audit_depth},
          {"mfa_policy", s.mfa_policy},
          {"purge_notice", s.purge_notice},
          {"purge_days", s.purge_days}};
}

// PATCH /org/settings: each key with its type and range, in key order (the first bad key is
// named).
util::Result<service::OrgSettingsPatch> SettingsPatch(const nlohmann::json& j) {
  if (!j.is_object()) return Status::Invalid("invalid_settings", "settings must be an object");
  service::OrgSettingsPatch p;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    if (k == "sharing_enabled" && v.is_boolean()) {
      p.sharing_enabled = v.get<bool>();
    } else if (k == "purge_notice" && v.is_boolean()) {
      p.purge_notice = v.get<bool>();
    } else if (k == "audit_depth" && v.is_number_integer() &&
               v.get<int64_t>() >= service::kMinAuditDepth &&
               v.get<int64_t>() <= service::kMaxAuditDepth) {
      p.audit_depth = v.get<int>();
    } else if (k == "purge_days" && v.is_number_integer() &&
               v.get<int64_t>() >= service::kMinPurgeDays &&
               v.get<int64_t>() <= service::kMaxPurgeDays) {
      p.purge_days = v.get<int>();
    } else if (k == "mfa_policy" && v.is_string() &&
               service::IsMfaPolicy(v.get_ref<const std::string&>())) {
      p.mfa_policy = v.get<std::string>();
    } else {
      return Status::Invalid("invalid_settings",
                             "unknown setting or value out of range: " + k.substr(0, 40));
    }
  }
  return p;
}

nlohmann::json TokenJson(const service::TokenView& t) {
  return {{"id", t.id.str()},
          {"kind", t.kind},
          {"name", t.name},
          {"scope", t.scope},
          {"created_at", util::FormatUtc(t.created_at)},
          {"last_seen_at", util::FormatUtc(t.last_seen_at)},
          {"expires_at", util::FormatUtc(t.expires_at)},
          {"current", t.current}};
}

bool Require(Ctx& c, Function f) {
  Decision d = access::MayUse(c.principal, f);
  if (d == Decision::kAllow) return true;
  SendError(c, access::Refusal(c.principal, f, d));
  return false;
}

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

nlohmann::json CodesJson(const std::vector<std::string>& codes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& code : codes) out.push_back(code);
  return out;
}

// The factors a user proves who they are with, {password, totp?, recovery_code?}: sign-in and
// re-authentication read them alike. nullopt: the error has been sent.
struct Proof {
  std::string password, totp, recovery_code;
};
std::optional<Proof> ProofFields(Ctx& c, const nlohmann::json& body) {
  auto password = StringField(c, body, "password", true);
  if (!password) return std::nullopt;
  auto totp = StringField(c, body, "totp", false);
  if (!totp) return std::nullopt;
  auto recovery = StringField(c, body, "recovery_code", false);
  if (!recovery) return std::nullopt;
  return Proof{std::move(*password), std::move(*totp), std::move(*recovery)};
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
             {.request = "OrgCreate", .responses = {{201, "OrgCreated"}}, .errors = {409}}},
            [](Ctx& c) {
              if (!Require(c, Function::kOrgCreate)) return;
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
             "Operator: list organisations",
             {.responses = {{200, "Orgs"}}}},
            [](Ctx& c) {
              if (!Require(c, Function::kOrgList)) return;
              auto r = c.s().orgs->List(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              nlohmann::json out = nlohmann::json::array();
              for (const auto& o : r.value()) {
                out.push_back(
                    {{"id", o.id.str()},
                     {"name", o.name},
                     {"users", o.users},
                     {"created_at", util::FormatUtc(o.created_at)},
                     {"support_access_until",
                      o.support_until > util::NowUnix() ? util::FormatUtc(o.support_until) : ""}});
              }
              SendJson(c, 200, {{"orgs", out}});
            });

  api.Route({"DELETE",
             "/api/v1/orgs/{id}",
             "orgs.delete",
             Auth::kSignedIn,
             false,
             "Operator: delete an organisation and destroy its data key",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) {
              if (!Require(c, Function::kOrgDelete)) return;
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
             "users (each use is audited in the org)",
             {.responses = {{200, "Users"}}}},
            [](Ctx& c) {
              if (!Require(c, Function::kSupportRead)) return;
              auto id = PathId<util::OrgId>(c, 1);
              if (!id) return;
              auto r = c.s().orgs->SupportUsers(c.principal, *id);
              if (!r.ok()) return SendError(c, r.status());
              nlohmann::json out = nlohmann::json::array();
              for (const auto& u : r.value()) out.push_back(UserJson(u));
              SendJson(c, 200, {{"users", out}});
            });

  api.Route({"GET",
             "/api/v1/orgs/{id}/support/audit",
             "orgs.support.audit",
             Auth::kSignedIn,
             false,
             "Operator, inside a support window: the org's audit entries, newest first "
             "(limit, before); each use is audited in the org",
             {.responses = {{200, "AuditEntries"}}, .query = AuditQueryDoc(), .list_max = 500}},
            [](Ctx& c) {
              if (!Require(c, Function::kSupportRead)) return;
              auto id = PathId<util::OrgId>(c, 1);
              if (!id) return;
              auto q = AuditQueryParams(c);
              if (!q) return;
              auto r = c.s().orgs->SupportAudit(c.principal, *id, *q);
              if (!r.ok()) return SendError(c, r.status());
              SendAuditEntries(c, r.value(), q->limit);
            });

  // --- Sessions ---
  api.Route(
      {"POST",
       "/api/v1/sessions",
       "sessions.create",
       Auth::kNone,
       false,
       "Sign in {email, password, totp?, recovery_code?, cookie?}: with TOTP enrolled a "
       "current code or an unused recovery code is needed; {\"cookie\":true} sets an "
       "HttpOnly session cookie instead of returning the token. \"mfa_enrolment_required\": "
       "true means the org requires MFA and this session may only enrol it",
       {.request = "SignIn", .responses = {{201, "Session"}}, .errors = {401, 409}}},
      [&api](Ctx& c) {
        auto body = JsonBody(c, 8192);
        if (!body) return;
        auto email = StringField(c, *body, "email", true);
        if (!email) return;
        auto proof = ProofFields(c, *body);
        if (!proof) return;
        auto cookie_field = body->find("cookie");
        if (cookie_field != body->end() && !cookie_field->is_null() &&
            !cookie_field->is_boolean()) {
          return SendError(c, Status::Invalid("invalid_field", "\"cookie\" must be a boolean"));
        }
        bool cookie = cookie_field != body->end() && *cookie_field == true;
        auto attempt = c.s().accounts->BeginSignIn(*email, c.req.remote_addr);
        if (!attempt.ok()) return SendError(c, attempt.status());
        // The hold is let go while the password hash queues and runs, so a flood of sign-ins
        // never keeps a seal waiting (service/instance.h); it is taken again to finish.
        c.services.reset();
        auto password_ok = service::Accounts::CheckPassword(*attempt, proof->password, [&c] {
          return c.instance.closing() || c.instance.sealed();
        });
        if (!password_ok.ok()) return SendError(c, password_ok.status());
        c.services = c.instance.Acquire();
        if (!c.services) {
          return SendError(c, Status(util::Code::kSealed, "sealed", "the vault was sealed"));
        }
        auto r = c.s().accounts->FinishSignIn(*attempt, *password_ok, proof->totp,
                                              proof->recovery_code, c.req.remote_addr);
        if (!r.ok()) return SendError(c, r.status());
        nlohmann::json user = {
            {"id", r->user.str()}, {"org_id", r->org.str()}, {"role", access::RoleName(r->role)}};
        if (cookie) {
          bool tls = api.options().tls;
          c.res.set_header("Set-Cookie", SessionCookieName(tls) + "=" + r->token +
                                             "; Path=/; HttpOnly; SameSite=Strict" +
                                             (tls ? "; Secure" : ""));
          SendCreated(c, "/api/v1/sessions/current",
                      {{"token", ""},
                       {"cookie", true},
                       {"user", user},
                       {"expires_at", util::FormatUtc(r->expires_at)},
                       {"mfa_enrolment_required", r->mfa_enrolment_required}});
          return;
        }
        SendCreated(c, "/api/v1/sessions/current",
                    {{"token", r->token},
                     {"user", user},
                     {"expires_at", util::FormatUtc(r->expires_at)},
                     {"mfa_enrolment_required", r->mfa_enrolment_required}});
      });

  api.Route({"DELETE",
             "/api/v1/sessions/current",
             "sessions.delete",
             Auth::kSignedIn,
             false,
             "Sign out: ends this session on the server",
             {.responses = {{204, nullptr}}}},
            [&api](Ctx& c) {
              Status st = c.s().accounts->SignOut(c.bearer);
              if (!st.ok()) return SendError(c, st);
              if (c.cookie_session) {
                c.res.set_header("Set-Cookie",
                                 SessionCookieName(api.options().tls) +
                                     "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
                                     (api.options().tls ? "; Secure" : ""));
              }
              SendNoContent(c);
            });

  api.Route(
      {"POST",
       "/api/v1/sessions/current/reauth",
       "sessions.reauth",
       Auth::kSignedIn,
       false,
       "Prove again who you are {password, totp?, recovery_code?}: the same factors as "
       "sign-in (a TOTP code or an unused recovery code when TOTP is enrolled). Opens "
       "the operations marked x-reauth for this browser session for the re-authentication "
       "window. Wrong factors: 400 current_password_wrong, totp_invalid or "
       "recovery_code_invalid, counted by a per-user back-off (429 after 5); 409 "
       "password_not_set for single sign-on accounts (sign in again through the provider) "
       "and passkey_required when the second factor is a passkey (both re-prove by signing in "
       "again: a fresh sign-in counts); API tokens get 403 "
       "interactive_session_required. Audited as session.reauth",
       {.request = "Reauth", .responses = {{200, "Reauthenticated"}}, .errors = {409}}},
      [&api](Ctx& c) {
        auto body = JsonBody(c, 8192);
        if (!body) return;
        auto proof = ProofFields(c, *body);
        if (!proof) return;
        Status st = c.s().accounts->Reauthenticate(c.principal, c.bearer, proof->password,
                                                   proof->totp, proof->recovery_code);
        if (!st.ok()) return SendError(c, st);
        const int64_t now = util::NowUnix();
        SendJson(c, 200,
                 {{"authenticated_at", util::FormatUtc(now)},
                  {"reauth_until", util::FormatUtc(now + api.options().reauth_window_seconds)}});
      });

  // --- The signed-in user ---
  api.Route({"GET",
             "/api/v1/me",
             "me.get",
             Auth::kSignedIn,
             false,
             "Who am I",
             {.responses = {{200, "Me"}}, .etag = true}},
            [](Ctx& c) {
              if (c.principal.kind == access::PrincipalKind::kOperator) {
                // The operator's answer never changes: one tag, so it is conditional like the rest.
                if (Fresh(c, util::EntityTag(0, "operator"))) return;
                SendJson(c, 200, {{"operator", true}});
                return;
              }
              auto r = c.s().accounts->GetUser(c.principal, c.principal.user);
              if (!r.ok()) return SendError(c, r.status());
              if (Fresh(c, service::MeEtag(r->version, c.principal))) return;
              nlohmann::json j = UserJson(r.value());
              j["operator"] = false;
              j["read_only"] = c.principal.read_only;
              j["mfa_enrolment_required"] = c.principal.mfa_enrolment_only;
              SendJson(c, 200, j);
            });

  api.Route({"PATCH",
             "/api/v1/me",
             "me.update",
             Auth::kSignedIn,
             false,
             "Change this user's own profile {display_name: str (0-100 characters; empty "
             "clears it)}",
             {.request = "MeChange", .responses = {{200, "User"}}, .etag = true}},
            [](Ctx& c) {
              auto body = JsonBody(c, 4096);
              if (!body) return;
              auto name = StringField(c, *body, "display_name", true);
              if (!name) return;
              Status st = c.s().accounts->SetDisplayName(c.principal, *name, IfMatchOf(c));
              if (!st.ok()) return SendError(c, st);
              auto r = c.s().accounts->GetUser(c.principal, c.principal.user);
              if (!r.ok()) return SendError(c, r.status());
              c.res.set_header("ETag", service::MeEtag(r->version, c.principal));
              SendJson(c, 200, UserJson(r.value()));
            });

  api.Route(
      {"GET",
       "/api/v1/directory",
       "directory.search",
       Auth::kSignedIn,
       false,
       "Every member: colleagues in this organisation {people: [{id, display_name, "
       "email}]} whose name or address contains q (case-insensitive), by name; limit "
       "1-200 (default 20); disabled accounts and other organisations never appear",
       {.responses = {{200, "People"}},
        .query = {{"q", "string", "name or address contains (at most 254 characters)"},
                  {"limit", "integer", "at most this many (default 20)", 1, 200}}}},
      [](Ctx& c) {
        auto limit = IntParam(c, "limit", 1, 200, 20);
        if (!limit) return;
        std::string q = c.req.get_param_value("q");
        if (q.size() > 254) {
          return SendError(
              c, Status::Invalid("invalid_parameter", "\"q\" has at most 254 characters"));
        }
        auto r = c.s().accounts->Directory(c.principal, q, static_cast<size_t>(*limit));
        if (!r.ok()) return SendError(c, r.status());
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : r.value()) {
          out.push_back({{"id", e.id.str()}, {"display_name", e.display_name}, {"email", e.email}});
        }
        SendJson(c, 200, {{"people", out}});
      });

  api.Route({"DELETE",
             "/api/v1/me/sessions",
             "me.sessions.delete",
             Auth::kRecent,
             false,
             "Sign out everywhere: ends every session and API token of this user",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) {
              Status st = c.s().accounts->SignOutEverywhere(c.principal);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  api.Route({"GET",
             "/api/v1/me/tokens",
             "me.tokens.list",
             Auth::kSignedIn,
             false,
             "This user's sessions and personal API tokens, newest first",
             {.responses = {{200, "Tokens"}}, .list_max = 200}},
            [](Ctx& c) {
              auto page = PageParams(c, 200, 200);
              if (!page) return;
              auto r = c.s().accounts->ListTokens(c.principal, c.bearer);
              if (!r.ok()) return SendError(c, r.status());
              std::optional<std::string> next;
              auto rows = Paginate<service::TokenView>(
                  std::move(r.value()),
                  [](const service::TokenView& t) { return TimeIdKey(t.created_at, t.id.str()); },
                  true, *page, &next);
              nlohmann::json out = nlohmann::json::array();
              for (const auto& t : rows) out.push_back(TokenJson(t));
              nlohmann::json body = {{"tokens", out}};
              AddNextPage(c, body, next);
              SendJson(c, 200, body);
            });

  api.Route({"POST",
             "/api/v1/me/tokens",
             "me.tokens.create",
             Auth::kRecent,
             false,
             "Create a personal API token {name, scope: read|write, days}; shown once",
             {.request = "TokenCreate", .responses = {{201, "TokenCreated"}}}},
            [](Ctx& c) {
              auto body = JsonBody(c, 4096);
              if (!body) return;
              auto name = StringField(c, *body, "name", true);
              if (!name) return;
              auto scope = StringField(c, *body, "scope", true);
              if (!scope) return;
              int64_t days = 30;
              if (body->contains("days")) {
                if (!(*body)["days"].is_number_integer()) {
                  return SendError(
                      c, Status::Invalid("invalid_field", "\"days\" must be a whole number"));
                }
                days = (*body)["days"].get<int64_t>();
              }
              auto r = c.s().accounts->CreateApiToken(c.principal, *name, *scope, days);
              if (!r.ok()) return SendError(c, r.status());
              nlohmann::json j = TokenJson(r->second);
              j["token"] = r->first;
              SendCreated(c, "/api/v1/me/tokens/" + r->second.id.str(), j);
            });

  api.Route({"DELETE",
             "/api/v1/me/tokens/{id}",
             "me.tokens.delete",
             Auth::kRecent,
             false,
             "Revoke one of this user's sessions or tokens",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) {
              auto id = PathId<util::SessionId>(c, 1);
              if (!id) return;
              Status st = c.s().accounts->RevokeToken(c.principal, *id);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  api.Route({"POST",
             "/api/v1/me/mfa/totp",
             "me.totp.start",
             Auth::kRecent,
             false,
             "Start TOTP enrolment (RFC 6238, SHA-1, 6 digits, 30 s)",
             {.request = "Empty", .responses = {{200, "TotpStarted"}}, .errors = {409}}},
            [](Ctx& c) {
              auto body = JsonBody(c, 1024);
              if (!body) return;
              auto r = c.s().accounts->StartTotp(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, {{"secret", r->secret_base32}, {"otpauth_uri", r->otpauth_uri}});
            });

  api.Route({"POST",
             "/api/v1/me/mfa/totp/confirm",
             "me.totp.confirm",
             Auth::kRecent,
             false,
             "Confirm TOTP enrolment with a current code",
             {.request = "TotpCode", .responses = {{200, "TotpConfirmed"}}, .errors = {409}}},
            [](Ctx& c) {
              auto body = JsonBody(c, 1024);
              if (!body) return;
              auto code = StringField(c, *body, "code", true);
              if (!code) return;
              auto r = c.s().accounts->ConfirmTotp(c.principal, *code);
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, {{"mfa_enabled", true}, {"recovery_codes", CodesJson(r.value())}});
            });

  api.Route({"POST",
             "/api/v1/me/mfa/recovery-codes",
             "me.recovery_codes.regenerate",
             Auth::kRecent,
             false,
             "Replace every recovery code {code: a current TOTP code}; the new codes are shown "
             "once",
             {.request = "TotpCode", .responses = {{200, "RecoveryCodes"}}, .errors = {409}}},
            [](Ctx& c) {
              auto body = JsonBody(c, 1024);
              if (!body) return;
              auto code = StringField(c, *body, "code", true);
              if (!code) return;
              auto r = c.s().accounts->RegenerateRecoveryCodes(c.principal, *code);
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, {{"recovery_codes", CodesJson(r.value())}});
            });

  api.Route({"POST",
             "/api/v1/me/mfa/totp/disable",
             "me.totp.disable",
             Auth::kRecent,
             false,
             "Turn off this user's authenticator and delete the recovery codes {password: the "
             "current password}; enrolling again starts with POST /api/v1/me/mfa/totp",
             {.request = "PasswordProof", .responses = {{204, nullptr}}, .errors = {409}}},
            [](Ctx& c) {
              auto body = JsonBody(c, 8192);
              if (!body) return;
              auto password = StringField(c, *body, "password", true);
              if (!password) return;
              Status st = c.s().accounts->RemoveTotp(c.principal, *password);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  api.Route({"POST",
             "/api/v1/me/password",
             "me.password",
             Auth::kRecent,
             false,
             "Change the password {current_password, new_password, sign_out_others?: bool "
             "(default true: ends this user's other browser sessions)}",
             {.request = "PasswordChange", .responses = {{204, nullptr}}, .errors = {409}}},
            [](Ctx& c) {
              auto body = JsonBody(c, 8192);
              if (!body) return;
              auto current = StringField(c, *body, "current_password", true);
              if (!current) return;
              auto next = StringField(c, *body, "new_password", true);
              if (!next) return;
              bool others = true;
              if (body->contains("sign_out_others")) {
                if (!(*body)["sign_out_others"].is_boolean()) {
                  return SendError(
                      c, Status::Invalid("invalid_field", "\"sign_out_others\" must be a boolean"));
                }
                others = (*body)["sign_out_others"].get<bool>();
              }
              Status st =
                  c.s().accounts->ChangePassword(c.principal, *current, *next, others, c.bearer);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  // --- Verified addresses ---
  api.Route({"POST",
             "/api/v1/me/verify-email",
             "me.verify_email",
             Auth::kSignedIn,
             false,
             "Send a verification link to this user's unverified address (valid 24 h, once)",
             {.request = "Empty", .responses = {{202, "VerificationSent"}}, .errors = {409}}},
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
              .idempotent = true}},
            [](Ctx& c) {
              if (!Require(c, Function::kInvitationWrite)) return;
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
              .list_max = 100}},
            [](Ctx& c) {
              if (!Require(c, Function::kInvitationRead)) return;
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
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) {
              if (!Require(c, Function::kInvitationWrite)) return;
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
             "Administrator: addresses and domains refused for invitations and sharing",
             {.responses = {{200, "BlockedEntries"}}}},
            [](Ctx& c) {
              if (!Require(c, Function::kBlockListRead)) return;
              auto r = c.s().invitations->Blocked(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              nlohmann::json out = nlohmann::json::array();
              for (const auto& e : r.value()) out.push_back(BlockedJson(e));
              SendJson(c, 200, {{"entries", out}});
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
              .idempotent = true}},
            [](Ctx& c) {
              if (!Require(c, Function::kBlockListWrite)) return;
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
             {.request = "BlockEntry", .responses = {{204, nullptr}}, .errors = {404}}},
            [](Ctx& c) {
              if (!Require(c, Function::kBlockListWrite)) return;
              auto body = JsonBody(c, 1024);
              if (!body) return;
              auto entry = StringField(c, *body, "entry", true);
              if (!entry) return;
              Status st = c.s().invitations->Unblock(c.principal, *entry);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  // --- Users (org Administrators) ---
  api.Route({"POST",
             "/api/v1/users",
             "users.create",
             Auth::kRecent,
             false,
             "Administrator: add a local account {email, password, role}",
             {.request = "UserCreate",
              .responses = {{201, "UserCreated"}},
              .errors = {409},
              .idempotent = true}},
            [](Ctx& c) {
              if (!Require(c, Function::kUserCreate)) return;
              auto body = JsonBody(c, 8192);
              if (!body) return;
              auto email = StringField(c, *body, "email", true);
              if (!email) return;
              auto password = StringField(c, *body, "password", true);
              if (!password) return;
              auto role = StringField(c, *body, "role", true);
              if (!role) return;
              auto r = c.s().accounts->CreateUser(c.principal, *email, *password, *role);
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/users/" + r->str(), {{"id", r->str()}});
            });

  api.Route({"GET",
             "/api/v1/users",
             "users.list",
             Auth::kSignedIn,
             false,
             "Administrator: the organisation's users, oldest first",
             {.responses = {{200, "Users"}}, .list_max = 1000}},
            [](Ctx& c) {
              if (!Require(c, Function::kUserList)) return;
              auto page = PageParams(c, 1000, 1000);
              if (!page) return;
              auto r = c.s().accounts->ListUsers(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              std::optional<std::string> next;
              auto rows = Paginate<service::UserView>(
                  std::move(r.value()),
                  [](const service::UserView& u) { return TimeIdKey(u.created_at, u.id.str()); },
                  false, *page, &next);
              nlohmann::json out = nlohmann::json::array();
              for (const auto& u : rows) out.push_back(UserJson(u));
              nlohmann::json body = {{"users", out}};
              AddNextPage(c, body, next);
              SendJson(c, 200, body);
            });

  api.Route(
      {"PATCH",
       "/api/v1/users/{id}",
       "users.update",
       Auth::kRecent,
       false,
       "Administrator: change a user's role or disable them {role?, disabled?}",
       {.request = "UserChange", .responses = {{200, "User"}}, .errors = {409}, .etag = true}},
      [](Ctx& c) {
        if (!Require(c, Function::kUserUpdate)) return;
        auto id = PathId<util::UserId>(c, 1);
        if (!id) return;
        auto body = JsonBody(c, 4096);
        if (!body) return;
        std::optional<std::string> role;
        std::optional<bool> disabled;
        if (body->contains("role")) {
          auto r = StringField(c, *body, "role", true);
          if (!r) return;
          role = *r;
        }
        if (body->contains("disabled")) {
          if (!(*body)["disabled"].is_boolean()) {
            return SendError(c, Status::Invalid("invalid_field", "\"disabled\" must be a boolean"));
          }
          disabled = (*body)["disabled"].get<bool>();
        }
        Status st = c.s().accounts->UpdateUser(c.principal, *id, role, disabled, IfMatchOf(c));
        if (!st.ok()) return SendError(c, st);
        auto u = c.s().accounts->GetUser(c.principal, *id);
        if (!u.ok()) return SendError(c, u.status());
        c.res.set_header("ETag", service::UserEtag(u.value()));
        SendJson(c, 200, UserJson(u.value()));
      });

  api.Route({"GET",
             "/api/v1/users/{id}",
             "users.get",
             Auth::kSignedIn,
             false,
             "Administrator: one user of the organisation (any member: themselves), with its "
             "ETag for a conditional PATCH",
             {.responses = {{200, "User"}}, .etag = true}},
            [](Ctx& c) {
              auto id = PathId<util::UserId>(c, 1);
              if (!id) return;
              auto u = c.s().accounts->GetUser(c.principal, *id);
              if (!u.ok()) return SendError(c, u.status());
              if (Fresh(c, service::UserEtag(u.value()))) return;
              SendJson(c, 200, UserJson(u.value()));
            });

  api.Route({"POST",
             "/api/v1/users/{id}/mfa/reset",
             "users.mfa_reset",
             Auth::kRecent,
             false,
             "Administrator: turn off a user's second factor after a lost device; deletes their "
             "recovery codes and ends every session and API token of that user (audited)",
             {.request = "Empty", .responses = {{204, nullptr}}, .errors = {409}}},
            [](Ctx& c) {
              if (!Require(c, Function::kUserMfaReset)) return;
              auto id = PathId<util::UserId>(c, 1);
              if (!id) return;
              auto body = JsonBody(c, 1024);
              if (!body) return;
              Status st = c.s().accounts->ResetMfa(c.principal, *id);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  // --- Organisation settings (Administrators) ---
  api.Route({"GET",
             "/api/v1/org/settings",
             "org.settings.get",
             Auth::kSignedIn,
             false,
             "Administrator: the organisation's policy settings",
             {.responses = {{200, "OrgSettings"}}, .etag = true}},
            [](Ctx& c) {
              if (!Require(c, Function::kOrgSettingsRead)) return;
              int64_t version = 0;
              auto r = c.s().orgs->Settings(c.principal, &version);
              if (!r.ok()) return SendError(c, r.status());
              if (Fresh(c, util::EntityTag(version))) return;
              SendJson(c, 200, SettingsJson(r.value()));
            });

  api.Route({"PATCH",
             "/api/v1/org/settings",
             "org.settings.update",
             Auth::kRecent,
             false,
             "Administrator: change settings {sharing_enabled, audit_depth, mfa_policy, "
             "purge_notice, purge_days}",
             {.request = "OrgSettingsChange", .responses = {{200, "OrgSettings"}}, .etag = true}},
            [](Ctx& c) {
              if (!Require(c, Function::kOrgSettingsWrite)) return;
              auto body = JsonBody(c, 4096);
              if (!body) return;
              auto patch = SettingsPatch(*body);
              if (!patch.ok()) return SendError(c, patch.status());
              int64_t version = 0;
              auto r =
                  c.s().orgs->UpdateSettings(c.principal, patch.value(), IfMatchOf(c), &version);
              if (!r.ok()) return SendError(c, r.status());
              c.res.set_header("ETag", util::EntityTag(version));
              SendJson(c, 200, SettingsJson(r.value()));
            });

  api.Route({"GET",
             "/api/v1/org/column-mappings",
             "org.column_mappings.get",
             Auth::kSignedIn,
             false,
             "Every member: how the org's CSV/XLSX imports map column names {mappings: [{column, "
             "field | property | ignore}]}",
             {.responses = {{200, "ColumnMappings"}}}},
            [](Ctx& c) {
              auto r = c.s().orgs->ColumnMappings(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, {{"mappings", bom::ColumnMappingsJson(r.value())}});
            });

  api.Route({"PUT",
             "/api/v1/org/column-mappings",
             "org.column_mappings.update",
             Auth::kSignedIn,
             false,
             "Administrator: replace the column mappings {mappings: [{column, field: "
             "ref|parent|level|find_number|part_number|description|quantity|unit|refdes} | "
             "{column, property: key} | {column, ignore: true}]} (at most 256)",
             {.request = "ColumnMappings", .responses = {{200, "ColumnMappings"}}}},
            [](Ctx& c) {
              if (!Require(c, Function::kOrgSettingsWrite)) return;
              auto body = JsonBody(c, 256 * 1024);
              if (!body) return;
              auto list = body->find("mappings");
              auto mappings = bom::ParseColumnMappings(
                  list == body->end() ? nlohmann::json() : *list, bom::Limits{});
              if (!mappings.ok()) return SendError(c, mappings.status());
              auto r = c.s().orgs->SetColumnMappings(c.principal, std::move(mappings.value()));
              if (!r.ok()) return SendError(c, r.status());
              SendJson(c, 200, {{"mappings", bom::ColumnMappingsJson(r.value())}});
            });

  api.Route({"POST",
             "/api/v1/org/support-access",
             "org.support_access",
             Auth::kRecent,
             false,
             "Administrator: grant the operator support access for {hours} (1-72), 0 revokes",
             {.request = "SupportAccess", .responses = {{200, "SupportAccessSet"}}}},
            [](Ctx& c) {
              if (!Require(c, Function::kOrgSettingsWrite)) return;
              auto body = JsonBody(c, 1024);
              if (!body) return;
              if (!body->contains("hours") || !(*body)["hours"].is_number_integer()) {
                return SendError(
                    c, Status::Invalid("invalid_field", "\"hours\" must be a whole number"));
              }
              int64_t hours = (*body)["hours"].get<int64_t>();
              Status st = c.s().orgs->SetSupportAccess(
                  c.principal, static_cast<int>(std::clamp<int64_t>(hours, -1, 1000)));
              if (!st.ok()) return SendError(c, st);
              SendJson(c, 200, {{"hours", hours}});
            });

  // --- Audit (Administrators) ---
  api.Route({"GET",
             "/api/v1/audit",
             "audit.search",
             Auth::kSignedIn,
             false,
             "Administrator: audit entries, newest first; filters object, actor, action, from, "
             "to (unix seconds), before (cursor), limit",
             {.responses = {{200, "AuditEntries"}}, .query = AuditQueryDoc(), .list_max = 500}},
            [](Ctx& c) {
              if (!Require(c, Function::kAuditRead)) return;
              auto q = AuditQueryParams(c);
              if (!q) return;
              auto r = c.s().orgs->SearchAudit(c.principal, *q);
              if (!r.ok()) return SendError(c, r.status());
              SendAuditEntries(c, r.value(), q->limit);
            });
}

}  // namespace bomvault::http
