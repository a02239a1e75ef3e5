// Imports: the one use case that turns a file as exported by a CAD, EDA, PLM or ERP tool into a
// stored BOM. The import route, its preview, the UI (through those routes) and data sources (a
// pulled export) all come here, so every path applies the same pipeline (bom/import.h), the same
// organisation column mappings and the same permission checks.
//
// Import refuses before reading the file when the actor may not create BOMs (the same refusal
// as Boms::Create), runs the pipeline, and stores the items through Boms::Create (sealed,
// audited with via="import"). A file the pipeline refuses changes nothing and comes back as an
// Ok Result whose report carries the errors (status not Ok): the caller shows them per line.
// Preview runs the same pipeline for an actor who may create BOMs and stores nothing.
// options.profile names a built-in profile, or the id of one of the org's saved import profiles
// (service/import_profiles.h), whose base, mappings and options then apply.
// Thread-safe: no state of its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "access/permissions.h"
#include "bom/import.h"
#include "service/boms.h"
#include "service/import_profiles.h"
#include "service/orgs.h"

namespace bomvault::service {

struct ImportRequest {
  std::string name;    // the new BOM's name
  std::string source;  // free text stored as metadata.source ("" = none), e.g. a file name
  bom::ImportOptions options;
};

struct RevisionImportResult {
  bom::ImportReport report;
  std::optional<RevisionInfo> revision;  // set when the revision was stored
};

struct ImportResult {
  bom::ImportReport report;       // what the pipeline decided; items moved out on success
  std::optional<BomSummary> bom;  // set when the BOM was stored
};

class Imports {
 public:
  Imports(Boms& boms, Orgs& orgs, ImportProfiles& profiles)
      : boms_(boms), orgs_(orgs), profiles_(profiles) {}

  // Err only for refusals that are not about the file (permission, name, a store failure).
  util::Result<ImportResult> Import(const access::Principal& actor, std::string_view bytes,
                                    const ImportRequest& request);
  // A newer export of the same design as a new revision of `bom` (Boms::AddRevision's rules;
  // request.name is ignored). The permission to change the BOM is checked before the file is read.
  util::Result<RevisionImportResult> ImportRevision(const access::Principal& actor,
                                                    const util::BomId& bom, std::string_view bytes,
                                                    const ImportRequest& request);
  util::Result<bom::ImportReport> Preview(const access::Principal& actor, std::string_view bytes,
                                          const bom::ImportOptions& options);

 private:
  util::Result<bom::ImportReport> Run(const access::Principal& actor, std::string_view bytes,
                                      const bom::ImportOptions& options, bool check_create = true);

  Boms& boms_;
  Orgs& orgs_;
  ImportProfiles& profiles_;
};

}  // namespace bomvault::service
