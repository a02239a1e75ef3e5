// Which network addresses an outbound request to a data source may reach.
//
// Three classes, decided on the resolved address (never on the host name, which an attacker who
// controls DNS can point anywhere):
//   kNever    link-local (169.254.0.0/16, fe80::/10), the cloud metadata services
//             (169.254.169.254, 100.100.100.200, fd00:ec2::254), unspecified, multicast,
//             broadcast and reserved ranges: refused for every source.
//   kInternal loopback (127/8, ::1), RFC 1918 private ranges, carrier-grade NAT (100.64/10),
//             unique-local IPv6 (fc00::/7), and IPv4-mapped forms of these: only for a source an
//             Administrator marked as internal.
//   kPublic   everything else.
// IPv4-mapped (::ffff:a.b.c.d) and NAT64 forms are classified as the IPv4 address they carry.
// Pure functions over parsed addresses: thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bomvault::util {

enum class AddressClass { kNever, kInternal, kPublic };

// Classifies a numeric IPv4 or IPv6 address text; nullopt when the text is not one.
std::optional<AddressClass> ClassifyAddress(std::string_view numeric);

// Whether a source may reach this class of address.
inline bool AddressAllowed(AddressClass c, bool internal_source) {
  return c == AddressClass::kPublic || (c == AddressClass::kInternal && internal_source);
}

}  // namespace bomvault::util
