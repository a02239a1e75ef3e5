#include "codec/backup_keys.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "codec/json_fields.h"

namespace bomvault::codec {
namespace {

nlohmann::json OrgKeysJson(const std::vector<OrgKeyEntry>& entries) {
  nlohmann::json a = nlohmann::json::array();
  for (const OrgKeyEntry& r : entries) {
    nlohmann::json e = {{"org_id", r.org.str()},
                        {"wrapped_key", crypto::ToBase64(r.wrapped)},
                        {"created_at", r.created_at}};
    if (r.wrapped_index) e["wrapped_index_key"] = crypto::ToBase64(*r.wrapped_index);
    if (!r.retired.empty()) {
      nlohmann::json ra = nlohmann::json::array();
      for (const auto& k : r.retired) ra.push_back(crypto::ToBase64(k));
      e["retired_keys"] = ra;
    }
    a.push_back(std::move(e));
  }
  return a;
}

std::optional<std::vector<OrgKeyEntry>> ParseOrgKeys(const nlohmann::json& object) {
  auto a = object.find("org_keys");
  if (a == object.end() || !a->is_array()) return std::nullopt;
  std::vector<OrgKeyEntry> out;
  for (const auto& e : *a) {
    if (!e.is_object()) return std::nullopt;
    auto id = util::OrgId::Parse(StringField(e, "org_id"));
    auto w = crypto::FromBase64(StringField(e, "wrapped_key"));
    if (!w || !id) return std::nullopt;
    OrgKeyEntry row{*id, std::move(*w), IntField(e, "created_at"), std::nullopt, {}};
    if (auto index = e.find("wrapped_index_key"); index != e.end()) {
      if (!index->is_string()) return std::nullopt;
      row.wrapped_index = crypto::FromBase64(index->get<std::string>());
      if (!row.wrapped_index) return std::nullopt;
    }
    if (auto retired = e.find("retired_keys"); retired != e.end()) {
      if (!retired->is_array()) return std::nullopt;
      for (const auto& k : *retired) {
        auto b = k.is_string() ? crypto::FromBase64(k.get<std::string>()) : std::nullopt;
        if (!b) return std::nullopt;
        row.retired.push_back(std::move(*b));
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

util::Result<BackupKeyFile> DecodeBackupKeyFile(std::string_view text) {
  const auto bad = util::Status::Invalid("backup_damaged",
                                         "the backup directory's key file is missing or damaged");
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || IntField(j, "format") != 1) return bad;
  auto kr = j.find("keyring");
  if (kr == j.end() || !kr->is_object()) return bad;
  BackupKeyFile kf;
  auto id = crypto::FromHex(StringField(j, "store_id"));
  auto sealed = crypto::FromBase64(StringField(*kr, "keyring"));
  if (!id || id->size() != kf.keyring.store_id.size() || !sealed || sealed->empty()) return bad;
  std::copy(id->begin(), id->end(), kf.keyring.store_id.begin());
  const int64_t threshold = IntField(*kr, "threshold"), shares = IntField(*kr, "shares");
  if (threshold < 2 || threshold > shares || shares > 255) return bad;
  kf.keyring.threshold = static_cast<int>(threshold);
  kf.keyring.shares = static_cast<int>(shares);
  kf.keyring.sealed = std::move(*sealed);
  kf.written_at = IntField(j, "written_at");
  auto rows = ParseOrgKeys(j);
  if (!rows) return bad;
  kf.org_keys = std::move(*rows);
  return kf;
}

std::string EncodeBackupKeyFile(const BackupKeyFile& file) {
  const KeyringFile& kr = file.keyring;
  nlohmann::json j = {{"format", 1},
                      {"store_id", crypto::ToHex(kr.store_id)},
                      {"written_at", file.written_at},
                      {"keyring",
                       {{"threshold", kr.threshold},
                        {"shares", kr.shares},
                        {"keyring", crypto::ToBase64(kr.sealed)}}},
                      {"org_keys", OrgKeysJson(file.org_keys)}};
  return j.dump(1) + "\n";
}

util::Result<std::vector<OrgKeyEntry>> DecodeRestoreKeyFile(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::optional<std::vector<OrgKeyEntry>> rows;
  if (j.is_object() && IntField(j, "format") == 1) rows = ParseOrgKeys(j);
  if (!rows) return util::Status::Internal("the restored key file is damaged");
  return std::move(*rows);
}

std::string EncodeRestoreKeyFile(const StoreId& store_id,
                                 const std::vector<OrgKeyEntry>& org_keys) {
  nlohmann::json j = {
      {"format", 1}, {"store_id", crypto::ToHex(store_id)}, {"org_keys", OrgKeysJson(org_keys)}};
  return j.dump(1) + "\n";
}

}  // namespace bomvault::codec
