#include "service/audit.h"

#include <atomic>

#include "store/audit_store.h"
#include "store/orgs_store.h"
#include "util/clock.h"

namespace bomvault::service {

namespace {

std::atomic<bool> chain_enabled{false};

constexpr const char* kChainDomain = "bomvault-audit-chain-v1";
constexpr size_t kMaxProblems = 100;

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
  if (auto head = store::ChainHeadRow(db)) return {head->first + 1, std::move(head->second)};
  return {1, crypto::Bytes(kChainHashSize, 0)};
}

void AppendChain(store::Db& db, ChainRow row, std::pair<int64_t, crypto::Bytes> head) {
  auto& [seq, prev] = head;
  row.seq = seq;
  row.prev_hash = std::move(prev);
  row.hash = ChainHash(row.prev_hash, row);
  store::InsertChainRow(db, row);
}

}  // namespace

int AuditDepth(store::Db& db, const util::OrgId& org) {
  return store::LoadOrgSettings(db, org).audit_depth;
}

bool IsAuditNoise(std::string_view action) {
  for (const char* a : kAuditNoiseActions) {
    if (action == a) return true;
  }
  return false;
}

void RecordAudit(store::Db& db, const OrgCrypto* org, const AuditEvent& e) {
  std::string change = codec::EncodeAuditChange(e.change);
  store::AuditRow row;
  row.at = util::NowUnix();
  row.object = e.object;
  row.actor_id = e.actor_id;
  row.action = e.action;
  if (org != nullptr) {
    row.org = org->org();
    row.change_sealed = org->SealText("audit", e.object, change);
  } else {
    row.change_plain = change;
  }
  store::InsertAudit(db, row);
  int depth = org != nullptr ? AuditDepth(db, org->org()) : kDefaultAuditDepth * 100;
  // Entries anyone can cause (failed sign-ins, refused unseal attempts) are pruned only among
  // themselves: a stranger who knows an address must not push a user's real history out.
  store::PruneAudit(db, e.object, depth, {kAuditNoiseActions[0], kAuditNoiseActions[1]},
                    IsAuditNoise(e.action));
  if (chain_enabled.load(std::memory_order_relaxed)) {
    // The chain keeps the very ciphertext of the short-term row: it never holds plaintext an
    // org's key does not protect, and deleting the org (its key) leaves only ids readable.
    ChainRow link;
    link.at = row.at;
    if (org != nullptr) link.org_id = org->org().str();
    link.object = e.object;
    link.actor_id = e.actor_id;
    link.action = e.action;
    link.sealed = org != nullptr;
    link.change = org != nullptr ? std::move(*row.change_sealed)
                                 : crypto::Bytes(change.begin(), change.end());
    AppendChain(db, std::move(link), ChainHead(db));
  }
}

namespace {

// One query for both scopes: an org's entries (changes sealed under its key) or the instance's
// (org_id NULL, changes in plain text, ids only).
util::Result<std::vector<AuditEntry>> RunAuditQuery(store::Db& db, const OrgCrypto* org,
                                                    const AuditQuery& q) {
  store::AuditFilter f;
  f.object = q.object;
  f.actor_id = q.actor_id;
  f.action = q.action;
  f.from = q.from;
  f.to = q.to;
  f.before_id = q.before_id;
  f.limit = q.limit;
  std::optional<util::OrgId> scope;
  if (org != nullptr) scope = org->org();
  std::vector<AuditEntry> out;
  for (store::AuditRow& r : store::SearchAudit(db, scope, f)) {
    AuditEntry e;
    e.id = r.id;
    e.at = r.at;
    e.object = std::move(r.object);
    e.actor_id = std::move(r.actor_id);
    e.action = std::move(r.action);
    if (org != nullptr) {
      auto plain = org->OpenText("audit", e.object, *r.change_sealed);
      if (!plain) return util::Status::Internal("an audit entry could not be opened");
      e.change = std::move(*plain);
    } else if (r.change_plain) {
      e.change = std::move(*r.change_plain);
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
    auto cp = codec::DecodeChainCheckpoint(
        std::string_view(reinterpret_cast<const char*>(row.change.data()), row.change.size()));
    std::optional<crypto::Bytes> through_hash;
    if (cp) through_hash = crypto::FromHex(cp->through_hash_hex);
    if (!through_hash || cp->through_seq >= row.seq) {
      Problem(at + "a malformed checkpoint");
    } else {
      checkpoint_ = std::make_pair(cp->through_seq, std::move(*through_hash));
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
  store::ForEachChainRow(db, [&](const ChainRow& row) { v.Add(row); });
  return v.Finish();
}

int64_t TrimAuditChain(store::Db& db, int64_t cutoff, int retention_days) {
  const std::optional<int64_t> last = store::ChainTrimThrough(db, cutoff);
  if (!last) return 0;
  const int64_t through = *last;
  std::optional<crypto::Bytes> through_hash = store::ChainHashAt(db, through);
  if (!through_hash) return 0;
  // The checkpoint links to the head as it was: deleting everything must not restart at seq 1.
  auto head = ChainHead(db);
  const int64_t deleted = store::DeleteChainThrough(db, through);
  const std::string text = codec::EncodeAuditChange({{"through_seq", through},
                                                     {"through_hash", crypto::ToHex(*through_hash)},
                                                     {"deleted", deleted},
                                                     {"retention_days", retention_days}});
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
