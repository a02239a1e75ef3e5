// SecureBuffer: a fixed-size byte buffer for secrets (keys, shares, passwords).
//
// Memory comes from sodium_malloc: page-guarded, mlock()ed so it never reaches swap, and wiped
// by sodium_free when the buffer is destroyed. Copying is forbidden; moving transfers ownership.
// Compare with Equals(), which is constant-time. Not thread-safe: one owner at a time.
// sodium_init() must have run (crypto::Init()) before the first SecureBuffer is made.
#pragma once

#include <sodium.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string_view>
#include <utility>

namespace bomvault::crypto {

class SecureBuffer {
 public:
  SecureBuffer() = default;
  explicit SecureBuffer(size_t size) : size_(size) {
    if (size_ == 0) return;
    data_ = static_cast<uint8_t*>(sodium_malloc(size_));
    if (data_ == nullptr) throw std::bad_alloc();
    sodium_memzero(data_, size_);
  }
  SecureBuffer(const uint8_t* bytes, size_t size) : SecureBuffer(size) {
    if (size_ != 0) std::copy(bytes, bytes + size, data_);
  }
  static SecureBuffer FromString(std::string_view s) {
    return SecureBuffer(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  static SecureBuffer Random(size_t size) {
    SecureBuffer b(size);
    if (size != 0) randombytes_buf(b.data_, size);
    return b;
  }
  ~SecureBuffer() { Reset(); }

  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;
  SecureBuffer(SecureBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  SecureBuffer& operator=(SecureBuffer&& o) noexcept {
    if (this != &o) {
      Reset();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }

  // Wipes and frees the memory now; the buffer becomes empty.
  void Reset() {
    if (data_ != nullptr) sodium_free(data_);  // sodium_free wipes before freeing
    data_ = nullptr;
    size_ = 0;
  }
  SecureBuffer Clone() const { return SecureBuffer(data_, size_); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data_, size_}; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

  // Constant-time for equal sizes; sizes are not secret.
  bool Equals(std::span<const uint8_t> other) const {
    return other.size() == size_ && (size_ == 0 || sodium_memcmp(data_, other.data(), size_) == 0);
  }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace bomvault::crypto
