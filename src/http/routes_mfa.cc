// Routes for the second factor: TOTP enrolment and removal, recovery codes, and an
// Administrator's MFA reset of a user (service/mfa.h). Each handler asks access:: (Require, or the
// service) before it reads the body's data.
#include "http/account_routes.h"
#include "http/api.h"

namespace bomvault::http {

using access::Function;
using util::Result;

namespace {

nlohmann::json CodesJson(const std::vector<std::string>& codes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& code : codes) out.push_back(code);
  return out;
}

struct TotpCodeIn {
  std::string code;
};
const BodySpec<TotpCodeIn> kTotpCode{
    "TotpCode", 1024, {Text("code", &TotpCodeIn::code, Need::kRequired)}};

}  // namespace

void RegisterMfaRoutes(Api& api) {
  api.Route({"POST",
             "/api/v1/me/mfa/totp",
             "me.totp.start",
             Auth::kRecent,
             false,
             "Start TOTP enrolment (RFC 6238, SHA-1, 6 digits, 30 s)",
             {.responses = {{200, "TotpStarted"}}, .errors = {409}},
             Function::kMfaEnrol},
            EmptyBody(), [](Ctx& c, NoFields&) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto started, c.s().accounts->StartTotp(c.principal));
              return Reply::Json(
                  200, {{"secret", started.secret_base32}, {"otpauth_uri", started.otpauth_uri}});
            });

  api.Route(
      {"POST",
       "/api/v1/me/mfa/totp/confirm",
       "me.totp.confirm",
       Auth::kRecent,
       false,
       "Confirm TOTP enrolment with a current code",
       {.responses = {{200, "TotpConfirmed"}}, .errors = {409}},
       Function::kMfaEnrol},
      kTotpCode, [](Ctx& c, TotpCodeIn& in) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto codes, c.s().accounts->ConfirmTotp(c.principal, in.code));
        return Reply::Json(200, {{"mfa_enabled", true}, {"recovery_codes", CodesJson(codes)}});
      });

  api.Route({"POST",
             "/api/v1/me/mfa/recovery-codes",
             "me.recovery_codes.regenerate",
             Auth::kRecent,
             false,
             "Replace every recovery code {code: a current TOTP code}; the new codes are shown "
             "once",
             {.responses = {{200, "RecoveryCodes"}}, .errors = {409}},
             Function::kSelfManage},
            kTotpCode, [](Ctx& c, TotpCodeIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto codes,
                                  c.s().accounts->RegenerateRecoveryCodes(c.principal, in.code));
              return Reply::Json(200, {{"recovery_codes", CodesJson(codes)}});
            });

  api.Route({"POST",
             "/api/v1/me/mfa/totp/disable",
             "me.totp.disable",
             Auth::kRecent,
             false,
             "Turn off this user's authenticator and delete the recovery codes {password: the "
             "current password}; enrolling again starts with POST /api/v1/me/mfa/totp",
             {.responses = {{204, nullptr}}, .errors = {409}},
             Function::kSelfManage},
            PasswordProofBody(), [](Ctx& c, PasswordProof& in) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().accounts->RemoveTotp(c.principal, in.password));
              return Reply::NoContent();
            });

  api.Route({"POST",
             "/api/v1/users/{id}/mfa/reset",
             "users.mfa_reset",
             Auth::kRecent,
             false,
             "Administrator: turn off a user's second factor after a lost device; deletes their "
             "recovery codes and ends every session and API token of that user (audited)",
             {.responses = {{204, nullptr}}, .errors = {409}},
             Function::kUserMfaReset},
            EmptyBody(), [](Ctx& c, NoFields&) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::UserId>(1));
              BV_RETURN_IF_ERROR(c.s().accounts->ResetMfa(c.principal, id));
              return Reply::NoContent();
            });
}

}  // namespace bomvault::http
