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

// A base64url field of `obj`; sends 400 and returns nullopt when absent (if required) or not
// base64url.
std::optional<crypto::Bytes> BinaryField(Ctx& c, const nlohmann::json& obj, const char* key,
                                         bool required, size_t max_bytes) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (!required) return crypto::Bytes{};
    SendError(c, Status::Invalid("invalid_field", std::string("\"") + key + "\" is required"));
    return std::nullopt;
  }
  std::optional<std::vector<uint8_t>> d;
  if (it->is_string() && it->get_ref<const std::string&>().size() <= max_bytes * 4 / 3 + 4) {
    d = crypto::Base64UrlDecode(it->get<std::string>());
  }
  if (!d || d->size() > max_bytes) {
    SendError(c, Status::Invalid("invalid_field",
                                 std::string("\"") + key + "\" must be base64url (no padding)"));
    return std::nullopt;
  }
  return crypto::Bytes(d->begin(), d->end());
}

// The "credential" object of a body: {id, rawId?, type: "public-key", response: {...}}; sends 400
// and returns nullptr when it is not one.
const nlohmann::json* CredentialObject(Ctx& c, const nlohmann::json& body,
                                       crypto::Bytes* credential_id) {
  auto it = body.find("credential");
  if (it == body.end() || !it->is_object() || !it->contains("response") ||
      !(*it)["response"].is_object()) {
    SendError(c, Status::Invalid("invalid_field",
                                 "\"credential\" must be the browser's PublicKeyCredential"));
    return nullptr;
  }
  if (it->contains("type") && (*it)["type"] != "public-key") {
    SendError(c, Status::Invalid("invalid_field", "\"credential.type\" must be public-key"));
    return nullptr;
  }
  auto id = BinaryField(c, *it, "id", true, crypto::webauthn::kMaxCredentialIdBytes);
  if (!id) return nullptr;
  auto raw = BinaryField(c, *it, "rawId", false, crypto::webauthn::kMaxCredentialIdBytes);
  if (!raw) return nullptr;
  if (!raw->empty() && *raw != *id) {
    SendError(c, Status::Invalid("invalid_field", "\"credential.rawId\" differs from its id"));
    return nullptr;
  }
  *credential_id = std::move(*id);
  return &(*it)["response"];
}

std::optional<bool> CookieFlag(Ctx& c, const nlohmann::json& body) {
  auto f = body.find("cookie");
  if (f == body.end() || f->is_null()) return false;
  if (!f->is_boolean()) {
    SendError(c, Status::Invalid("invalid_field", "\"cookie\" must be a boolean"));
    return std::nullopt;
  }
  return f->get<bool>();
}

}  // namespace

void RegisterPasskeyRoutes(Api& api) {
  // --- The signed-in user's passkeys ---
  api.Route(
      {"POST",
       "/api/v1/me/passkeys/options",
       "me.passkeys.options",
       Auth::kRecent,
       false,
       "Start registering a passkey: {publicKey: PublicKeyCredentialCreationOptions (JSON "
       "form)} for navigator.credentials.create; the challenge is single use, bound to this "
       "session, valid 5 minutes. Also open to a session that may only enrol a second "
       "factor",
       {.request = "Empty", .responses = {{200, "PasskeyCreationOptions"}}, .errors = {409}}},
      [](Ctx& c) {
        auto body = JsonBody(c, 1024);
        if (!body) return;
        auto r = c.s().passkeys->StartRegistration(c.principal, c.bearer);
        if (!r.ok()) return SendError(c, r.status());
        const auto& o = r.value();
        SendJson(
            c, 200,
            {{"publicKey",
              {{"challenge", B64u(o.challenge)},
               {"rp", {{"id", o.rp_id}, {"name", "bomvault"}}},
               {"user",
                {{"id", B64u(crypto::AsBytes(o.user_handle))},
                 {"name", o.user_name},
                 {"displayName", o.display_name}}},
               {"pubKeyCredParams",
                {{{"type", "public-key"}, {"alg", -8}}, {{"type", "public-key"}, {"alg", -7}}}},
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
             {.request = "PasskeyRegister", .responses = {{201, "Passkey"}}, .errors = {409}}},
            [](Ctx& c) {
              auto body = JsonBody(c, 64 * 1024);
              if (!body) return;
              auto name = StringField(c, *body, "name", true);
              if (!name) return;
              service::PasskeyRegistration reg;
              const nlohmann::json* resp = CredentialObject(c, *body, &reg.credential_id);
              if (resp == nullptr) return;
              auto cd = BinaryField(c, *resp, "clientDataJSON", true, 4096);
              if (!cd) return;
              auto att = BinaryField(c, *resp, "attestationObject", true, 32 * 1024);
              if (!att) return;
              reg.client_data_json = std::move(*cd);
              reg.attestation_object = std::move(*att);
              auto r = c.s().passkeys->FinishRegistration(c.principal, c.bearer, *name, reg);
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/me/passkeys/" + r->id.str(), PasskeyJson(r.value()));
            });

  api.Route({"GET",
             "/api/v1/me/passkeys",
             "me.passkeys.list",
             Auth::kSignedIn,
             false,
             "This user's passkeys {passkeys: [{id, name, algorithm, created_at, last_used_at}]}, "
             "oldest first",
             {.responses = {{200, "Passkeys"}}, .list_max = 100}},
            [](Ctx& c) {
              auto page = PageParams(c, 100, 100);
              if (!page) return;
              auto r = c.s().passkeys->List(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              SendPage<service::PasskeyView>(
                  c, "passkeys", std::move(r.value()),
                  [](const service::PasskeyView& v) { return TimeIdKey(v.created_at, v.id.str()); },
                  false, *page, PasskeyJson);
            });

  api.Route({"PATCH",
             "/api/v1/me/passkeys/{id}",
             "me.passkeys.rename",
             Auth::kSignedIn,
             false,
             "Rename one of this user's passkeys {name}",
             {.request = "PasskeyRename", .responses = {{204, nullptr}}}},
            [](Ctx& c) {
              auto id = PathId<util::PasskeyId>(c, 1);
              if (!id) return;
              auto body = JsonBody(c, 4096);
              if (!body) return;
              auto name = StringField(c, *body, "name", true);
              if (!name) return;
              Status st = c.s().passkeys->Rename(c.principal, *id, *name);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
            });

  api.Route({"DELETE",
             "/api/v1/me/passkeys/{id}",
             "me.passkeys.delete",
             Auth::kRecent,
             false,
             "Remove one of this user's passkeys {password: the current password}; refused (409 "
             "last_second_factor) when it is the last second factor the org's policy requires",
             {.request = "PasswordProof", .responses = {{204, nullptr}}, .errors = {409}}},
            [](Ctx& c) {
              auto id = PathId<util::PasskeyId>(c, 1);
              if (!id) return;
              auto body = JsonBody(c, 8192);
              if (!body) return;
              auto password = StringField(c, *body, "password", true);
              if (!password) return;
              Status st = c.s().passkeys->Remove(c.principal, *id, *password);
              if (!st.ok()) return SendError(c, st);
              SendNoContent(c);
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
       {.request = "PasskeySignInStart",
        .responses = {{200, "PasskeyRequestOptions"}},
        .errors = {401, 409}}},
      [](Ctx& c) {
        auto body = JsonBody(c, 8192);
        if (!body) return;
        auto email = StringField(c, *body, "email", false);
        if (!email) return;
        if (email->empty()) {
          auto r = c.s().passkeys->StartPasswordless(c.req.remote_addr);
          if (!r.ok()) return SendError(c, r.status());
          return SendJson(c, 200, RequestJson(r.value()));
        }
        auto password = StringField(c, *body, "password", true);
        if (!password) return;
        if (!c.s().passkeys->available()) {
          return SendError(c, Status::Conflict("passkeys_unavailable",
                                               "passkeys are not available on this server"));
        }
        auto attempt = c.s().accounts->BeginSignIn(*email, c.req.remote_addr);
        if (!attempt.ok()) return SendError(c, attempt.status());
        // As POST /sessions: the hold is let go while the password hash queues and runs.
        c.services.reset();
        auto password_ok = service::Accounts::CheckPassword(
            *attempt, *password, [&c] { return c.instance.closing() || c.instance.sealed(); });
        if (!password_ok.ok()) return SendError(c, password_ok.status());
        c.services = c.instance.Acquire();
        if (!c.services) {
          return SendError(c, Status(util::Code::kSealed, "sealed", "the vault was sealed"));
        }
        auto r = c.s().passkeys->StartSecondFactor(*attempt, *password_ok, c.req.remote_addr);
        if (!r.ok()) return SendError(c, r.status());
        SendJson(c, 200, RequestJson(r.value()));
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
             {.request = "PasskeySignIn", .responses = {{201, "Session"}}, .errors = {401, 409}}},
            [&api](Ctx& c) {
              auto body = JsonBody(c, 64 * 1024);
              if (!body) return;
              service::PasskeyAssertion a;
              const nlohmann::json* resp = CredentialObject(c, *body, &a.credential_id);
              if (resp == nullptr) return;
              auto cd = BinaryField(c, *resp, "clientDataJSON", true, 4096);
              if (!cd) return;
              auto ad = BinaryField(c, *resp, "authenticatorData", true, 16 * 1024);
              if (!ad) return;
              auto sig = BinaryField(c, *resp, "signature", true, 512);
              if (!sig) return;
              auto handle = BinaryField(c, *resp, "userHandle", false, 64);
              if (!handle) return;
              auto cookie = CookieFlag(c, *body);
              if (!cookie) return;
              a.client_data_json = std::move(*cd);
              a.authenticator_data = std::move(*ad);
              a.signature = std::move(*sig);
              if (!handle->empty()) a.user_handle = std::move(*handle);
              auto r = c.s().passkeys->SignIn(a, c.req.remote_addr);
              if (!r.ok()) return SendError(c, r.status());
              nlohmann::json user = {{"id", r->user.str()},
                                     {"org_id", r->org.str()},
                                     {"role", access::RoleName(r->role)}};
              nlohmann::json out = {{"token", r->token},
                                    {"user", user},
                                    {"expires_at", util::FormatUtc(r->expires_at)},
                                    {"mfa_enrolment_required", false}};
              if (*cookie) {
                bool tls = api.options().tls;
                c.res.set_header("Set-Cookie", SessionCookieName(tls) + "=" + r->token +
                                                   "; Path=/; HttpOnly; SameSite=Strict" +
                                                   (tls ? "; Secure" : ""));
                out["token"] = "";
                out["cookie"] = true;
              }
              SendCreated(c, "/api/v1/sessions/current", out);
            });
}

}  // namespace bomvault::http
