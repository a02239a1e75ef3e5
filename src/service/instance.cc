#include "service/instance.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "bom/codec.h"
#include "bom/tree.h"
#include "service/audit.h"
#include "store/boms_store.h"
#include "store/instance_store.h"
#include "store/org_keys_store.h"
#include "store/orgs_store.h"
#include "store/sealed_columns_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using util::Code;
using Status = util::Status;

std::string DatabasePath(const std::string& data_dir) { return data_dir + "/bomvault.db"; }

namespace {

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

crypto::Bytes OperatorHash(std::string_view token) {
  return crypto::Hash("bomvault-token", crypto::AsBytes(token));
}

// Pulls and sends wait on the network, not the CPU; two keep a slow source from holding up all.
constexpr int kJobWorkers = 2;

util::Result<std::unique_ptr<Services>> BuildServices(std::unique_ptr<store::Database> db,
                                                      const vault::Keys& keys,
                                                      const InstanceOptions& options) {
  crypto::Bytes op_hash;
  Status read = db->Read([&](store::Db& conn) -> Status {
    if (auto h = store::OperatorTokenHash(conn)) op_hash = std::move(*h);
    return Status::Ok();
  });
  if (!read.ok()) return read;
  auto s = std::make_unique<Services>();
  s->db = std::move(db);
  s->org_keys = std::make_unique<OrgKeys>(keys.data_master);
  s->accounts = std::make_unique<Accounts>(*s->db, *s->org_keys, keys.index_key, op_hash);
  s->orgs = std::make_unique<Orgs>(*s->db, *s->org_keys, *s->accounts);
  s->boms = std::make_unique<Boms>(*s->db, *s->org_keys, *options.monitor);
  s->idempotency = std::make_unique<Idempotency>(*s->db, *s->org_keys);
  s->attachments = std::make_unique<Attachments>(*s->db, *s->boms, *options.monitor);
  s->import_profiles = std::make_unique<ImportProfiles>(*s->db, *s->org_keys);
  s->imports = std::make_unique<Imports>(*s->boms, *s->orgs, *s->import_profiles);
  MailOptions mail = options.mail;
  if (mail.outbox_dir.empty()) mail.outbox_dir = options.data_dir + "/outbox";
  s->mailer = std::make_unique<Mailer>(std::move(mail));
  if (!s->mailer->uses_outbox()) {
    s->notices =
        std::make_unique<Notices>(*s->db, *s->org_keys, *s->mailer, options.invitations.public_url);
    s->accounts->SetNotices(s->notices.get());
  }
  s->retention = std::make_unique<Retention>(*s->db, *s->org_keys, s->mailer.get());
  s->exfil = std::make_unique<ExfilResponse>(*s->db, *s->org_keys, *s->accounts);
  s->operator_audit = std::make_unique<OperatorAudit>(*s->db);
  s->invitations = std::make_unique<Invitations>(*s->db, *s->org_keys, *s->accounts, *s->mailer,
                                                 options.invitations);
  s->jobs = std::make_unique<Jobs>(kJobWorkers);
  s->sources = std::make_unique<Sources>(*s->db, *s->org_keys, *s->boms, *s->imports, *s->jobs,
                                         options.source_dir);
  s->passkeys = std::make_unique<Passkeys>(*s->db, *s->org_keys, *s->accounts,
                                           PasskeyOptions{options.invitations.public_url});
  s->oidc = std::make_unique<Oidc>(*s->db, *s->org_keys, *s->accounts, keys.index_key,
                                   OidcOptions{options.invitations.public_url});
  s->backups = std::make_unique<Backups>(*s->db, options.data_dir, keys.db_key, keys.data_master,
                                         options.backup_retention_days, options.monitor);
  // A deleted org's key must leave every backup directory's key file too.
  s->orgs->SetDeletedListener([b = s->backups.get()] { b->RefreshKeyFiles(); });
  options.monitor->SeedLastBackup(s->backups->LastSuccess());
  // Resumes any re-seal a crash or a seal interrupted.
  s->key_rotation = std::make_unique<KeyRotation>(*s->db, *s->org_keys, s->backups.get());
  return s;
}

}  // namespace

util::Result<InitResult> Instance::Initialise(const std::string& data_dir, int shares,
                                              int threshold) {
  if (shares < 2 || shares > 10 || threshold < 2 || threshold > shares) {
    return Status::Invalid("invalid_threshold",
                           "shares and threshold must satisfy 2 <= threshold <= shares <= 10");
  }
  if (Exists(vault::KeyringPath(data_dir)) || Exists(DatabasePath(data_dir))) {
    return Status::Conflict("store_exists", "this directory already holds a bomvault store");
  }
  if (!Exists(data_dir) && mkdir(data_dir.c_str(), 0700) != 0) {
    return Status::Invalid("data_dir", "the data directory could not be created");
  }
  chmod(data_dir.c_str(), 0700);
  auto created = vault::CreateKeyring(shares, threshold);
  if (!created.ok()) return created.status();
  vault::NewKeyring& nk = created.value();
  Status st = vault::WriteKeyringFile(data_dir, nk.file);
  if (!st.ok()) return st;
  InitResult out;
  out.operator_token = crypto::RandomToken();
  out.threshold = threshold;
  auto db = store::Database::Open(DatabasePath(data_dir), nk.keys.db_key, 0);
  if (!db.ok()) {
    unlink(vault::KeyringPath(data_dir).c_str());
    return db.status();
  }
  st = db.value()->Write([&](store::Db& conn) -> Status {
    store::InsertInstance(conn, vault::StoreIdHex(nk.file.store_id),
                          OperatorHash(out.operator_token), util::NowUnix());
    RecordAudit(
        conn, nullptr,
        {"instance", "system", "instance.init", {{"shares", shares}, {"threshold", threshold}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  out.shares = std::move(nk.share_texts);
  out.keys = std::move(nk.keys);
  return out;
}

util::Result<std::unique_ptr<Instance>> Instance::Load(InstanceOptions options) {
  auto kf = vault::ReadKeyringFile(options.data_dir);
  if (!kf.ok()) return kf.status();
  return std::unique_ptr<Instance>(new Instance(std::move(options), std::move(kf.value())));
}

Instance::Instance(InstanceOptions options, vault::KeyringFile keyring)
    : own_monitor_(options.monitor != nullptr
                       ? nullptr
                       : std::make_unique<Monitor>(util::SystemClock::Get())),
      options_(std::move(options)),
      progress_(std::move(keyring)) {
  if (options_.monitor == nullptr) options_.monitor = own_monitor_.get();
}

Instance::~Instance() {
  std::unique_lock lock(mu_);
  services_.reset();
}

std::optional<Instance::Hold> Instance::Acquire() {
  if (closing_.load() > 0) return std::nullopt;
  std::shared_lock lock(mu_);
  // Re-checked under the lock: a reader that overtook a sealing writer must not stay in.
  if (!services_ || closing_.load() > 0) return std::nullopt;
  Services* s = services_.get();
  return Hold(std::move(lock), s);
}

UnsealStatus Instance::SealStatus() const {
  UnsealStatus s;
  s.sealed = sealed_.load();
  s.shares_in = progress_.indices();
  s.progress = static_cast<int>(s.shares_in.size());
  s.threshold = progress_.threshold();
  s.shares = progress_.keyring_file().shares;
  return s;
}

util::Result<UnsealStatus> Instance::ResetUnseal(std::string_view share) {
  auto r = progress_.ResetBy(share);
  if (!r.ok()) {
    util::log::Warn("vault.unseal_reset_refused");
    return r.status();
  }
  util::log::Info("vault.unseal_reset");
  return SealStatus();
}

void Instance::RecordInstanceEvent(const char* action, AuditChange change) {
  std::lock_guard lock(pending_mu_);
  if (pending_events_.size() < 100) pending_events_.emplace_back(action, std::move(change));
}

util::Result<UnsealStatus> Instance::SubmitShare(std::string_view share) {
  if (!sealed_.load()) return SealStatus();
  auto outcome = progress_.Submit(share);
  if (!outcome.ok()) {
    const util::Status& st = outcome.status();
    if (st.machine_code() == "unseal_failed") {
      util::log::Warn("vault.unseal_failed");
      RecordInstanceEvent("unseal.failure", {{"reason", "combination"}});
    } else {
      util::log::Warn("vault.share_refused");
    }
    return st;
  }
  util::log::Info("vault.share_accepted")
      .Num("share_index", outcome->share_index)
      .Num("progress", outcome->progress)
      .Num("threshold", outcome->threshold);
  RecordInstanceEvent("unseal.share", {{"share_index", outcome->share_index}});
  if (outcome->keys) {
    util::Status st = OpenWithKeys(std::move(*outcome->keys));
    if (!st.ok()) return st;
  }
  return SealStatus();
}

util::Status Instance::OpenWithKeys(vault::Keys keys) {
  std::unique_lock lock(mu_);
  if (fault_teardown_pending_.exchange(false)) {
    // Faulted services whose teardown thread has not run yet (SealFromFault): no hold is left
    // (we have the lock), so they go now, and that thread will leave the new ones alone.
    services_.reset();
    closing_.fetch_sub(1);
  }
  if (services_) return util::Status::Ok();
  auto db = store::Database::Open(DatabasePath(options_.data_dir), keys.db_key,
                                  options_.reader_connections);
  if (!db.ok()) {
    util::log::Error("vault.store_open_failed");
    return db.status();
  }
  if (util::Status st = ApplyPendingRestore(*db.value(), options_.data_dir); !st.ok()) {
    util::log::Error("vault.restore_keys_failed");
    return st;
  }
  db.value()->SetFatalHandler([this] { SealFromFault(); });
  auto built = BuildServices(std::move(db.value()), keys, options_);
  if (!built.ok()) {
    util::log::Error("vault.store_open_failed");
    return built.status();
  }
  services_ = std::move(built.value());
  std::vector<std::pair<std::string, AuditChange>> events;
  {
    std::lock_guard plock(pending_mu_);
    events.swap(pending_events_);
  }
  events.emplace_back("unseal.success", AuditChange());
  util::Status audited = services_->db->Write([&](store::Db& conn) -> util::Status {
    for (auto& [action, change] : events) {
      RecordAudit(conn, nullptr, {"instance", "system", action, change});
    }
    return util::Status::Ok();
  });
  if (!audited.ok()) {
    // The store cannot record its own unseal (a full disk, an I/O error): stay sealed and take
    // shares again. Clearing sealed_ here would leave an instance that is neither open (no
    // services) nor willing to unseal (SubmitShare ignores shares while not sealed).
    services_.reset();
    progress_.Reset();
    util::log::Error("vault.unseal_not_recorded");
    return audited;
  }
  sealed_ = false;
  util::log::Info("vault.unsealed").Num("schema_version", services_->db->schema_version());
  return util::Status::Ok();
}

void Instance::BeginClosing() {
  closing_.fetch_add(1);
  // A shared hold is granted at once even while writers wait; it keeps services_ alive while
  // the hashing queue is told to empty.
  std::shared_lock peek(mu_);
  if (services_) services_->accounts->StopHashing();
}

void Instance::Seal(const char* reason) {
  const auto started = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t)
        .count();
  };
  BeginClosing();
  std::unique_lock lock(mu_);
  const int64_t drained_ms = ms_since(started);
  if (services_) {
    // Sealing goes on whatever the store answers (a fatal fault seals too); a failure to record
    // it or to fold the WAL is logged.
    util::Status audited = services_->db->Write([&](store::Db& conn) -> util::Status {
      RecordAudit(conn, nullptr, {"instance", "operator", "seal", {{"reason", reason}}});
      return util::Status::Ok();
    });
    if (!audited.ok()) util::log::Error("vault.seal_audit_failed");
    if (!services_->db->CheckpointTruncate().ok()) util::log::Error("vault.seal_checkpoint_failed");
  }
  services_.reset();  // closes the store; every SecureBuffer is wiped
  progress_.Reset();
  sealed_ = true;
  closing_.fetch_sub(1);
  // How long the requests already running took to leave, and the whole seal (docs/security.md).
  util::log::Warn("vault.sealed").Num("drain_ms", drained_ms).Num("ms", ms_since(started));
}

void Instance::SealFromFault() {
  if (sealed_.exchange(true)) return;
  util::log::Error("vault.sealing_on_storage_fault");
  // The caller holds the services (a request's or a job's shared hold, or Seal()'s exclusive
  // lock), so services_ cannot change under us here. Closing starts now, in this thread: from
  // this moment no new request gets the faulted services.
  closing_.fetch_add(1);
  if (services_) services_->accounts->StopHashing();
  fault_teardown_pending_ = true;
  // The teardown waits for the holds in flight. Key holders may unseal again before it runs:
  // OpenWithKeys then does the teardown itself, and this thread must not touch the services of
  // that later unseal. Whichever of the two takes the pending flag (under mu_) does it, once.
  // The unseal progress needs no reset: it is empty while unsealed (UnsealProgress clears it).
  std::thread([this] {
    std::unique_lock lock(mu_);
    if (fault_teardown_pending_.exchange(false)) {
      services_.reset();
      closing_.fetch_sub(1);
    }
  }).detach();
}

namespace {

// `check --retired-from OLD`: OLD is an earlier copy of this data directory (same shares). Every
// data key its org_keys and org_keys_retired hold that this store no longer holds must open none
// of this store's ciphertext: after a finished rotation the old keys are useless here.
util::Status CheckRetiredKeys(store::Database& current, const crypto::SecureBuffer& data_master,
                              const std::string& old_dir, const std::vector<std::string>& shares,
                              std::vector<std::string>* problems,
                              std::vector<std::string>* summary) {
  auto old_keys = vault::KeysFromShares(old_dir, shares);
  if (!old_keys.ok()) return old_keys.status();
  auto old_db = store::Database::Open(DatabasePath(old_dir), old_keys->db_key, 1);
  if (!old_db.ok()) return old_db.status();
  OrgKeys old_org_keys(old_keys->data_master);
  std::map<std::string, std::vector<crypto::SecureBuffer>> old;  // org -> its keys in OLD
  util::Status st = old_db.value()->Read([&](store::Db& conn) -> util::Status {
    for (const util::OrgId& id : store::OrgIdsWithKeys(conn)) {
      auto& list = old[id.str()];
      if (auto k = old_org_keys.CurrentKey(conn, id); k.ok()) list.push_back(std::move(k.value()));
      if (auto r = old_org_keys.RetiredKeys(conn, id); r.ok()) {
        for (auto& k : r.value()) list.push_back(std::move(k));
      }
    }
    return util::Status::Ok();
  });
  if (!st.ok()) return st;
  OrgKeys org_keys(data_master);
  int64_t compared = 0, opened = 0, still_held = 0;
  st = current.Read([&](store::Db& conn) -> util::Status {
    for (const auto& [org, list] : old) {
      auto id = util::OrgId::FromTrusted(org);
      auto crypto = org_keys.Get(conn, id);
      if (!crypto.ok()) continue;  // the org is gone here
      std::vector<crypto::SecureBuffer> held;
      if (auto k = org_keys.CurrentKey(conn, id); k.ok()) held.push_back(std::move(k.value()));
      if (auto r = org_keys.RetiredKeys(conn, id); r.ok()) {
        for (auto& k : r.value()) held.push_back(std::move(k));
      }
      for (const auto& key : list) {
        bool in_use = false;
        for (const auto& h : held) in_use = in_use || h.Equals(key.span());
        // A key this store still holds as its current one was never rotated: not compared.
        if (in_use && held.front().Equals(key.span())) continue;
        ++compared;
        if (in_use) ++still_held;
        store::ForEachSealedColumn(conn, id,
                                   [&](std::string_view purpose, std::string_view object,
                                       std::span<const uint8_t> sealed) {
                                     if (crypto.value()->OpensWith(key, purpose, object, sealed))
                                       ++opened;
                                   });
      }
    }
    return util::Status::Ok();
  });
  if (!st.ok()) return st;
  summary->push_back("keys of " + old_dir + " no longer current here: " + std::to_string(compared));
  summary->push_back("ciphertexts they open here: " + std::to_string(opened));
  summary->push_back("of them still stored here (retired): " + std::to_string(still_held));
  if (opened > 0) {
    problems->push_back(std::to_string(opened) +
                        " ciphertexts still open with a key of the earlier copy");
  }
  return util::Status::Ok();
}

// The walk both `check` and each backup's verification run: every org key and its column mappings
// open, and every BOM's name, metadata and item chunks decrypt and agree with their counts and
// form a valid tree. Counts orgs, users, BOMs and items into `counts`.
void CheckOrgsAndBoms(store::Db& conn, OrgKeys& org_keys, std::vector<std::string>* problems,
                      CheckCounts* counts) {
  for (const util::OrgId& id : store::OrgIds(conn)) {
    ++counts->orgs;
    auto crypto = org_keys.Get(conn, id);
    if (!crypto.ok()) {
      problems->push_back("org " + id.str() + ": data key does not open");
    } else if (!Orgs::LoadColumnMappings(conn, *crypto.value()).ok()) {
      problems->push_back("org " + id.str() + ": column mappings do not open");
    }
  }
  counts->users = store::CountStore(conn).users;
  store::ForEachBomForCheck(conn, [&](const store::BomCheckRow& row) {
    ++counts->boms;
    const util::BomId& id = row.id;
    auto crypto = org_keys.Get(conn, row.org);
    std::string where = "bom " + id.str() + ": ";
    if (!crypto.ok()) {
      problems->push_back(where + "org key missing");
      return;
    }
    if (!crypto.value()->Open("bom-name", id.str(), row.name_sealed))
      problems->push_back(where + "name does not decrypt");
    if (!crypto.value()->Open("bom-meta", id.str(), row.meta_sealed))
      problems->push_back(where + "metadata does not decrypt");
    std::vector<bom::Item> its;
    int64_t expected = 0;
    bool chunks_ok = true;
    store::ForEachBomChunk(conn, id, [&](int64_t seq, std::span<const uint8_t> sealed) {
      auto plain = crypto.value()->Open("bom-chunk", id.str() + "/" + std::to_string(seq), sealed);
      if (seq != expected++ || !plain || !bom::DecodeItems(*plain, its)) chunks_ok = false;
      return true;
    });
    if (!chunks_ok) problems->push_back(where + "items do not decrypt");
    if (expected != row.chunk_count) problems->push_back(where + "chunk count mismatch");
    if (static_cast<int64_t>(its.size()) != row.item_count)
      problems->push_back(where + "item count mismatch");
    if (chunks_ok && !bom::ValidateItems(its, bom::Limits{}).ok())
      problems->push_back(where + "item tree invalid");
    counts->items += static_cast<int64_t>(its.size());
  });
}

}  // namespace

util::Status Instance::Check(const std::string& data_dir, const std::vector<std::string>& shares,
                             std::vector<std::string>* problems, std::vector<std::string>* summary,
                             const std::string& retired_from) {
  auto keys = vault::KeysFromShares(data_dir, shares);
  if (!keys.ok()) return keys.status();
  for (const std::string& f : {DatabasePath(data_dir), DatabasePath(data_dir) + "-wal"}) {
    if (store::LooksLikePlainSqlite(f)) problems->push_back("a store file is not encrypted");
  }
  auto db = store::Database::Open(DatabasePath(data_dir), keys->db_key, 1);
  if (!db.ok()) return db.status();
  util::Status st = ApplyPendingRestore(*db.value(), data_dir);
  if (!st.ok()) return st;
  st = db.value()->IntegrityCheck(problems);
  if (!st.ok()) return st;
  OrgKeys org_keys(keys->data_master);
  CheckCounts walked;
  int64_t revisions = 0, password_hashes = 0;
  int64_t sealed_fields = 0, rotations = 0, retired_keys = 0;
  std::vector<std::string> sso_summary;
  st = db.value()->Read([&](store::Db& conn) -> util::Status {
    CheckOrgsAndBoms(conn, org_keys, problems, &walked);
    revisions = Boms::CheckRevisions(conn, org_keys, problems);
    walked.attachments = Attachments::CheckAll(conn, org_keys, problems);
    password_hashes = Oidc::CheckAll(conn, org_keys, problems, &sso_summary);
    // Every ciphertext under an org data key, column by column (the re-seal's own table).
    for (const util::OrgId& id : store::OrgIds(conn)) {
      auto crypto = org_keys.Get(conn, id);
      if (!crypto.ok()) continue;  // reported above
      int64_t bad = 0;
      store::ForEachSealedColumn(
          conn, id,
          [&](std::string_view purpose, std::string_view object, std::span<const uint8_t> sealed) {
            ++sealed_fields;
            if (!crypto.value()->Open(purpose, object, sealed)) ++bad;
          });
      if (bad > 0) {
        problems->push_back("org " + id.str() + ": " + std::to_string(bad) +
                            " sealed fields do not open");
      }
    }
    const store::StoreCounts counts = store::CountStore(conn);
    rotations = counts.key_rotations;
    retired_keys = counts.retired_org_keys;
    return util::Status::Ok();
  });
  if (!st.ok()) return st;
  if (!retired_from.empty()) {
    st = CheckRetiredKeys(*db.value(), keys->data_master, retired_from, shares, problems, summary);
    if (!st.ok()) return st;
  }
  summary->push_back("schema version: " + std::to_string(db.value()->schema_version()));
  summary->push_back("organisations: " + std::to_string(walked.orgs));
  summary->push_back("users: " + std::to_string(walked.users));
  summary->push_back("boms: " + std::to_string(walked.boms));
  summary->push_back("items: " + std::to_string(walked.items));
  summary->push_back("earlier revisions: " + std::to_string(revisions));
  summary->push_back("attachments: " + std::to_string(walked.attachments));
  summary->push_back("password hashes: " + std::to_string(password_hashes));
  summary->push_back("sealed fields: " + std::to_string(sealed_fields));
  summary->push_back("key rotations in progress: " + std::to_string(rotations));
  summary->push_back("retired keys kept: " + std::to_string(retired_keys));
  summary->insert(summary->end(), sso_summary.begin(), sso_summary.end());
  return util::Status::Ok();
}

util::Status CheckOpenStore(store::Database& database, const crypto::SecureBuffer& data_master,
                            std::vector<std::string>* problems, CheckCounts* counts) {
  util::Status st = database.IntegrityCheck(problems);
  if (!st.ok()) return st;
  CheckCounts walked;
  OrgKeys org_keys(data_master);
  st = database.Read([&](store::Db& conn) -> util::Status {
    CheckOrgsAndBoms(conn, org_keys, problems, &walked);
    walked.attachments = Attachments::CheckAll(conn, org_keys, problems);
    return util::Status::Ok();
  });
  if (!st.ok()) return st;
  *counts = walked;
  return util::Status::Ok();
}

}  // namespace bomvault::service
