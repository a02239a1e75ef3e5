// Distinct id types for the objects bomvault keeps (OrgId, UserId, BomId, ...).
//
// An id is a short prefix naming its kind and 24 lowercase hex characters of randomness
// (96 bits), e.g. "bom_5f0c...". Distinct C++ types keep a UserId from being passed where a BomId
// is wanted. Ids are internal identifiers, safe to log; they never encode names or content.
// Parse() accepts only the exact canonical form, so an id from a URL is validated before use.
#pragma once

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace bomvault::util {

template <class Tag>
class Id {
 public:
  Id() = default;
  static Id Generate() {
    // The kernel's CSPRNG (what libsodium's randombytes uses on Linux), called directly so util/
    // stays below crypto/. 12 bytes never come back short once the pool is ready.
    uint8_t raw[12];
    ssize_t got;
    do {
      got = ::getrandom(raw, sizeof raw, 0);
    } while (got < 0 && errno == EINTR);
    if (got != static_cast<ssize_t>(sizeof raw)) std::abort();  // no entropy: nothing is safe
    static constexpr char kHex[] = "0123456789abcdef";
    std::string v(Tag::kPrefix);
    v += '_';
    for (uint8_t c : raw) {
      v += kHex[c >> 4];
      v += kHex[c & 15];
    }
    return Id(std::move(v));
  }
  static std::optional<Id> Parse(std::string_view s) {
    std::string_view prefix(Tag::kPrefix);
    if (s.size() != prefix.size() + 1 + 24 || s.substr(0, prefix.size()) != prefix ||
        s[prefix.size()] != '_') {
      return std::nullopt;
    }
    for (char c : s.substr(prefix.size() + 1)) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    }
    return Id(std::string(s));
  }
  // For values read back from our own database, already canonical.
  static Id FromTrusted(std::string v) { return Id(std::move(v)); }

  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool operator==(const Id& o) const { return value_ == o.value_; }
  bool operator!=(const Id& o) const { return value_ != o.value_; }
  bool operator<(const Id& o) const { return value_ < o.value_; }

 private:
  explicit Id(std::string v) : value_(std::move(v)) {}
  std::string value_;
};

struct OrgTag {
  static constexpr const char* kPrefix = "org";
};
struct UserTag {
  static constexpr const char* kPrefix = "usr";
};
struct BomTag {
  static constexpr const char* kPrefix = "bom";
};
struct SessionTag {
  static constexpr const char* kPrefix = "ses";
};
struct TokenTag {
  static constexpr const char* kPrefix = "tok";
};
struct InvitationTag {
  static constexpr const char* kPrefix = "inv";
};
struct AttachmentTag {
  static constexpr const char* kPrefix = "att";
};
struct RequestTag {
  static constexpr const char* kPrefix = "req";
};
struct ImportProfileTag {
  static constexpr const char* kPrefix = "ipr";
};

struct SourceTag {
  static constexpr const char* kPrefix = "src";
};
struct JobTag {
  static constexpr const char* kPrefix = "job";
};
struct PasskeyTag {
  static constexpr const char* kPrefix = "pky";
};

using OrgId = Id<OrgTag>;
using UserId = Id<UserTag>;
using BomId = Id<BomTag>;
using SessionId = Id<SessionTag>;
using TokenId = Id<TokenTag>;
using InvitationId = Id<InvitationTag>;
using AttachmentId = Id<AttachmentTag>;
using RequestId = Id<RequestTag>;
using SourceId = Id<SourceTag>;
using JobId = Id<JobTag>;
using ImportProfileId = Id<ImportProfileTag>;
using PasskeyId = Id<PasskeyTag>;

}  // namespace bomvault::util
