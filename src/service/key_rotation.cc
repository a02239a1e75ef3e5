#include "service/key_rotation.h"

#include <SQLiteCpp/Statement.h>

#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <variant>

#include "service/audit.h"
#include "service/backups.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

namespace {

using util::Status;

// Every column sealed under an org data key. The index of an entry is persisted (key_rotations
// .step): only append. Each select takes ?1 = org id and returns the key columns, the object (the
// associated data's last part, as the service that wrote it builds it) and the ciphertext, in key
// order; @AFTER@ becomes "1" or the key-tuple comparison with ?2.. for the position. Each update
// takes ?1 = the new ciphertext and ?2.. = the key columns.
struct SealedColumn {
  const char* purpose;
  int keys;
  const char* select;
  const char* after;  // the key tuple, compared with (?2, ...)
  const char* update;
};

#define ORG_BOMS "(SELECT id FROM boms WHERE org_id = ?1)"
const SealedColumn kSealedColumns[] = {
    {"org-name", 1, "SELECT id, id, name_sealed FROM orgs WHERE id = ?1 AND @AFTER@ ORDER BY id",
     "id", "UPDATE orgs SET name_sealed = ?1 WHERE id = ?2"},
    {"email", 1, "SELECT id, id, email_sealed FROM users WHERE org_id = ?1 AND @AFTER@ ORDER BY id",
     "id", "UPDATE users SET email_sealed = ?1 WHERE id = ?2"},
    {"totp", 1,
     "SELECT id, id, totp_secret_sealed FROM users WHERE org_id = ?1 AND totp_secret_sealed IS NOT "
     "NULL AND @AFTER@ ORDER BY id",
     "id", "UPDATE users SET totp_secret_sealed = ?1 WHERE id = ?2"},
    {"display-name", 1,
     "SELECT id, id, display_name_sealed FROM users WHERE org_id = ?1 AND display_name_sealed IS "
     "NOT NULL AND @AFTER@ ORDER BY id",
     "id", "UPDATE users SET display_name_sealed = ?1 WHERE id = ?2"},
    {"token-name", 1,
     "SELECT id, id, name_sealed FROM sessions WHERE user_id IN (SELECT id FROM users WHERE "
     "org_id = ?1) AND name_sealed IS NOT NULL AND @AFTER@ ORDER BY id",
     "id", "UPDATE sessions SET name_sealed = ?1 WHERE id = ?2"},
    {"bom-name", 1,
     "SELECT id, id, name_sealed FROM boms WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE boms SET name_sealed = ?1 WHERE id = ?2"},
    {"bom-meta", 1,
     "SELECT id, id, meta_sealed FROM boms WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE boms SET meta_sealed = ?1 WHERE id = ?2"},
    {"bom-chunk", 2,
     "SELECT bom_id, seq, bom_id || '/' || seq, sealed FROM bom_chunks WHERE bom_id IN " ORG_BOMS
     " AND @AFTER@ ORDER BY bom_id, seq",
     "(bom_id, seq)", "UPDATE bom_chunks SET sealed = ?1 WHERE bom_id = ?2 AND seq = ?3"},
    {"bom-revision", 2,
     "SELECT bom_id, revision, bom_id || '@' || revision, meta_sealed FROM bom_revisions WHERE "
     "bom_id IN " ORG_BOMS " AND meta_sealed IS NOT NULL AND @AFTER@ ORDER BY bom_id, revision",
     "(bom_id, revision)",
     "UPDATE bom_revisions SET meta_sealed = ?1 WHERE bom_id = ?2 AND revision = ?3"},
    {"bom-chunk", 3,
     "SELECT bom_id, revision, seq, bom_id || '@' || revision || '/' || seq, sealed FROM "
     "bom_revision_chunks WHERE bom_id IN " ORG_BOMS " AND @AFTER@ ORDER BY bom_id, revision, seq",
     "(bom_id, revision, seq)",
     "UPDATE bom_revision_chunks SET sealed = ?1 WHERE bom_id = ?2 AND revision = ?3 AND seq = "
     "?4"},
    {"bom-attachment-meta", 1,
     "SELECT id, bom_id || '/' || id || '/' || kind || '/' || media_type || '/' || size || '/' || "
     "width || 'x' || height || '/' || chunk_count, meta_sealed FROM bom_attachments WHERE bom_id "
     "IN " ORG_BOMS " AND @AFTER@ ORDER BY id",
     "id", "UPDATE bom_attachments SET meta_sealed = ?1 WHERE id = ?2"},
    {"bom-attachment", 2,
     "SELECT c.attachment_id, c.seq, a.bom_id || '/' || c.attachment_id || '/' || c.seq || '/' || "
     "a.chunk_count, c.sealed FROM bom_attachment_chunks c JOIN bom_attachments a ON a.id = "
     "c.attachment_id WHERE a.bom_id IN " ORG_BOMS " AND @AFTER@ ORDER BY c.attachment_id, c.seq",
     "(c.attachment_id, c.seq)",
     "UPDATE bom_attachment_chunks SET sealed = ?1 WHERE attachment_id = ?2 AND seq = ?3"},
    {"audit", 1,
     "SELECT id, object, change_sealed FROM audit WHERE org_id = ?1 AND change_sealed IS NOT NULL "
     "AND @AFTER@ ORDER BY id",
     "id", "UPDATE audit SET change_sealed = ?1 WHERE id = ?2"},
    {"invitation-email", 1,
     "SELECT id, id, email_sealed FROM invitations WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE invitations SET email_sealed = ?1 WHERE id = ?2"},
    {"blocked", 2,
     "SELECT org_id, entry_bidx, lower(hex(entry_bidx)), entry_sealed FROM blocked_entries WHERE "
     "org_id = ?1 AND @AFTER@ ORDER BY org_id, entry_bidx",
     "(org_id, entry_bidx)",
     "UPDATE blocked_entries SET entry_sealed = ?1 WHERE org_id = ?2 AND entry_bidx = ?3"},
    {"column-mappings", 1,
     "SELECT org_id, org_id, sealed FROM org_column_mappings WHERE org_id = ?1 AND @AFTER@ ORDER "
     "BY org_id",
     "org_id", "UPDATE org_column_mappings SET sealed = ?1 WHERE org_id = ?2"},
    {"import-profile", 1,
     "SELECT id, id, sealed FROM import_profiles WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE import_profiles SET sealed = ?1 WHERE id = ?2"},
    {"source", 1, "SELECT id, id, sealed FROM sources WHERE org_id = ?1 AND @AFTER@ ORDER BY id",
     "id", "UPDATE sources SET sealed = ?1 WHERE id = ?2"},
    {"source-connection", 2,
     "SELECT source_id, user_id, source_id || '/' || user_id, sealed FROM source_connections "
     "WHERE org_id = ?1 AND @AFTER@ ORDER BY source_id, user_id",
     "(source_id, user_id)",
     "UPDATE source_connections SET sealed = ?1 WHERE source_id = ?2 AND user_id = ?3"},
    {"source-link", 2,
     "SELECT bom_id, source_id, bom_id || '/' || source_id, remote_sealed FROM bom_source_links "
     "WHERE bom_id IN " ORG_BOMS " AND @AFTER@ ORDER BY bom_id, source_id",
     "(bom_id, source_id)",
     "UPDATE bom_source_links SET remote_sealed = ?1 WHERE bom_id = ?2 AND source_id = ?3"},
    {"oidc", 1,
     "SELECT org_id, org_id, config_sealed FROM oidc_providers WHERE org_id = ?1 AND @AFTER@ "
     "ORDER BY org_id",
     "org_id", "UPDATE oidc_providers SET config_sealed = ?1 WHERE org_id = ?2"},
    {"oidc-login", 1,
     "SELECT state_hash, lower(hex(state_hash)), request_sealed FROM oidc_logins WHERE org_id = ?1 "
     "AND @AFTER@ ORDER BY state_hash",
     "state_hash", "UPDATE oidc_logins SET request_sealed = ?1 WHERE state_hash = ?2"},
    {"oidc-session", 1,
     "SELECT session_id, session_id, id_token_sealed FROM oidc_sessions WHERE org_id = ?1 AND "
     "@AFTER@ ORDER BY session_id",
     "session_id", "UPDATE oidc_sessions SET id_token_sealed = ?1 WHERE session_id = ?2"},
    {"passkey", 1,
     "SELECT id, user_id || '/' || id, credential_sealed FROM passkeys WHERE org_id = ?1 AND "
     "@AFTER@ ORDER BY id",
     "id", "UPDATE passkeys SET credential_sealed = ?1 WHERE id = ?2"},
    {"passkey-name", 1,
     "SELECT id, id, name_sealed FROM passkeys WHERE org_id = ?1 AND @AFTER@ ORDER BY id", "id",
     "UPDATE passkeys SET name_sealed = ?1 WHERE id = ?2"},
    {"source-file", 2,
     "SELECT source_id, name_key, source_id || '/' || lower(hex(name_key)), sealed FROM "
     "source_files WHERE source_id IN (SELECT id FROM sources WHERE org_id = ?1) AND @AFTER@ "
     "ORDER BY source_id, name_key",
     "(source_id, name_key)",
     "UPDATE source_files SET sealed = ?1 WHERE source_id = ?2 AND name_key = ?3"},
};
#undef ORG_BOMS
constexpr int kSteps = static_cast<int>(std::size(kSealedColumns));

using KeyValue = std::variant<int64_t, std::string, crypto::Bytes>;

KeyValue ReadKey(const SQLite::Column& c) {
  if (c.isInteger()) return c.getInt64();
  if (c.isBlob()) {
    const auto* p = static_cast<const uint8_t*>(c.getBlob());
    return crypto::Bytes(p, p + c.size());
  }
  return c.getString();
}

void BindKey(SQLite::Statement& s, int index, const KeyValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    s.bind(index, *i);
  } else if (const auto* t = std::get_if<std::string>(&v)) {
    s.bind(index, *t);
  } else {
    const auto& b = std::get<crypto::Bytes>(v);
    s.bind(index, b.data(), static_cast<int>(b.size()));
  }
}

nlohmann::json PositionJson(const std::vector<KeyValue>& keys) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& v : keys) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
      a.push_back({{"i", *i}});
    } else if (const auto* t = std::get_if<std::string>(&v)) {
      a.push_back({{"s", *t}});
    } else {
      a.push_back({{"b", crypto::ToHex(std::get<crypto::Bytes>(v))}});
    }
  }
  return a;
}

std::optional<std::vector<KeyValue>> ParsePosition(const std::string& text, int keys) {
  auto a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array() || static_cast<int>(a.size()) != keys) return std::nullopt;
  std::vector<KeyValue> out;
  for (const auto& e : a) {
    if (!e.is_object()) return std::nullopt;
    if (e.contains("i") && e["i"].is_number_integer()) {
      out.emplace_back(e["i"].get<int64_t>());
    } else if (e.contains("s") && e["s"].is_string()) {
      out.emplace_back(e["s"].get<std::string>());
    } else if (e.contains("b") && e["b"].is_string()) {
      auto b = crypto::FromHex(e["b"].get<std::string>());
      if (!b) return std::nullopt;
      out.emplace_back(std::move(*b));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string SelectSql(const SealedColumn& col, bool after, int limit) {
  std::string sql = col.select;
  std::string cond = "1";
  if (after) {
    cond = std::string(col.after) + " > (";
    for (int i = 0; i < col.keys; ++i) cond += (i ? ", ?" : "?") + std::to_string(i + 2);
    cond += ")";
  }
  sql.replace(sql.find("@AFTER@"), 7, cond);
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  return sql;
}

std::span<const uint8_t> Blob(const SQLite::Column& c) {
  return {static_cast<const uint8_t*>(c.getBlob()), static_cast<size_t>(c.size())};
}

}  // namespace

int SealedColumnCount() { return kSteps; }

void ForEachSealed(
    store::Db& db, const util::OrgId& org,
    const std::function<void(std::string_view, std::string_view, std::span<const uint8_t>)>& fn) {
  for (const SealedColumn& col : kSealedColumns) {
    SQLite::Statement q(db, SelectSql(col, false, 0));
    q.bind(1, org.str());
    while (q.executeStep()) {
      fn(col.purpose, q.getColumn(col.keys).getString(), Blob(q.getColumn(col.keys + 1)));
    }
  }
}

KeyRotation::KeyRotation(store::Database& db, OrgKeys& keys, Backups* backups)
    : db_(db),
      keys_(keys),
      backups_(backups),
      worker_(
          "key_rotation", 0, [this] { return Work(); }, std::chrono::minutes(1)) {}

KeyRotation::~KeyRotation() { worker_.Stop(); }

util::Result<std::vector<std::string>> KeyRotation::Start(const access::Principal& actor,
                                                          const std::string& org) {
  if (access::Decision d = access::MayUse(actor, access::Function::kKeyRotate);
      d != access::Decision::kAllow) {
    return access::Refusal(actor, access::Function::kKeyRotate, d);
  }
  std::vector<std::pair<util::OrgId, crypto::SecureBuffer>> rotated;
  Status st = db_.Write([&](store::Db& conn) -> Status {
    rotated.clear();
    std::vector<std::string> ids;
    SQLite::Statement q(
        conn, org.empty() ? "SELECT id FROM orgs ORDER BY id" : "SELECT id FROM orgs WHERE id = ?");
    if (!org.empty()) q.bind(1, org);
    while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
    if (!org.empty() && ids.empty()) return Status::NotFound("no such organisation");
    for (const auto& id : ids) {
      auto oid = util::OrgId::FromTrusted(id);
      auto key = keys_.Rotate(conn, oid);
      if (!key.ok()) return key.status();
      RecordAudit(conn, nullptr, {"org:" + id, "operator", "key.rotate", {{"org_id", id}}});
      rotated.emplace_back(oid, std::move(key.value()));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::vector<std::string> out;
  for (auto& [oid, key] : rotated) {
    keys_.Rotated(oid, std::move(key));
    util::log::Info("key.rotated").Ref("org", oid);
    out.push_back(oid.str());
  }
  worker_.Wake();
  return out;
}

std::string KeyRotation::KeptFor(store::Db& db, const std::string& org, int64_t resealed_at,
                                 const std::vector<std::optional<int64_t>>& oldest_snapshots) {
  if (resealed_at == 0) return "reseal";
  SQLite::Statement c(db, "SELECT 1 FROM audit_chain WHERE org_id = ? AND at <= ? LIMIT 1");
  c.bind(1, org);
  c.bind(2, resealed_at);
  if (c.executeStep()) return "audit_chain";
  for (const auto& oldest : oldest_snapshots) {
    // Unreadable directory (nullopt): it may hold old snapshots, keep the key.
    if (!oldest || *oldest <= resealed_at) return "backups";
  }
  return "";
}

std::vector<std::optional<int64_t>> KeyRotation::OldestSnapshots() {
  if (backups_ == nullptr) return {};
  return backups_->OldestSnapshots();
}

util::Result<RotationStatus> KeyRotation::Report(const access::Principal& actor) {
  if (access::Decision d = access::MayUse(actor, access::Function::kKeyRotate);
      d != access::Decision::kAllow) {
    return access::Refusal(actor, access::Function::kKeyRotate, d);
  }
  RotationStatus out;
  const auto oldest = OldestSnapshots();
  Status st = db_.Read([&](store::Db& conn) -> Status {
    SQLite::Statement q(conn,
                        "SELECT org_id, pass, step, resealed, started_at FROM key_rotations "
                        "ORDER BY started_at, org_id");
    while (q.executeStep()) {
      out.rotations.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt(),
                               q.getColumn(2).getInt(), kSteps, q.getColumn(3).getInt64(),
                               q.getColumn(4).getInt64()});
    }
    SQLite::Statement r(conn,
                        "SELECT org_id, retired_at, resealed_at FROM org_keys_retired ORDER BY id");
    while (r.executeStep()) {
      RetiredKeyView v{r.getColumn(0).getString(), r.getColumn(1).getInt64(),
                       r.getColumn(2).getInt64(), ""};
      v.kept_for = KeptFor(conn, v.org_id, v.resealed_at, oldest);
      out.retired.push_back(std::move(v));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  out.unreadable = unreadable_.load();
  return out;
}

int KeyRotation::DestroyUnneededRetiredKeys() {
  std::vector<std::string> orgs;
  int destroyed = 0;
  const auto oldest = OldestSnapshots();
  Status st = db_.Write([&](store::Db& conn) -> Status {
    orgs.clear();
    destroyed = 0;
    std::vector<std::tuple<int64_t, std::string, int64_t>> rows;
    SQLite::Statement q(
        conn,
        "SELECT id, org_id, resealed_at FROM org_keys_retired WHERE resealed_at > 0 "
        "ORDER BY id");
    while (q.executeStep()) {
      rows.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                        q.getColumn(2).getInt64());
    }
    for (const auto& [id, org, resealed_at] : rows) {
      if (!KeptFor(conn, org, resealed_at, oldest).empty()) continue;
      SQLite::Statement d(conn, "DELETE FROM org_keys_retired WHERE id = ?");
      d.bind(1, id);
      d.exec();
      RecordAudit(conn, nullptr,
                  {"org:" + org, "system", "key.retired_destroyed", {{"org_id", org}}});
      orgs.push_back(org);
      ++destroyed;
    }
    return Status::Ok();
  });
  if (!st.ok() || destroyed == 0) return 0;
  // The deleted rows' pages are zeroed (secure_delete); the WAL copy goes with the checkpoint.
  (void)db_.CheckpointTruncate();
  (void)db_.Read([&](store::Db& conn) -> Status {
    for (const auto& org : orgs) (void)keys_.ReloadRetired(conn, util::OrgId::FromTrusted(org));
    return Status::Ok();
  });
  if (backups_ != nullptr) backups_->RefreshKeyFiles();
  util::log::Info("key.retired_destroyed").Num("keys", destroyed);
  return destroyed;
}

bool KeyRotation::Step() {
  struct Job {
    std::string org;
    int pass = 1, step = 0;
    std::string position;
  };
  std::optional<Job> job;
  Status st = db_.Read([&](store::Db& conn) -> Status {
    SQLite::Statement q(conn,
                        "SELECT org_id, pass, step, position FROM key_rotations "
                        "ORDER BY started_at, org_id LIMIT 1");
    if (q.executeStep()) {
      job = Job{q.getColumn(0).getString(), q.getColumn(1).getInt(), q.getColumn(2).getInt(),
                q.getColumn(3).getString()};
    }
    return Status::Ok();
  });
  if (!st.ok() || !job) return false;
  const auto org = util::OrgId::FromTrusted(job->org);

  if (job->step >= kSteps) {
    if (job->pass == 1) {
      // Wait for every request that may have sealed under the old key before the swap.
      if (!keys_.Drained(org)) {
        (void)worker_.Pause(std::chrono::milliseconds(200));
        return true;
      }
      (void)db_.Write([&](store::Db& conn) -> Status {
        SQLite::Statement u(conn,
                            "UPDATE key_rotations SET pass = 2, step = 0, position = '' "
                            "WHERE org_id = ?");
        u.bind(1, job->org);
        u.exec();
        return Status::Ok();
      });
      return true;
    }
    // Pass 2 done: nothing in the live store needs a retired key of this org any more.
    int64_t resealed = 0;
    st = db_.Write([&](store::Db& conn) -> Status {
      SQLite::Statement r(conn, "SELECT resealed FROM key_rotations WHERE org_id = ?");
      r.bind(1, job->org);
      if (r.executeStep()) resealed = r.getColumn(0).getInt64();
      SQLite::Statement u(conn,
                          "UPDATE org_keys_retired SET resealed_at = ? WHERE org_id = ? AND "
                          "resealed_at = 0");
      u.bind(1, util::NowUnix());
      u.bind(2, job->org);
      u.exec();
      SQLite::Statement d(conn, "DELETE FROM key_rotations WHERE org_id = ?");
      d.bind(1, job->org);
      d.exec();
      RecordAudit(conn, nullptr,
                  {"org:" + job->org,
                   "system",
                   "key.reseal_done",
                   {{"org_id", job->org}, {"resealed", resealed}}});
      return Status::Ok();
    });
    if (st.ok()) {
      util::log::Info("key.reseal_done").Ref("org", org).Num("resealed", resealed);
      DestroyUnneededRetiredKeys();
    }
    return true;
  }

  const SealedColumn& col = kSealedColumns[job->step];
  std::shared_ptr<const OrgCrypto> crypto;
  int64_t done = 0, unreadable = 0;
  bool step_finished = false;
  st = db_.Write([&](store::Db& conn) -> Status {
    done = unreadable = 0;
    auto c = keys_.Get(conn, org);
    if (!c.ok()) {
      // The org is gone (deleted while rotating): its key_rotations row went with it.
      SQLite::Statement d(conn, "DELETE FROM key_rotations WHERE org_id = ?");
      d.bind(1, job->org);
      d.exec();
      return Status::Ok();
    }
    crypto = c.value();
    std::optional<std::vector<KeyValue>> position;
    if (!job->position.empty()) position = ParsePosition(job->position, col.keys);
    SQLite::Statement q(conn, SelectSql(col, position.has_value(), kBatch));
    q.bind(1, job->org);
    if (position) {
      for (int i = 0; i < col.keys; ++i) BindKey(q, i + 2, (*position)[i]);
    }
    struct Row {
      std::vector<KeyValue> keys;
      std::string object;
      crypto::Bytes sealed;
    };
    std::vector<Row> rows;
    while (q.executeStep()) {
      Row r;
      for (int i = 0; i < col.keys; ++i) r.keys.push_back(ReadKey(q.getColumn(i)));
      r.object = q.getColumn(col.keys).getString();
      auto b = Blob(q.getColumn(col.keys + 1));
      r.sealed.assign(b.begin(), b.end());
      rows.push_back(std::move(r));
    }
    q.reset();
    for (const Row& r : rows) {
      crypto::Bytes fresh;
      switch (crypto->ResealUnderCurrent(col.purpose, r.object, r.sealed, &fresh)) {
        case OrgCrypto::Reseal::kCurrent:
          break;
        case OrgCrypto::Reseal::kUnreadable:
          ++unreadable;
          util::log::Warn("key.reseal_unreadable").Ref("org", org).Num("step", job->step);
          break;
        case OrgCrypto::Reseal::kResealed: {
          SQLite::Statement u(conn, col.update);
          u.bind(1, fresh.data(), static_cast<int>(fresh.size()));
          for (int i = 0; i < col.keys; ++i) BindKey(u, i + 2, r.keys[i]);
          u.exec();
          ++done;
          break;
        }
      }
    }
    step_finished = static_cast<int>(rows.size()) < kBatch;
    SQLite::Statement u(conn,
                        "UPDATE key_rotations SET step = ?1, position = ?2, resealed = resealed + "
                        "?3 WHERE org_id = ?4");
    u.bind(1, job->step + (step_finished ? 1 : 0));
    u.bind(2,
           step_finished || rows.empty() ? std::string() : PositionJson(rows.back().keys).dump());
    u.bind(3, done);
    u.bind(4, job->org);
    u.exec();
    return Status::Ok();
  });
  if (!st.ok()) {
    util::log::Warn("key.reseal_batch_failed").Ref("org", org).Num("step", job->step);
    (void)worker_.Pause(std::chrono::seconds(5));
    return true;
  }
  unreadable_.fetch_add(unreadable);
  return true;
}

std::chrono::milliseconds KeyRotation::Work() {
  if (Step()) return std::chrono::milliseconds(0);
  if (std::chrono::steady_clock::now() >= next_cleanup_) {
    DestroyUnneededRetiredKeys();
    next_cleanup_ = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  }
  return std::chrono::minutes(1);
}

}  // namespace bomvault::service
