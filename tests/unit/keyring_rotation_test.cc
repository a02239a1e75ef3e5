// Root-key rotation (`bomvault rekey`): the new shares open the new keyring to the same keys, the
// old shares do not, and no combination of old and new shares opens it (OpenBao issue 2613: a
// rotation that left the old shares valid, or the new ones invalid, must be impossible here).
#include <doctest/doctest.h>
#include <sodium.h>

#include "vault/keyring.h"
#include "vault/unseal.h"

namespace bomvault::vault {
namespace {

struct SodiumFixture {
  SodiumFixture() { REQUIRE(sodium_init() >= 0); }
};

// Submits shares in order; the keys if the keyring opened, else nullopt.
std::optional<Keys> Open(const KeyringFile& file, const std::vector<std::string>& shares) {
  UnsealProgress p(file);
  for (const auto& s : shares) {
    auto r = p.Submit(s);
    if (!r.ok()) return std::nullopt;
    if (r->keys) return std::move(*r->keys);
  }
  return std::nullopt;
}

bool SameKeys(const Keys& a, const Keys& b) {
  return a.db_key.Equals(b.db_key.span()) && a.data_master.Equals(b.data_master.span()) &&
         a.index_key.Equals(b.index_key.span());
}

TEST_CASE_FIXTURE(SodiumFixture, "rekey: only the new shares open the rotated keyring") {
  auto created = CreateKeyring(3, 2);
  REQUIRE(created.ok());
  const NewKeyring& old = created.value();
  auto keys = Open(old.file, {old.share_texts[0], old.share_texts[1]});
  REQUIRE(keys);

  auto rotated = RotateRootKey(old.file, *keys, 5, 3);
  REQUIRE(rotated.ok());
  const NewKeyring& now = rotated.value();
  CHECK(now.file.store_id == old.file.store_id);
  CHECK(now.file.shares == 5);
  CHECK(now.file.threshold == 3);
  CHECK(now.share_texts.size() == 5);
  CHECK(now.file.sealed != old.file.sealed);
  CHECK_FALSE(now.root_key.Equals(old.root_key.span()));

  // Every 3-subset of the new shares opens it, to the very same keys.
  for (size_t a = 0; a < 5; ++a)
    for (size_t b = a + 1; b < 5; ++b)
      for (size_t c = b + 1; c < 5; ++c) {
        auto k = Open(now.file, {now.share_texts[a], now.share_texts[b], now.share_texts[c]});
        REQUIRE(k);
        CHECK(SameKeys(*k, *keys));
      }
  // The old shares: refused outright (threshold 2 in a threshold-3 file) and never open it.
  CHECK_FALSE(Open(now.file, {old.share_texts[0], old.share_texts[1], old.share_texts[2]}));
  // The old keyring file does not open with the new shares either.
  CHECK_FALSE(Open(old.file, {now.share_texts[0], now.share_texts[1], now.share_texts[2]}));
}

TEST_CASE_FIXTURE(SodiumFixture, "rekey with the same K and N still makes the old shares fail") {
  auto created = CreateKeyring(3, 2);
  REQUIRE(created.ok());
  const NewKeyring& old = created.value();
  auto keys = Open(old.file, {old.share_texts[0], old.share_texts[2]});
  REQUIRE(keys);
  auto rotated = RotateRootKey(old.file, *keys, 3, 2);
  REQUIRE(rotated.ok());
  const NewKeyring& now = rotated.value();
  REQUIRE(Open(now.file, {now.share_texts[1], now.share_texts[2]}));
  // Same store, same threshold: the old shares pass the per-share checks but the combination
  // fails closed, for every pair, and mixed with new ones too.
  for (size_t a = 0; a < 3; ++a)
    for (size_t b = a + 1; b < 3; ++b) {
      CHECK_FALSE(Open(now.file, {old.share_texts[a], old.share_texts[b]}));
    }
  CHECK_FALSE(Open(now.file, {old.share_texts[0], now.share_texts[1]}));
  CHECK_FALSE(Open(now.file, {now.share_texts[0], old.share_texts[1]}));
}

TEST_CASE_FIXTURE(SodiumFixture, "rekey refuses an impossible threshold") {
  auto created = CreateKeyring(3, 2);
  REQUIRE(created.ok());
  auto keys = Open(created->file, {created->share_texts[0], created->share_texts[1]});
  REQUIRE(keys);
  CHECK_FALSE(RotateRootKey(created->file, *keys, 3, 4).ok());
  CHECK_FALSE(RotateRootKey(created->file, *keys, 11, 2).ok());
  CHECK_FALSE(RotateRootKey(created->file, *keys, 3, 1).ok());
}

}  // namespace
}  // namespace bomvault::vault
