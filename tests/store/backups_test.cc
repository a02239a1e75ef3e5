// Backups over a real store: snapshot names and retention (pure), and what a backup directory
// holds after a backup and after an org deletion (service/backups.h).
#include "service/backups.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/crypto.h"
#include "service/instance.h"
#include "util/log.h"

using namespace bomvault;

namespace {

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("backup snapshot names carry their UTC time and nothing else parses") {
  std::string n = service::SnapshotName(1764547200, "0a1b2c3d");  // 2025-12-01T00:00:00Z
  CHECK(n == "bomvault-20251201T000000Z-0a1b2c3d.db");
  CHECK(service::SnapshotTime(n) == 1764547200);
  CHECK(service::SnapshotTime(".partial-0a1b2c3d.db") == -1);
  CHECK(service::SnapshotTime("bomvault-20251301T000000Z-0a1b2c3d.db") == -1);  // month 13
  CHECK(service::SnapshotTime("bomvault-20251201T000000Z-0a1b2c3g.db") == -1);
  CHECK(service::SnapshotTime("bomvault-20251201T000000Z-0a1b2c3d.db.tmp") == -1);
  CHECK(service::SnapshotTime("keys.json") == -1);
}

TEST_CASE("backup retention removes exactly the snapshots older than the window") {
  int64_t now = 1764547200;
  std::vector<std::string> names = {
      service::SnapshotName(now - 6 * 86400, "00000001"),
      service::SnapshotName(now - 5 * 86400 - 1, "00000002"),
      service::SnapshotName(now - 5 * 86400, "00000003"),  // exactly at the edge: kept
      service::SnapshotName(now - 3600, "00000004"),
      ".partial-00000005.db",
      "keys.json",
  };
  auto gone = service::ExpiredSnapshots(names, now, 5 * 86400);
  REQUIRE(gone.size() == 2);
  CHECK(gone[0] == names[0]);
  CHECK(gone[1] == names[1]);
  CHECK(service::ExpiredSnapshots(names, now, 10 * 86400).empty());
}

TEST_CASE("a backup keeps org keys out of the snapshot, and deleting the org takes its key out") {
  REQUIRE(crypto::Init());
  util::log::SetStderr(false);
  char tmpl[] = "/tmp/bv-backup-test-XXXXXX";
  std::string root = mkdtemp(tmpl);
  std::string dir = root + "/data", dest = root + "/backups";
  {
    auto init = service::Instance::Initialise(dir, 3, 2);
    REQUIRE(init.ok());
    auto loaded = service::Instance::Load({dir, 2});
    REQUIRE(loaded.ok());
    auto& instance = *loaded.value();
    REQUIRE(instance.OpenWithKeys(std::move(init->keys)).ok());
    access::Principal op;
    op.kind = access::PrincipalKind::kOperator;
    auto hold = instance.Acquire();
    REQUIRE(hold);
    auto a = (*hold)->orgs->Create(op, "Org A", "a@a.example", "Correct-Horse-Battery-9");
    auto b = (*hold)->orgs->Create(op, "Org B", "b@b.example", "Correct-Horse-Battery-9");
    REQUIRE(a.ok());
    REQUIRE(b.ok());

    auto r = (*hold)->backups->Run(&op, dest, "test");
    REQUIRE(r.ok());
    CHECK(r->orgs == 2);
    CHECK(Listing(dest) == std::vector<std::string>{"keys.json", "snapshots"});
    CHECK(Listing(dest + "/snapshots") == std::vector<std::string>{r->snapshot});
    std::string snap = dest + "/snapshots/" + r->snapshot;
    CHECK_FALSE(store::LooksLikePlainSqlite(snap));
    auto keys = ReadJson(service::KeyFilePath(dest));
    CHECK(keys["org_keys"].size() == 2);

    // The snapshot itself holds no org key rows.
    auto kr = vault::ReadKeyringFile(dir);
    REQUIRE(kr.ok());
    {
      auto opened =
          store::Database::Open(snap, vault::KeysFromShares(dir, init->shares)->db_key, 1);
      REQUIRE(opened.ok());
      int64_t rows = -1;
      REQUIRE(opened.value()
                  ->Read([&](store::Db& conn) -> util::Status {
                    SQLite::Statement q(conn, "SELECT count(*) FROM org_keys");
                    q.executeStep();
                    rows = q.getColumn(0).getInt64();
                    return util::Status::Ok();
                  })
                  .ok());
      CHECK(rows == 0);
    }
    // Opening the snapshot above put it back in WAL mode; a copy must stay one file, so use a
    // fresh backup for the rest.
    REQUIRE((*hold)->orgs->Delete(op, a->first).ok());
    keys = ReadJson(service::KeyFilePath(dest));
    REQUIRE(keys["org_keys"].size() == 1);
    CHECK(keys["org_keys"][0]["org_id"] == b->first.str());
    CHECK_FALSE((*hold)->backups->KeysPending());
  }
  std::filesystem::remove_all(root);
}
