// store/orgs_store over a real SQLCipher file: the settings' defaults and how they survive keys
// that other modules keep in the same JSON object.
#include "store/orgs_store.h"

#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "crypto/crypto.h"
#include "util/log.h"

using namespace bomvault;

namespace {

// A fresh encrypted store (the embedded migrations applied) in a temporary directory.
struct RawStore {
  std::string dir;
  std::unique_ptr<store::Database> db;
  RawStore() {
    REQUIRE(crypto::Init());
    util::log::SetStderr(false);
    char tmpl[] = "/tmp/bv-orgs-store-XXXXXX";
    dir = mkdtemp(tmpl);
    auto opened = store::Database::Open(dir + "/bomvault.db", crypto::SecureBuffer::Random(32), 1);
    REQUIRE(opened.ok());
    db = std::move(opened.value());
  }
  ~RawStore() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
  void Exec(const std::string& sql, const util::OrgId& org) {
    REQUIRE(db->Write([&](store::Db& c) {
                SQLite::Statement q(c, sql);
                q.bind(1, org.str());
                q.exec();
                return util::Status::Ok();
              }).ok());
  }
  store::OrgSettings Load(const util::OrgId& org) {
    store::OrgSettings s;
    REQUIRE(db->Read([&](store::Db& c) {
                s = store::LoadOrgSettings(c, org);
                return util::Status::Ok();
              }).ok());
    return s;
  }
  util::OrgId NewOrg() {
    util::OrgId org = util::OrgId::Generate();
    REQUIRE(db->Write([&](store::Db& c) {
                store::InsertOrg(c, org, 1700000000);
                return util::Status::Ok();
              }).ok());
    return org;
  }
};

}  // namespace

TEST_CASE("org settings: a new org, a missing org and an empty object all read as the defaults") {
  RawStore rs;
  const store::OrgSettings defaults;
  CHECK(defaults.sharing_enabled);
  CHECK(defaults.audit_depth == 10);
  CHECK(defaults.mfa_policy == "optional");
  CHECK(defaults.purge_notice);
  CHECK(defaults.purge_days == 5);
  CHECK(defaults.local_passwords);
  util::OrgId org = rs.NewOrg();
  CHECK(rs.Load(org) == defaults);
  CHECK(rs.Load(util::OrgId::Generate()) == defaults);
  rs.Exec("UPDATE orgs SET settings = '{}' WHERE id = ?", org);
  CHECK(rs.Load(org) == defaults);
}

TEST_CASE("org settings: a bad stored value reads as its default and leaves the others alone") {
  RawStore rs;
  util::OrgId org = rs.NewOrg();
  rs.Exec(
      "UPDATE orgs SET settings = '{\"audit_depth\": 0, \"purge_days\": \"7\", \"mfa_policy\": "
      "\"sometimes\", \"sharing_enabled\": 1, \"purge_notice\": false}' WHERE id = ?",
      org);
  store::OrgSettings s = rs.Load(org);
  CHECK(s.audit_depth == 10);         // below 1
  CHECK(s.purge_days == 5);           // a string, not a number
  CHECK(s.mfa_policy == "optional");  // not a policy
  CHECK(s.sharing_enabled);           // 1 is not a JSON boolean
  CHECK_FALSE(s.purge_notice);        // the one good value is kept
  rs.Exec("UPDATE orgs SET settings = 'not json' WHERE id = ?", org);
  CHECK(rs.Load(org) == store::OrgSettings{});
}

TEST_CASE("org settings: saving keeps keys this build does not know and round-trips every value") {
  RawStore rs;
  util::OrgId org = rs.NewOrg();
  rs.Exec("UPDATE orgs SET settings = json_set(settings, '$.future', 'kept') WHERE id = ?", org);
  store::OrgSettings s;
  s.sharing_enabled = false;
  s.audit_depth = 1000;
  s.mfa_policy = "everyone";
  s.purge_notice = false;
  s.purge_days = 365;
  s.local_passwords = false;
  REQUIRE(rs.db
              ->Write([&](store::Db& c) {
                store::SaveOrgSettings(c, org, s);
                return util::Status::Ok();
              })
              .ok());
  CHECK(rs.Load(org) == s);
  std::string future;
  REQUIRE(rs.db
              ->Read([&](store::Db& c) {
                SQLite::Statement q(c,
                                    "SELECT json_extract(settings, '$.future') FROM orgs "
                                    "WHERE id = ?");
                q.bind(1, org.str());
                REQUIRE(q.executeStep());
                future = q.getColumn(0).getString();
                return util::Status::Ok();
              })
              .ok());
  CHECK(future == "kept");
}
