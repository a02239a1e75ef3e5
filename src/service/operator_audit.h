// The operator's views of the audit: the instance events (seal, unseal, org deletion) and the
// offline verification of the long-term audit chain (`bomvault audit verify`).
//
// OperatorAudit is one of the Services (built per unseal); VerifyStoredAuditChain opens the store
// by itself and needs no running server. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "access/permissions.h"
#include "crypto/crypto.h"
#include "service/audit.h"
#include "store/database.h"
#include "util/status.h"

namespace bomvault::service {

class OperatorAudit {
 public:
  explicit OperatorAudit(store::Database& db) : db_(db) {}

  // Operator: instance events (seal, unseal.*, org.delete), newest first.
  util::Result<std::vector<AuditEntry>> InstanceEvents(const access::Principal& actor,
                                                       const AuditQuery& query);

 private:
  store::Database& db_;
};

// `bomvault audit verify`: opens the store offline with the shares and verifies the chain.
util::Result<ChainReport> VerifyStoredAuditChain(
    const std::string& data_dir, const std::vector<std::string>& shares,
    std::optional<std::pair<int64_t, crypto::Bytes>> expect);

}  // namespace bomvault::service
