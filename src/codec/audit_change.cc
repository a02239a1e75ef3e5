#include "codec/audit_change.h"

#include <nlohmann/json.hpp>

namespace bomvault::codec {

namespace {

nlohmann::json ToJson(const AuditChange& change);

nlohmann::json ToJson(const AuditValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, JsonText>) {
          nlohmann::json j = nlohmann::json::parse(v.text, nullptr, false);
          return j.is_discarded() ? nlohmann::json(v.text) : j;
        } else if constexpr (std::is_same_v<T, AuditValue::Nested>) {
          return v ? ToJson(*v) : nlohmann::json::object();
        } else {
          return v;
        }
      },
      value.storage());
}

nlohmann::json ToJson(const AuditChange& change) {
  nlohmann::json out = nlohmann::json::object();
  for (const AuditField& f : change.fields()) out[f.key] = ToJson(f.value);
  return out;
}

}  // namespace

AuditValue::AuditValue(AuditChange change)
    : v_(std::make_shared<const AuditChange>(std::move(change))) {}

AuditValue::AuditValue(std::initializer_list<AuditField> fields)
    : AuditValue(AuditChange(fields)) {}

bool AuditValue::operator==(const AuditValue& other) const {
  const auto* a = std::get_if<Nested>(&v_);
  const auto* b = std::get_if<Nested>(&other.v_);
  if (a != nullptr && b != nullptr) return **a == **b;
  return v_ == other.v_;
}

AuditChange::AuditChange(std::initializer_list<AuditField> fields) {
  for (const AuditField& f : fields) Set(f.key, f.value);
}

void AuditChange::Set(std::string key, AuditValue value) {
  for (AuditField& f : fields_) {
    if (f.key == key) {
      f.value = std::move(value);
      return;
    }
  }
  fields_.emplace_back(std::move(key), std::move(value));
}

bool AuditChange::operator==(const AuditChange& other) const {
  if (fields_.size() != other.fields_.size()) return false;
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].key != other.fields_[i].key || !(fields_[i].value == other.fields_[i].value)) {
      return false;
    }
  }
  return true;
}

std::string EncodeAuditChange(const AuditChange& change) {
  return ToJson(change).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<ChainCheckpoint> DecodeChainCheckpoint(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto seq = j.find("through_seq");
  auto hash = j.find("through_hash");
  if (seq == j.end() || !seq->is_number_integer() || hash == j.end() || !hash->is_string()) {
    return std::nullopt;
  }
  return ChainCheckpoint{seq->get<int64_t>(), hash->get<std::string>()};
}

}  // namespace bomvault::codec
