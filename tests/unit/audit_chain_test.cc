// The long-term audit chain: its canonical encoding and hash, the verifier over rows in memory
// (every kind of tampering), and the same checks over a real encrypted store, where rows are
// edited and deleted with SQL the way someone holding the database key could. Built into
// store_tests because the last part needs a store.
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "crypto/crypto.h"
#include "service/audit.h"
#include "service/instance.h"
#include "util/clock.h"
#include "util/log.h"

using namespace bomvault;
using service::ChainHash;
using service::ChainReport;
using service::ChainRow;
using service::ChainVerifier;

namespace {

ChainRow Row(const std::string& object, const std::string& action, bool sealed = false) {
  ChainRow r;
  r.at = 1767225600;
  r.object = object;
  r.actor_id = "usr_000000000000000000000001";
  r.action = action;
  r.sealed = sealed;
  std::string change = sealed ? std::string("\x01\x02\x03", 3) : R"({"k":1})";
  r.change.assign(change.begin(), change.end());
  if (sealed) r.org_id = "org_000000000000000000000001";
  return r;
}

// A well-formed chain of n rows starting at seq 1.
std::vector<ChainRow> Chain(int n) {
  std::vector<ChainRow> rows;
  crypto::Bytes prev(service::kChainHashSize, 0);
  for (int i = 0; i < n; ++i) {
    ChainRow r = Row("bom:" + std::to_string(i), "bom.update", i % 2 == 0);
    r.seq = i + 1;
    r.at += i;
    r.prev_hash = prev;
    r.hash = ChainHash(prev, r);
    prev = r.hash;
    rows.push_back(r);
  }
  return rows;
}

// Appends a row linked to the last one, re-hashing it.
void Append(std::vector<ChainRow>& rows, ChainRow r) {
  r.seq = rows.back().seq + 1;
  r.prev_hash = rows.back().hash;
  r.hash = ChainHash(r.prev_hash, r);
  rows.push_back(r);
}

// What retention does: drop rows through `through`, append a checkpoint naming the last of them.
void Trim(std::vector<ChainRow>& rows, int64_t through) {
  crypto::Bytes through_hash;
  for (const auto& r : rows) {
    if (r.seq == through) through_hash = r.hash;
  }
  ChainRow cp = Row("audit_chain", service::kChainCheckpointAction);
  std::string change = nlohmann::json{
      {"through_seq", through},
      {"through_hash", crypto::ToHex(through_hash)},
      {"deleted", through - rows.front().seq + 1},
      {"retention_days",
       1}}.dump();
  cp.change.assign(change.begin(), change.end());
  cp.actor_id = "system";
  ChainRow last = rows.back();
  std::erase_if(rows, [&](const ChainRow& r) { return r.seq <= through; });
  cp.seq = last.seq + 1;
  cp.prev_hash = last.hash;
  cp.hash = ChainHash(cp.prev_hash, cp);
  rows.push_back(cp);
}

ChainReport Verify(const std::vector<ChainRow>& rows,
                   std::optional<std::pair<int64_t, crypto::Bytes>> expect = {}) {
  ChainVerifier v;
  if (expect) v.Expect(expect->first, expect->second);
  for (const auto& r : rows) v.Add(r);
  return v.Finish();
}

bool Mentions(const ChainReport& r, const std::string& text) {
  for (const auto& p : r.problems) {
    if (p.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("the chain encoding is injective across field boundaries and kinds") {
  REQUIRE(crypto::Init());
  ChainRow a = Row("ab", "x");
  ChainRow b = Row("a", "x");
  b.actor_id = "b" + a.actor_id;
  CHECK(service::ChainEncoding(a) != service::ChainEncoding(b));
  ChainRow no_org = Row("o", "x");
  ChainRow empty_org = no_org;
  empty_org.org_id = "";
  CHECK(service::ChainEncoding(no_org) != service::ChainEncoding(empty_org));
  ChainRow plain = Row("o", "x");
  ChainRow sealed = plain;
  sealed.sealed = true;
  CHECK(service::ChainEncoding(plain) != service::ChainEncoding(sealed));
  crypto::Bytes zero(32, 0), one(32, 0);
  one[31] = 1;
  CHECK(ChainHash(zero, a) != ChainHash(one, a));
  CHECK(ChainHash(zero, a) == ChainHash(zero, a));
  CHECK(ChainHash(zero, a).size() == service::kChainHashSize);
}

TEST_CASE("an intact chain verifies, and so does an empty one") {
  REQUIRE(crypto::Init());
  ChainReport r = Verify(Chain(20));
  CHECK(r.ok());
  CHECK(r.entries == 20);
  CHECK(r.first_seq == 1);
  CHECK(r.head_seq == 20);
  CHECK(Verify({}).ok());
}

TEST_CASE("every kind of tampering is found") {
  REQUIRE(crypto::Init());
  SUBCASE("a field edited in place") {
    auto rows = Chain(10);
    rows[4].actor_id = "usr_00000000000000000000beef";
    auto r = Verify(rows);
    CHECK_FALSE(r.ok());
    CHECK(Mentions(r, "seq 5: its content does not match"));
  }
  SUBCASE("sealed change bytes swapped") {
    auto rows = Chain(10);
    rows[2].change[0] ^= 1;
    CHECK(Mentions(Verify(rows), "seq 3: its content"));
  }
  SUBCASE("an edited row re-hashed breaks the next link") {
    auto rows = Chain(10);
    rows[4].action = "bom.read";
    rows[4].hash = ChainHash(rows[4].prev_hash, rows[4]);
    auto r = Verify(rows);
    CHECK(Mentions(r, "seq 6: does not link"));
  }
  SUBCASE("a row deleted in the middle") {
    auto rows = Chain(10);
    rows.erase(rows.begin() + 5);
    auto r = Verify(rows);
    CHECK(Mentions(r, "seq 7: follows seq 5"));
    CHECK(Mentions(r, "seq 7: does not link"));
  }
  SUBCASE("two rows swapped") {
    auto rows = Chain(10);
    std::swap(rows[3], rows[4]);
    CHECK_FALSE(Verify(rows).ok());
  }
  SUBCASE("the oldest rows deleted without a checkpoint") {
    auto rows = Chain(10);
    rows.erase(rows.begin(), rows.begin() + 3);
    CHECK(Mentions(Verify(rows), "deleted without a checkpoint"));
  }
  SUBCASE("more rows deleted than the checkpoint says") {
    auto rows = Chain(10);
    Trim(rows, 4);
    REQUIRE(Verify(rows).ok());
    rows.erase(rows.begin());
    CHECK(Mentions(Verify(rows), "does not continue where the latest checkpoint says"));
  }
  SUBCASE("a checkpoint's claim edited") {
    auto rows = Chain(10);
    Trim(rows, 4);
    std::string forged = R"({"deleted":6,"retention_days":1,"through_hash":")" +
                         crypto::ToHex(rows.front().prev_hash) + R"(","through_seq":6})";
    rows.back().change.assign(forged.begin(), forged.end());
    CHECK(Mentions(Verify(rows), "its content does not match"));
  }
  SUBCASE("the newest rows deleted, caught by a head recorded earlier") {
    auto rows = Chain(10);
    auto head = std::make_pair(rows.back().seq, rows.back().hash);
    rows.pop_back();
    rows.pop_back();
    CHECK(Verify(rows).ok());  // no anchor: a shorter chain is indistinguishable
    CHECK(Mentions(Verify(rows, head), "the chain ends before the recorded seq 10"));
  }
  SUBCASE("the whole chain rebuilt, caught by a head recorded earlier") {
    auto rows = Chain(10);
    auto head = std::make_pair(rows[7].seq, rows[7].hash);
    rows[2].actor_id = "usr_00000000000000000000beef";
    crypto::Bytes prev = rows[1].hash;
    for (size_t i = 2; i < rows.size(); ++i) {
      rows[i].prev_hash = prev;
      rows[i].hash = ChainHash(prev, rows[i]);
      prev = rows[i].hash;
    }
    CHECK(Verify(rows).ok());
    CHECK(Mentions(Verify(rows, head), "seq 8: its hash differs from the one recorded earlier"));
  }
}

TEST_CASE("retention checkpoints keep a trimmed chain verifiable, repeatedly") {
  REQUIRE(crypto::Init());
  auto rows = Chain(10);
  auto early_head = std::make_pair(rows[2].seq, rows[2].hash);
  Trim(rows, 4);
  auto r = Verify(rows);
  CHECK(r.ok());
  CHECK(r.first_seq == 5);
  CHECK(r.trimmed_through == 4);
  CHECK(r.checkpoints == 1);
  // A head that retention has since trimmed is not a fault.
  CHECK(Verify(rows, early_head).ok());
  for (int i = 0; i < 5; ++i) Append(rows, Row("bom:n" + std::to_string(i), "bom.create", true));
  Trim(rows, 12);  // also removes the first checkpoint
  r = Verify(rows);
  CHECK(r.ok());
  CHECK(r.first_seq == 13);
  CHECK(r.checkpoints == 1);
  // Everything trimmed: only the checkpoint remains, still linked to what it replaced.
  Trim(rows, rows.back().seq);
  r = Verify(rows);
  CHECK(r.ok());
  CHECK(r.entries == 1);
}

namespace {

struct ChainOn {
  ChainOn() { service::SetAuditChainEnabled(true); }
  ~ChainOn() { service::SetAuditChainEnabled(false); }
};

struct ChainStore {
  ChainOn on;
  std::string dir;
  std::unique_ptr<service::Instance> instance;
  std::vector<std::string> shares;

  ChainStore() {
    REQUIRE(crypto::Init());
    util::log::SetStderr(false);
    char tmpl[] = "/tmp/bv-chain-test-XXXXXX";
    dir = std::string(mkdtemp(tmpl)) + "/data";
    auto init = service::Instance::Initialise(dir, 3, 2);
    REQUIRE(init.ok());
    shares = init->shares;
    service::InstanceOptions options;
    options.data_dir = dir;
    options.reader_connections = 2;
    auto loaded = service::Instance::Load(options);
    REQUIRE(loaded.ok());
    instance = std::move(loaded.value());
    REQUIRE(instance->OpenWithKeys(std::move(init->keys)).ok());
  }
  ~ChainStore() {
    instance.reset();
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
  }
  ChainReport Verify() {
    auto r = service::VerifyStoredAuditChain(dir, shares, std::nullopt);
    REQUIRE(r.ok());
    return r.value();
  }
  void Sql(const std::string& sql) {
    auto hold = instance->Acquire();
    REQUIRE(hold);
    REQUIRE((*hold)
                ->db
                ->Write([&](store::Db& db) -> util::Status {
                  db.exec(sql);
                  return util::Status::Ok();
                })
                .ok());
  }
};

access::Principal Operator() {
  access::Principal p;
  p.kind = access::PrincipalKind::kOperator;
  return p;
}

// A new organisation's first Administrator, as a signed-in principal.
access::Principal NewOrgAdmin(service::Services& s, const std::string& name,
                              const std::string& email) {
  auto org = s.orgs->Create(Operator(), name, email, "Correct-Horse-Battery-9");
  REQUIRE(org.ok());
  access::Principal admin;
  admin.kind = access::PrincipalKind::kUser;
  admin.org = org->first;
  admin.user = org->second;
  admin.role = access::Role::kAdministrator;
  admin.email_verified = true;
  return admin;
}

bom::Item TopItem() {
  bom::Item top;
  top.ref = "1";
  top.part_number = "P-1";
  top.quantity = "1";
  return top;
}

// Org creation, a BOM, an update: org entries (sealed) and instance events (plain) alike.
void MakeHistory(service::Services& s) {
  static int n = 0;
  access::Principal admin =
      NewOrgAdmin(s, "Chain Org", "a" + std::to_string(++n) + "@chain.example");
  auto bom = s.boms->Create(admin, "Chained", "{}", {TopItem()}, "json");
  REQUIRE(bom.ok());
  REQUIRE(s.boms->Update(admin, bom->id, std::string("Renamed"), std::nullopt, false, std::nullopt)
              .ok());
}

}  // namespace

TEST_CASE("audit verify over a real store passes intact and fails after SQL tampering") {
  ChainStore cs;
  {
    auto hold = cs.instance->Acquire();
    REQUIRE(hold);
    MakeHistory(**hold);
  }
  ChainReport intact = cs.Verify();
  REQUIRE(intact.ok());
  CHECK(intact.first_seq == 1);
  CHECK(intact.entries >=
        5);  // instance.init, unseal.success, org.create..., bom.create, bom.update

  SUBCASE("an actor rewritten") {
    cs.Sql("UPDATE audit_chain SET actor_id = 'usr_00000000000000000000beef' WHERE seq = 3");
    ChainReport r = cs.Verify();
    CHECK_FALSE(r.ok());
    CHECK(Mentions(r, "seq 3: its content does not match"));
  }
  SUBCASE("a timestamp moved") {
    cs.Sql("UPDATE audit_chain SET at = at - 86400 WHERE seq = 2");
    CHECK(Mentions(cs.Verify(), "seq 2: its content"));
  }
  SUBCASE("an entry deleted") {
    cs.Sql("DELETE FROM audit_chain WHERE seq = 4");
    CHECK(Mentions(cs.Verify(), "seq 5: follows seq 3"));
  }
  SUBCASE("the oldest entry deleted") {
    cs.Sql("DELETE FROM audit_chain WHERE seq = 1");
    CHECK(Mentions(cs.Verify(), "deleted without a checkpoint"));
  }
  SUBCASE("the newest entries deleted, against the head printed earlier") {
    cs.Sql("DELETE FROM audit_chain WHERE seq >= " + std::to_string(intact.head_seq - 1));
    CHECK(cs.Verify().ok());
    auto r = service::VerifyStoredAuditChain(cs.dir, cs.shares,
                                             std::make_pair(intact.head_seq, intact.head_hash));
    REQUIRE(r.ok());
    CHECK(Mentions(r.value(), "the chain ends before the recorded seq"));
  }
}

TEST_CASE("retention trims the oldest entries with a checkpoint and verify still passes") {
  ChainStore cs;
  auto hold = cs.instance->Acquire();
  REQUIRE(hold);
  MakeHistory(**hold);
  int64_t before = cs.Verify().head_seq;
  // Everything is older than a cutoff an hour from now.
  auto trimmed = (*hold)->retention->TrimChain(0, util::NowUnix() + 3600);
  REQUIRE(trimmed.ok());
  CHECK(trimmed.value() == before);
  ChainReport r = cs.Verify();
  CHECK(r.ok());
  CHECK(r.entries == 1);
  CHECK(r.trimmed_through == before);
  CHECK(r.head_seq == before + 1);
  // New entries continue the chain after the checkpoint.
  MakeHistory(**hold);
  r = cs.Verify();
  CHECK(r.ok());
  CHECK(r.first_seq == before + 1);
  // Nothing is older than a cutoff in the past: no checkpoint is written.
  auto none = (*hold)->retention->TrimChain(30, util::NowUnix());
  REQUIRE(none.ok());
  CHECK(none.value() == 0);
  CHECK(cs.Verify().checkpoints == 1);
  // Deleting the checkpoint itself is caught.
  cs.Sql("DELETE FROM audit_chain WHERE seq = " + std::to_string(r.first_seq));
  CHECK(Mentions(cs.Verify(), "deleted without a checkpoint"));
}

TEST_CASE("with the chain off nothing is appended") {
  REQUIRE(crypto::Init());
  ChainStore cs;
  service::SetAuditChainEnabled(false);
  int64_t before = cs.Verify().entries;
  {
    auto hold = cs.instance->Acquire();
    REQUIRE(hold);
    MakeHistory(**hold);
  }
  CHECK(cs.Verify().entries == before);
}

TEST_CASE("a purge removes a stale BOM's rows everywhere and the chain records its tombstone") {
  ChainStore cs;
  auto hold = cs.instance->Acquire();
  REQUIRE(hold);
  service::Services& s = **hold;
  auto org = s.orgs->Create(Operator(), "Purge Org", "p@purge.example", "Correct-Horse-Battery-9");
  REQUIRE(org.ok());
  access::Principal admin;
  admin.kind = access::PrincipalKind::kUser;
  admin.org = org->first;
  admin.user = org->second;
  admin.role = access::Role::kAdministrator;
  admin.email_verified = true;
  auto viewer =
      s.accounts->CreateUser(admin, "v@purge.example", "Correct-Horse-Battery-9", "viewer");
  REQUIRE(viewer.ok());
  std::vector<bom::Item> items(1200);  // three chunks
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].ref = std::to_string(i + 1);
    if (i > 0) items[i].parent = "1";
    items[i].part_number = "PN-" + std::to_string(i);
    items[i].quantity = "1";
  }
  auto bom = s.boms->Create(admin, "Stale", "{}", items, "json");
  REQUIRE(bom.ok());
  REQUIRE(s.boms->Share(admin, bom->id, viewer.value(), "view").ok());
  auto count = [&](const std::string& sql) {
    int64_t n = -1;
    REQUIRE(s.db->Read([&](store::Db& db) -> util::Status {
                  SQLite::Statement q(db, sql);
                  q.bind(1, bom->id.str());
                  if (q.executeStep()) n = q.getColumn(0).getInt64();
                  return util::Status::Ok();
                })
                .ok());
    return n;
  };
  const std::string chunks = "SELECT count(*) FROM bom_chunks WHERE bom_id = ?";
  const std::string parts = "SELECT count(*) FROM bom_part_index WHERE bom_id = ?";
  const std::string shares = "SELECT count(*) FROM bom_shares WHERE bom_id = ?";
  const std::string history = "SELECT count(*) FROM audit WHERE object = 'bom:' || ?";
  REQUIRE(count(chunks) == 3);
  REQUIRE(count(parts) == 1);
  REQUIRE(count(shares) == 1);
  REQUIRE(count(history) == 2);  // bom.create, bom.share

  // Four days on, nothing is stale; six days on (default policy: five), the BOM goes.
  auto early = s.retention->PurgeStale(util::NowUnix() + 4 * util::kSecondsPerDay);
  REQUIRE(early.ok());
  CHECK(early->boms == 0);
  auto late = s.retention->PurgeStale(util::NowUnix() + 6 * util::kSecondsPerDay);
  REQUIRE(late.ok());
  CHECK(late->boms == 1);
  CHECK(late->items == 1200);
  CHECK(late->orgs == 1);
  CHECK(count("SELECT count(*) FROM boms WHERE id = ?") == 0);
  CHECK(count(chunks) == 0);
  CHECK(count(parts) == 0);
  CHECK(count(shares) == 0);
  CHECK(count(history) == 1);
  service::AuditQuery by_object;
  by_object.object = "bom:" + bom->id.str();
  auto entries = s.orgs->SearchAudit(admin, by_object);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  CHECK(entries->front().action == "bom.purge");
  CHECK(entries->front().actor_id == "system");
  CHECK(entries->front().change == R"({"items":1200,"policy_days":5,"reason":"owner_inactive"})");
  // Users and the org remain.
  CHECK(s.accounts->ListUsers(admin)->size() == 2);
  // The chain holds the BOM's history and its tombstone, and still verifies.
  ChainReport r = cs.Verify();
  CHECK(r.ok());
  int64_t purges = -1;
  REQUIRE(s.db->Read([&](store::Db& db) -> util::Status {
                SQLite::Statement q(db,
                                    "SELECT count(*) FROM audit_chain WHERE object = ? AND action "
                                    "= 'bom.purge' AND actor_id = 'system'");
                q.bind(1, "bom:" + bom->id.str());
                if (q.executeStep()) purges = q.getColumn(0).getInt64();
                return util::Status::Ok();
              })
              .ok());
  CHECK(purges == 1);
}

TEST_CASE("audit entries read back as the text recorded: a metadata merge's diff, keys sorted") {
  ChainStore cs;
  auto hold = cs.instance->Acquire();
  REQUIRE(hold);
  service::Services& s = **hold;
  access::Principal admin = NewOrgAdmin(s, "Text Org", "text@chain.example");
  // Stored canonical: keys sorted, no spaces.
  auto bom = s.boms->Create(admin, "Meta", R"({"z": 1, "source": "a.csv"})", {TopItem()}, "json");
  REQUIRE(bom.ok());
  CHECK(bom->metadata_json == R"({"source":"a.csv","z":1})");
  auto merged = s.boms->Update(admin, bom->id, std::nullopt, std::string(R"({"source":"b.csv"})"),
                               true, std::nullopt);
  REQUIRE(merged.ok());
  CHECK(merged->metadata_json == R"({"source":"b.csv","z":1})");
  // The same metadata again is no change: no entry.
  REQUIRE(s.boms
              ->Update(admin, bom->id, std::nullopt, std::string(R"({ "z":1,"source":"b.csv"})"),
                       false, std::nullopt)
              .ok());
  // Refused metadata names the problem.
  auto bad = s.boms->Update(admin, bom->id, std::nullopt, std::string("[1]"), false, std::nullopt);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().machine_code() == "invalid_metadata");
  service::AuditQuery q;
  q.object = "bom:" + bom->id.str();
  auto entries = s.orgs->SearchAudit(admin, q);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);  // bom.update, bom.create (newest first)
  CHECK(entries->at(0).action == "bom.update");
  CHECK(entries->at(0).change ==
        R"({"metadata":{"after":{"source":"b.csv","z":1},"before":{"source":"a.csv","z":1}}})");
  CHECK(entries->at(1).change == R"({"items":{"after":1},"name":{"after":"Meta"},"via":"json"})");
  // Instance events read back as plain text too.
  service::AuditQuery init;
  init.action = "instance.init";
  std::vector<service::AuditEntry> inst;
  REQUIRE(s.db->Read([&](store::Db& db) -> util::Status {
                auto r = service::QueryInstanceAudit(db, init);
                if (!r.ok()) return r.status();
                inst = std::move(r.value());
                return util::Status::Ok();
              })
              .ok());
  REQUIRE(inst.size() == 1);
  CHECK(inst.front().change.starts_with(R"({"shares":)"));
}
