// Routes for signing in and what it issues: sign-in, sign-out, re-authentication, the signed-in
// user's sessions and personal API tokens, and password changes (service/sign_in.h). The service
// decides access; sign-in lets go of the instance's hold while the password hash runs.
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Status;

namespace {

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

void RegisterSessionRoutes(Api& api) {
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

  // --- The signed-in user's sessions, tokens and password ---
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
}

}  // namespace bomvault::http
