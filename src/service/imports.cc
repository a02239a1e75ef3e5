#include "service/imports.h"

#include "codec/import_metadata.h"
#include "util/log.h"

namespace bomvault::service {

using access::Function;
using util::Status;

util::Result<bom::ImportReport> Imports::Run(const access::Principal& actor, std::string_view bytes,
                                             const bom::ImportOptions& options, bool check_create) {
  // Refuse before reading anything the caller may not create.
  if (Status st =
          access::Refusal(actor, Function::kBomCreate, access::MayUse(actor, Function::kBomCreate));
      check_create && !st.ok()) {
    return st;
  }
  auto mappings = orgs_.ColumnMappings(actor);
  if (!mappings.ok()) return mappings.status();
  if (auto saved = util::ImportProfileId::Parse(options.profile)) {
    auto profile = profiles_.Get(actor, *saved);
    if (!profile.ok()) return profile.status();
    bom::ImportOptions applied = options;
    ImportProfiles::Apply(profile.value(), &applied, &mappings.value());
    bom::ImportReport report = bom::ImportBom(bytes, applied, &mappings.value(), bom::Limits{});
    if (report.status.ok() || !report.errors.empty()) report.profile = profile->name;
    return report;
  }
  return bom::ImportBom(bytes, options, &mappings.value(), bom::Limits{});
}

util::Result<ImportResult> Imports::Import(const access::Principal& actor, std::string_view bytes,
                                           const ImportRequest& request) {
  auto report = Run(actor, bytes, request.options);
  if (!report.ok()) return report.status();
  ImportResult out;
  out.report = std::move(report.value());
  if (!out.report.status.ok()) return out;
  // The pipeline validated the items with line numbers; don't walk 100k items twice.
  auto created = boms_.Create(actor, request.name, codec::ImportMetadataText(request.source),
                              std::move(out.report.items), "import",
                              /*items_validated=*/true, out.report.profile);
  out.report.items.clear();
  if (!created.ok()) return created.status();
  util::log::Info("bom.imported")
      .Ref("bom_id", created->id)
      .Num("warnings", static_cast<int64_t>(out.report.warnings.size()));
  out.bom = std::move(created.value());
  return out;
}

util::Result<RevisionImportResult> Imports::ImportRevision(const access::Principal& actor,
                                                           const util::BomId& bom,
                                                           std::string_view bytes,
                                                           const ImportRequest& request) {
  if (Status st = boms_.Check(actor, bom, Function::kBomUpdate); !st.ok()) return st;
  auto report = Run(actor, bytes, request.options, /*check_create=*/false);
  if (!report.ok()) return report.status();
  RevisionImportResult out;
  out.report = std::move(report.value());
  if (!out.report.status.ok()) return out;
  RevisionNote note{"import", request.source, out.report.profile};
  auto revision = boms_.AddRevision(actor, bom, std::move(out.report.items), note,
                                    /*items_validated=*/true);
  out.report.items.clear();
  if (!revision.ok()) return revision.status();
  out.revision = std::move(revision.value());
  return out;
}

util::Result<bom::ImportReport> Imports::Preview(const access::Principal& actor,
                                                 std::string_view bytes,
                                                 const bom::ImportOptions& options) {
  return Run(actor, bytes, options);
}

}  // namespace bomvault::service
