// The stores behind service/accounts.h over a real SQLCipher file: the check-and-set and single-use
// rules the sign-in relies on (store/mfa_store.h), which sessions a password change or a cap ends
// (store/sessions_store.h), and the users rows' lookups (store/users_store.h).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "crypto/crypto.h"
#include "store/mfa_store.h"
#include "store/orgs_store.h"
#include "store/sessions_store.h"
#include "store/users_store.h"
#include "util/log.h"

using namespace bomvault;

namespace {

// A fresh encrypted store with one org and one user, everything run in one write transaction.
struct AccountsStore {
  std::string dir;
  std::unique_ptr<store::Database> db;
  util::OrgId org = util::OrgId::Generate();
  util::UserId user = util::UserId::Generate();
  AccountsStore() {
    REQUIRE(crypto::Init());
    util::log::SetStderr(false);
    char tmpl[] = "/tmp/bv-accounts-store-XXXXXX";
    dir = mkdtemp(tmpl);
    auto opened = store::Database::Open(dir + "/bomvault.db", crypto::SecureBuffer::Random(32), 1);
    REQUIRE(opened.ok());
    db = std::move(opened.value());
    Write([&](store::Db& c) {
      store::InsertOrg(c, org, 1700000000);
      store::InsertUser(c, NewUser(user, {1}, "hash"));
    });
  }
  ~AccountsStore() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
  store::NewUserRow NewUser(const util::UserId& id, crypto::Bytes index, std::string hash) {
    store::NewUserRow row;
    row.id = id;
    row.org = org;
    row.email_index = std::move(index);
    row.email_sealed = {9, 9};
    row.password_hash = std::move(hash);
    row.role = "editor";
    row.now = 1700000000;
    return row;
  }
  void Write(const std::function<void(store::Db&)>& fn) {
    REQUIRE(db->Write([&](store::Db& c) {
                fn(c);
                return util::Status::Ok();
              }).ok());
  }
  void Session(const std::string& kind, crypto::Bytes hash, int64_t created) {
    Write([&](store::Db& c) {
      store::NewSessionRow s;
      s.id = util::SessionId::Generate();
      s.token_hash = std::move(hash);
      s.user = user;
      s.kind = kind;
      s.scope = "write";
      s.created_at = created;
      s.expires_at = created + 3600;
      store::InsertSession(c, s);
    });
  }
};

}  // namespace

TEST_CASE("mfa_store: a TOTP step proves once, a recovery code is used once") {
  AccountsStore s;
  s.Write([&](store::Db& c) {
    store::StoreTotpSecret(c, s.user, {1, 2, 3});
    auto row = store::FindTotp(c, s.user);
    REQUIRE(row);
    CHECK_FALSE(row->enabled);
    CHECK(row->secret_sealed == crypto::Bytes{1, 2, 3});
    CHECK_FALSE(store::DisableTotp(c, s.user));  // not enabled yet: nothing to turn off
    store::EnableTotp(c, s.user, 100);
    CHECK_FALSE(store::AdvanceTotpStep(c, s.user, 100));  // the step that confirmed it
    CHECK(store::AdvanceTotpStep(c, s.user, 101));
    CHECK_FALSE(store::AdvanceTotpStep(c, s.user, 101));  // replay
    CHECK_FALSE(store::AdvanceTotpStep(c, s.user, 99));   // older

    const crypto::Bytes code = {7, 7, 7};
    CHECK(store::InsertRecoveryCode(c, s.user, code, 1));
    CHECK_FALSE(store::InsertRecoveryCode(c, s.user, code, 1));  // a duplicate is ignored
    CHECK(store::InsertRecoveryCode(c, s.user, crypto::Bytes{8}, 1));
    CHECK(store::CountRecoveryCodes(c, s.user) == 2);
    CHECK(store::UseRecoveryCode(c, s.user, code));
    CHECK_FALSE(store::UseRecoveryCode(c, s.user, code));
    CHECK(store::CountRecoveryCodes(c, s.user) == 1);

    CHECK(store::DisableTotp(c, s.user));
    row = store::FindTotp(c, s.user);
    REQUIRE(row);
    CHECK_FALSE(row->enabled);
    CHECK_FALSE(row->secret_sealed);
    CHECK(row->last_step == 0);
    CHECK(store::DeleteRecoveryCodes(c, s.user) == 1);
  });
}

TEST_CASE("sessions_store: a password change ends the other browser sessions, not API tokens") {
  AccountsStore s;
  s.Session("session", {1}, 10);
  s.Session("session", {2}, 20);
  s.Session("api", {3}, 30);
  s.Write([&](store::Db& c) {
    auto browser = store::ListBrowserSessions(c, s.user);
    REQUIRE(browser.size() == 2);
    CHECK(browser[0].token_hash == crypto::Bytes{1});  // creation order
    CHECK(store::DeleteOtherBrowserSessions(c, s.user, crypto::Bytes{2}) == 1);
    auto live = store::ListLiveSessions(c, s.user, 0, 10);
    REQUIRE(live.size() == 2);
    CHECK(live[0].kind == "api");  // newest first
    CHECK(live[1].token_hash == crypto::Bytes{2});
    CHECK(store::DeleteUserSession(c, util::UserId::Generate(), live[0].id) == 0);
    CHECK(store::DeleteUserSession(c, s.user, live[0].id) == 1);
  });
}

TEST_CASE("sessions_store: a token's holder carries the user's standing and the org's policy") {
  AccountsStore s;
  s.Session("session", {5}, 100);
  REQUIRE(s.db->Read([&](store::Db& c) {
                CHECK_FALSE(store::FindTokenHolder(*s.db, c, crypto::Bytes{6}));
                auto h = store::FindTokenHolder(*s.db, c, crypto::Bytes{5});
                REQUIRE(h);
                CHECK(h->user == s.user);
                CHECK(h->org == s.org);
                CHECK(h->role == "editor");
                CHECK(h->mfa_policy == "optional");
                CHECK(h->authenticated_at == 100);  // created_at until a re-authentication
                CHECK_FALSE(h->disabled);
                return util::Status::Ok();
              })
              .ok());
  s.Write([&](store::Db& c) {
    CHECK(store::MarkSessionAuthenticated(c, s.user, crypto::Bytes{5}, 200));
    CHECK_FALSE(
        store::MarkSessionAuthenticated(c, util::UserId::Generate(), crypto::Bytes{5}, 300));
    CHECK(store::FindTokenHolder(*s.db, c, crypto::Bytes{5})->authenticated_at == 200);
    CHECK(store::DeleteUserSessions(c, s.user) == 1);
  });
}

TEST_CASE("users_store: address indexes, password replacement and display names") {
  AccountsStore s;
  const util::UserId sso = util::UserId::Generate();
  s.Write([&](store::Db& c) {
    store::InsertUser(c, s.NewUser(sso, {2}, ""));
    auto hits = store::FindEmailIndex(c, crypto::Bytes{1}, crypto::Bytes{2});
    REQUIRE(hits.size() == 2);
    CHECK(hits[0].org_local != hits[1].org_local);
    CHECK(store::PasswordHash(c, sso) == std::optional<std::string>(""));
    CHECK_FALSE(store::PasswordHash(c, util::UserId::Generate()));
    CHECK_FALSE(store::ReplacePasswordHash(c, sso, "new"));  // none to replace
    CHECK(store::ReplacePasswordHash(c, s.user, "new"));
    CHECK(store::SetDisplayNameSealed(c, s.user, crypto::Bytes{4}));
    auto before = store::FindUser(c, s.org, s.user);
    REQUIRE(before);
    CHECK(before->display_name_sealed == crypto::Bytes{4});
    CHECK(store::SetDisplayNameSealed(c, s.user, std::nullopt));
    auto after = store::FindUser(c, s.org, s.user);
    REQUIRE(after);
    CHECK_FALSE(after->display_name_sealed);
    CHECK(after->version > before->version);  // a content write raises the ETag's counter
    CHECK_FALSE(store::FindUser(c, util::OrgId::Generate(), s.user));
    CHECK(store::ListUsers(c, s.org, 10).size() == 2);
    CHECK(store::ListUsers(c, s.org, 1).size() == 1);
  });
}
