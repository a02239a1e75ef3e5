// Routes for passkeys (service/passkeys.h, docs/passkeys.md): the signed-in user's own passkeys
// (options, register, list, rename, remove) and the two sign-in ceremonies (passwordless, and the
// second factor after the password), which end in the same session POST /sessions issues.
//
// Binary WebAuthn values travel as base64url without padding, in the field names of the W3C
// JSON forms (PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON, ...), so a
// browser's PublicKeyCredential.toJSON() output is accepted as it is.
#include "crypto/jose.h"
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Result;
using util::Status;

namespace {

std::string B64u(std::span<const uint8_t> b) { return crypto::Base64UrlEncode(b); }

nlohmann::json PasskeyJson(const service::PasskeyView& v) {
  return {{"id", v.id.str()},
          {"name", v.name},
          {"algorithm", v.alg == -8 ? "EdDSA" : "ES256"},
          {"created_at", util::FormatUtc(v.created_at)},
          {"last_used_at", v.last_used_at > 0 ? util::FormatUtc(v.last_used_at) : ""}};
}

nlohmann::json Descriptors(const std::vector<crypto::Bytes>& ids) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& id : ids) out.push_back({{"type", "public-key"}, {"id", B64u(id)}});
  return out;
}

nlohmann::json RequestJson(const service::PasskeyRequest& r) {
  return {{"publicKey",
           {{"challenge", B64u(r.challenge)},
            {"rpId", r.rp_id},
            {"timeout", r.timeout_ms},
            {"allowCredentials", Descriptors(r.allow)},
            // The second factor follows a password: presence is enough (no PIN prompt).
            {"userVerification", r.user_verification_required ? "required" : "discouraged"}}}};
}

// A base64url field of `obj` (empty when absent and not required); 400 when absent (if
// required) or not base64url.
Result<crypto::Bytes> BinaryField(const nlohmann::json& obj, const char* key, bool required,
                                  size_t max_bytes) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (!required) return crypto::Bytes{};
    return Status::Invalid("invalid_field", std::string("\"") + key + "\" is required");
  }
  std::optional<std::vector<uint8_t>> d;
  if (it->is_string() && it->get_ref<const std::string&>().size() <= max_bytes * 4 / 3 + 4) {
    d = crypto::Base64UrlDecode(it->get<std::string>());
  }
  if (!d || d->size() > max_bytes) {
    return Status::Invalid("invalid_field",
                           std::string("\"") + key + "\" must be base64url (no padding)");
  }
  return crypto::Bytes(d->begin(), d->end());
}

// A body's "credential" object, {id, rawId?, type: "public-key", response: {...}}: its response
// object (which lives as long as `credential`), and its id in `credential_id`; 400 when it is not
// one.
Result<const nlohmann::json*> CredentialObject(const nlohmann::json& credential,
                                               crypto::Bytes* credential_id) {
  if (!credential.is_object() || !credential.contains("response") ||
      !credential["response"].is_object()) {
    return Status::Invalid("invalid_field",
                           "\"credential\" must be the browser's PublicKeyCredential");
  }
  if (credential.contains("type") && credential["type"] != "public-key") {
    return Status::Invalid("invalid_field", "\"credential.type\" must be public-key");
  }
  BV_ASSIGN_OR_RETURN(auto id,
                      BinaryField(credential, "id", true, crypto::webauthn::kMaxCredentialIdBytes));
  BV_ASSIGN_OR_RETURN(
      auto raw, BinaryField(credential, "rawId", false, crypto::webauthn::kMaxCredentialIdBytes));
  if (!raw.empty() && raw != id) {
    return Status::Invalid("invalid_field", "\"credential.rawId\" differs from its id");
  }
  *credential_id = std::move(id);
  return &credential["response"];
}

// The "credential" member of a registration: the browser's RegistrationResponseJSON.
Result<service::PasskeyRegistration> RegistrationOf(const nlohmann::json& credential) {
  service::PasskeyRegistration reg;
  BV_ASSIGN_OR_RETURN(const nlohmann::json* resp, CredentialObject(credential, &reg.credential_id));
  BV_ASSIGN_OR_RETURN(reg.client_data_json, BinaryField(*resp, "clientDataJSON", true, 4096));
  BV_ASSIGN_OR_RETURN(reg.attestation_object,
                      BinaryField(*resp, "attestationObject", true, 32 * 1024));
  return reg;
}

// The "credential" member of a sign-in: the browser's AuthenticationResponseJSON.
Result<service::PasskeyAssertion> AssertionOf(const nlohmann::json& credential) {
  service::PasskeyAssertion a;
  BV_ASSIGN_OR_RETURN(const nlohmann::json* resp, CredentialObject(credential, &a.credential_id));
  BV_ASSIGN_OR_RETURN(a.client_data_json, BinaryField(*resp, "clientDataJSON", true, 4096));
  BV_ASSIGN_OR_RETURN(a.authenticator_data,
                      BinaryField(*resp, "authenticatorData", true, 16 * 1024));
  BV_ASSIGN_OR_RETURN(a.signature, BinaryField(*resp, "signature", true, 512));
  BV_ASSIGN_OR_RETURN(auto handle, BinaryField(*resp, "userHandle", false, 64));
  if (!handle.empty()) a.user_handle = std::move(handle);
  return a;
}

nlohmann::json CredentialRef() { return {{"$ref", "#/components/schemas/PasskeyCredential"}}; }

struct RegisterIn {
  std::string name;
  service::PasskeyRegistration credential;
};
const BodySpec<RegisterIn> kRegister{
    "PasskeyRegister",
    64 * 1024,
    {Text("name", &RegisterIn::name, Need::kRequired, 1, 100, "invalid_name"),
     Nested("credential", &RegisterIn::credential, Need::kRequired, CredentialRef(),
            RegistrationOf)}};

struct RenameIn {
  std::string name;
};
const BodySpec<RenameIn> kRename{
    "PasskeyRename",
    4096,
    {Text("name", &RenameIn::name, Need::kRequired, 1, 100, "invalid_name")}};

struct SignInStartIn {
  std::string email;
  std::optional<std::string> password;
};
const BodySpec<SignInStartIn> kSignInStart{
    "PasskeySignInStart",
    8192,
    {Text("email", &SignInStartIn::email, Need::kOptional),
     Text("password", &SignInStartIn::password, Need::kOptional)}};

struct SignInIn {
  service::PasskeyAssertion credential;
  bool cookie = false;
};
const BodySpec<SignInIn> kSignIn{
    "PasskeySignIn",
    64 * 1024,
    {Nested("credential", &SignInIn::credential, Need::kRequired, CredentialRef(), AssertionOf),
     Flag("cookie", &SignInIn::cookie, Need::kOptional)}};

}  // namespace

void RegisterPasskeyRoutes(Api& api) {
  // --- The signed-in user's passkeys ---
  api.Route({"POST",
             "/api/v1/me/passkeys/options",
             "me.passkeys.options",
             Auth::kRecent,
             false,
             "Start registering a passkey: {publicKey: PublicKeyCredentialCreationOptions (JSON "
             "form)} for navigator.credentials.create; the challenge is single use, bound to this "
             "session, valid 5 minutes. Also open to a session that may only enrol a second "
             "factor",
             {.responses = {{200, "PasskeyCreationOptions"}}, .errors = {409}}},
            EmptyBody(), [](Ctx& c, NoFields&) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto o, c.s().passkeys->StartRegistration(c.principal, c.bearer));
              return Reply::Json(200, {{"publicKey",
                                        {{"challenge", B64u(o.challenge)},
                                         {"rp", {{"id", o.rp_id}, {"name", "bomvault"}}},
                                         {"user",
                                          {{"id", B64u(crypto::AsBytes(o.user_handle))},
                                           {"name", o.user_name},
                                           {"displayName", o.display_name}}},
                                         {"pubKeyCredParams",
                                          {{{"type", "public-key"}, {"alg", -8}},
                                           {{"type", "public-key"}, {"alg", -7}}}},
                                         {"timeout", o.timeout_ms},
                                         {"excludeCredentials", Descriptors(o.exclude)},
                                         {"authenticatorSelection",
                                          {{"residentKey", "preferred"},
                                           {"requireResidentKey", false},
                                           {"userVerification", "preferred"}}},
                                         {"attestation", "none"}}}});
            });

  api.Route({"POST",
             "/api/v1/me/passkeys",
             "me.passkeys.create",
             Auth::kRecent,
             false,
             "Register a passkey {name (1-100 characters), credential: the browser's "
             "PublicKeyCredential (JSON form: id, rawId, type, response {clientDataJSON, "
             "attestationObject})} → 201 {id, name, algorithm, created_at, last_used_at}; ES256 "
             "and EdDSA keys only",
             {.responses = {{201, "Passkey"}}, .errors = {409}}},
            kRegister, [](Ctx& c, RegisterIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto passkey, c.s().passkeys->FinishRegistration(
                                                    c.principal, c.bearer, in.name, in.credential));
              return Reply::Created("/api/v1/me/passkeys/" + passkey.id.str(),
                                    PasskeyJson(passkey));
            });

  api.Route({"GET",
             "/api/v1/me/passkeys",
             "me.passkeys.list",
             Auth::kSignedIn,
             false,
             "This user's passkeys {passkeys: [{id, name, algorithm, created_at, last_used_at}]}, "
             "oldest first",
             {.responses = {{200, "Passkeys"}}, .list_max = 100}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 100, 100));
              BV_ASSIGN_OR_RETURN(auto passkeys, c.s().passkeys->List(c.principal));
              return ListPage<service::PasskeyView>(
                  c.req, "passkeys", std::move(passkeys),
                  [](const service::PasskeyView& v) { return TimeIdKey(v.created_at, v.id.str()); },
                  false, page, PasskeyJson);
            });

  api.Route({"PATCH",
             "/api/v1/me/passkeys/{id}",
             "me.passkeys.rename",
             Auth::kSignedIn,
             false,
             "Rename one of this user's passkeys {name}",
             {.responses = {{204, nullptr}}}},
            kRename, [](Ctx& c, RenameIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::PasskeyId>(1));
              BV_RETURN_IF_ERROR(c.s().passkeys->Rename(c.principal, id, in.name));
              return Reply::NoContent();
            });

  api.Route({"DELETE",
             "/api/v1/me/passkeys/{id}",
             "me.passkeys.delete",
             Auth::kRecent,
             false,
             "Remove one of this user's passkeys {password: the current password}; refused (409 "
             "last_second_factor) when it is the last second factor the org's policy requires",
             {.responses = {{204, nullptr}}, .errors = {409}}},
            PasswordProofBody(), [](Ctx& c, PasswordProof& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::PasskeyId>(1));
              BV_RETURN_IF_ERROR(c.s().passkeys->Remove(c.principal, id, in.password));
              return Reply::NoContent();
            });

  // --- Sign-in ---
  api.Route(
      {"POST",
       "/api/v1/sessions/passkey/options",
       "sessions.passkey.options",
       Auth::kNone,
       false,
       "Start a passkey sign-in: {} for a passwordless sign-in with a discoverable passkey (user "
       "verification required), or {email, password} when the password step answered "
       "passkey_required or totp_required (the passkey is then the second factor) → 200 "
       "{publicKey: PublicKeyCredentialRequestOptions (JSON form)}; challenges are single use and "
       "valid 5 minutes",
       {.responses = {{200, "PasskeyRequestOptions"}}, .errors = {401, 409}}},
      kSignInStart, [](Ctx& c, SignInStartIn& in) -> Result<Reply> {
        if (in.email.empty()) {
          BV_ASSIGN_OR_RETURN(auto request, c.s().passkeys->StartPasswordless(c.req.remote_addr));
          return Reply::Json(200, RequestJson(request));
        }
        // With an address, the password is required.
        if (!in.password) return Status::Invalid("missing_field", "\"password\" is required");
        const std::string& email = in.email;
        const std::string& password = *in.password;
        if (!c.s().passkeys->available()) {
          return Status::Conflict("passkeys_unavailable",
                                  "passkeys are not available on this server");
        }
        BV_ASSIGN_OR_RETURN(auto attempt, c.s().accounts->BeginSignIn(email, c.req.remote_addr));
        // As POST /sessions: the hold is let go while the password hash queues and runs.
        c.services.reset();
        BV_ASSIGN_OR_RETURN(auto password_ok,
                            service::Accounts::CheckPassword(attempt, password, [&c] {
                              return c.instance.closing() || c.instance.sealed();
                            }));
        c.services = c.instance.Acquire();
        if (!c.services) return Status(util::Code::kSealed, "sealed", "the vault was sealed");
        BV_ASSIGN_OR_RETURN(auto request, c.s().passkeys->StartSecondFactor(attempt, password_ok,
                                                                            c.req.remote_addr));
        return Reply::Json(200, RequestJson(request));
      });

  api.Route({"POST",
             "/api/v1/sessions/passkey",
             "sessions.passkey",
             Auth::kNone,
             false,
             "Finish a passkey sign-in {credential: the browser's PublicKeyCredential (JSON form: "
             "id, rawId, type, response {clientDataJSON, authenticatorData, signature, "
             "userHandle?}), cookie?: bool} → 201 as POST /sessions. Refusals: 401 with "
             "passkey_challenge_invalid, passkey_unknown, passkey_wrong_origin, "
             "passkey_wrong_rp_id, passkey_user_not_present, passkey_user_not_verified, "
             "passkey_bad_signature, passkey_cloned (the signature counter went back; audited), "
             "429 too_many_attempts",
             {.responses = {{201, "Session"}}, .errors = {401, 409}}},
            kSignIn, [&api](Ctx& c, SignInIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto session,
                                  c.s().passkeys->SignIn(in.credential, c.req.remote_addr));
              nlohmann::json user = {{"id", session.user.str()},
                                     {"org_id", session.org.str()},
                                     {"role", access::RoleName(session.role)}};
              nlohmann::json out = {{"token", session.token},
                                    {"user", user},
                                    {"expires_at", util::FormatUtc(session.expires_at)},
                                    {"mfa_enrolment_required", false}};
              if (!in.cookie) return Reply::Created("/api/v1/sessions/current", out);
              bool tls = api.options().tls;
              out["token"] = "";
              out["cookie"] = true;
              return Reply::Created("/api/v1/sessions/current", out)
                  .With("Set-Cookie", SessionCookieName(tls) + "=" + session.token +
                                          "; Path=/; HttpOnly; SameSite=Strict" +
                                          (tls ? "; Secure" : ""));
            });
}

}  // namespace bomvault::http
