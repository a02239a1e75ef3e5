// The "change" of an audit entry (service/audit.h): what an action changed, as a plain value the
// services build and the store keeps as JSON text.
//
// An AuditChange is an ordered list of fields; a field's value is null, a bool, an integer, a
// number, a text, a list of texts, a nested change (the {"before", "after"} pairs) or a JSON text
// made elsewhere (a document's own encoding, embedded as it is). Call sites write a change as a
// literal, `{{"role", role}, {"email_verified", true}}`: the constructors are templates so that a
// string literal stays a text (never a bool) and a braced list becomes a nested change.
//
// EncodeAuditChange gives the stored text: a JSON object, keys sorted byte-wise at every level
// (exactly the text the entries have held since they were first written, so old and new rows
// read alike), no spaces, invalid UTF-8 replaced by U+FFFD. The audit chain hashes these bytes,
// so the encoding is deterministic. A key set twice keeps its last value. Pure values:
// thread-compatible.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace bomvault::codec {

class AuditChange;
struct AuditField;

// A JSON text made by another codec (a stored document's encoding), embedded in a change as the
// value it encodes. Text that is not JSON is embedded as a string.
struct JsonText {
  std::string text;
  bool operator==(const JsonText&) const = default;
};

class AuditValue {
 public:
  using List = std::vector<std::string>;
  using Nested = std::shared_ptr<const AuditChange>;
  using Storage =
      std::variant<std::monostate, bool, int64_t, double, std::string, List, JsonText, Nested>;

  AuditValue() = default;
  AuditValue(std::nullptr_t) {}
  // Templates, so that no pointer or integer silently becomes a bool and no braced list a text.
  template <typename B>
  requires std::same_as<B, bool> AuditValue(B b) : v_(b) {}
  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) AuditValue(I i)
      : v_(static_cast<int64_t>(i)) {}
  template <std::floating_point F>
  AuditValue(F f) : v_(static_cast<double>(f)) {}
  template <typename S>
  requires std::convertible_to<const S&, std::string_view> AuditValue(const S& s)
      : v_(std::string(std::string_view(s))) {}
  AuditValue(List list) : v_(std::move(list)) {}
  AuditValue(JsonText json) : v_(std::move(json)) {}
  AuditValue(AuditChange change);
  // `{"before", x}, {"after", y}` in braces: a nested change.
  AuditValue(std::initializer_list<AuditField> fields);
  // An absent optional is null.
  template <typename T>
  AuditValue(const std::optional<T>& o) {
    if (o) *this = AuditValue(*o);
  }

  const Storage& storage() const { return v_; }
  bool operator==(const AuditValue& other) const;

 private:
  Storage v_;
};

struct AuditField {
  AuditField(std::string k, AuditValue v) : key(std::move(k)), value(std::move(v)) {}
  std::string key;
  AuditValue value;
};

class AuditChange {
 public:
  AuditChange() = default;
  AuditChange(std::initializer_list<AuditField> fields);

  // Adds the field, or replaces the value of the field with this key.
  void Set(std::string key, AuditValue value);
  bool empty() const { return fields_.empty(); }
  const std::vector<AuditField>& fields() const { return fields_; }
  bool operator==(const AuditChange& other) const;

 private:
  std::vector<AuditField> fields_;
};

// The change as the stored JSON object text (see above).
std::string EncodeAuditChange(const AuditChange& change);

// What a chain checkpoint's change says (service/audit.h's TrimAuditChain writes it as
// {"deleted", "retention_days", "through_hash", "through_seq"}): the last deleted row.
struct ChainCheckpoint {
  int64_t through_seq = 0;
  std::string through_hash_hex;
};
// nullopt when the text is not such an object (the verifier reports a malformed checkpoint).
std::optional<ChainCheckpoint> DecodeChainCheckpoint(std::string_view text);

}  // namespace bomvault::codec
