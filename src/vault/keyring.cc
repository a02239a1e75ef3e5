#include "vault/keyring.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "crypto/crypto.h"
#include "crypto/shamir.h"
#include "vault/share_codec.h"

namespace bomvault::vault {
namespace {

using util::Status;
constexpr size_t kKeyringPlainSize = 3 * crypto::kKeySize;

crypto::Bytes AssociatedData(const StoreId& id) {
  std::string ad = "bomvault-keyring-v1:" + StoreIdHex(id);
  return crypto::Bytes(ad.begin(), ad.end());
}

}  // namespace

std::string StoreIdHex(const StoreId& id) { return crypto::ToHex(id); }
std::string KeyringPath(const std::string& data_dir) { return data_dir + "/keyring.json"; }

namespace {

// A fresh root key sealing `keys`, split into share texts for `store_id`.
util::Result<NewKeyring> SealAndSplit(const StoreId& store_id, Keys keys, int shares,
                                      int threshold) {
  NewKeyring out;
  out.file.store_id = store_id;
  out.file.shares = shares;
  out.file.threshold = threshold;
  out.root_key = crypto::SecureBuffer::Random(crypto::kKeySize);
  out.keys = std::move(keys);

  crypto::SecureBuffer plain(kKeyringPlainSize);
  std::copy(out.keys.db_key.data(), out.keys.db_key.data() + 32, plain.data());
  std::copy(out.keys.data_master.data(), out.keys.data_master.data() + 32, plain.data() + 32);
  std::copy(out.keys.index_key.data(), out.keys.index_key.data() + 32, plain.data() + 64);
  out.file.sealed = crypto::AeadSeal(out.root_key, plain.span(), AssociatedData(out.file.store_id));

  auto split = crypto::ShamirSplit(out.root_key.span(), shares, threshold);
  if (!split.ok()) return split.status();
  for (const crypto::ShamirShare& s : split.value()) {
    out.share_texts.push_back(
        EncodeShare(out.file.store_id, static_cast<uint8_t>(threshold), s.x, s.y.span()));
  }
  return out;
}

}  // namespace

util::Result<NewKeyring> CreateKeyring(int shares, int threshold) {
  StoreId id{};
  crypto::FillRandom(id);
  Keys keys;
  keys.db_key = crypto::SecureBuffer::Random(crypto::kKeySize);
  keys.data_master = crypto::SecureBuffer::Random(crypto::kKeySize);
  keys.index_key = crypto::SecureBuffer::Random(crypto::kKeySize);
  return SealAndSplit(id, std::move(keys), shares, threshold);
}

util::Result<NewKeyring> RotateRootKey(const KeyringFile& current, const Keys& keys, int shares,
                                       int threshold) {
  if (shares < 2 || shares > 10 || threshold < 2 || threshold > shares) {
    return util::Status::Invalid(
        "invalid_threshold", "shares and threshold must satisfy 2 <= threshold <= shares <= 10");
  }
  Keys same;
  same.db_key = keys.db_key.Clone();
  same.data_master = keys.data_master.Clone();
  same.index_key = keys.index_key.Clone();
  return SealAndSplit(current.store_id, std::move(same), shares, threshold);
}

std::optional<Keys> OpenKeyring(const KeyringFile& file, const crypto::SecureBuffer& root_key) {
  auto plain = crypto::AeadOpenSecret(root_key, file.sealed, AssociatedData(file.store_id));
  if (!plain || plain->size() != kKeyringPlainSize) return std::nullopt;
  Keys k;
  k.db_key = crypto::SecureBuffer(plain->data(), 32);
  k.data_master = crypto::SecureBuffer(plain->data() + 32, 32);
  k.index_key = crypto::SecureBuffer(plain->data() + 64, 32);
  return k;
}

util::Result<KeyringFile> ReadKeyringFile(const std::string& data_dir) {
  std::ifstream in(KeyringPath(data_dir));
  if (!in) return Status(util::Code::kNotFound, "no_store", "no bomvault store in this directory");
  std::stringstream ss;
  ss << in.rdbuf();
  return codec::DecodeKeyringFile(ss.str());
}

Status WriteKeyringFile(const std::string& data_dir, const KeyringFile& file) {
  const std::string text = codec::EncodeKeyringFile(file);
  std::string path = KeyringPath(data_dir);
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("the keyring could not be written");
  bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Status::Internal("the keyring could not be written");
  }
  int dfd = open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

}  // namespace bomvault::vault
