#include "service/rest_source.h"

#include <algorithm>
#include <cstring>

#include "bom/json_body.h"
#include "codec/rest_source.h"
#include "crypto/crypto.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/percent_encode.h"

namespace bomvault::service {

using util::Code;
using util::Status;

namespace {

constexpr size_t kMaxPages = 1000;

Status BadAnswer() {
  return Status(Code::kUnprocessable, "source_bad_answer", "the source's answer could not be read");
}

Status LoginRefused() {
  return Status(Code::kUnprocessable, "source_login_refused",
                "the source refused your credentials; connect to this source again");
}

void Wipe(std::string& s) {
  if (!s.empty()) crypto::Wipe(s);
  s.clear();
}

// "Basic base64(urlencode(id):urlencode(secret))", RFC 6749 section 2.3.1.
crypto::SecureBuffer ClientAuth(std::string_view id, std::string_view secret) {
  std::string eid = util::PercentEncode(id), esecret = util::PercentEncode(secret);
  crypto::SecureBuffer out = BasicAuthorization(eid, esecret);
  Wipe(esecret);
  return out;
}

std::string Replace(std::string s, std::string_view what, std::string_view with) {
  size_t at = s.find(what);
  if (at != std::string::npos) s.replace(at, what.size(), with);
  return s;
}

}  // namespace

bool ValidRestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '~' ||
           c == '-';
  });
}

crypto::SecureBuffer JoinSecret(const std::vector<std::string_view>& fields) {
  size_t n = 0;
  for (auto f : fields) n += f.size() + 1;
  crypto::SecureBuffer b(n == 0 ? 0 : n - 1);
  size_t at = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i != 0) b.data()[at++] = 0;
    std::memcpy(b.data() + at, fields[i].data(), fields[i].size());
    at += fields[i].size();
  }
  return b;
}

std::vector<std::string_view> SplitSecret(const crypto::SecureBuffer& secret) {
  std::vector<std::string_view> out;
  std::string_view v = secret.view();
  size_t start = 0;
  for (size_t i = 0; i <= v.size(); ++i) {
    if (i == v.size() || v[i] == '\0') {
      out.push_back(v.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string RestClient::AuthorizeUrl(std::string_view state, std::string_view challenge,
                                     std::string_view redirect_uri) const {
  std::string url = s_.authorize->origin.OriginText() + s_.authorize_path;
  url += "?response_type=code&client_id=" + util::PercentEncode(s_.client_id);
  url += "&redirect_uri=" + util::PercentEncode(redirect_uri);
  if (!s_.scopes.empty()) url += "&scope=" + util::PercentEncode(s_.scopes);
  url += "&state=" + util::PercentEncode(state);
  url += "&code_challenge=" + util::PercentEncode(challenge) + "&code_challenge_method=S256";
  // OpenID Connect issues a refresh token for offline_access only after an explicit consent
  // (OIDC Core section 11).
  if ((" " + s_.scopes + " ").find(" offline_access ") != std::string::npos) {
    url += "&prompt=consent";
  }
  return url;
}

util::Result<crypto::SecureBuffer> RestClient::TokenRequest(std::string body,
                                                            const crypto::SecureBuffer* auth,
                                                            std::string_view kind,
                                                            const crypto::SecureBuffer* keep) {
  if (!s_.token) return Status::Internal();
  OutboundRequest r;
  r.method = "POST";
  r.path = s_.token_path;
  r.body = std::move(body);
  r.content_type = "application/x-www-form-urlencoded";
  r.authorization = auth;
  r.cancelled = cancelled_;
  auto resp = Fetch(*s_.token, r);
  Wipe(r.body);
  if (!resp.ok()) return resp.status();
  if (resp->status == 400 || resp->status == 401) {
    Wipe(resp->body);
    return LoginRefused();
  }
  if (resp->status != 200) {
    util::log::Warn("rest.token_status").Num("status", resp->status);
    Wipe(resp->body);
    return Status(Code::kUnprocessable, "source_rejected", "the source's token endpoint refused");
  }
  auto tokens = codec::DecodeOAuthTokens(resp->body);
  Wipe(resp->body);
  if (!tokens) return BadAnswer();
  std::string access = std::move(tokens->access_token);
  std::string refresh = std::move(tokens->refresh_token);
  int64_t expires_in = tokens->expires_in.value_or(3600);
  const std::string expires_at = std::to_string(util::NowUnix() + std::max<int64_t>(expires_in, 0));
  // A refresh that returns no new refresh token keeps the old one (RFC 6749 section 6).
  if (refresh.empty() && keep != nullptr) {
    auto old = SplitSecret(*keep);
    if (old.size() == 4 && old[0] == "oauth") refresh = std::string(old[2]);
  }
  crypto::SecureBuffer out;
  if (kind == "oauth") {
    out = JoinSecret({"oauth", access, refresh, expires_at});
  } else {
    auto old = SplitSecret(*keep);  // "cc", id, secret
    out = JoinSecret({"cc", old[1], old[2], access, expires_at});
  }
  Wipe(access);
  Wipe(refresh);
  return out;
}

util::Result<crypto::SecureBuffer> RestClient::ExchangeCode(std::string_view code,
                                                            const crypto::SecureBuffer& verifier,
                                                            std::string_view redirect_uri) {
  std::string body = "grant_type=authorization_code&code=" + util::PercentEncode(code) +
                     "&redirect_uri=" + util::PercentEncode(redirect_uri) +
                     "&code_verifier=" + util::PercentEncode(verifier.view());
  crypto::SecureBuffer auth = ClientAuth(s_.client_id, s_.client_secret);
  return TokenRequest(std::move(body), &auth, "oauth", nullptr);
}

util::Result<crypto::SecureBuffer> RestClient::ClientCredentials(std::string_view client_id,
                                                                 std::string_view client_secret) {
  std::string body = "grant_type=client_credentials";
  if (!s_.scopes.empty()) body += "&scope=" + util::PercentEncode(s_.scopes);
  crypto::SecureBuffer auth = ClientAuth(client_id, client_secret);
  crypto::SecureBuffer keep = JoinSecret({"cc", client_id, client_secret});
  return TokenRequest(std::move(body), &auth, "cc", &keep);
}

util::Result<crypto::SecureBuffer> RestClient::Refresh(const crypto::SecureBuffer& secret) {
  auto f = SplitSecret(secret);
  if (f.size() == 5 && f[0] == "cc") return ClientCredentials(f[1], f[2]);
  if (f.size() != 4 || f[0] != "oauth" || f[2].empty()) return LoginRefused();
  std::string body = "grant_type=refresh_token&refresh_token=" + util::PercentEncode(f[2]);
  crypto::SecureBuffer auth = ClientAuth(s_.client_id, s_.client_secret);
  return TokenRequest(std::move(body), &auth, "oauth", &secret);
}

void RestClient::Revoke(const crypto::SecureBuffer& secret) {
  auto f = SplitSecret(secret);
  if (!s_.revocation || f.empty() || (f[0] != "oauth" && f[0] != "cc")) return;
  crypto::SecureBuffer auth =
      f[0] == "oauth" ? ClientAuth(s_.client_id, s_.client_secret) : ClientAuth(f[1], f[2]);
  // The refresh token first: revoking it ends the grant, and with it the access tokens.
  std::vector<std::pair<std::string_view, std::string_view>> tokens;
  if (f[0] == "oauth") {
    if (!f[2].empty()) tokens.push_back({f[2], "refresh_token"});
    tokens.push_back({f[1], "access_token"});
  } else {
    tokens.push_back({f[3], "access_token"});
  }
  for (const auto& [token, hint] : tokens) {
    OutboundRequest r;
    r.method = "POST";
    r.path = s_.revocation_path;
    r.body = "token=" + util::PercentEncode(token) + "&token_type_hint=" + std::string(hint);
    r.content_type = "application/x-www-form-urlencoded";
    r.authorization = &auth;
    auto resp = Fetch(*s_.revocation, r);
    Wipe(r.body);
    if (!resp.ok() || resp->status != 200) {
      util::log::Warn("rest.revoke_failed").Num("status", resp.ok() ? resp->status : 0);
    }
  }
}

util::Result<OutboundResponse> RestClient::Call(
    crypto::SecureBuffer& secret, OutboundRequest request,
    const std::function<void(const crypto::SecureBuffer&)>& on_refreshed) {
  request.cancelled = cancelled_;
  for (int attempt = 0;; ++attempt) {
    auto f = SplitSecret(secret);
    crypto::SecureBuffer auth;
    std::string key_header;
    const bool token_kind = !f.empty() && (f[0] == "oauth" || f[0] == "cc");
    if (token_kind) {
      const std::string_view exp = f[0] == "oauth" ? f[3] : f[4];
      if (attempt == 0 && std::atoll(std::string(exp).c_str()) <= util::NowUnix() + 30) {
        auto fresh = Refresh(secret);
        if (!fresh.ok()) return fresh.status();
        secret = std::move(fresh.value());
        on_refreshed(secret);
        f = SplitSecret(secret);
      }
      auth = BearerAuthorization(f[0] == "oauth" ? f[1] : f[3]);
    } else if (f.size() == 3 && f[0] == "basic") {
      auth = BasicAuthorization(f[1], f[2]);
    } else if (f.size() == 2 && f[0] == "apikey") {
      // Sent as a header of its own; held in locked memory like the others.
      crypto::SecureBuffer line(s_.api_key_header.size() + 2 + f[1].size());
      std::memcpy(line.data(), s_.api_key_header.data(), s_.api_key_header.size());
      std::memcpy(line.data() + s_.api_key_header.size(), ": ", 2);
      std::memcpy(line.data() + s_.api_key_header.size() + 2, f[1].data(), f[1].size());
      auth = std::move(line);
    } else {
      return LoginRefused();
    }
    OutboundRequest r = request;
    if (!f.empty() && f[0] == "apikey") {
      r.secret_header = &auth;
    } else {
      r.authorization = &auth;
    }
    auto resp = Fetch(s_.api, r);
    if (!resp.ok()) return resp.status();
    if (resp->status == 401 && token_kind && attempt == 0) {
      auto fresh = Refresh(secret);
      if (!fresh.ok()) return fresh.status();
      secret = std::move(fresh.value());
      on_refreshed(secret);
      continue;
    }
    if (resp->status == 401 || resp->status == 403) return LoginRefused();
    return resp;
  }
}

util::Result<RemoteBom> RestClient::Pull(
    crypto::SecureBuffer& secret, std::string_view remote_id,
    const std::function<void(const crypto::SecureBuffer&)>& on_refreshed,
    const std::function<void(double)>& progress) {
  if (!ValidRestId(remote_id)) {
    return Status::Invalid("invalid_remote_id", "a remote id is 1-128 of A-Z a-z 0-9 . _ ~ -");
  }
  RemoteBom out;
  out.remote_id = std::string(remote_id);
  std::string path = Replace(s_.items_path, "{remote_id}", remote_id), query;
  for (size_t page = 0;; ++page) {
    if (page >= kMaxPages) return BadAnswer();
    OutboundRequest r;
    r.method = "GET";
    r.path = path;
    r.query = query;
    auto resp = Call(secret, r, on_refreshed);
    if (!resp.ok()) return resp.status();
    if (resp->status == 404) {
      return Status(Code::kUnprocessable, "remote_not_found",
                    "the source has no BOM with this id that your login may read");
    }
    if (resp->status != 200) {
      util::log::Warn("rest.status").Num("status", resp->status);
      return Status(Code::kUnprocessable, "source_rejected", "the source refused the request");
    }
    auto body = bom::ParseBomBody(resp->body, bom::Limits{});
    if (!body.ok() || !body->items) return BadAnswer();
    if (page == 0 && body->name) out.name = *body->name;
    for (auto& it : *body->items) out.items.push_back(std::move(it));
    if (out.items.size() > bom::Limits{}.max_items) return BadAnswer();
    // "next" is a path on the same origin (with the base path); anything else is refused.
    std::string n = codec::DecodeNextPage(resp->body);
    if (n.empty()) break;
    const std::string& base = s_.api.origin.path;
    if (n.rfind(base + "/", 0) != 0 || n.find("//") != std::string::npos) {
      return Status(Code::kUnprocessable, "source_redirect_refused",
                    "the source's next page is not on its configured origin");
    }
    n = n.substr(base.size());
    const size_t q = n.find('?');
    path = n.substr(0, q);
    query = q == std::string::npos ? "" : n.substr(q + 1);
    progress(std::min(0.8, 0.2 + 0.05 * static_cast<double>(page + 1)));
  }
  if (out.name.empty()) out.name = "BOM " + out.remote_id;
  return out;
}

util::Result<std::string> RestClient::Send(
    crypto::SecureBuffer& secret, std::string_view name, const std::vector<bom::Item>& items,
    std::optional<std::string> existing,
    const std::function<void(const crypto::SecureBuffer&)>& on_refreshed) {
  OutboundRequest r;
  const bool update = existing && ValidRestId(*existing);
  r.method = update ? "PUT" : "POST";
  r.path = update ? Replace(s_.items_path, "{remote_id}", *existing) : s_.send_path;
  r.body = codec::EncodeSentBom(name, items);
  auto resp = Call(secret, r, on_refreshed);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200 && resp->status != 201) {
    util::log::Warn("rest.status").Num("status", resp->status);
    return Status(Code::kUnprocessable, "source_rejected", "the source refused the BOM");
  }
  if (update) return *existing;
  auto id = codec::DecodeSentId(resp->body);
  if (!id || !ValidRestId(*id)) return BadAnswer();
  return std::move(*id);
}

}  // namespace bomvault::service
