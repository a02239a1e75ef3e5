// Routes for the second factor: TOTP enrolment and removal, recovery codes, and an
// Administrator's MFA reset of a user (service/mfa.h). Each handler asks access:: (Require, or the
// service) before it reads the body's data.
#include "http/account_routes.h"
#include "http/api.h"

namespace bomvault::http {

using access::Function;
using util::Status;

namespace {

nlohmann::json CodesJson(const std::vector<std::string>& codes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& code : codes) out.push_back(code);
  return out;
}

}  // namespace

void RegisterMfaRoutes(Api& api) {
  api.Route({"POST",
             "/api/v1/me/mfa/totp",
             "me.totp.start",
             Auth::kRecent,
             false,
             "Start TOTP enrolment (RFC 6238, SHA-1, 6 digits, 30 s)",
             {.request = "Empty", .responses = {{200, "TotpStarted"}}, .errors = {409}},
             Function::kMfaEnrol},
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
             {.request = "TotpCode", .responses = {{200, "TotpConfirmed"}}, .errors = {409}},
             Function::kMfaEnrol},
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
             {.request = "TotpCode", .responses = {{200, "RecoveryCodes"}}, .errors = {409}},
             Function::kSelfManage},
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
             {.request = "PasswordProof", .responses = {{204, nullptr}}, .errors = {409}},
             Function::kSelfManage},
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
             "/api/v1/users/{id}/mfa/reset",
             "users.mfa_reset",
             Auth::kRecent,
             false,
             "Administrator: turn off a user's second factor after a lost device; deletes their "
             "recovery codes and ends every session and API token of that user (audited)",
             {.request = "Empty", .responses = {{204, nullptr}}, .errors = {409}},
             Function::kUserMfaReset},
            [](Ctx& c) {
              auto id = PathId<util::UserId>(c, 1);
              if (!id) return;
              auto body = JsonBody(c, 1024);
              if (!body) return;
              Status st = c.s().accounts->ResetMfa(c.principal, *id);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });
}

}  // namespace bomvault::http
