// store/sealed_columns_store over a real SQLCipher file: the key re-seal's batches resume after
// the position they are given and see only the org's own rows; and the stores that took their
// statements from service/ keep the single-use and paging rules those services rely on.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "crypto/crypto.h"
#include "store/blocked_entries_store.h"
#include "store/orgs_store.h"
#include "store/sealed_columns_store.h"
#include "store/sso_store.h"
#include "util/log.h"

using namespace bomvault;

namespace {

struct TempStore {
  std::string dir;
  std::unique_ptr<store::Database> db;
  TempStore() {
    REQUIRE(crypto::Init());
    util::log::SetStderr(false);
    char tmpl[] = "/tmp/bv-sealed-columns-XXXXXX";
    dir = mkdtemp(tmpl);
    auto opened = store::Database::Open(dir + "/bomvault.db", crypto::SecureBuffer::Random(32), 1);
    REQUIRE(opened.ok());
    db = std::move(opened.value());
  }
  ~TempStore() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
  void Write(const std::function<void(store::Db&)>& fn) {
    REQUIRE(db->Write([&](store::Db& c) {
                fn(c);
                return util::Status::Ok();
              }).ok());
  }
  util::OrgId NewOrg() {
    util::OrgId org = util::OrgId::Generate();
    Write([&](store::Db& c) { store::InsertOrg(c, org, 1700000000); });
    return org;
  }
};

int StepOf(std::string_view purpose) {
  for (int i = 0; i < store::SealedColumnCount(); ++i) {
    if (store::SealedColumnPurpose(i) == purpose) return i;
  }
  FAIL("no sealed column for ", purpose);
  return -1;
}

}  // namespace

TEST_CASE("sealed column batches resume after their position and keep to the org") {
  TempStore s;
  util::OrgId org = s.NewOrg(), other = s.NewOrg();
  s.Write([&](store::Db& c) {
    for (uint8_t i = 0; i < 5; ++i) {
      store::InsertBlocked(c, org, {"domain", crypto::Bytes{i}, crypto::Bytes{0xA0, i}, "u", 1});
      store::InsertBlocked(c, other, {"domain", crypto::Bytes{i}, crypto::Bytes{0xB0, i}, "u", 1});
    }
  });
  const int step = StepOf("blocked");
  REQUIRE(store::SealedColumnKeyCount(step) == 2);
  std::vector<crypto::Bytes> seen;
  s.Write([&](store::Db& c) {
    std::optional<std::vector<store::KeyValue>> after;
    for (;;) {
      auto rows = store::SealedBatch(c, step, org, after, 2);
      for (const auto& r : rows) {
        seen.push_back(r.sealed);
        CHECK(r.object == crypto::ToHex(std::get<crypto::Bytes>(r.keys[1])));
      }
      if (rows.size() < 2) break;
      after = rows.back().keys;
    }
  });
  REQUIRE(seen.size() == 5);
  for (uint8_t i = 0; i < 5; ++i) CHECK(seen[i] == crypto::Bytes{0xA0, i});

  // A rewrite lands on the one row its key names.
  s.Write([&](store::Db& c) {
    auto first = store::SealedBatch(c, step, org, std::nullopt, 1);
    REQUIRE(first.size() == 1);
    store::UpdateSealed(c, step, first[0].keys, crypto::Bytes{0xCC});
  });
  int rewritten = 0, walked = 0;
  s.Write([&](store::Db& c) {
    store::ForEachSealedColumn(
        c, org, [&](std::string_view purpose, std::string_view, std::span<const uint8_t> sealed) {
          if (purpose != "blocked") return;
          ++walked;
          if (crypto::Bytes(sealed.begin(), sealed.end()) == crypto::Bytes{0xCC}) ++rewritten;
        });
  });
  CHECK(walked == 5);
  CHECK(rewritten == 1);
  s.Write([&](store::Db& c) {
    for (const auto& r : store::ListBlocked(c, other, 10)) CHECK(r.entry_sealed[0] == 0xB0);
  });
}

TEST_CASE("a sign-in's state is taken once") {
  TempStore s;
  util::OrgId org = s.NewOrg();
  const crypto::Bytes state{1, 2, 3};
  s.Write([&](store::Db& c) {
    store::InsertLogin(c, state, {org, crypto::Bytes{9}, crypto::Bytes{7, 7}, 2000}, 1000);
    CHECK(store::CountLogins(c, org) == 1);
    auto taken = store::TakeLogin(c, state);
    REQUIRE(taken.has_value());
    CHECK(taken->org == org);
    CHECK(taken->binding_hash == crypto::Bytes{9});
    CHECK(taken->request_sealed == crypto::Bytes{7, 7});
    CHECK(taken->expires_at == 2000);
    CHECK_FALSE(store::TakeLogin(c, state).has_value());
    CHECK_FALSE(store::DeleteLogin(c, state));
  });
}

TEST_CASE("expired sign-ins are purged, live ones kept") {
  TempStore s;
  util::OrgId org = s.NewOrg();
  s.Write([&](store::Db& c) {
    store::InsertLogin(c, crypto::Bytes{1}, {org, crypto::Bytes{9}, crypto::Bytes{7}, 1500}, 1000);
    store::InsertLogin(c, crypto::Bytes{2}, {org, crypto::Bytes{9}, crypto::Bytes{7}, 2500}, 1000);
    store::PurgeExpiredLogins(c, 1500);
    CHECK(store::CountLogins(c, org) == 1);
    CHECK(store::DeleteLogin(c, crypto::Bytes{2}));
  });
}
