// The audit and audit_chain rows that service/audit.h writes, searches, prunes and verifies.
//
// An org's entries hold their change sealed under the org's key (change_sealed); the instance's
// (org_id NULL) hold it as plain JSON text of ids only (change_plain). The chain rows keep the
// same bytes plus their hash links; hashing and verifying stay in service/audit. Every function
// runs on the caller's connection inside the caller's transaction (store/database.h).
// Thread-safety: that of the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.h"
#include "store/database.h"
#include "util/ids.h"

namespace bomvault::store {

struct AuditRow {
  int64_t id = 0;  // assigned on insert
  int64_t at = 0;
  std::optional<util::OrgId> org;  // nullopt: an instance entry
  std::string object, actor_id, action;
  std::optional<crypto::Bytes> change_sealed;  // org entries
  std::optional<std::string> change_plain;     // instance entries
};

void InsertAudit(Db& db, const AuditRow& row);
// Keeps the newest `depth` entries of `object` among those whose action is (noise) or is not
// (!noise) one of `noise_actions`.
void PruneAudit(Db& db, std::string_view object, int depth,
                const std::vector<std::string>& noise_actions, bool noise);

struct AuditFilter {
  std::string object, actor_id, action;  // empty = any
  int64_t from = 0, to = 0;              // unix seconds, 0 = open
  int64_t before_id = 0;                 // entries older than this id, 0 = newest
  int limit = 100;
};
// An org's entries (org given) or the instance's, newest first.
std::vector<AuditRow> SearchAudit(Db& db, const std::optional<util::OrgId>& org,
                                  const AuditFilter& f);

// One link of the long-term chain, as stored.
struct ChainRow {
  int64_t seq = 0;
  int64_t at = 0;
  std::optional<std::string> org_id;  // nullopt for instance events and checkpoints
  std::string object, actor_id, action;
  bool sealed = false;  // change is org-key ciphertext (else plain JSON text)
  crypto::Bytes change;
  crypto::Bytes prev_hash, hash;
};

// The newest chain row's seq and hash; nullopt on an empty chain.
std::optional<std::pair<int64_t, crypto::Bytes>> ChainHeadRow(Db& db);
void InsertChainRow(Db& db, const ChainRow& row);
// Every chain row in seq order.
void ForEachChainRow(Db& db, const std::function<void(const ChainRow&)>& fn);
// The last seq a trim at `cutoff` may delete (a prefix: rows before the first one dated at or
// after the cutoff), or nullopt when nothing may go.
std::optional<int64_t> ChainTrimThrough(Db& db, int64_t cutoff);
std::optional<crypto::Bytes> ChainHashAt(Db& db, int64_t seq);
// True if the chain holds a row of `org` written at or before `at` (such a row stays sealed under
// the key that was current then).
bool ChainHasOrgRowAtOrBefore(Db& db, const util::OrgId& org, int64_t at);
// Deletes the rows up to `seq`; how many went.
int64_t DeleteChainThrough(Db& db, int64_t seq);

}  // namespace bomvault::store
