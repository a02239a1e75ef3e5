#include "service/import_profiles.h"

#include <algorithm>

#include "codec/import_profile.h"
#include "service/audit.h"
#include "store/import_profiles_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Function;
using util::Status;

namespace {

constexpr std::string_view kPurpose = "import-profile";

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
util::Result<std::vector<ImportProfile>> LoadAll(store::Db& db, const OrgCrypto& crypto) {
  std::vector<ImportProfile> out;
  for (store::ImportProfileRow& row : store::ListImportProfiles(db, crypto.org())) {
    auto text = crypto.OpenText(kPurpose, row.id.str(), row.sealed);
    if (!text) return Status::Internal("an import profile could not be decrypted");
    auto settings = codec::DecodeImportProfile(*text);
    if (!settings.ok()) {
      util::log::Error("import_profile.unreadable").Ref("org_id", crypto.org());
      return Status::Internal("an import profile could not be read");
    }
    ImportProfile p;
    static_cast<codec::ImportProfileSettings&>(p) = std::move(settings.value());
    p.id = std::move(row.id);
    p.created_at = row.created_at;
    p.updated_at = row.updated_at;
    out.push_back(std::move(p));
  }
  return out;
}

// A profile whose settings passed codec::CheckImportProfile; its id and times are the caller's.
util::Result<ImportProfile> Checked(codec::ImportProfileSettings settings) {
  auto checked = codec::CheckImportProfile(std::move(settings));
  if (!checked.ok()) return checked.status();
  ImportProfile p;
  static_cast<codec::ImportProfileSettings&>(p) = std::move(checked.value());
  return p;
}

}  // namespace

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

util::Result<std::vector<ImportProfile>> ImportProfiles::List(const access::Principal& actor) {
  if (Status st = Refuse(actor, Function::kColumnMappingsRead); !st.ok()) return st;
  util::Result<std::vector<ImportProfile>> out = Status::Internal();
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    out = LoadAll(db, *crypto.value());
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
                                                   codec::ImportProfileSettings settings) {
  if (Status st = Refuse(actor, Function::kOrgSettingsWrite); !st.ok()) return st;
  auto parsed = Checked(std::move(settings));
  if (!parsed.ok()) return parsed.status();
  ImportProfile p = std::move(parsed.value());
  p.id = util::ImportProfileId::Generate();
  p.created_at = p.updated_at = util::NowUnix();
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    auto all = LoadAll(db, c);
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
    auto sealed = c.SealText(kPurpose, p.id.str(), codec::EncodeImportProfile(p));
    store::InsertImportProfile(db, actor.org, actor.user,
                               {p.id, std::move(sealed), p.created_at, p.updated_at});
    RecordAudit(
        db, &c,
        {"org:" + actor.org.str(),
         actor.user.str(),
         "org.import_profile_create",
         {{"profile_id", p.id.str()}, {"after", codec::JsonText{codec::EncodeImportProfile(p)}}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return p;
}

util::Result<ImportProfile> ImportProfiles::Replace(const access::Principal& actor,
                                                    const util::ImportProfileId& id,
                                                    codec::ImportProfileSettings settings) {
  if (Status st = Refuse(actor, Function::kOrgSettingsWrite); !st.ok()) return st;
  auto parsed = Checked(std::move(settings));
  if (!parsed.ok()) return parsed.status();
  ImportProfile p = std::move(parsed.value());
  p.id = id;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto crypto = keys_.Get(db, actor.org);
    if (!crypto.ok()) return crypto.status();
    const OrgCrypto& c = *crypto.value();
    auto all = LoadAll(db, c);
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
    auto sealed = c.SealText(kPurpose, p.id.str(), codec::EncodeImportProfile(p));
    store::UpdateImportProfile(db, actor.org, id, sealed, p.updated_at);
    RecordAudit(db, &c,
                {"org:" + actor.org.str(),
                 actor.user.str(),
                 "org.import_profile_update",
                 {{"profile_id", id.str()},
                  {"before", codec::JsonText{codec::EncodeImportProfile(*before)}},
                  {"after", codec::JsonText{codec::EncodeImportProfile(p)}}}});
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
