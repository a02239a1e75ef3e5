#include "util/address_policy.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace bomvault::util {

namespace {

AddressClass ClassifyV4(uint32_t a) {
  auto in = [a](uint32_t net, int bits) {
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a & mask) == (net & mask);
  };
  if (in(0x00000000, 8)) return AddressClass::kNever;     // 0.0.0.0/8 "this network"
  if (in(0xA9FE0000, 16)) return AddressClass::kNever;    // 169.254/16 link-local, metadata
  if (a == 0x646464C8) return AddressClass::kNever;       // 100.100.100.200 Alibaba metadata
  if (in(0xC0000000, 24)) return AddressClass::kNever;    // 192.0.0.0/24 IETF protocol
  if (in(0xE0000000, 4)) return AddressClass::kNever;     // multicast
  if (in(0xF0000000, 4)) return AddressClass::kNever;     // reserved, broadcast
  if (in(0x7F000000, 8)) return AddressClass::kInternal;  // loopback
  if (in(0x0A000000, 8)) return AddressClass::kInternal;
  if (in(0xAC100000, 12)) return AddressClass::kInternal;
  if (in(0xC0A80000, 16)) return AddressClass::kInternal;
  if (in(0x64400000, 10)) return AddressClass::kInternal;  // 100.64/10 carrier-grade NAT
  if (in(0xC6120000, 15)) return AddressClass::kInternal;  // 198.18/15 benchmarking
  return AddressClass::kPublic;
}

AddressClass ClassifyV6(const std::array<uint8_t, 16>& b) {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto v4 = [&b] {
    return (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) | b[15];
  };
  if (std::memcmp(b.data(), kMapped, 12) == 0 || std::memcmp(b.data(), kNat64, 12) == 0) {
    return ClassifyV4(v4());
  }
  // fd00:ec2::254, AWS's IPv6 instance metadata service.
  static const uint8_t kEc2[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                   0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (std::memcmp(b.data(), kEc2, 16) == 0) return AddressClass::kNever;
  bool zero_prefix = true;
  for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && b[i] == 0;
  if (zero_prefix && b[15] == 0) return AddressClass::kNever;     // ::
  if (zero_prefix && b[15] == 1) return AddressClass::kInternal;  // ::1
  if (zero_prefix) return AddressClass::kNever;                   // deprecated IPv4-compatible
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kNever;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kNever;  // fec0::/10 site-local
  if (b[0] == 0xff) return AddressClass::kNever;                           // multicast
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kInternal;               // fc00::/7 ULA
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) {
    return AddressClass::kNever;  // 2001:db8::/32 documentation
  }
  return AddressClass::kPublic;
}

}  // namespace

std::optional<AddressClass> ClassifyAddress(std::string_view numeric) {
  if (numeric.size() > 64) return std::nullopt;
  std::string text(numeric);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return ClassifyV4(ntohl(v4.s_addr));
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) return ClassifyV6(v6);
  return std::nullopt;
}

}  // namespace bomvault::util
