#include "service/idempotency.h"

#include "store/idempotency_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using util::Code;
using util::Status;

namespace {
constexpr const char* kSealPurpose = "idempotent-answer";

std::string HexOf(const crypto::Bytes& b) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (uint8_t v : b) {
    out += kHex[v >> 4];
    out += kHex[v & 15];
  }
  return out;
}
}  // namespace

std::string Idempotency::Encode(const StoredAnswer& a) {
  return std::to_string(a.status) + "\n" + a.location + "\n" + a.content_type + "\n" + a.body;
}

std::optional<StoredAnswer> Idempotency::Decode(std::string_view text) {
  StoredAnswer a;
  std::string_view parts[3];
  for (auto& part : parts) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    part = text.substr(0, nl);
    text.remove_prefix(nl + 1);
  }
  if (parts[0].size() != 3 || parts[0].find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  a.status = std::stoi(std::string(parts[0]));
  a.location = parts[1];
  a.content_type = parts[2];
  a.body = text;
  return a;
}

util::Result<Idempotency::Claim> Idempotency::Begin(const access::Principal& actor,
                                                    std::string_view method, std::string_view path,
                                                    std::string_view key, std::string_view query,
                                                    std::string_view body) {
  if (actor.kind != access::PrincipalKind::kUser) return Status::Forbidden();
  Claim claim;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    std::string who;
    who.append(actor.user.str()).append(1, '\0').append(method).append(1, ' ').append(path);
    who.append(1, '\0').append(key);
    claim.key_hash = c.BlindIndex("idempotency-key", who);
    std::string what;
    what.append(query).append(1, '\0').append(body);
    crypto::Bytes fingerprint = c.BlindIndex("idempotency-request", what);
    const int64_t now = util::NowUnix();
    auto row = store::FindIdempotencyKey(db, claim.key_hash);
    const bool stale_run =
        row && !row->done && row->expires_at - kIdempotencyLifetime + kIdempotencyStaleRun <= now;
    if (row && (row->expires_at <= now || stale_run)) {
      store::DeleteIdempotencyKey(db, claim.key_hash);
      row.reset();
    }
    if (!row) {
      store::InsertIdempotencyKey(db, claim.key_hash, actor.org, actor.user, fingerprint, now,
                                  now + kIdempotencyLifetime);
      claim.outcome = Outcome::kRun;
      return Status::Ok();
    }
    if (!crypto::ConstantTimeEquals(row->request_hash, fingerprint)) {
      claim.outcome = Outcome::kMismatch;
      return Status::Ok();
    }
    if (!row->done || !row->response) {
      claim.outcome = Outcome::kRunning;
      return Status::Ok();
    }
    auto plain = c.OpenText(kSealPurpose, HexOf(claim.key_hash), *row->response);
    auto answer = plain ? Decode(*plain) : std::nullopt;
    if (!answer) {
      util::log::Error("idempotency.unreadable");
      return Status::Internal("a stored answer could not be opened");
    }
    claim.outcome = Outcome::kReplay;
    claim.answer = std::move(*answer);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return claim;
}

Status Idempotency::Finish(const access::Principal& actor, const Claim& claim,
                           const StoredAnswer& answer) {
  return db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    crypto::Bytes sealed =
        crypto.value()->SealText(kSealPurpose, HexOf(claim.key_hash), Encode(answer));
    store::FinishIdempotencyKey(db, claim.key_hash, sealed);
    return Status::Ok();
  });
}

Status Idempotency::Abandon(const Claim& claim) {
  return db_.Write([&](store::Db& db) -> Status {
    store::DeleteIdempotencyKey(db, claim.key_hash);
    return Status::Ok();
  });
}

util::Result<int> Idempotency::Expire(int64_t now) {
  int removed = 0;
  Status st = db_.Write([&](store::Db& db) -> Status {
    removed = store::DeleteExpiredIdempotencyKeys(db, now);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return removed;
}

}  // namespace bomvault::service
