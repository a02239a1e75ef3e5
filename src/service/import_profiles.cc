#include "service/import_profiles.h"

#include <algorithm>

#include "bom/profile.h"
#include "codec/column_mappings.h"
#include "service/audit.h"
#include "store/import_profiles_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Function;
using util::Status;

namespace {

constexpr std::string_view kPurpose = "import-profile";
constexpr size_t kMaxName = 100;

Status Refuse(const access::Principal& actor, Function f) {
  return access::Refusal(actor, f, access::MayUse(actor, f));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status NotFound() {
  return Status(util::Code::kNotFound, "profile_not_found", "no such import profile");
}

// Every profile of the org, opened; the caller holds the transaction.
util::Result<std::vector<ImportProfile>> LoadAll(
    store::Db& db, const OrgCrypto& crypto,
    util::Result<ImportProfile> (*parse)(const nlohmann::json&)) {
  std::vector<ImportProfile> out;
  for (store::ImportProfileRow& row : store::ListImportProfiles(db, crypto.org())) {
    auto text = crypto.OpenText(kPurpose, row.id.str(), row.sealed);
    if (!text) return Status::Internal("an import profile could not be decrypted");
    auto p = parse(nlohmann::json::parse(*text, nullptr, false));
    if (!p.ok()) {
      util::log::Error("import_profile.unreadable").Ref("org_id", crypto.org());
      return Status::Internal("an import profile could not be read");
    }
    p->id = std::move(row.id);
    p->created_at = row.created_at;
    p->updated_at = row.updated_at;
    out.push_back(std::move(p.value()));
  }
  return out;
}

util::Result<ImportProfile> ParseBody(const nlohmann::json& body) {
  auto fail = [](std::string m) { return Status::Invalid("invalid_profile", std::move(m)); };
  if (!body.is_object()) return fail("the body must be an object");
  ImportProfile p;
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) return fail("\"name\" must be a string");
  p.name = name->get<std::string>();
  if (p.name.empty() || p.name.size() > kMaxName ||
      bom::Utf8ErrorOffset(p.name) != std::string_view::npos ||
      std::any_of(p.name.begin(), p.name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return fail("\"name\" needs 1 to 100 characters of text without control characters");
  }
  if (auto base = body.find("base"); base != body.end() && !base->is_null()) {
    if (!base->is_string()) return fail("\"base\" must be a string");
    p.base = base->get<std::string>();
    const std::vector<std::string> names = bom::BuiltinProfileNames();
    if (!p.base.empty() && std::find(names.begin(), names.end(), p.base) == names.end()) {
      std::string list;
      for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
      return fail("\"base\" must be a built-in profile: " + list);
    }
  }
  if (auto m = body.find("mappings"); m != body.end() && !m->is_null()) {
    auto parsed = codec::ParseColumnMappings(*m, bom::Limits{});
    if (!parsed.ok()) return fail(parsed.status().message());
    p.mappings = std::move(parsed.value());
  }
  if (auto o = body.find("options"); o != body.end() && !o->is_null()) {
    if (!o->is_object()) return fail("\"options\" must be an object");
    for (const auto& [key, value] : o->items()) {
      if (key == "charset" || key == "sheet") {
        if (!value.is_string() || value.get<std::string>().size() > 100) {
          return fail("options." + key + " must be a string of at most 100 characters");
        }
        (key == "charset" ? p.charset : p.sheet) = value.get<std::string>();
      } else if (key == "on_error") {
        if (value != "skip" && value != "strict") return fail("options.on_error is skip or strict");
        p.skip_bad_rows = value == "skip";
      } else {
        return fail("options may hold charset, sheet and on_error only");
      }
    }
  }
  return p;
}

nlohmann::json Stored(const ImportProfile& p) {
  nlohmann::json j = ImportProfiles::ToJson(p);
  j.erase("id");
  j.erase("created_at");
  j.erase("updated_at");
  return j;
}

}  // namespace

nlohmann::json ImportProfiles::ToJson(const ImportProfile& p) {
  nlohmann::json options = nlohmann::json::object();
  if (!p.charset.empty()) options["charset"] = p.charset;
  if (!p.sheet.empty()) options["sheet"] = p.sheet;
  options["on_error"] = p.skip_bad_rows ? "skip" : "strict";
  return {{"id", p.id.str()},
          {"name", p.name},
          {"base", p.base},
          {"mappings", codec::ColumnMappingsJson(p.mappings)},
          {"options", options},
          {"created_at", util::FormatUtc(p.created_at)},
          {"updated_at", util::FormatUtc(p.updated_at)}};
}

void ImportProfiles::Apply(const ImportProfile& p, bom::ImportOptions* options,
                           bom::ColumnMappings* mappings) {
  options->profile = p.base;
  if (options->charset.empty()) options->charset = p.charset;
  if (options->sheet.empty()) options->sheet = p.sheet;
  options->skip_bad_rows = options->skip_bad_rows || p.skip_bad_rows;
  bom::ColumnMappings merged = p.mappings;
  for (const bom::ColumnMapping& m : *mappings) {
    if (bom::FindColumnMapping(merged, m.column) == nullptr) merged.push_back(m);
  }
  *mappings = std::move(merged);
}

util::Result<ImportProfile> ImportProfiles::Parse(const nlohmann::json& body) {
  return ParseBody(body);
}

util::Result<std::vector<ImportProfile>> ImportProfiles::List(const access::Principal& actor) {
  if (Status st = Refuse(actor, Function::kColumnMappingsRead); !st.ok()) return st;
  util::Result<std::vector<ImportProfile>> out = Status::Internal();
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    out = LoadAll(db, *crypto.value(), &ParseBody);
    return out.status();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<ImportProfile> ImportProfiles::Get(const access::Principal& actor,
                                                const util::ImportProfileId& id) {
  auto all = List(actor);
  if (!all.ok()) return all.status();
  for (ImportProfile& p : all.value()) {
    if (p.id == id) return std::move(p);
  }
  return NotFound();
}

util::Result<ImportProfile> ImportProfiles::Create(const access::Principal& actor,
                                                   const nlohmann::json& body) {
  if (Status st = Refuse(actor, Function::kOrgSettingsWrite); !st.ok()) return st;
  auto parsed = Parse(body);
  if (!parsed.ok()) return parsed.status();
  ImportProfile p = std::move(parsed.value());
  p.id = util::ImportProfileId::Generate();
  p.created_at = p.updated_at = util::NowUnix();
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    auto all = LoadAll(db, c, &ParseBody);
    if (!all.ok()) return all.status();
    if (all->size() >= kMaxImportProfiles) {
      return Status::Conflict("too_many_profiles", "an organisation may keep at most " +
                                                       std::to_string(kMaxImportProfiles) +
                                                       " import profiles");
    }
    for (const ImportProfile& other : all.value()) {
      if (Lower(other.name) == Lower(p.name)) {
        return Status::Conflict("profile_exists", "an import profile with this name exists");
      }
    }
    const nlohmann::json stored = Stored(p);
    auto sealed = c.SealText(kPurpose, p.id.str(), stored.dump());
    store::InsertImportProfile(db, actor.org, actor.user,
                               {p.id, std::move(sealed), p.created_at, p.updated_at});
    RecordAudit(db, &c,
                {"org:" + actor.org.str(),
                 actor.user.str(),
                 "org.import_profile_create",
                 {{"profile_id", p.id.str()}, {"after", stored}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return p;
}

util::Result<ImportProfile> ImportProfiles::Replace(const access::Principal& actor,
                                                    const util::ImportProfileId& id,
                                                    const nlohmann::json& body) {
  if (Status st = Refuse(actor, Function::kOrgSettingsWrite); !st.ok()) return st;
  auto parsed = Parse(body);
  if (!parsed.ok()) return parsed.status();
  ImportProfile p = std::move(parsed.value());
  p.id = id;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    auto all = LoadAll(db, c, &ParseBody);
    if (!all.ok()) return all.status();
    const ImportProfile* before = nullptr;
    for (const ImportProfile& other : all.value()) {
      if (other.id == id) {
        before = &other;
      } else if (Lower(other.name) == Lower(p.name)) {
        return Status::Conflict("profile_exists", "an import profile with this name exists");
      }
    }
    if (before == nullptr) return NotFound();
    p.created_at = before->created_at;
    p.updated_at = util::NowUnix();
    const nlohmann::json stored = Stored(p);
    auto sealed = c.SealText(kPurpose, p.id.str(), stored.dump());
    store::UpdateImportProfile(db, actor.org, id, sealed, p.updated_at);
    RecordAudit(db, &c,
                {"org:" + actor.org.str(),
                 actor.user.str(),
                 "org.import_profile_update",
                 {{"profile_id", id.str()}, {"before", Stored(*before)}, {"after", stored}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return p;
}

Status ImportProfiles::Delete(const access::Principal& actor, const util::ImportProfileId& id) {
  if (Status st = Refuse(actor, Function::kOrgSettingsWrite); !st.ok()) return st;
  return db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    if (!store::DeleteImportProfile(db, actor.org, id)) return NotFound();
    RecordAudit(db, crypto.value().get(),
                {"org:" + actor.org.str(),
                 actor.user.str(),
                 "org.import_profile_delete",
                 {{"profile_id", id.str()}}});
    return Status::Ok();
  });
}

}  // namespace bomvault::service
