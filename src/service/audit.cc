#include "service/audit.h"

#include <SQLiteCpp/Statement.h>

#include <atomic>

#include "util/clock.h"

namespace bomvault::service {

namespace {

std::atomic<bool> chain_enabled{false};

constexpr const char* kChainDomain = "bomvault-audit-chain-v1";
constexpr size_t kMaxProblems = 100;

std::span<const uint8_t> Blob(const SQLite::Column& c) {
  return {static_cast<const uint8_t*>(c.getBlob()), static_cast<size_t>(c.size())};
}

crypto::Bytes BlobBytes(const SQLite::Column& c) {
  auto b = Blob(c);
  return crypto::Bytes(b.begin(), b.end());
}

void PutU64(crypto::Bytes& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

void PutField(crypto::Bytes& out, std::span<const uint8_t> bytes) {
  out.push_back(1);
  uint32_t n = static_cast<uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// The chain's current head: (seq of the next row, hash to link to).
std::pair<int64_t, crypto::Bytes> ChainHead(store::Db& db) {
  SQLite::Statement q(db, "SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1");
  if (q.executeStep()) return {q.getColumn(0).getInt64() + 1, BlobBytes(q.getColumn(1))};
  return {1, crypto::Bytes(kChainHashSize, 0)};
}

void AppendChain(store::Db& db, ChainRow row, std::pair<int64_t, crypto::Bytes> head) {
  auto& [seq, prev] = head;
  row.seq = seq;
  row.prev_hash = std::move(prev);
  row.hash = ChainHash(row.prev_hash, row);
  SQLite::Statement ins(
      db,
      "INSERT INTO audit_chain(seq, at, org_id, object, actor_id, action, "
      "change_sealed, change_plain, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, static_cast<int64_t>(row.seq));
  ins.bind(2, static_cast<int64_t>(row.at));
  if (row.org_id) {
    ins.bind(3, *row.org_id);
  } else {
    ins.bind(3);
  }
  ins.bind(4, row.object);
  ins.bind(5, row.actor_id);
  ins.bind(6, row.action);
  if (row.sealed) {
    ins.bind(7, row.change.data(), static_cast<int>(row.change.size()));
    ins.bind(8);
  } else {
    ins.bind(7);
    ins.bind(8, std::string(row.change.begin(), row.change.end()));
  }
  ins.bind(9, row.prev_hash.data(), static_cast<int>(row.prev_hash.size()));
  ins.bind(10, row.hash.data(), static_cast<int>(row.hash.size()));
  ins.exec();
}

}  // namespace

int AuditDepth(store::Db& db, const util::OrgId& org) {
  SQLite::Statement q(db, "SELECT json_extract(settings, '$.audit_depth') FROM orgs WHERE id = ?");
  q.bind(1, org.str());
  if (q.executeStep() && !q.getColumn(0).isNull()) {
    int d = q.getColumn(0).getInt();
    if (d >= 1 && d <= 1000) return d;
  }
  return kDefaultAuditDepth;
}

bool IsAuditNoise(std::string_view action) {
  for (const char* a : kAuditNoiseActions) {
    if (action == a) return true;
  }
  return false;
}

void RecordAudit(store::Db& db, const OrgCrypto* org, const AuditEvent& e) {
  SQLite::Statement ins(db,
                        "INSERT INTO audit(org_id, object, actor_id, action, change_sealed, "
                        "change_plain, at) VALUES (?,?,?,?,?,?,?)");
  std::string change = e.change.dump();
  int64_t at = util::NowUnix();
  crypto::Bytes sealed;
  if (org != nullptr) {
    ins.bind(1, org->org().str());
    sealed = org->SealText("audit", e.object, change);
    ins.bind(5, sealed.data(), static_cast<int>(sealed.size()));
    ins.bind(6);
  } else {
    ins.bind(1);
    ins.bind(5);
    ins.bind(6, change);
  }
  ins.bind(2, e.object);
  ins.bind(3, e.actor_id);
  ins.bind(4, e.action);
  ins.bind(7, static_cast<int64_t>(at));
  ins.exec();
  int depth = org != nullptr ? AuditDepth(db, org->org()) : kDefaultAuditDepth * 100;
  // Entries anyone can cause (failed sign-ins, refused unseal attempts) are pruned only among
  // themselves: a stranger who knows an address must not push a user's real history out.
  SQLite::Statement prune(db,
                          "DELETE FROM audit WHERE object = ?1 AND (action IN (?3, ?4)) = ?5 AND "
                          "id <= (SELECT id FROM audit WHERE object = ?1 AND "
                          "(action IN (?3, ?4)) = ?5 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
  prune.bind(1, e.object);
  prune.bind(2, depth);
  prune.bind(3, std::string(kAuditNoiseActions[0]));
  prune.bind(4, std::string(kAuditNoiseActions[1]));
  prune.bind(5, IsAuditNoise(e.action) ? 1 : 0);
  prune.exec();
  if (chain_enabled.load(std::memory_order_relaxed)) {
    // The chain keeps the very ciphertext of the short-term row: it never holds plaintext an
    // org's key does not protect, and deleting the org (its key) leaves only ids readable.
    ChainRow row;
    row.at = at;
    if (org != nullptr) row.org_id = org->org().str();
    row.object = e.object;
    row.actor_id = e.actor_id;
    row.action = e.action;
    row.sealed = org != nullptr;
    row.change = org != nullptr ? std::move(sealed) : crypto::Bytes(change.begin(), change.end());
    AppendChain(db, std::move(row), ChainHead(db));
  }
}

namespace {

// One query for both scopes: an org's entries (changes sealed under its key) or the instance's
// (org_id NULL, changes in plain text, ids only).
util::Result<std::vector<AuditEntry>> RunAuditQuery(store::Db& db, const OrgCrypto* org,
                                                    const AuditQuery& q) {
  std::string sql = org != nullptr
                        ? "SELECT id, at, object, actor_id, action, change_sealed FROM audit "
                          "WHERE org_id = ?1"
                        : "SELECT id, at, object, actor_id, action, change_plain FROM audit "
                          "WHERE org_id IS NULL";
  if (!q.object.empty()) sql += " AND object = ?2";
  if (!q.actor_id.empty()) sql += " AND actor_id = ?3";
  if (!q.action.empty()) sql += " AND action = ?4";
  if (q.from > 0) sql += " AND at >= ?5";
  if (q.to > 0) sql += " AND at <= ?6";
  if (q.before_id > 0) sql += " AND id < ?7";
  sql += " ORDER BY id DESC LIMIT ?8";
  SQLite::Statement s(db, sql);
  if (org != nullptr) s.bind(1, org->org().str());
  if (!q.object.empty()) s.bind(2, q.object);
  if (!q.actor_id.empty()) s.bind(3, q.actor_id);
  if (!q.action.empty()) s.bind(4, q.action);
  if (q.from > 0) s.bind(5, static_cast<int64_t>(q.from));
  if (q.to > 0) s.bind(6, static_cast<int64_t>(q.to));
  if (q.before_id > 0) s.bind(7, static_cast<int64_t>(q.before_id));
  s.bind(8, q.limit);
  std::vector<AuditEntry> out;
  while (s.executeStep()) {
    AuditEntry e;
    e.id = s.getColumn(0).getInt64();
    e.at = s.getColumn(1).getInt64();
    e.object = s.getColumn(2).getString();
    e.actor_id = s.getColumn(3).getString();
    e.action = s.getColumn(4).getString();
    if (org != nullptr) {
      auto plain = org->OpenText("audit", e.object, Blob(s.getColumn(5)));
      if (!plain) return util::Status::Internal("an audit entry could not be opened");
      e.change = nlohmann::json::parse(*plain, nullptr, false);
    } else {
      e.change = s.getColumn(5).isNull()
                     ? nlohmann::json::object()
                     : nlohmann::json::parse(s.getColumn(5).getString(), nullptr, false);
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

util::Result<std::vector<AuditEntry>> QueryAudit(store::Db& db, const OrgCrypto& org,
                                                 const AuditQuery& q) {
  return RunAuditQuery(db, &org, q);
}

util::Result<std::vector<AuditEntry>> QueryInstanceAudit(store::Db& db, const AuditQuery& q) {
  return RunAuditQuery(db, nullptr, q);
}

// --- Long-term audit chain --------------------------------------------------------------------

void SetAuditChainEnabled(bool on) { chain_enabled.store(on); }
bool AuditChainEnabled() { return chain_enabled.load(); }

crypto::Bytes ChainEncoding(const ChainRow& row) {
  crypto::Bytes out;
  out.reserve(64 + row.object.size() + row.actor_id.size() + row.action.size() + row.change.size());
  PutU64(out, static_cast<uint64_t>(row.seq));
  PutU64(out, static_cast<uint64_t>(row.at));
  if (row.org_id) {
    PutField(out, crypto::AsBytes(*row.org_id));
  } else {
    out.push_back(0);
  }
  PutField(out, crypto::AsBytes(row.object));
  PutField(out, crypto::AsBytes(row.actor_id));
  PutField(out, crypto::AsBytes(row.action));
  out.push_back(row.sealed ? 0 : 1);
  PutField(out, row.change);
  return out;
}

crypto::Bytes ChainHash(std::span<const uint8_t> prev_hash, const ChainRow& row) {
  crypto::Bytes data(prev_hash.begin(), prev_hash.end());
  crypto::Bytes enc = ChainEncoding(row);
  data.insert(data.end(), enc.begin(), enc.end());
  return crypto::Hash(kChainDomain, data);
}

void ChainVerifier::Problem(std::string text) {
  if (r_.problems.size() < kMaxProblems) {
    r_.problems.push_back(std::move(text));
  } else {
    ++problems_dropped_;
  }
}

void ChainVerifier::Expect(int64_t seq, crypto::Bytes hash) {
  expect_ = std::make_pair(seq, std::move(hash));
}

void ChainVerifier::Add(const ChainRow& row) {
  std::string at = "seq " + std::to_string(row.seq) + ": ";
  if (r_.entries == 0) {
    r_.first_seq = row.seq;
    first_prev_ = row.prev_hash;
  } else {
    if (row.seq != last_seq_ + 1) {
      Problem(at + "follows seq " + std::to_string(last_seq_) +
              " (entries between them were deleted)");
    }
    if (row.prev_hash != last_hash_) {
      Problem(at + "does not link to the entry before it (that entry was replaced or deleted)");
    }
  }
  if (ChainHash(row.prev_hash, row) != row.hash) {
    Problem(at + "its content does not match its hash (the entry was edited)");
  }
  if (row.action == kChainCheckpointAction && !row.org_id && !row.sealed) {
    ++r_.checkpoints;
    auto j = nlohmann::json::parse(row.change.begin(), row.change.end(), nullptr, false);
    std::optional<crypto::Bytes> through_hash;
    if (j.is_object() && j.contains("through_hash") && j["through_hash"].is_string()) {
      through_hash = crypto::FromHex(j["through_hash"].get<std::string>());
    }
    if (!through_hash || !j.contains("through_seq") || !j["through_seq"].is_number_integer() ||
        j["through_seq"].get<int64_t>() >= row.seq) {
      Problem(at + "a malformed checkpoint");
    } else {
      checkpoint_ = std::make_pair(j["through_seq"].get<int64_t>(), std::move(*through_hash));
    }
  }
  if (expect_ && row.seq == expect_->first) {
    expect_seen_ = true;
    if (row.hash != expect_->second) {
      Problem(at + "its hash differs from the one recorded earlier (the chain was rebuilt)");
    }
  }
  ++r_.entries;
  last_seq_ = row.seq;
  last_hash_ = row.hash;
  r_.head_seq = row.seq;
  r_.head_hash = row.hash;
}

ChainReport ChainVerifier::Finish() {
  if (r_.entries > 0) {
    std::string first = "seq " + std::to_string(r_.first_seq) + ": ";
    if (checkpoint_) {
      r_.trimmed_through = checkpoint_->first;
      if (r_.first_seq != checkpoint_->first + 1 || first_prev_ != checkpoint_->second) {
        Problem(first +
                "the oldest entry does not continue where the latest checkpoint says "
                "retention stopped (seq " +
                std::to_string(checkpoint_->first) + ")");
      }
    } else if (r_.first_seq != 1 || first_prev_ != crypto::Bytes(kChainHashSize, 0)) {
      Problem(first + "the oldest entries were deleted without a checkpoint");
    }
  }
  if (expect_ && !expect_seen_) {
    if (r_.entries == 0 || expect_->first > r_.head_seq) {
      Problem("the chain ends before the recorded seq " + std::to_string(expect_->first) +
              " (the newest entries were deleted)");
    } else if (expect_->first < r_.first_seq && expect_->first > r_.trimmed_through) {
      Problem("the recorded seq " + std::to_string(expect_->first) +
              " is missing and no checkpoint covers it");
    }
  }
  if (problems_dropped_ > 0) {
    r_.problems.push_back("and " + std::to_string(problems_dropped_) + " more problems");
  }
  return r_;
}

ChainReport VerifyAuditChain(store::Db& db,
                             std::optional<std::pair<int64_t, crypto::Bytes>> expect) {
  ChainVerifier v;
  if (expect) v.Expect(expect->first, std::move(expect->second));
  SQLite::Statement q(db,
                      "SELECT seq, at, org_id, object, actor_id, action, change_sealed, "
                      "change_plain, prev_hash, hash FROM audit_chain ORDER BY seq");
  while (q.executeStep()) {
    ChainRow row;
    row.seq = q.getColumn(0).getInt64();
    row.at = q.getColumn(1).getInt64();
    if (!q.getColumn(2).isNull()) row.org_id = q.getColumn(2).getString();
    row.object = q.getColumn(3).getString();
    row.actor_id = q.getColumn(4).getString();
    row.action = q.getColumn(5).getString();
    row.sealed = !q.getColumn(6).isNull();
    if (row.sealed) {
      row.change = BlobBytes(q.getColumn(6));
    } else {
      std::string plain = q.getColumn(7).getString();
      row.change.assign(plain.begin(), plain.end());
    }
    row.prev_hash = BlobBytes(q.getColumn(8));
    row.hash = BlobBytes(q.getColumn(9));
    v.Add(row);
  }
  return v.Finish();
}

int64_t TrimAuditChain(store::Db& db, int64_t cutoff, int retention_days) {
  // Only a prefix may go: the newest row older than the cutoff that has no newer-dated row
  // before it. A clock that stepped back can leave an old row after a newer one; it waits.
  int64_t through = 0;
  {
    SQLite::Statement q(db,
                        "SELECT coalesce((SELECT min(seq) FROM audit_chain WHERE at >= ?1) - 1, "
                        "(SELECT max(seq) FROM audit_chain)), (SELECT min(seq) FROM audit_chain)");
    q.bind(1, static_cast<int64_t>(cutoff));
    if (!q.executeStep() || q.getColumn(0).isNull() || q.getColumn(1).isNull()) return 0;
    through = q.getColumn(0).getInt64();
    if (through < q.getColumn(1).getInt64()) return 0;
  }
  crypto::Bytes through_hash;
  {
    SQLite::Statement q(db, "SELECT hash FROM audit_chain WHERE seq = ?");
    q.bind(1, static_cast<int64_t>(through));
    if (!q.executeStep()) return 0;
    through_hash = BlobBytes(q.getColumn(0));
  }
  // The checkpoint links to the head as it was: deleting everything must not restart at seq 1.
  auto head = ChainHead(db);
  SQLite::Statement d(db, "DELETE FROM audit_chain WHERE seq <= ?");
  d.bind(1, static_cast<int64_t>(through));
  int64_t deleted = d.exec();
  nlohmann::json change = {{"through_seq", through},
                           {"through_hash", crypto::ToHex(through_hash)},
                           {"deleted", deleted},
                           {"retention_days", retention_days}};
  std::string text = change.dump();
  ChainRow row;
  row.at = util::NowUnix();
  row.object = "audit_chain";
  row.actor_id = "system";
  row.action = kChainCheckpointAction;
  row.change.assign(text.begin(), text.end());
  AppendChain(db, std::move(row), std::move(head));
  return deleted;
}

}  // namespace bomvault::service
