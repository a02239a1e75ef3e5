// Data sources: the systems an organisation pulls BOMs from and sends them to, and each user's own
// connection to them.
//
// Administrators create, change and delete sources. A source's configuration (name, base URL,
// database, auth method, CA bundle, internal mark, proxy, limits, rules) is sealed as one JSON
// object under the org key; only `kind` is stored in the clear. Editors and Viewers learn exactly
// id, name, kind and whether they themselves are connected: SourceView::config is empty for them
// and the http layer writes nothing else.
// A connection is one user's own credentials for one source (PUT .../connection), checked against
// the source before it is stored, sealed under the org key with org, source and user in the
// associated data, opened into locked memory only inside that user's own jobs, and never returned
// by any route. Nobody else's job can open it: the row is looked up by the job owner's user id, and
// the associated data would refuse a row moved to another user. Disconnecting deletes it (after
// asking the source to forget the session where the kind supports that); disabling the user
// deletes all of theirs (service/users.cc); sealing the vault drops the org keys, so no
// connection opens until the shares are entered again.
// Pulls and sends run as jobs (service/jobs.h) on the submitting user's own connection; a user
// without one gets 409 "connection_required". Everything is audited with ids only.
// Folder sources (service/source_folder.h) have no connection: who may pull lists the files an
// export job dropped and pulls one through the importer (service/imports.h) with the source's
// profile; a refresh reads the same file again. Nothing is sent to a folder.
// Thread-safe: state lives in the store; the job queue has its own locking.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "access/permissions.h"
#include "bom/item.h"
#include "service/boms.h"
#include "service/imports.h"
#include "service/jobs.h"
#include "service/org_keys.h"
#include "service/outbound.h"
#include "service/rest_source.h"
#include "service/source_config.h"
#include "service/source_folder.h"
#include "store/database.h"

namespace bomvault::service {

struct SourceView {
  util::SourceId id;
  std::string name, kind;
  bool connected = false;  // the caller's own connection
  int64_t created_at = 0, updated_at = 0;
  std::optional<SourceConfig> config;  // Administrators only
};

// The members of a connection body (PUT .../connection) as given, in order: each member's text,
// nullopt for a member that is not text. Which members a source takes depends on its kind and
// auth method (Sources::Connect checks them).
struct SourceCredentials {
  std::vector<std::pair<std::string, std::optional<std::string>>> members;
};

class Sources {
 public:
  // folder_root: the drop root for folder sources (`serve --source-dir`); "" = none.
  Sources(store::Database& db, OrgKeys& keys, Boms& boms, Imports& imports, Jobs& jobs,
          std::string folder_root = {})
      : db_(db),
        keys_(keys),
        boms_(boms),
        imports_(imports),
        jobs_(jobs),
        folder_(std::move(folder_root)) {}

  util::Result<util::SourceId> Create(const access::Principal& actor,
                                      const codec::SourceSettingsPatch& body);
  util::Result<std::vector<SourceView>> List(const access::Principal& actor);
  util::Result<SourceView> Get(const access::Principal& actor, const util::SourceId& id);
  util::Result<SourceView> Update(const access::Principal& actor, const util::SourceId& id,
                                  const codec::SourceSettingsPatch& patch);
  util::Status Delete(const access::Principal& actor, const util::SourceId& id);

  // The caller's own credentials: checked against the source, then sealed and stored.
  util::Status Connect(const access::Principal& actor, const util::SourceId& id,
                       const SourceCredentials& credentials);
  util::Status Disconnect(const access::Principal& actor, const util::SourceId& id);
  // What the caller must give to connect: "password" (Tryton, REST basic), "api_key",
  // "client_credentials" or "oauth" (start with StartAuthorization). A folder source is 400
  // no_connection_needed. Reads only: nothing is stored, checked at the source or audited. The
  // answer names the kind of credential the caller enters and nothing about the configuration.
  util::Result<std::string> ConnectionNeeds(const access::Principal& actor,
                                            const util::SourceId& id);
  // OAuth 2.0 code + PKCE: the provider's sign-in URL for the caller; the state and verifier are
  // kept in memory (kPendingSeconds) until PUT .../connection brings back {code, state}.
  struct Authorization {
    std::string authorize_url, state;
  };
  util::Result<Authorization> StartAuthorization(const access::Principal& actor,
                                                 const util::SourceId& id,
                                                 std::string_view redirect_uri);
  static constexpr int64_t kPendingSeconds = 600;

  // Queue a pull (a new BOM, or with `bom` a refresh of that BOM) or a send, on the caller's own
  // connection. `remote_id` may be empty for a refresh: the BOM's link to this source names it.
  util::Result<util::JobId> SubmitPull(const access::Principal& actor, const util::SourceId& id,
                                       std::string remote_id, std::optional<util::BomId> bom);
  util::Result<util::JobId> SubmitSend(const access::Principal& actor, const util::BomId& bom,
                                       const util::SourceId& id);

  // A folder source's files, with whether each is new, changed or as last pulled (who may pull).
  struct FileView {
    std::string name;
    int64_t size = 0, modified_at = 0;
    std::string state;  // "new" | "changed" | "pulled"
  };
  util::Result<std::vector<FileView>> ListFiles(const access::Principal& actor,
                                                const util::SourceId& id);

 private:
  struct Loaded {
    SourceView view;
    SourceConfig config;
    std::shared_ptr<const OrgCrypto> crypto;
  };
  util::Result<Loaded> Load(store::Db& db, const access::Principal& actor,
                            const util::SourceId& id);
  // The actor's own secret for this source, in locked memory; Conflict "connection_required".
  util::Result<crypto::SecureBuffer> LoadSecret(store::Db& db, const OrgCrypto& crypto,
                                                const util::SourceId& id, const util::UserId& user);
  util::Result<std::optional<std::string>> LoadLink(store::Db& db, const OrgCrypto& crypto,
                                                    const util::BomId& bom,
                                                    const util::SourceId& id);
  void StoreLink(store::Db& db, const OrgCrypto& crypto, const util::BomId& bom,
                 const util::SourceId& id, const std::string& remote_id);
  util::Result<JobResult> RunPull(const access::Principal& actor, const util::SourceId& id,
                                  std::string remote_id, std::optional<util::BomId> bom,
                                  JobContext& ctx);
  // A refresh: `items` become a new revision of `bom` when they differ from its current one
  // (bom::Compare, as the compare route); when nothing changed nothing is written.
  util::Result<JobResult> Refresh(const access::Principal& actor, const util::SourceId& id,
                                  const std::string& remote_id, const util::BomId& bom,
                                  std::vector<bom::Item> items, const RevisionNote& note);
  util::Result<JobResult> RunFolderPull(const access::Principal& actor, const util::SourceId& id,
                                        const SourceConfig& config, const std::string& name,
                                        std::optional<util::BomId> bom, JobContext& ctx);
  void RecordFile(const access::Principal& actor, const util::SourceId& id, const FolderRead& file,
                  const std::string& name, const util::BomId& bom, int64_t revision);
  util::Result<JobResult> RunSend(const access::Principal& actor, const util::BomId& bom,
                                  const util::SourceId& id, JobContext& ctx);

  void KeepRefreshed(const access::Principal& actor, const util::SourceId& id,
                     const crypto::SecureBuffer& fresh);
  util::Status SaveSecret(const access::Principal& actor, const util::SourceId& id,
                          const crypto::SecureBuffer& secret);
  util::Result<crypto::SecureBuffer> CredentialsFor(const access::Principal& actor,
                                                    const util::SourceId& id,
                                                    const SourceConfig& config,
                                                    const SourceCredentials& credentials);

  struct Pending {
    util::OrgId org;
    util::UserId user;
    util::SourceId source;
    crypto::SecureBuffer verifier;
    std::string redirect_uri;
    int64_t expires_at = 0;
  };

  store::Database& db_;
  OrgKeys& keys_;
  Boms& boms_;
  Imports& imports_;
  Jobs& jobs_;
  SourceFolder folder_;
  std::mutex pending_mu_;
  std::map<std::string, Pending> pending_;  // by state; guarded by pending_mu_
};

}  // namespace bomvault::service
