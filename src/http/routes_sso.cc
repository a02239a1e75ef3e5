// Routes for single sign-on (service/oidc.h, docs/sso.md): the org's provider configuration and
// its local-password switch (Administrators), the browser's way through the authorization code
// flow (start, link, callback), RP-initiated logout, and the operator's break-glass session.
//
// Cookies: the flow's binding cookie ("bv_sso", "__Host-bv_sso" over TLS) is SameSite=Lax because
// the provider's redirect back is a cross-site top-level navigation that must carry it; it holds
// a random value whose hash the pending sign-in stores, and is cleared by the callback. The session
// cookie set by the callback is the same HttpOnly, SameSite=Strict cookie POST /sessions sets.
#include "http/api.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Result;
using util::Status;

namespace {

std::string BindingCookieName(bool tls) { return tls ? "__Host-bv_sso" : "bv_sso"; }

std::string SecureAttr(bool tls) { return tls ? "; Secure" : ""; }

// The Set-Cookie value that gives the browser the flow's binding cookie.
std::string BindingCookie(bool tls, const std::string& value) {
  return BindingCookieName(tls) + "=" + value + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=600" +
         SecureAttr(tls);
}

// The Set-Cookie value that clears it: the callback sends it however the flow ends.
std::string ClearedBindingCookie(bool tls) {
  return BindingCookieName(tls) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" + SecureAttr(tls);
}

nlohmann::json ProviderJson(const service::OidcProviderView& v) {
  const auto& c = v.config;
  return {{"issuer", c.issuer},
          {"client_id", c.client_id},
          {"has_client_secret", v.has_client_secret},
          {"algorithms", c.algorithms},
          {"display_name", c.display_name},
          {"default_role", c.default_role},
          {"provisioning", c.provisioning},
          {"groups_claim", c.groups_claim},
          {"group_roles", c.group_roles},
          {"mfa_acr_values", c.mfa_acr_values},
          {"max_session_seconds", c.max_session_seconds},
          {"internal", c.internal},
          {"ca_pem", c.ca_pem},
          {"redirect_uri", v.redirect_uri},
          {"local_passwords", v.local_passwords}};
}

// The provider's configuration: a closed body (an unknown member is 400 unknown_field); an
// absent client_secret keeps the stored one, absent algorithms are all three.
using ProviderIn = service::OidcProviderInput;
const BodySpec<ProviderIn> kProvider{
    .name = "SsoProviderIn",
    .max_bytes = 128 * 1024,
    .fields = {Text("issuer", &ProviderIn::issuer, Need::kRequired),
               Text("client_id", &ProviderIn::client_id, Need::kRequired),
               Text("client_secret", &ProviderIn::client_secret, Need::kOptional),
               TextList("algorithms", &ProviderIn::algorithms, Need::kOptional, 100),
               Text("display_name", &ProviderIn::display_name, Need::kRequired),
               RoleName("default_role", &ProviderIn::default_role, Need::kOptional),
               Choice("provisioning", &ProviderIn::provisioning, Need::kOptional,
                      {"jit", "invitation"}, "invalid_provisioning"),
               Text("groups_claim", &ProviderIn::groups_claim, Need::kOptional),
               TextMap("group_roles", &ProviderIn::group_roles, Need::kOptional, 100),
               TextList("mfa_acr_values", &ProviderIn::mfa_acr_values, Need::kOptional, 100),
               Whole("max_session_seconds", &ProviderIn::max_session_seconds, Need::kOptional, 300,
                     service::Accounts::kSessionAbsoluteSeconds, "invalid_max_session"),
               Flag("internal", &ProviderIn::internal, Need::kOptional),
               Text("ca_pem", &ProviderIn::ca_pem, Need::kOptional)},
    .closed = true,
    .initial = [] {
      ProviderIn in;
      in.algorithms = {"RS256", "ES256", "EdDSA"};
      return in;
    }};

struct LocalPasswordsIn {
  bool enabled = false;
};
const BodySpec<LocalPasswordsIn> kLocalPasswords{
    "LocalPasswords", 1024, {Flag("enabled", &LocalPasswordsIn::enabled, Need::kRequired)}};

struct BreakGlassIn {
  std::string user_id, reason;
};
const BodySpec<BreakGlassIn> kBreakGlass{"BreakGlassRequest",
                                         4096,
                                         {Text("user_id", &BreakGlassIn::user_id, Need::kRequired),
                                          Text("reason", &BreakGlassIn::reason, Need::kRequired)}};

}  // namespace

void RegisterSsoRoutes(Api& api) {
  api.Route({"GET",
             "/api/v1/org/sso",
             "org.sso.get",
             Auth::kSignedIn,
             false,
             "Administrator: the org's OpenID Connect provider (the client secret is never "
             "returned, only has_client_secret), its redirect_uri and the local-password switch",
             {.responses = {{200, "SsoProvider"}}, .errors = {404}}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto provider, c.s().oidc->GetProvider(c.principal));
              return Reply::Json(200, ProviderJson(provider));
            });

  api.Route({"PUT",
             "/api/v1/org/sso",
             "org.sso.put",
             Auth::kRecent,
             false,
             "Administrator: configure the org's OpenID Connect provider {issuer, client_id, "
             "client_secret? (absent keeps the stored one), display_name, algorithms? (RS256, "
             "ES256, EdDSA), default_role?, provisioning? (jit | invitation), groups_claim?, "
             "group_roles? {group: role}, mfa_acr_values?, max_session_seconds?, internal? "
             "(loopback and private addresses allowed), ca_pem?} → 204",
             {.responses = {{204, nullptr}}}},
            kProvider, [](Ctx& c, ProviderIn& in) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().oidc->PutProvider(c.principal, std::move(in)));
              return Reply::NoContent();
            });

  api.Route({"DELETE",
             "/api/v1/org/sso",
             "org.sso.delete",
             Auth::kRecent,
             false,
             "Administrator: remove single sign-on and every linked identity (refused while "
             "local passwords are off) → 204",
             {.responses = {{204, nullptr}}, .errors = {404, 409}}},
            [](Ctx& c) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().oidc->DeleteProvider(c.principal));
              return Reply::NoContent();
            });

  api.Route({"POST",
             "/api/v1/org/sso/local-passwords",
             "org.sso.local_passwords",
             Auth::kRecent,
             false,
             "Administrator: {enabled: bool}. Off wipes every password hash of the org at once "
             "and refuses local sign-in; needs a provider and the caller's own linked identity",
             {.responses = {{204, nullptr}}, .errors = {404, 409}}},
            kLocalPasswords, [](Ctx& c, LocalPasswordsIn& in) -> Result<Reply> {
              BV_RETURN_IF_ERROR(c.s().oidc->SetLocalPasswords(c.principal, in.enabled));
              return Reply::NoContent();
            });

  // Before /api/v1/sso/{org}: the router takes the first route that matches.
  api.Route({"GET",
             "/api/v1/sso/callback",
             "sso.callback",
             Auth::kNone,
             false,
             "The provider's redirect back (code, state): verifies the ID token, signs the user in "
             "with the session cookie and sends the browser to the UI",
             {.responses = {{302, nullptr}},
              .errors = {400, 401, 403, 409, 422, 424},
              .query = {{"code", "string", "the authorization code"},
                        {"state", "string", "the state this server gave the provider"},
                        {"error", "string", "the provider's refusal"}}}},
            [&api](Ctx& c) -> Result<Reply> {
              bool tls = api.options().tls;
              std::string binding = CookieValue(c.req, BindingCookieName(tls));
              std::string state = c.req.get_param_value("state");
              std::string code = c.req.get_param_value("code");
              // Every answer clears the binding cookie, refusals too, so those are built with
              // ErrorReply: a returned Status could not carry the cookie.
              if (c.req.has_param("error")) {
                // The provider refused (or the user cancelled): the state is spent all the same.
                Status st = c.s().oidc->Abandon(state);
                if (st.ok()) {
                  st = Status(util::Code::kUnauthenticated, "sso_denied",
                              "the identity provider did not sign you in");
                }
                return ErrorReply(c, st).With("Set-Cookie", ClearedBindingCookie(tls));
              }
              auto r = c.s().oidc->Finish(code, state, binding, c.req.remote_addr);
              if (!r.ok()) {
                return ErrorReply(c, r.status()).With("Set-Cookie", ClearedBindingCookie(tls));
              }
              return Reply::Redirect(r->linked ? "/#/account" : "/")
                  .With("Set-Cookie", ClearedBindingCookie(tls))
                  .With("Set-Cookie", SessionCookieName(tls) + "=" + r->session.token +
                                          "; Path=/; HttpOnly; SameSite=Strict" + SecureAttr(tls));
            });

  api.Route({"GET",
             "/api/v1/sso/{org}",
             "sso.provider",
             Auth::kNone,
             false,
             "Anyone: the display name of an org's provider and the URL that starts its sign-in "
             "(for the \"Sign in with …\" button); 404 when the org has none",
             {.responses = {{200, "SsoPublic"}}}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto org, c.PathId<util::OrgId>(1));
              BV_ASSIGN_OR_RETURN(auto name, c.s().oidc->PublicName(org));
              return Reply::Json(200, {{"display_name", name},
                                       {"start_url", "/api/v1/sso/" + org.str() + "/start"}});
            });

  api.Route({"GET",
             "/api/v1/sso/{org}/start",
             "sso.start",
             Auth::kNone,
             false,
             "Anyone: begins the authorization code flow with PKCE: 302 to the provider, with a "
             "binding cookie for the callback",
             {.responses = {{302, nullptr}}, .errors = {422, 424}}},
            [&api](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto org, c.PathId<util::OrgId>(1));
              BV_ASSIGN_OR_RETURN(auto flow, c.s().oidc->Start(org, nullptr));
              return Reply::Redirect(flow.authorization_url)
                  .With("Set-Cookie", BindingCookie(api.options().tls, flow.binding));
            });

  api.Route({"POST",
             "/api/v1/sso/{org}/link",
             "sso.link",
             Auth::kRecent,
             false,
             "Signed in: begins the flow that links the caller's account to the org's provider "
             "→ 200 {authorization_url} and the binding cookie; the browser goes there next",
             {.responses = {{200, "SsoLink"}}, .errors = {422, 424}}},
            [&api](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto org, c.PathId<util::OrgId>(1));
              BV_ASSIGN_OR_RETURN(auto flow, c.s().oidc->Start(org, &c.principal));
              return Reply::Json(200, {{"authorization_url", flow.authorization_url}})
                  .With("Set-Cookie", BindingCookie(api.options().tls, flow.binding));
            });

  api.Route({"POST",
             "/api/v1/sso/logout",
             "sso.logout",
             Auth::kSignedIn,
             false,
             "Signed in: ends this session; for a session from the provider, 200 {logout_url} "
             "ends the provider's session too (RP-initiated logout), else logout_url is \"\"",
             {.responses = {{200, "SsoLogout"}}, .errors = {422, 424}}},
            [&api](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto logout, c.s().oidc->Logout(c.principal, c.bearer));
              Reply reply = Reply::Json(200, {{"logout_url", logout.logout_url}});
              if (c.cookie_session) {
                bool tls = api.options().tls;
                reply.With("Set-Cookie", SessionCookieName(tls) +
                                             "=; Path=/; HttpOnly; SameSite=Strict; "
                                             "Max-Age=0" +
                                             SecureAttr(tls));
              }
              return reply;
            });

  api.Route({"POST",
             "/api/v1/orgs/{id}/break-glass",
             "orgs.break_glass",
             Auth::kSignedIn,
             false,
             "Operator: {user_id, reason} → 201 {token, expires_at}: a one-hour session for one "
             "of the org's Administrators when its provider is unusable; audited in the org",
             {.responses = {{201, "BreakGlassSession"}}, .errors = {409}},
             access::Function::kOrgDelete},
            kBreakGlass, [](Ctx& c, BreakGlassIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto org, c.PathId<util::OrgId>(1));
              auto uid = util::UserId::Parse(in.user_id);
              if (!uid) return Status::NotFound();
              BV_ASSIGN_OR_RETURN(auto session,
                                  c.s().oidc->BreakGlass(c.principal, org, *uid, in.reason));
              return Reply::Created(
                  "/api/v1/sessions/current",
                  {{"token", session.token},
                   {"user", {{"id", session.user.str()}, {"org_id", session.org.str()}}},
                   {"expires_at", util::FormatUtc(session.expires_at)}});
            });
}

}  // namespace bomvault::http
