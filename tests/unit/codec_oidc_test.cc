// codec/oidc: the provider's discovery document and token answer, an ID token's further claims,
// and the two documents bomvault seals (provider configuration, pending sign-in): what they read
// as, and that bad input is refused or read as absent, never thrown.
#include <doctest/doctest.h>

#include "codec/oidc.h"

using namespace bomvault::codec;

TEST_CASE("codec/oidc: the provider configuration reads back as it was sealed") {
  OidcProviderConfig c;
  c.issuer = "https://idp.example";
  c.client_id = "client-1";
  c.client_secret = "s3cret";
  c.algorithms = {"RS256", "EdDSA"};
  c.display_name = "Example";
  c.groups_claim = "groups";
  c.group_roles = {{"admins", "administrator"}};
  c.mfa_acr_values = {"mfa"};
  c.max_session_seconds = 3600;
  c.internal = true;
  std::string text = EncodeProviderConfig(c);
  // The stored form, as sealed before the codec existed (keys in order, every member written).
  CHECK(text ==
        R"({"algorithms":["RS256","EdDSA"],"ca_pem":"","client_id":"client-1",)"
        R"("client_secret":"s3cret","default_role":"viewer","display_name":"Example",)"
        R"("group_roles":{"admins":"administrator"},"groups_claim":"groups","internal":true,)"
        R"("issuer":"https://idp.example","max_session_seconds":3600,"mfa_acr_values":["mfa"],)"
        R"("provisioning":"jit"})");
  auto back = DecodeProviderConfig(text);
  REQUIRE(back);
  CHECK(back->client_secret == "s3cret");
  CHECK(back->algorithms == c.algorithms);
  CHECK(back->group_roles == c.group_roles);
  CHECK(back->max_session_seconds == 3600);
  CHECK(back->internal);
  // Missing members take their defaults.
  auto sparse = DecodeProviderConfig(R"({"issuer":"https://idp.example"})");
  REQUIRE(sparse);
  CHECK(sparse->client_secret == "");
  CHECK(sparse->default_role == "viewer");
  CHECK(sparse->provisioning == "jit");
  CHECK(sparse->max_session_seconds == 12 * 3600);
  for (const char* bad :
       {"", "[]", "{", "5", R"({"issuer":5})", R"({"algorithms":"RS256"})",
        R"({"group_roles":{"a":1}})", R"({"max_session_seconds":"1"})", R"({"internal":"yes"})"}) {
    CHECK_FALSE(DecodeProviderConfig(bad));
  }
}

TEST_CASE("codec/oidc: a pending sign-in's request") {
  std::string text = EncodeLoginRequest({"n-1", "v-1", ""});
  CHECK(text == R"({"nonce":"n-1","verifier":"v-1"})");
  CHECK(EncodeLoginRequest({"n-1", "v-1", "u-1"}) ==
        R"({"link_user":"u-1","nonce":"n-1","verifier":"v-1"})");
  auto r = DecodeLoginRequest(text);
  REQUIRE(r);
  CHECK(r->nonce == "n-1");
  CHECK(r->verifier == "v-1");
  CHECK(r->link_user.empty());
  for (const char* bad : {"", "null", "[]", R"({"nonce":1})", R"({"link_user":[]})"}) {
    CHECK_FALSE(DecodeLoginRequest(bad));
  }
}

TEST_CASE("codec/oidc: discovery documents") {
  auto d = DecodeDiscovery(
      R"({"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/a",)"
      R"("token_endpoint":5,"jwks_uri":null,"code_challenge_methods_supported":["plain","S256",1]})");
  REQUIRE(d);
  CHECK(d->issuer == "https://idp.example");
  CHECK(d->authorization_endpoint == "https://idp.example/a");
  CHECK_FALSE(d->token_endpoint);  // not text: absent
  CHECK_FALSE(d->jwks_uri);
  CHECK_FALSE(d->end_session_endpoint);
  REQUIRE(d->code_challenge_methods);
  CHECK(*d->code_challenge_methods == std::vector<std::string>{"plain", "S256"});
  auto odd = DecodeDiscovery(R"({"code_challenge_methods_supported":"S256"})");
  REQUIRE(odd);
  REQUIRE(odd->code_challenge_methods);  // present, but no list: S256 is not in it
  CHECK(odd->code_challenge_methods->empty());
  for (const char* bad : {"", "<html>", "[]", "\"x\"", "{"}) CHECK_FALSE(DecodeDiscovery(bad));
}

TEST_CASE("codec/oidc: the token endpoint's answer") {
  CHECK(DecodeTokenResponseIdToken(R"({"id_token":"a.b.c","access_token":"t"})") == "a.b.c");
  for (const char* bad :
       {"", "[]", "{}", R"({"id_token":5})", R"({"error":"invalid_grant"})", "{"}) {
    CHECK_FALSE(DecodeTokenResponseIdToken(bad));
  }
}

TEST_CASE("codec/oidc: an ID token's further claims") {
  auto d = DecodeIdTokenDetails(
      R"({"auth_time":1700000000,"amr":["pwd",7,"otp"],"acr":"mfa","roles":["a",{},"b"],)"
      R"("email":"a@example.com","email_verified":true})",
      "roles");
  CHECK(d.has_auth_time);
  CHECK(d.auth_time == 1700000000.0);
  CHECK(d.amr == std::vector<std::string>{"pwd", "otp"});
  CHECK(d.acr == "mfa");
  REQUIRE(d.groups);
  CHECK(*d.groups == std::vector<std::string>{"a", "b"});
  CHECK(d.email == "a@example.com");
  CHECK(d.email_verified);
  // Wrong types read as absent or false, never thrown.
  auto w = DecodeIdTokenDetails(
      R"({"auth_time":"now","amr":"otp","acr":1,"roles":"a","email":[],"email_verified":"true"})",
      "roles");
  CHECK(w.has_auth_time);
  CHECK_FALSE(w.auth_time);
  CHECK(w.amr.empty());
  CHECK_FALSE(w.acr);
  CHECK_FALSE(w.groups);
  CHECK_FALSE(w.email);
  CHECK_FALSE(w.email_verified);
  CHECK_FALSE(DecodeIdTokenDetails(R"({"roles":["a"]})", "").groups);
  for (const char* bad : {"", "[]", "{"}) {
    auto none = DecodeIdTokenDetails(bad, "roles");
    CHECK_FALSE(none.has_auth_time);
    CHECK_FALSE(none.email);
  }
}
