#include "service/sources.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "bom/tree.h"
#include "bom/views.h"
#include "codec/source_records.h"
#include "crypto/crypto.h"
#include "service/audit.h"
#include "service/tryton.h"
#include "store/sources_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Function;
using access::Principal;
using util::Code;
using util::Status;

namespace {

constexpr std::string_view kConfigPurpose = "source";
constexpr std::string_view kConnectionPurpose = "source-connection";
constexpr std::string_view kLinkPurpose = "source-link";
constexpr size_t kMaxUsername = 256;
constexpr size_t kMaxPassword = 1024;

Status Allowed(const Principal& p, Function f) {
  return access::Refusal(p, f, access::MayUse(p, f));
}

Status ConnectionRequired() {
  return Status::Conflict("connection_required",
                          "connect to this source with your own credentials first (PUT "
                          "/api/v1/sources/{id}/connection); nobody else's connection is used "
                          "for you");
}

// Tryton's connection secret, in locked memory: JoinSecret's "basic", user, password (see
// service/rest_source.h). Persisted (sealed): the layout must not change.
crypto::SecureBuffer EncodeBasic(std::string_view user, std::string_view password) {
  return JoinSecret({"basic", user, password});
}

util::Result<crypto::SecureBuffer> AuthorizationFor(const crypto::SecureBuffer& secret) {
  auto f = SplitSecret(secret);
  if (f.size() == 3 && f[0] == "basic") return BasicAuthorization(f[1], f[2]);
  return Status::Internal();
}

}  // namespace

// --- Store ---------------------------------------------------------------------------------------

util::Result<Sources::Loaded> Sources::Load(store::Db& db, const Principal& actor,
                                            const util::SourceId& id) {
  auto row = store::FindSource(db, actor.org, id, actor.user);
  if (!row) return Status::NotFound();
  auto crypto = keys_.Get(db, actor.org);
  if (!crypto.ok()) return crypto.status();
  Loaded l;
  l.crypto = crypto.value();
  auto text = l.crypto->OpenText(kConfigPurpose, id.str(), row->sealed);
  auto patch = text ? codec::DecodeSourceSettingsText(*text)
                    : util::Result<codec::SourceSettingsPatch>(Status::Internal());
  auto cfg = patch.ok() ? SourceConfig::FromPatch(patch.value(), nullptr)
                        : util::Result<SourceConfig>(patch.status());
  if (!cfg.ok()) {
    util::log::Error("source.unreadable").Ref("source_id", id);
    return Status::Internal("the source's configuration could not be read");
  }
  l.config = std::move(cfg.value());
  l.view.id = id;
  l.view.kind = row->kind;
  l.view.name = l.config.name;
  l.view.created_at = row->created_at;
  l.view.updated_at = row->updated_at;
  // A folder source needs no connection: it is usable by whoever may pull.
  l.view.connected = row->connected || l.config.kind == "folder";
  if (actor.role == access::Role::kAdministrator) l.view.config = l.config;
  return l;
}

util::Result<crypto::SecureBuffer> Sources::LoadSecret(store::Db& db, const OrgCrypto& crypto,
                                                       const util::SourceId& id,
                                                       const util::UserId& user) {
  auto sealed = store::SourceConnection(db, crypto.org(), id, user);
  if (!sealed) return ConnectionRequired();
  auto secret = crypto.OpenSecret(kConnectionPurpose, id.str() + "/" + user.str(), *sealed);
  if (!secret) {
    util::log::Error("source.connection_unreadable").Ref("source_id", id).Ref("user_id", user);
    return Status::Internal("your connection could not be read; connect again");
  }
  return std::move(*secret);
}

util::Result<std::optional<std::string>> Sources::LoadLink(store::Db& db, const OrgCrypto& crypto,
                                                           const util::BomId& bom,
                                                           const util::SourceId& id) {
  auto sealed = store::BomSourceLink(db, bom, id);
  if (!sealed) return std::optional<std::string>();
  auto text = crypto.OpenText(kLinkPurpose, bom.str() + "/" + id.str(), *sealed);
  if (!text) return Status::Internal();
  return std::optional<std::string>(std::move(*text));
}

void Sources::StoreLink(store::Db& db, const OrgCrypto& crypto, const util::BomId& bom,
                        const util::SourceId& id, const std::string& remote_id) {
  crypto::Bytes sealed = crypto.SealText(kLinkPurpose, bom.str() + "/" + id.str(), remote_id);
  store::SaveBomSourceLink(db, bom, id, sealed, util::NowUnix());
}

// --- Administration ------------------------------------------------------------------------------

util::Result<util::SourceId> Sources::Create(const Principal& actor,
                                             const codec::SourceSettingsPatch& body) {
  if (Status st = Allowed(actor, Function::kSourceManage); !st.ok()) return st;
  auto cfg = SourceConfig::FromPatch(body, nullptr);
  if (!cfg.ok()) return cfg.status();
  if (cfg->kind == "folder") {
    if (Status f = folder_.Check(actor.org, cfg->path); !f.ok()) return f;
  }
  const util::SourceId id = util::SourceId::Generate();
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    crypto::Bytes sealed = c.SealText(kConfigPurpose, id.str(), codec::EncodeSourceSettings(*cfg));
    store::InsertSource(db, actor.org, id, cfg->kind, sealed, actor.user, util::NowUnix());
    RecordAudit(db, &c,
                {"source:" + id.str(), actor.user.str(), "source.create", {{"kind", cfg->kind}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  util::log::Info("source.created").Ref("source_id", id).Ref("user_id", actor.user);
  return id;
}

util::Result<std::vector<SourceView>> Sources::List(const Principal& actor) {
  if (Status st = Allowed(actor, Function::kSourceList); !st.ok()) return st;
  std::vector<SourceView> out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    for (const auto& id : store::SourceIds(db, actor.org)) {
      auto l = Load(db, actor, id);
      if (!l.ok()) return l.status();
      out.push_back(std::move(l->view));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<SourceView> Sources::Get(const Principal& actor, const util::SourceId& id) {
  if (Status st = Allowed(actor, Function::kSourceList); !st.ok()) return st;
  SourceView out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    out = std::move(l->view);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<SourceView> Sources::Update(const Principal& actor, const util::SourceId& id,
                                         const codec::SourceSettingsPatch& patch) {
  if (Status st = Allowed(actor, Function::kSourceManage); !st.ok()) return st;
  SourceView out;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    auto cfg = SourceConfig::FromPatch(patch, &l->config);
    if (!cfg.ok()) return cfg.status();
    if (cfg->kind == "folder" && cfg->path != l->config.path) {
      if (Status f = folder_.Check(actor.org, cfg->path); !f.ok()) return f;
    }
    const std::vector<std::string> fields = codec::ChangedSourceFields(l->config, *cfg);
    if (fields.empty()) {
      out = std::move(l->view);
      return Status::Ok();
    }
    // Credentials were entered for one system: when the source starts pointing elsewhere, trusts
    // other certificates or uses another client, they must not follow it. Everyone connects again.
    int dropped = 0;
    if (!cfg->SameEndpoint(l->config)) {
      dropped = store::DeleteSourceConnections(db, id, nullptr);
    }
    crypto::Bytes sealed =
        l->crypto->SealText(kConfigPurpose, id.str(), codec::EncodeSourceSettings(*cfg));
    store::UpdateSource(db, id, sealed, util::NowUnix());
    // Field names only: values may be secret (the CA bundle, the proxy) or names.
    RecordAudit(db, l->crypto.get(),
                {"source:" + id.str(),
                 actor.user.str(),
                 "source.update",
                 {{"fields", fields}, {"connections_dropped", dropped}}});
    auto again = Load(db, actor, id);
    if (!again.ok()) return again.status();
    out = std::move(again->view);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status Sources::Delete(const Principal& actor, const util::SourceId& id) {
  if (Status st = Allowed(actor, Function::kSourceManage); !st.ok()) return st;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    store::DeleteSource(db, actor.org, id);
    RecordAudit(
        db, l->crypto.get(),
        {"source:" + id.str(), actor.user.str(), "source.delete", {{"kind", l->view.kind}}});
    return Status::Ok();
  });
  if (st.ok()) util::log::Info("source.deleted").Ref("source_id", id).Ref("user_id", actor.user);
  return st;
}

// --- Connections ---------------------------------------------------------------------------------

namespace {

// The string members of a credentials body, exactly `keys`, each 1..max bytes of text.
Status TakeStrings(const SourceCredentials& body, std::initializer_list<const char*> keys,
                   size_t max, std::vector<std::string_view>* out, const char* usage) {
  for (const auto& member : body.members) {  // not a binding: clang < 16 cannot capture one
    const std::string& k = member.first;
    if (std::none_of(keys.begin(), keys.end(), [&](const char* n) { return k == n; })) {
      return Status::Invalid("invalid_credentials", usage);
    }
  }
  for (const char* k : keys) {
    auto it = std::find_if(body.members.begin(), body.members.end(),
                           [&](const auto& member) { return member.first == k; });
    if (it == body.members.end() || !it->second || !ValidSourceText(*it->second, max)) {
      return Status::Invalid("invalid_credentials", usage);
    }
    out->push_back(*it->second);
  }
  return Status::Ok();
}

}  // namespace

util::Result<crypto::SecureBuffer> Sources::CredentialsFor(const Principal& actor,
                                                           const util::SourceId& id,
                                                           const SourceConfig& config,
                                                           const SourceCredentials& body) {
  std::vector<std::string_view> v;
  if (config.kind == "tryton") {
    Status st = TakeStrings(body, {"username", "password"}, kMaxPassword, &v,
                            "give your own Tryton \"username\" and \"password\"");
    if (!st.ok()) return st;
    if (v[0].size() > kMaxUsername) {
      return Status::Invalid("invalid_credentials", "the user name is too long");
    }
    crypto::SecureBuffer secret = EncodeBasic(v[0], v[1]);
    // The credentials are checked at the source before they are kept.
    auto auth = AuthorizationFor(secret);
    if (!auth.ok()) return auth.status();
    TrytonClient client(config.Target(), config.database, std::move(auth.value()), nullptr);
    if (Status check = client.Verify(); !check.ok()) return check;
    return secret;
  }
  RestClient client(config.Rest(), nullptr);
  const std::string& m = config.auth_method;
  if (m == "basic") {
    Status st = TakeStrings(body, {"username", "password"}, kMaxPassword, &v,
                            "give your own \"username\" and \"password\" for this source");
    if (!st.ok()) return st;
    return JoinSecret({"basic", v[0], v[1]});
  }
  if (m == "api_key") {
    Status st = TakeStrings(body, {"api_key"}, kMaxPassword, &v,
                            "give your own \"api_key\" for this source");
    if (!st.ok()) return st;
    if (std::any_of(v[0].begin(), v[0].end(), [](char c) { return c < 0x21 || c > 0x7e; })) {
      return Status::Invalid("invalid_credentials", "an API key is printable ASCII");
    }
    return JoinSecret({"apikey", v[0]});
  }
  if (m == "client_credentials") {
    Status st = TakeStrings(body, {"client_id", "client_secret"}, kMaxPassword, &v,
                            "give your own OAuth \"client_id\" and \"client_secret\"");
    if (!st.ok()) return st;
    return client.ClientCredentials(v[0], v[1]);
  }
  // oauth_code: the code the provider sent back, with the state StartAuthorization made.
  Status st = TakeStrings(body, {"code", "state"}, 2048, &v,
                          "give the \"code\" and \"state\" the sign-in at the provider returned");
  if (!st.ok()) return st;
  crypto::SecureBuffer verifier;
  std::string redirect_uri;
  {
    std::lock_guard lock(pending_mu_);
    auto it = pending_.find(std::string(v[1]));
    if (it == pending_.end() || it->second.user != actor.user || it->second.source != id ||
        it->second.org != actor.org || it->second.expires_at < util::NowUnix()) {
      if (it != pending_.end() && it->second.user == actor.user) pending_.erase(it);
      return Status::Invalid("invalid_state",
                             "this sign-in is unknown or expired; start connecting again");
    }
    verifier = std::move(it->second.verifier);
    redirect_uri = std::move(it->second.redirect_uri);
    pending_.erase(it);  // a state is good for one code only
  }
  return client.ExchangeCode(v[0], verifier, redirect_uri);
}

util::Result<Sources::Authorization> Sources::StartAuthorization(const Principal& actor,
                                                                 const util::SourceId& id,
                                                                 std::string_view redirect_uri) {
  if (Status st = Allowed(actor, Function::kSourceConnect); !st.ok()) return st;
  SourceConfig config;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    config = std::move(l->config);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (config.kind != "rest" || config.auth_method != "oauth_code") {
    return Status::Invalid("oauth_not_used", "this source does not sign in with OAuth");
  }
  if (redirect_uri.size() > 2048 ||
      !(redirect_uri.rfind("https://", 0) == 0 || redirect_uri.rfind("http://", 0) == 0) ||
      std::any_of(redirect_uri.begin(), redirect_uri.end(),
                  [](char c) { return c < 0x21 || c > 0x7e; })) {
    return Status::Invalid("invalid_redirect_uri", "redirect_uri must be an http(s) URL");
  }
  // PKCE (RFC 7636): 32 random bytes as the verifier, its SHA-256 as the S256 challenge.
  auto b64url = [](std::span<const uint8_t> bytes) {
    std::string t = crypto::ToBase64(bytes);
    for (char& c : t) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!t.empty() && t.back() == '=') t.pop_back();
    return t;
  };
  crypto::Bytes raw = crypto::RandomBytes(32);
  std::string verifier_text = b64url(raw);
  crypto::Wipe(raw);
  crypto::SecureBuffer verifier = crypto::SecureBuffer::FromString(verifier_text);
  const std::string challenge = b64url(crypto::Sha256(verifier.span()));
  crypto::Wipe(verifier_text);
  const std::string state = b64url(crypto::RandomBytes(24));
  {
    std::lock_guard lock(pending_mu_);
    const int64_t now = util::NowUnix();
    size_t mine = 0;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.expires_at < now) {
        it = pending_.erase(it);
        continue;
      }
      if (it->second.user == actor.user) ++mine;
      ++it;
    }
    if (mine >= 5 || pending_.size() >= 1000) {
      return Status(Code::kTooManyRequests, "too_many_sign_ins",
                    "finish or abandon the sign-ins already started first")
          .WithRetryAfter(kPendingSeconds);
    }
    pending_[state] = Pending{actor.org,
                              actor.user,
                              id,
                              std::move(verifier),
                              std::string(redirect_uri),
                              now + kPendingSeconds};
  }
  RestClient client(config.Rest(), nullptr);
  return Authorization{client.AuthorizeUrl(state, challenge, redirect_uri), state};
}

util::Result<std::string> Sources::ConnectionNeeds(const Principal& actor,
                                                   const util::SourceId& id) {
  if (Status st = Allowed(actor, Function::kSourceConnect); !st.ok()) return st;
  std::string kind, method;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    kind = l->config.kind;
    method = l->config.auth_method;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (kind == "folder") {
    return Status::Invalid("no_connection_needed",
                           "a folder source needs no connection: pull its files directly");
  }
  if (kind == "tryton" || method == "basic") return std::string("password");
  if (method == "api_key") return std::string("api_key");
  if (method == "client_credentials") return std::string("client_credentials");
  return std::string("oauth");
}

Status Sources::Connect(const Principal& actor, const util::SourceId& id,
                        const SourceCredentials& credentials) {
  if (Status st = Allowed(actor, Function::kSourceConnect); !st.ok()) return st;
  SourceConfig config;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    config = std::move(l->config);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (config.kind == "folder") {
    return Status::Invalid("no_connection_needed",
                           "a folder source needs no connection: pull its files directly");
  }
  auto secret = CredentialsFor(actor, id, config, credentials);
  if (!secret.ok()) return secret.status();
  st = db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);  // it may have been deleted or moved meanwhile
    if (!l.ok()) return l.status();
    if (!l->config.SameEndpoint(config)) {
      return Status::Conflict("source_changed", "the source changed meanwhile; connect again");
    }
    crypto::Bytes sealed =
        l->crypto->Seal(kConnectionPurpose, id.str() + "/" + actor.user.str(), secret->span());
    store::SaveSourceConnection(db, actor.org, id, actor.user, sealed, util::NowUnix());
    RecordAudit(db, l->crypto.get(),
                {"source:" + id.str(),
                 actor.user.str(),
                 "source.connect",
                 {{"user_id", actor.user.str()}}});
    return Status::Ok();
  });
  if (st.ok()) util::log::Info("source.connected").Ref("source_id", id).Ref("user_id", actor.user);
  return st;
}

// A token the source refreshed mid-pull: stored for next time. If that fails the pull goes on with
// the fresh token in memory, and the fault is logged (the user may have to connect again).
void Sources::KeepRefreshed(const Principal& actor, const util::SourceId& id,
                            const crypto::SecureBuffer& fresh) {
  if (!SaveSecret(actor, id, fresh).ok()) {
    util::log::Error("source.refreshed_secret_not_saved").Ref("source_id", id);
  }
}

Status Sources::SaveSecret(const Principal& actor, const util::SourceId& id,
                           const crypto::SecureBuffer& secret) {
  // Refreshed tokens replace the old ones, only while the connection still exists.
  return db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    crypto::Bytes sealed =
        crypto.value()->Seal(kConnectionPurpose, id.str() + "/" + actor.user.str(), secret.span());
    store::UpdateSourceConnection(db, actor.org, id, actor.user, sealed, util::NowUnix());
    return Status::Ok();
  });
}

Status Sources::Disconnect(const Principal& actor, const util::SourceId& id) {
  if (Status st = Allowed(actor, Function::kSourceConnect); !st.ok()) return st;
  SourceConfig config;
  std::optional<crypto::SecureBuffer> secret;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    config = std::move(l->config);
    auto s = LoadSecret(db, *l->crypto, id, actor.user);
    if (s.ok()) secret = std::move(s.value());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  // OAuth tokens are revoked at the provider first (RFC 7009); a failed revocation is logged and
  // the connection is deleted anyway. Tryton's HTTP Basic login and API keys or passwords keep no
  // session there, so deleting them ends the connection.
  if (secret && config.kind == "rest") RestClient(config.Rest(), nullptr).Revoke(*secret);
  secret.reset();
  return db_.Write([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    if (store::DeleteSourceConnections(db, id, &actor.user) > 0) {
      RecordAudit(db, l->crypto.get(),
                  {"source:" + id.str(),
                   actor.user.str(),
                   "source.disconnect",
                   {{"user_id", actor.user.str()}}});
      util::log::Info("source.disconnected").Ref("source_id", id).Ref("user_id", actor.user);
    }
    return Status::Ok();
  });
}

// --- Pull and send -------------------------------------------------------------------------------

util::Result<util::JobId> Sources::SubmitPull(const Principal& actor, const util::SourceId& id,
                                              std::string remote_id,
                                              std::optional<util::BomId> bom) {
  if (Status st = Allowed(actor, Function::kSourcePull); !st.ok()) return st;
  if (bom) {
    if (Status st = boms_.Check(actor, *bom, Function::kBomUpdate); !st.ok()) return st;
  }
  std::string kind;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    kind = l->view.kind;
    if (remote_id.empty() && bom) {
      auto link = LoadLink(db, *l->crypto, *bom, id);
      if (!link.ok()) return link.status();
      if (!*link) {
        return Status::Invalid("remote_id_required",
                               "this BOM did not come from this source: give \"remote_id\"");
      }
      remote_id = **link;
    }
    if (!l->view.connected) return ConnectionRequired();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (kind == "folder") {
    if (!SourceFolder::ValidName(remote_id)) {
      return Status::Invalid("invalid_remote_id",
                             "\"remote_id\" is the name of a file in this source's folder "
                             "(GET /api/v1/sources/{id}/files)");
    }
  } else if (kind == "tryton" ? !ValidTrytonId(remote_id) : !ValidRestId(remote_id)) {
    return Status::Invalid("invalid_remote_id",
                           kind == "tryton" ? "\"remote_id\" is a Tryton BOM id (a number)"
                                            : "\"remote_id\" is 1-128 of A-Z a-z 0-9 . _ ~ -");
  }
  return jobs_.Submit(actor, "pull", [this, actor, id, remote_id, bom](JobContext& ctx) {
    return RunPull(actor, id, remote_id, bom, ctx);
  });
}

util::Result<util::JobId> Sources::SubmitSend(const Principal& actor, const util::BomId& bom,
                                              const util::SourceId& id) {
  // One decision, visibility first (access::MayOnBom): the same the dispatcher takes for the route.
  if (Status st = boms_.Check(actor, bom, Function::kBomSend); !st.ok()) return st;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    if (l->config.kind == "folder") {
      return Status::Unprocessable("send_unsupported",
                                   "a folder source only receives what an export job drops "
                                   "there; nothing is sent to it");
    }
    if (!l->view.connected) return ConnectionRequired();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return jobs_.Submit(actor, "send", [this, actor, bom, id](JobContext& ctx) {
    return RunSend(actor, bom, id, ctx);
  });
}

util::Result<JobResult> Sources::RunPull(const Principal& actor, const util::SourceId& id,
                                         std::string remote_id, std::optional<util::BomId> bom,
                                         JobContext& ctx) {
  SourceConfig config;
  std::optional<crypto::SecureBuffer> secret;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    config = std::move(l->config);
    if (config.kind == "folder") return Status::Ok();
    auto s = LoadSecret(db, *l->crypto, id, actor.user);  // the job owner's own, nobody else's
    if (!s.ok()) return s.status();
    secret = std::move(s.value());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  ctx.Progress(0.1);
  if (config.kind == "folder") return RunFolderPull(actor, id, config, remote_id, bom, ctx);
  util::Result<RemoteBom> remote = Status::Internal();
  if (config.kind == "tryton") {
    auto auth = AuthorizationFor(*secret);
    secret.reset();
    if (!auth.ok()) return auth.status();
    TrytonClient client(config.Target(), config.database, std::move(auth.value()),
                        ctx.cancel_flag());
    remote = client.PullBom(remote_id, [&ctx](double p) { ctx.Progress(p); });
  } else {
    RestClient client(config.Rest(), ctx.cancel_flag());
    remote = client.Pull(
        *secret, remote_id,
        [&](const crypto::SecureBuffer& fresh) { KeepRefreshed(actor, id, fresh); },
        [&ctx](double p) { ctx.Progress(p); });
    secret.reset();
  }
  if (!remote.ok()) return remote.status();
  std::vector<bom::Item> items = ApplyRules(config.rules, std::move(remote->items));
  if (Status v = bom::ValidateItems(items, bom::Limits{}); !v.ok()) return v;
  if (ctx.cancelled()) return Status(Code::kConflict, "cancelled", "the job was cancelled");

  if (!bom) {
    auto meta = codec::PulledBomMetadata(id.str(), remote_id, std::nullopt);
    auto created = boms_.Create(actor, remote->name, meta, std::move(items), "pull");
    if (!created.ok()) return created.status();
    st = db_.Write([&](store::Db& db) -> Status {
      auto crypto = keys_.Get(db, actor.org);
      if (!crypto.ok()) return crypto.status();
      StoreLink(db, *crypto.value(), created->id, id, remote_id);
      RecordAudit(db, crypto.value().get(),
                  {"bom:" + created->id.str(),
                   actor.user.str(),
                   "bom.pull",
                   {{"source_id", id.str()}, {"remote_id", remote_id}}});
      return Status::Ok();
    });
    if (!st.ok()) return st;
    JobResult out;
    out.bom_id = created->id.str();
    out.revision = 1;
    out.items = created->items;
    out.changed = true;
    return out;
  }

  return Refresh(actor, id, remote_id, *bom, std::move(items),
                 RevisionNote{"pull", config.name, ""});
}

util::Result<JobResult> Sources::Refresh(const Principal& actor, const util::SourceId& id,
                                         const std::string& remote_id, const util::BomId& bom,
                                         std::vector<bom::Item> items, const RevisionNote& note) {
  // The revision the pulled items are compared with, read by number so that an edit landing
  // meanwhile cannot be mistaken for it.
  auto revisions = boms_.Revisions(actor, bom);
  if (!revisions.ok()) return revisions.status();
  int64_t base = 0;
  for (const auto& r : revisions.value()) {
    if (r.current) base = r.revision;
  }
  auto current = boms_.RevisionItems(actor, bom, base);
  if (!current.ok()) return current.status();
  bom::Comparison diff = bom::Compare(current.value(), items);
  bool changed = !diff.added.empty() || !diff.removed.empty() || !diff.changed.empty();
  int64_t revision = base;
  if (changed) {
    auto added = boms_.AddRevision(actor, bom, items, note, /*items_validated=*/true);
    if (!added.ok()) return added.status();
    revision = added->revision;
    if (revision != base + 1) {
      // Someone else's revision landed between the read and ours: report what ours changed.
      auto before = boms_.RevisionItems(actor, bom, revision - 1);
      if (!before.ok()) return before.status();
      diff = bom::Compare(before.value(), items);
    }
  }
  const JobResult::Changes changes{static_cast<int64_t>(diff.added.size()),
                                   static_cast<int64_t>(diff.removed.size()),
                                   static_cast<int64_t>(diff.changed.size())};
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    StoreLink(db, *crypto.value(), bom, id, remote_id);
    RecordAudit(db, crypto.value().get(),
                {"bom:" + bom.str(),
                 actor.user.str(),
                 "bom.refresh",
                 {{"source_id", id.str()},
                  {"remote_id", remote_id},
                  {"changed", changed},
                  {"revision", revision}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  JobResult out;
  out.bom_id = bom.str();
  out.revision = revision;
  out.changed = changed;
  out.changes = changes;
  if (changed) {
    // The whole difference is the compare route's answer for these two revisions.
    out.previous_revision = revision - 1;
    out.compare = "/api/v1/boms/" + bom.str() + "/compare/" + bom.str() +
                  "?revision=" + std::to_string(revision - 1) +
                  "&other_revision=" + std::to_string(revision);
  }
  return out;
}

// --- Folder sources ------------------------------------------------------------------------------

namespace {

constexpr std::string_view kFilePurpose = "source-file";

std::string FileObject(const util::SourceId& id, const crypto::Bytes& key) {
  return id.str() + "/" + crypto::ToHex(key);
}

// The BOM's name for a dropped file: the file name without its extension.
std::string NameOfFile(const std::string& file) {
  const size_t dot = file.rfind('.');
  return dot == std::string::npos || dot == 0 ? file : file.substr(0, dot);
}

}  // namespace

void Sources::RecordFile(const Principal& actor, const util::SourceId& id, const FolderRead& file,
                         const std::string& name, const util::BomId& bom, int64_t revision) {
  // The pull itself is done; if this note fails the file only shows as new again (logged).
  Status recorded = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    const crypto::Bytes key = c.BlindIndex(kFilePurpose, id.str() + "/" + name);
    const codec::PulledFileRecord rec{name,      file.size, file.mtime,      file.sha256,
                                      bom.str(), revision,  actor.user.str()};
    crypto::Bytes sealed =
        c.SealText(kFilePurpose, FileObject(id, key), codec::EncodePulledFileRecord(rec));
    store::SaveSourceFile(db, id, key, sealed, util::NowUnix());
    return Status::Ok();
  });
  if (!recorded.ok()) util::log::Error("source.file_record_failed").Ref("source_id", id);
}

util::Result<JobResult> Sources::RunFolderPull(const Principal& actor, const util::SourceId& id,
                                               const SourceConfig& config, const std::string& name,
                                               std::optional<util::BomId> bom, JobContext& ctx) {
  auto file = folder_.Read(actor.org, config.path, name);
  if (!file.ok()) return file.status();
  ctx.Progress(0.3);
  if (ctx.cancelled()) return Status(Code::kConflict, "cancelled", "the job was cancelled");
  // The same importer as POST /boms/import, with the source's profile; nothing stored yet.
  bom::ImportOptions options;
  options.profile = config.profile;
  auto report = imports_.Preview(actor, file->bytes, options);
  if (!report.ok()) return report.status();
  if (!report->status.ok()) {
    std::string message = report->status.message();
    if (!report->errors.empty()) {
      const bom::ImportMessage& e = report->errors.front();
      message += " (line " + std::to_string(e.line) + ": " + e.message + ")";
    }
    return Status(report->status.code(), report->status.machine_code(), message);
  }
  ctx.Progress(0.6);
  std::vector<bom::Item> items = ApplyRules(config.rules, std::move(report->items));
  if (Status v = bom::ValidateItems(items, bom::Limits{}); !v.ok()) return v;
  if (ctx.cancelled()) return Status(Code::kConflict, "cancelled", "the job was cancelled");
  // What the file was, added to either result.
  auto about = [&](JobResult r) {
    r.file = name;
    r.sha256 = file->sha256;
    r.profile = report->profile;
    r.warnings = static_cast<int64_t>(report->warnings.size());
    return r;
  };
  if (!bom) {
    auto meta = codec::PulledBomMetadata(id.str(), name, name);
    auto created = boms_.Create(actor, NameOfFile(name), meta, std::move(items), "pull",
                                /*items_validated=*/true, report->profile);
    if (!created.ok()) return created.status();
    Status st = db_.Write([&](store::Db& db) -> Status {
      auto crypto = keys_.Get(db, actor.org);
      if (!crypto.ok()) return crypto.status();
      StoreLink(db, *crypto.value(), created->id, id, name);
      RecordAudit(db, crypto.value().get(),
                  {"bom:" + created->id.str(),
                   actor.user.str(),
                   "bom.pull",
                   {{"source_id", id.str()}, {"remote_id", name}, {"sha256", file->sha256}}});
      return Status::Ok();
    });
    if (!st.ok()) return st;
    RecordFile(actor, id, file.value(), name, created->id, 1);
    JobResult out;
    out.bom_id = created->id.str();
    out.revision = 1;
    out.items = created->items;
    out.changed = true;
    return about(std::move(out));
  }
  auto out =
      Refresh(actor, id, name, *bom, std::move(items), RevisionNote{"pull", name, report->profile});
  if (!out.ok()) return out.status();
  RecordFile(actor, id, file.value(), name, *bom, out->revision.value_or(0));
  return about(std::move(out.value()));
}

util::Result<std::vector<Sources::FileView>> Sources::ListFiles(const Principal& actor,
                                                                const util::SourceId& id) {
  if (Status st = Allowed(actor, Function::kSourcePull); !st.ok()) return st;
  SourceConfig config;
  std::shared_ptr<const OrgCrypto> crypto;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    config = std::move(l->config);
    crypto = l->crypto;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (config.kind != "folder") {
    return Status::Invalid("not_a_folder_source", "only folder sources list files");
  }
  auto files = folder_.List(actor.org, config.path);
  if (!files.ok()) return files.status();
  // What each file was when it was last pulled or refreshed.
  std::map<std::string, codec::PulledFileRecord> seen;
  st = db_.Read([&](store::Db& db) -> Status {
    for (const FolderFile& f : files.value()) {
      const crypto::Bytes key = crypto->BlindIndex(kFilePurpose, id.str() + "/" + f.name);
      if (auto sealed = store::SourceFile(db, id, key)) {
        auto text = crypto->OpenText(kFilePurpose, FileObject(id, key), *sealed);
        auto record = text ? codec::DecodePulledFileRecord(*text) : std::nullopt;
        if (record) seen[f.name] = std::move(*record);
      }
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::vector<FileView> out;
  for (const FolderFile& f : files.value()) {
    FileView v{f.name, f.size, f.mtime, "new"};
    if (auto it = seen.find(f.name); it != seen.end()) {
      const codec::PulledFileRecord& r = it->second;
      if (r.size != f.size) {
        v.state = "changed";
      } else if (r.mtime == f.mtime) {
        v.state = "pulled";
      } else {
        // Touched since: the content decides.
        auto hash = folder_.Hash(actor.org, config.path, f.name);
        v.state = hash.ok() && hash.value() == r.sha256 ? "pulled" : "changed";
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

util::Result<JobResult> Sources::RunSend(const Principal& actor, const util::BomId& bom,
                                         const util::SourceId& id, JobContext& ctx) {
  SourceConfig config;
  std::optional<crypto::SecureBuffer> secret;
  std::optional<std::string> existing;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto l = Load(db, actor, id);
    if (!l.ok()) return l.status();
    auto s = LoadSecret(db, *l->crypto, id, actor.user);
    if (!s.ok()) return s.status();
    auto link = LoadLink(db, *l->crypto, bom, id);
    if (!link.ok()) return link.status();
    existing = std::move(link.value());
    config = std::move(l->config);
    secret = std::move(s.value());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  auto summary = boms_.Get(actor, bom);
  if (!summary.ok()) return summary.status();
  auto items = boms_.Items(actor, bom);
  if (!items.ok()) return items.status();
  ctx.Progress(0.1);
  util::Result<std::string> remote = Status::Internal();
  if (config.kind == "tryton") {
    auto auth = AuthorizationFor(*secret);
    secret.reset();
    if (!auth.ok()) return auth.status();
    TrytonClient client(config.Target(), config.database, std::move(auth.value()),
                        ctx.cancel_flag());
    remote = client.SendBom(summary->name, items.value(), existing,
                            [&ctx](double p) { ctx.Progress(p); });
  } else {
    RestClient client(config.Rest(), ctx.cancel_flag());
    remote =
        client.Send(*secret, summary->name, items.value(), existing,
                    [&](const crypto::SecureBuffer& fresh) { KeepRefreshed(actor, id, fresh); });
    secret.reset();
  }
  if (!remote.ok()) return remote.status();
  st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    // The next send of this BOM to this source updates the same record.
    StoreLink(db, *crypto.value(), bom, id, remote.value());
    RecordAudit(db, crypto.value().get(),
                {"bom:" + bom.str(),
                 actor.user.str(),
                 "bom.send",
                 {{"source_id", id.str()}, {"remote_id", remote.value()}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  JobResult out;
  out.remote_id = remote.value();
  return out;
}

}  // namespace bomvault::service
