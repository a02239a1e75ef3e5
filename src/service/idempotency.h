// Idempotency keys for creates (docs/api.md "Idempotency-Key"): a client that retries a POST
// with the same key gets the first answer again instead of a second object.
//
// A claim is keyed by the org's blind index (keyed hash) of (user, method, path, the client's
// key): the table holds no key in the clear and two users' keys never meet. The request is
// fingerprinted the same way from its query and body. Begin() decides, in one write transaction:
//   * no row (or an expired one, or one left 'running' for over an hour by a process that died):
//     a 'running' row is inserted and the caller runs the request (kRun);
//   * a row with another fingerprint: kMismatch (422 idempotency_key_reused);
//   * a row still running: kRunning (409 idempotency_key_in_use);
//   * a finished row: kReplay with the first answer.
// Finish() seals the answer (status, Location, Content-Type, body) with the org's data key and
// stores it; Abandon() deletes the running row, so a request that failed (any non-2xx) can be
// retried with the same key. Rows live 24 hours; Expire() (the retention job) deletes the rest.
// Only signed-in users of an org claim keys. Thread-safe: state lives in the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "access/permissions.h"
#include "crypto/crypto.h"
#include "service/org_keys.h"
#include "store/database.h"

namespace bomvault::service {

inline constexpr int64_t kIdempotencyLifetime = 24 * 3600;
inline constexpr int64_t kIdempotencyStaleRun = 3600;

struct StoredAnswer {
  int status = 0;
  std::string location;
  std::string content_type;
  std::string body;
};

class Idempotency {
 public:
  Idempotency(store::Database& db, OrgKeys& keys) : db_(db), keys_(keys) {}

  enum class Outcome { kRun, kReplay, kMismatch, kRunning };
  struct Claim {
    Outcome outcome = Outcome::kRun;
    crypto::Bytes key_hash;
    StoredAnswer answer;  // kReplay only
  };
  // `key` is the client's Idempotency-Key (1-255 visible ASCII characters, checked by the caller).
  util::Result<Claim> Begin(const access::Principal& actor, std::string_view method,
                            std::string_view path, std::string_view key, std::string_view query,
                            std::string_view body);
  util::Status Finish(const access::Principal& actor, const Claim& claim,
                      const StoredAnswer& answer);
  util::Status Abandon(const Claim& claim);
  // Deletes the keys that expired by `now`; returns how many.
  util::Result<int> Expire(int64_t now);

  // The sealed form's plaintext: "status\nlocation\ncontent-type\nbody" (pure; for tests).
  static std::string Encode(const StoredAnswer& answer);
  static std::optional<StoredAnswer> Decode(std::string_view text);

 private:
  store::Database& db_;
  OrgKeys& keys_;
};

}  // namespace bomvault::service
