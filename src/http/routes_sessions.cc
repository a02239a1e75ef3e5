// Routes for signing in and what it issues: sign-in, sign-out, re-authentication, the signed-in
// user's sessions and personal API tokens, and password changes (service/sign_in.h). The service
// decides access; sign-in lets go of the instance's hold while the password hash runs.
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Result;
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
// re-authentication read them alike.
struct Proof {
  std::string email;  // sign-in only
  std::string password, totp, recovery_code;
  bool cookie = false;  // sign-in only
};
const BodySpec<Proof> kReauth{"Reauth",
                              8192,
                              {Text("password", &Proof::password, Need::kRequired),
                               Text("totp", &Proof::totp, Need::kOptional),
                               Text("recovery_code", &Proof::recovery_code, Need::kOptional)}};
const BodySpec<Proof> kSignIn{"SignIn",
                              8192,
                              {Text("email", &Proof::email, Need::kRequired),
                               Text("password", &Proof::password, Need::kRequired),
                               Text("totp", &Proof::totp, Need::kOptional),
                               Text("recovery_code", &Proof::recovery_code, Need::kOptional),
                               Flag("cookie", &Proof::cookie, Need::kOptional)}};

struct TokenCreateIn {
  std::string name, scope;
  int64_t days = 30;
};
const BodySpec<TokenCreateIn> kTokenCreate{
    "TokenCreate",
    4096,
    {Text("name", &TokenCreateIn::name, Need::kRequired),
     Choice("scope", &TokenCreateIn::scope, Need::kRequired, {"read", "write"}, "invalid_scope"),
     Whole("days", &TokenCreateIn::days, Need::kOptional, 1, 365, "invalid_expiry")}};

struct PasswordChangeIn {
  std::string current_password, new_password;
  bool sign_out_others = true;
};
const BodySpec<PasswordChangeIn> kPasswordChange{
    "PasswordChange",
    8192,
    {Text("current_password", &PasswordChangeIn::current_password, Need::kRequired),
     Text("new_password", &PasswordChangeIn::new_password, Need::kRequired),
     Flag("sign_out_others", &PasswordChangeIn::sign_out_others, Need::kOptional)}};

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
       {.responses = {{201, "Session"}}, .errors = {401, 409}}},
      kSignIn, [&api](Ctx& c, Proof& proof) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto attempt,
                            c.s().accounts->BeginSignIn(proof.email, c.req.remote_addr));
        // The hold is let go while the password hash queues and runs, so a flood of sign-ins
        // never keeps a seal waiting (service/instance.h); it is taken again to finish.
        c.services.reset();
        BV_ASSIGN_OR_RETURN(bool password_ok,
                            service::Accounts::CheckPassword(attempt, proof.password, [&c] {
                              return c.instance.closing() || c.instance.sealed();
                            }));
        c.services = c.instance.Acquire();
        if (!c.services) return Status(util::Code::kSealed, "sealed", "the vault was sealed");
        BV_ASSIGN_OR_RETURN(auto signed_in,
                            c.s().accounts->FinishSignIn(attempt, password_ok, proof.totp,
                                                         proof.recovery_code, c.req.remote_addr));
        nlohmann::json user = {{"id", signed_in.user.str()},
                               {"org_id", signed_in.org.str()},
                               {"role", access::RoleName(signed_in.role)}};
        if (proof.cookie) {
          bool tls = api.options().tls;
          return Reply::Created("/api/v1/sessions/current",
                                {{"token", ""},
                                 {"cookie", true},
                                 {"user", user},
                                 {"expires_at", util::FormatUtc(signed_in.expires_at)},
                                 {"mfa_enrolment_required", signed_in.mfa_enrolment_required}})
              .With("Set-Cookie", SessionCookieName(tls) + "=" + signed_in.token +
                                      "; Path=/; HttpOnly; SameSite=Strict" +
                                      (tls ? "; Secure" : ""));
        }
        return Reply::Created("/api/v1/sessions/current",
                              {{"token", signed_in.token},
                               {"user", user},
                               {"expires_at", util::FormatUtc(signed_in.expires_at)},
                               {"mfa_enrolment_required", signed_in.mfa_enrolment_required}});
      });

  api.Route({"DELETE",
             "/api/v1/sessions/current",
             "sessions.delete",
             Auth::kSignedIn,
             false,
             "Sign out: ends this session on the server",
             {.responses = {{204, nullptr}}}},
            [&api](Ctx& c) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().accounts->SignOut(c.bearer));
              Reply reply = Reply::NoContent();
              if (c.cookie_session) {
                reply.With("Set-Cookie", SessionCookieName(api.options().tls) +
                                             "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
                                             (api.options().tls ? "; Secure" : ""));
              }
              return reply;
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
       {.responses = {{200, "Reauthenticated"}}, .errors = {409}}},
      kReauth, [&api](Ctx& c, Proof& proof) -> Result<Reply> {
        BV_RETURN_IF_ERROR(c.s().accounts->Reauthenticate(c.principal, c.bearer, proof.password,
                                                          proof.totp, proof.recovery_code));
        const int64_t now = util::NowUnix();
        return Reply::Json(
            200, {{"authenticated_at", util::FormatUtc(now)},
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
            [](Ctx& c) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().accounts->SignOutEverywhere(c.principal));
              return Reply::NoContent();
            });

  api.Route({"GET",
             "/api/v1/me/tokens",
             "me.tokens.list",
             Auth::kSignedIn,
             false,
             "This user's sessions and personal API tokens, newest first",
             {.responses = {{200, "Tokens"}}, .list_max = 200}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 200, 200));
              BV_ASSIGN_OR_RETURN(auto tokens, c.s().accounts->ListTokens(c.principal, c.bearer));
              return ListPage<service::TokenView>(
                  c.req, "tokens", std::move(tokens),
                  [](const service::TokenView& t) { return TimeIdKey(t.created_at, t.id.str()); },
                  true, page, TokenJson);
            });

  api.Route({"POST",
             "/api/v1/me/tokens",
             "me.tokens.create",
             Auth::kRecent,
             false,
             "Create a personal API token {name, scope: read|write, days}; shown once",
             {.responses = {{201, "TokenCreated"}}}},
            kTokenCreate, [](Ctx& c, TokenCreateIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto created, c.s().accounts->CreateApiToken(c.principal, in.name,
                                                                               in.scope, in.days));
              const auto& [secret, token] = created;
              nlohmann::json j = TokenJson(token);
              j["token"] = secret;
              return Reply::Created("/api/v1/me/tokens/" + token.id.str(), j);
            });

  api.Route({"DELETE",
             "/api/v1/me/tokens/{id}",
             "me.tokens.delete",
             Auth::kRecent,
             false,
             "Revoke one of this user's sessions or tokens",
             {.responses = {{204, nullptr}}}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::SessionId>(1));
              BV_RETURN_IF_ERROR(c.s().accounts->RevokeToken(c.principal, id));
              return Reply::NoContent();
            });

  api.Route({"POST",
             "/api/v1/me/password",
             "me.password",
             Auth::kRecent,
             false,
             "Change the password {current_password, new_password, sign_out_others?: bool "
             "(default true: ends this user's other browser sessions)}",
             {.responses = {{204, nullptr}}, .errors = {409}}},
            kPasswordChange, [](Ctx& c, PasswordChangeIn& in) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().accounts->ChangePassword(
                  c.principal, in.current_password, in.new_password, in.sign_out_others, c.bearer));
              return Reply::NoContent();
            });
}

}  // namespace bomvault::http
