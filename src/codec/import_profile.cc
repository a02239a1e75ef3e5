#include "codec/import_profile.h"

#include <algorithm>
#include <vector>

#include "bom/item.h"
#include "bom/profile.h"
#include "codec/column_mappings.h"

namespace bomvault::codec {
namespace {

using util::Status;

Status Fail(std::string message) { return Status::Invalid("invalid_profile", std::move(message)); }

Status CheckName(const std::string& name) {
  if (name.empty() || name.size() > kMaxImportProfileName ||
      bom::Utf8ErrorOffset(name) != std::string_view::npos ||
      std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return Fail("\"name\" needs 1 to 100 characters of text without control characters");
  }
  return Status::Ok();
}

Status CheckBase(const std::string& base) {
  const std::vector<std::string> names = bom::BuiltinProfileNames();
  if (!base.empty() && std::find(names.begin(), names.end(), base) == names.end()) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    return Fail("\"base\" must be a built-in profile: " + list);
  }
  return Status::Ok();
}

Status CheckOption(const std::string& key, const std::string& value) {
  if (value.size() > kMaxImportProfileOption) {
    return Fail("options." + key + " must be a string of at most 100 characters");
  }
  return Status::Ok();
}

}  // namespace

util::Result<ImportProfileSettings> ParseImportProfile(const nlohmann::json& body) {
  if (!body.is_object()) return Fail("the body must be an object");
  ImportProfileSettings p;
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) return Fail("\"name\" must be a string");
  p.name = name->get<std::string>();
  if (Status st = CheckName(p.name); !st.ok()) return st;
  if (auto base = body.find("base"); base != body.end() && !base->is_null()) {
    if (!base->is_string()) return Fail("\"base\" must be a string");
    p.base = base->get<std::string>();
    if (Status st = CheckBase(p.base); !st.ok()) return st;
  }
  if (auto m = body.find("mappings"); m != body.end() && !m->is_null()) {
    auto parsed = ParseColumnMappings(*m, bom::Limits{});
    if (!parsed.ok()) return Fail(parsed.status().message());
    p.mappings = std::move(parsed.value());
  }
  if (auto o = body.find("options"); o != body.end() && !o->is_null()) {
    if (!o->is_object()) return Fail("\"options\" must be an object");
    for (const auto& [key, value] : o->items()) {
      if (key == "charset" || key == "sheet") {
        if (!value.is_string()) {
          return Fail("options." + key + " must be a string of at most 100 characters");
        }
        std::string text = value.get<std::string>();
        if (Status st = CheckOption(key, text); !st.ok()) return st;
        (key == "charset" ? p.charset : p.sheet) = std::move(text);
      } else if (key == "on_error") {
        if (value != "skip" && value != "strict") return Fail("options.on_error is skip or strict");
        p.skip_bad_rows = value == "skip";
      } else {
        return Fail("options may hold charset, sheet and on_error only");
      }
    }
  }
  return p;
}

nlohmann::json ImportProfileJson(const ImportProfileSettings& p) {
  nlohmann::json options = nlohmann::json::object();
  if (!p.charset.empty()) options["charset"] = p.charset;
  if (!p.sheet.empty()) options["sheet"] = p.sheet;
  options["on_error"] = p.skip_bad_rows ? "skip" : "strict";
  return {{"name", p.name},
          {"base", p.base},
          {"mappings", ColumnMappingsJson(p.mappings)},
          {"options", options}};
}

std::string EncodeImportProfile(const ImportProfileSettings& settings) {
  return ImportProfileJson(settings).dump();
}

util::Result<ImportProfileSettings> DecodeImportProfile(std::string_view text) {
  auto body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Fail("the profile is not JSON");
  return ParseImportProfile(body);
}

util::Result<ImportProfileSettings> CheckImportProfile(ImportProfileSettings p) {
  if (Status st = CheckName(p.name); !st.ok()) return st;
  if (Status st = CheckBase(p.base); !st.ok()) return st;
  auto mappings = bom::CheckColumnMappings(std::move(p.mappings), bom::Limits{});
  if (!mappings.ok()) return Fail(mappings.status().message());
  p.mappings = std::move(mappings.value());
  if (Status st = CheckOption("charset", p.charset); !st.ok()) return st;
  if (Status st = CheckOption("sheet", p.sheet); !st.ok()) return st;
  return p;
}

}  // namespace bomvault::codec
