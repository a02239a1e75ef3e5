// Tests over a real SQLCipher store in a temporary directory, through the services (no HTTP):
// tenant binding of ciphertext, the keyring, and what is on disk.
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "crypto/crypto.h"
#include "service/instance.h"
#include "util/log.h"

using namespace bomvault;

namespace {

struct TempStore {
  std::string dir;
  std::unique_ptr<service::Instance> instance;
  std::vector<std::string> shares;

  TempStore() {
    REQUIRE(crypto::Init());
    util::log::SetStderr(false);
    char tmpl[] = "/tmp/bv-store-test-XXXXXX";
    dir = std::string(mkdtemp(tmpl)) + "/data";
    auto init = service::Instance::Initialise(dir, 3, 2);
    REQUIRE(init.ok());
    shares = init->shares;
    auto loaded = service::Instance::Load({dir, 2});
    REQUIRE(loaded.ok());
    instance = std::move(loaded.value());
    REQUIRE(instance->OpenWithKeys(std::move(init->keys)).ok());
  }
  ~TempStore() {
    instance.reset();
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
  }
};

access::Principal Operator() {
  access::Principal p;
  p.kind = access::PrincipalKind::kOperator;
  return p;
}

access::Principal AdminOf(const util::OrgId& org, const util::UserId& user) {
  access::Principal p;
  p.kind = access::PrincipalKind::kUser;
  p.org = org;
  p.user = user;
  p.role = access::Role::kAdministrator;
  p.email_verified = true;
  return p;
}

std::vector<bom::Item> Items(const std::string& part) {
  bom::Item top;
  top.ref = "1";
  top.part_number = part;
  top.description = "secret description of " + part;
  top.quantity = "1";
  return {top};
}

// A fresh store with two organisations, each with its first Administrator.
struct TwoOrgs {
  TempStore ts;
  std::optional<service::Instance::Hold> hold;
  access::Principal admin_a, admin_b;

  service::Services& s() { return **hold; }

  TwoOrgs() : hold(ts.instance->Acquire()) {
    REQUIRE(hold);
    auto a = s().orgs->Create(Operator(), "Org A", "a@a.example", "Correct-Horse-Battery-9");
    auto b = s().orgs->Create(Operator(), "Org B", "b@b.example", "Correct-Horse-Battery-9");
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    admin_a = AdminOf(a->first, a->second);
    admin_b = AdminOf(b->first, b->second);
  }
};

}  // namespace

TEST_CASE("a BOM row copied into another organisation's BOM fails to decrypt") {
  TwoOrgs t;
  service::Services& s = t.s();
  const access::Principal& admin_a = t.admin_a;
  const access::Principal& admin_b = t.admin_b;
  auto bom_a = s.boms->Create(admin_a, "A's BOM", "{}", Items("A-1"), "json");
  auto bom_b = s.boms->Create(admin_b, "B's BOM", "{}", Items("B-1"), "json");
  auto bom_a2 = s.boms->Create(admin_a, "A's other BOM", "{}", Items("A-2"), "json");
  REQUIRE(bom_a.ok());
  REQUIRE(bom_b.ok());
  REQUIRE(bom_a2.ok());
  REQUIRE(s.boms->Items(admin_b, bom_b->id).ok());

  auto copy = [&](const char* table, const char* column, const util::BomId& from,
                  const util::BomId& to) {
    std::string key = std::string(table) == "boms" ? "id" : "bom_id";
    std::string sql = std::string("UPDATE ") + table + " SET " + column + " = (SELECT " + column +
                      " FROM " + table + " WHERE " + key + " = ?1" +
                      (std::string(table) == "boms" ? "" : " AND seq = 0") + ") WHERE " + key +
                      " = ?2";
    REQUIRE(s.db->Write([&](store::Db& db) {
                  SQLite::Statement q(db, sql);
                  q.bind(1, from.str());
                  q.bind(2, to.str());
                  CHECK(q.exec() == 1);
                  return util::Status::Ok();
                })
                .ok());
  };
  // Items: A's chunk pasted over B's chunk.
  copy("bom_chunks", "sealed", bom_a->id, bom_b->id);
  auto items = s.boms->Items(admin_b, bom_b->id);
  CHECK_FALSE(items.ok());
  CHECK(items.status().code() == util::Code::kInternal);
  // Same tenant, other object: still refused (associated data names the BOM).
  copy("bom_chunks", "sealed", bom_a->id, bom_a2->id);
  CHECK_FALSE(s.boms->Items(admin_a, bom_a2->id).ok());
  // The name column, across tenants.
  copy("boms", "name_sealed", bom_a->id, bom_b->id);
  CHECK_FALSE(s.boms->Get(admin_b, bom_b->id).ok());
  // The untouched BOM still opens.
  auto good = s.boms->Items(admin_a, bom_a->id);
  REQUIRE(good.ok());
  CHECK(good.value()[0].part_number == "A-1");
}

TEST_CASE("an attachment chunk copied to another tenant, BOM or position fails to decrypt") {
  TwoOrgs t;
  service::Services& s = t.s();
  const access::Principal& admin_a = t.admin_a;
  const access::Principal& admin_b = t.admin_b;
  auto bom_a = s.boms->Create(admin_a, "A", "{}", Items("A-1"), "json");
  auto bom_a2 = s.boms->Create(admin_a, "A2", "{}", Items("A-2"), "json");
  auto bom_b = s.boms->Create(admin_b, "B", "{}", Items("B-1"), "json");
  REQUIRE(bom_a.ok());
  REQUIRE(bom_a2.ok());
  REQUIRE(bom_b.ok());
  // Two chunks each (1 MiB chunks), so reordering can be tried too.
  const std::string pdf = "%PDF-1.7\n" + std::string(service::Attachments::kChunkBytes + 10, 'a');
  auto att_a = s.attachments->Add(admin_a, bom_a->id, "derivative", "a.pdf", pdf);
  auto att_a2 = s.attachments->Add(admin_a, bom_a2->id, "derivative", "a2.pdf", pdf);
  auto att_b = s.attachments->Add(admin_b, bom_b->id, "derivative", "b.pdf", pdf);
  REQUIRE(att_a.ok());
  REQUIRE(att_a2.ok());
  REQUIRE(att_b.ok());
  auto read = [&](const access::Principal& p, const service::AttachmentView& v) {
    return s.attachments->Read(p, v.bom, v.id);
  };
  REQUIRE(read(admin_b, *att_b).ok());
  REQUIRE(read(admin_a, *att_a).value().bytes == pdf);

  auto paste = [&](const std::string& sql_from, const std::string& sql_to) {
    REQUIRE(s.db->Write([&](store::Db& db) {
                  SQLite::Statement q(db,
                                      "UPDATE bom_attachment_chunks SET sealed = (SELECT "
                                      "sealed FROM bom_attachment_chunks WHERE " +
                                          sql_from + ") WHERE " + sql_to);
                  CHECK(q.exec() == 1);
                  return util::Status::Ok();
                })
                .ok());
  };
  auto chunk = [](const service::AttachmentView& v, int seq) {
    return "attachment_id = '" + v.id.str() + "' AND seq = " + std::to_string(seq);
  };
  paste(chunk(*att_a, 0), chunk(*att_b, 0));  // across tenants
  CHECK(read(admin_b, *att_b).status().code() == util::Code::kInternal);
  paste(chunk(*att_a, 0), chunk(*att_a2, 0));  // same tenant, other BOM
  CHECK_FALSE(read(admin_a, *att_a2).ok());
  paste(chunk(*att_a, 1), chunk(*att_a, 0));  // same file, other position
  CHECK_FALSE(read(admin_a, *att_a).ok());
  // Dropping the last chunk is noticed as well, and the offline check reports all three.
  auto fresh = s.attachments->Add(admin_a, bom_a->id, "derivative", "c.pdf", pdf);
  REQUIRE(fresh.ok());
  REQUIRE(s.db->Write([&](store::Db& db) {
                SQLite::Statement q(db,
                                    "DELETE FROM bom_attachment_chunks WHERE " + chunk(*fresh, 1));
                CHECK(q.exec() == 1);
                return util::Status::Ok();
              })
              .ok());
  CHECK_FALSE(read(admin_a, *fresh).ok());
  // The clear columns are vouched for by the sealed name: a file made "text/html" does not open.
  auto retyped = s.attachments->Add(admin_a, bom_a->id, "derivative", "d.pdf", pdf);
  REQUIRE(retyped.ok());
  REQUIRE(s.db->Write([&](store::Db& db) {
                SQLite::Statement q(
                    db, "UPDATE bom_attachments SET media_type = 'text/html' WHERE id = ?");
                q.bind(1, retyped->id.str());
                CHECK(q.exec() == 1);
                return util::Status::Ok();
              })
              .ok());
  CHECK(read(admin_a, *retyped).status().code() == util::Code::kInternal);
  std::vector<std::string> problems;
  REQUIRE(s.db->Read([&](store::Db& db) {
                CHECK(service::Attachments::CheckAll(db, *s.org_keys, &problems) == 5);
                return util::Status::Ok();
              })
              .ok());
  CHECK(problems.size() == 5);  // the retyped row fails on its name, the others on content
  CHECK(std::count_if(problems.begin(), problems.end(), [](const std::string& p) {
          return p.find("name does not decrypt") != std::string::npos;
        }) == 1);
}

TEST_CASE("org data keys differ and deleting the org deletes its key") {
  TempStore ts;
  auto hold = ts.instance->Acquire();
  service::Services& s = **hold;
  auto a = s.orgs->Create(Operator(), "Org A", "a@a.example", "Correct-Horse-Battery-9");
  auto b = s.orgs->Create(Operator(), "Org B", "b@b.example", "Correct-Horse-Battery-9");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  crypto::Bytes ka, kb;
  REQUIRE(s.db->Read([&](store::Db& db) {
                auto ca = s.org_keys->CurrentKey(db, a->first);
                auto cb = s.org_keys->CurrentKey(db, b->first);
                ka.assign(ca.value().data(), ca.value().data() + 32);
                kb.assign(cb.value().data(), cb.value().data() + 32);
                return util::Status::Ok();
              })
              .ok());
  CHECK(ka != kb);
  REQUIRE(s.orgs->Delete(Operator(), a->first).ok());
  int64_t keys = -1;
  REQUIRE(s.db->Read([&](store::Db& db) {
                SQLite::Statement q(db, "SELECT count(*) FROM org_keys");
                q.executeStep();
                keys = q.getColumn(0).getInt64();
                return util::Status::Ok();
              })
              .ok());
  CHECK(keys == 1);
  // Neither the key bytes nor anything else readable remain in the files.
  hold.reset();
  ts.instance->Seal("test");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(ts.dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(data.find(std::string(ka.begin(), ka.end())) == std::string::npos);
    CHECK(data.rfind("SQLite format 3", 0) != 0);
    CHECK(data.find("a@a.example") == std::string::npos);
  }
}

TEST_CASE("the keyring opens only with enough shares of this store") {
  TempStore ts;
  std::vector<std::string> problems, summary;
  CHECK(service::Instance::Check(ts.dir, {ts.shares[0], ts.shares[2]}, &problems, &summary).ok());
  CHECK(problems.empty());
  CHECK_FALSE(service::Instance::Check(ts.dir, {ts.shares[1]}, &problems, &summary).ok());
}
