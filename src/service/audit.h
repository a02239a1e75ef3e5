// Audit: the short-term per-object history, and the optional long-term hash chain.
//
// Short-term: for each object, its last N entries (N per organisation, default 10, 1-1000).
// An entry says who (actor id), when (UTC), what action and what changed (field-level
// before/after; secrets never enter): a codec::AuditChange, kept as the JSON text
// codec/audit_change.h encodes it to and read back as that text. Entries are written with
// Record() inside the same transaction as the change they describe, so a change and its audit
// commit or fail together.
// Record() prunes the object's older entries past N in that transaction too, so exactly N remain
// under concurrent edits (writers are serialised by the store). Entries that anyone can cause
// without any access (kAuditNoiseActions: failed sign-ins, refused unseal combinations) are
// counted and pruned apart from the rest: an object keeps its last N of those and its last N
// of everything else, so eleven failed sign-ins can no longer evict the `token.create` that
// matters. Changes of organisation objects
// are sealed with the org key (they may name BOMs); instance events (seal, unseal) hold ids only.
//
// Long-term (operator option, off by default): while SetAuditChainEnabled(true), every entry is
// also appended to audit_chain in the same transaction, hash-chained (ChainHash below) so that
// VerifyAuditChain detects an edited, inserted, reordered or deleted row. Retention trims only a
// prefix of the oldest rows and appends a checkpoint row naming what it removed. The chain's hash
// is unkeyed: someone who can write the store can rebuild the whole chain, which is why a verify
// can be pinned to a head (seq and hash) recorded outside the store earlier.
//
// Call the store functions from a store callback; they are stateless apart from the
// process-wide chain switch (an atomic, set once at start-up). The pure chain functions
// (ChainEncoding, ChainHash, ChainVerifier) touch no store and are thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/audit_change.h"
#include "crypto/crypto.h"
#include "service/org_keys.h"
#include "store/audit_store.h"
#include "store/database.h"

namespace bomvault::service {

constexpr int kDefaultAuditDepth = 10;

// Actions a stranger can trigger; see the pruning rule above.
inline constexpr const char* kAuditNoiseActions[2] = {"session.failure", "unseal.failure"};
bool IsAuditNoise(std::string_view action);

using codec::AuditChange;
using codec::AuditValue;

struct AuditEvent {
  std::string object;    // "bom:<id>", "user:<id>", "org:<id>", "instance"
  std::string actor_id;  // a user id, "operator", or "system"
  std::string action;    // "bom.create", "bom.share", "session.create", "unseal.failure", ...
  AuditChange change;
};

// `org` null for instance-level events.
void RecordAudit(store::Db& db, const OrgCrypto* org, const AuditEvent& event);

struct AuditEntry {
  int64_t id = 0;
  int64_t at = 0;
  std::string object, actor_id, action;
  std::string change = "{}";  // the stored JSON object text, as RecordAudit encoded it
};

struct AuditQuery {
  std::string object, actor_id, action;  // empty = any
  int64_t from = 0, to = 0;              // unix seconds, 0 = open
  int64_t before_id = 0;                 // pagination cursor, 0 = newest
  int limit = 100;
};

util::Result<std::vector<AuditEntry>> QueryAudit(store::Db& db, const OrgCrypto& org,
                                                 const AuditQuery& q);

int AuditDepth(store::Db& db, const util::OrgId& org);

// Instance events (org_id IS NULL: seal, unseal.*, org.delete, ...), newest first. `q.object`,
// `q.actor_id` and `q.action` filter exactly as for QueryAudit.
util::Result<std::vector<AuditEntry>> QueryInstanceAudit(store::Db& db, const AuditQuery& q);

// --- Long-term audit chain --------------------------------------------------------------------

// Process-wide: set by the composition root before serving (serve --audit-retention-days > 0).
void SetAuditChainEnabled(bool on);
bool AuditChainEnabled();

constexpr size_t kChainHashSize = 32;
constexpr const char* kChainCheckpointAction = "chain.checkpoint";

using ChainRow = store::ChainRow;

// The canonical encoding, every integer big-endian:
//   u64 seq | i64 at | field(org_id) | field(object) | field(actor_id) | field(action)
//   | u8 kind (0 sealed, 1 plain) | field(change)
// where field(x) = u8 1 | u32 length | bytes, and an absent org_id is the single byte 0.
// Length prefixes make the encoding injective: no two rows encode alike.
crypto::Bytes ChainEncoding(const ChainRow& row);
// BLAKE2b-256("bomvault-audit-chain-v1" || 0x00 || prev_hash || ChainEncoding(row)).
crypto::Bytes ChainHash(std::span<const uint8_t> prev_hash, const ChainRow& row);

struct ChainReport {
  int64_t entries = 0;
  int64_t first_seq = 0, head_seq = 0;
  crypto::Bytes head_hash;
  int64_t checkpoints = 0;
  int64_t trimmed_through = 0;        // the latest checkpoint's last deleted seq, 0 if none
  std::vector<std::string> problems;  // empty: the chain is intact
  bool ok() const { return problems.empty(); }
};

// Checks rows given in seq order: contiguous seq, each prev_hash equal to the previous row's
// hash, each hash recomputed from the row, and the oldest row either the genesis (seq 1, zero
// prev_hash) or exactly the continuation named by the latest checkpoint.
class ChainVerifier {
 public:
  // Optionally pin an entry recorded earlier outside the store: it must still be there with this
  // hash, unless retention trimmed it (then a checkpoint covers it), and the chain must not end
  // before it (which would mean the newest entries were deleted).
  void Expect(int64_t seq, crypto::Bytes hash);
  void Add(const ChainRow& row);
  ChainReport Finish();

 private:
  void Problem(std::string text);
  ChainReport r_;
  crypto::Bytes first_prev_, last_hash_;
  int64_t last_seq_ = 0;
  std::optional<std::pair<int64_t, crypto::Bytes>> checkpoint_;  // through seq, its hash
  std::optional<std::pair<int64_t, crypto::Bytes>> expect_;
  bool expect_seen_ = false;
  int64_t problems_dropped_ = 0;
};

// Reads the whole chain in seq order through a ChainVerifier.
ChainReport VerifyAuditChain(store::Db& db,
                             std::optional<std::pair<int64_t, crypto::Bytes>> expect = {});

// Deletes the longest prefix of rows older than `cutoff` (unix seconds) and, when it deleted
// any, appends a checkpoint row in the same transaction. Returns the rows deleted.
int64_t TrimAuditChain(store::Db& db, int64_t cutoff, int retention_days);

}  // namespace bomvault::service
