// store/audit_store over a real SQLCipher file: pruning keeps the newest entries of an object,
// counting entries anyone can cause (noise) apart from the others.
#include "store/audit_store.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "crypto/crypto.h"
#include "util/log.h"

using namespace bomvault;

namespace {

struct AuditStore {
  std::string dir;
  std::unique_ptr<store::Database> db;
  AuditStore() {
    REQUIRE(crypto::Init());
    util::log::SetStderr(false);
    char tmpl[] = "/tmp/bv-audit-store-XXXXXX";
    dir = mkdtemp(tmpl);
    auto opened = store::Database::Open(dir + "/bomvault.db", crypto::SecureBuffer::Random(32), 1);
    REQUIRE(opened.ok());
    db = std::move(opened.value());
  }
  ~AuditStore() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
  void Add(const std::string& object, const std::string& action, int64_t at) {
    REQUIRE(db->Write([&](store::Db& c) {
                store::AuditRow row;
                row.at = at;
                row.object = object;
                row.actor_id = "system";
                row.action = action;
                row.change_plain = "{}";
                store::InsertAudit(c, row);
                store::PruneAudit(c, object, 3, {"session.failure", "unseal.failure"},
                                  action == "session.failure");
                return util::Status::Ok();
              }).ok());
  }
  std::vector<store::AuditRow> Search(const std::string& object) {
    std::vector<store::AuditRow> rows;
    REQUIRE(db->Read([&](store::Db& c) {
                store::AuditFilter f;
                f.object = object;
                rows = store::SearchAudit(c, std::nullopt, f);
                return util::Status::Ok();
              }).ok());
    return rows;
  }
};

}  // namespace

TEST_CASE("audit pruning: a flood of failures does not push an object's real history out") {
  AuditStore as;
  as.Add("user:a", "user.create", 1);
  as.Add("user:a", "user.role", 2);
  for (int i = 0; i < 10; ++i) as.Add("user:a", "session.failure", 10 + i);
  as.Add("user:b", "user.create", 3);
  auto rows = as.Search("user:a");
  int real = 0, noise = 0;
  for (const auto& r : rows) (r.action == "session.failure" ? noise : real)++;
  CHECK(real == 2);              // both kept: under the depth of 3
  CHECK(noise == 3);             // only the newest 3 failures
  CHECK(rows.front().at == 19);  // newest first
  CHECK(as.Search("user:b").size() == 1);
  for (int i = 0; i < 5; ++i) as.Add("user:a", "user.update", 100 + i);
  rows = as.Search("user:a");
  real = noise = 0;
  for (const auto& r : rows) (r.action == "session.failure" ? noise : real)++;
  CHECK(real == 3);
  CHECK(noise == 3);
}
